"""cmqgraph: a knowledge graph of France's Campus des métiers et des qualifications.

Open the built graph in one line::

    import cmqgraph
    g = cmqgraph.open_graph()
"""

from __future__ import annotations

__version__ = "0.1.0"

from .builder import BuildReport, build  # noqa: E402
from .errors import CmqGraphError, RowIssue, ShrinkError, SourceFileError, StoreError  # noqa: E402
from .store import open_graph, open_store  # noqa: E402

__all__ = [
    "__version__",
    "build",
    "BuildReport",
    "open_graph",
    "open_store",
    "CmqGraphError",
    "RowIssue",
    "SourceFileError",
    "StoreError",
    "ShrinkError",
]
