"""What the built graph holds: counts per class and per source, and the sources' provenance.

The queries are ``queries/internal/stats_class_counts.rq`` and ``stats_sources.rq``.
"""

from __future__ import annotations

import os

from rdflib import Dataset

from .iris import META_GRAPH
from .resources import internal_query
from .saved_queries import insert_values
from .store import open_graph

__all__ = ["class_counts", "source_table"]

_COLUMNS = ("source", "name", "title", "rows", "skipped", "triples", "licence", "upstream", "temporal", "completeness")


def class_counts(graph: Dataset | None = None, store: str | os.PathLike | None = None) -> list[tuple[str, int]]:
    """Return ``(class CURIE, number of instances)`` for every ``cmq:`` class, most frequent first."""
    graph = graph if graph is not None else open_graph(store)
    return [(graph.namespace_manager.curie(row[0]), int(row[1])) for row in graph.query(internal_query("stats_class_counts"))]


def source_table(graph: Dataset | None = None, store: str | os.PathLike | None = None) -> list[dict[str, object]]:
    """Return one dict per source (source: its dataset's IRI, name, title, rows, skipped, triples, licence, upstream, temporal, completeness), in build order."""
    from .sources import REGISTRY

    graph = graph if graph is not None else open_graph(store)
    numbers = ("rows", "skipped", "triples")
    rows = []
    for row in graph.query(insert_values(internal_query("stats_sources"), {"meta": META_GRAPH})):
        values = row.asdict()
        rows.append({key: int(values[key]) if key in numbers else str(values.get(key, "")) for key in _COLUMNS})
    order = {name: i for i, name in enumerate(REGISTRY)}
    return sorted(rows, key=lambda r: order.get(r["name"], len(order)))
