"""Files that ship inside the package: the ontology, the SHACL shapes, the JSON-LD context, the queries.

The saved queries (``queries/*.rq``, :mod:`cmqgraph.saved_queries`) are the ones users run by name; the
internal queries (``queries/internal/*.rq``) are those the library itself runs (the network projection,
the CSV tables, the statistics, the push's counts). Each internal query starts with comments saying what
it is for, who runs it and which variables the caller binds (at its ``# @values`` lines, with
:func:`cmqgraph.saved_queries.insert_values`).

>>> print(internal_query("stats_class_counts").splitlines()[0])
# Instances of each cmq: class, most frequent first.
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files
from pathlib import Path

__all__ = ["ontology_path", "shapes_path", "context_path", "queries_dir", "internal_queries_dir", "internal_query"]

_NAME = re.compile(r"[a-z0-9_]+")


def _path(package: str, name: str = "") -> Path:
    return Path(str(files(package))) / name


def ontology_path() -> Path:
    """Return the path of the OWL vocabulary ``cmq.ttl``."""
    return _path("cmqgraph.ontology", "cmq.ttl")


def shapes_path() -> Path:
    """Return the path of the SHACL shapes ``shapes.ttl``."""
    return _path("cmqgraph.ontology", "shapes.ttl")


def context_path() -> Path:
    """Return the path of the JSON-LD context ``context.jsonld``."""
    return _path("cmqgraph.ontology", "context.jsonld")


def queries_dir() -> Path:
    """Return the folder of the saved SPARQL queries."""
    return _path("cmqgraph.queries")


def internal_queries_dir() -> Path:
    """Return the folder of the internal SPARQL queries (``queries/internal``), which are not saved queries."""
    return _path("cmqgraph.queries", "internal")


@functools.cache
def internal_query(name: str) -> str:
    """Return the text of the internal query ``queries/internal/{name}.rq`` (read once, then cached).

    Raises
    ------
    ValueError
        ``name`` is not a query name (lower-case letters, digits and ``_``).
    FileNotFoundError
        No internal query has that name.
    """
    if not _NAME.fullmatch(name):
        raise ValueError(f"not the name of an internal query: {name!r}")
    path = internal_queries_dir() / f"{name}.rq"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"no internal query named {name!r} in {path.parent}") from exc
