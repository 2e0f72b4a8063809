"""cmqgraph: a knowledge graph of France's Campus des métiers et des qualifications.

Open the built graph in one line::

    import cmqgraph
    g = cmqgraph.open_graph()
"""

from __future__ import annotations

from .builder import BuildReport, build
from .errors import CmqGraphError, RowIssue, ShrinkError, SourceFileError, StoreError
from .search import search
from .store import open_graph, open_store
from .version import __version__

__all__ = [
    "__version__",
    "build",
    "BuildReport",
    "open_graph",
    "open_store",
    "search",
    "CmqGraphError",
    "RowIssue",
    "SourceFileError",
    "StoreError",
    "ShrinkError",
]
