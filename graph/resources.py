"""Files that ship inside the package: the ontology, the SHACL shapes, the JSON-LD context, the queries."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["ontology_path", "shapes_path", "context_path", "queries_dir"]


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
