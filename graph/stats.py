"""What the built graph holds: counts per class and per source, and the sources' provenance."""

from __future__ import annotations

import os

from rdflib import Dataset

from .store import open_graph

__all__ = ["class_counts", "source_table"]

_CLASS_COUNTS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class . FILTER(STRSTARTS(STR(?class), STR(cmq:))) }
GROUP BY ?class ORDER BY DESC(?n) ?class
"""

_SOURCES = """
SELECT ?name ?title ?rows ?skipped ?triples ?licence ?upstream ?temporal ?completeness WHERE {
  GRAPH <https://w3id.org/cmqgraph/graph/meta> {
    ?d a cmq:SourceDataset ; cmq:namedGraph ?g ; dct:title ?title ; cmq:rowCount ?rows ;
       cmq:skippedRowCount ?skipped ; cmq:tripleCount ?triples ; dct:license ?licence ; cmq:upstreamRepository ?upstream .
    OPTIONAL { ?d dct:temporal ?temporal }
    OPTIONAL { ?d cmq:completenessNote ?completeness }
    BIND(STRAFTER(STR(?g), "/graph/") AS ?name)
  }
}
"""


_COLUMNS = ("name", "title", "rows", "skipped", "triples", "licence", "upstream", "temporal", "completeness")


def class_counts(graph: Dataset | None = None, store: str | os.PathLike | None = None) -> list[tuple[str, int]]:
    """Return ``(class CURIE, number of instances)`` for every ``cmq:`` class, most frequent first."""
    graph = graph if graph is not None else open_graph(store)
    return [(graph.namespace_manager.curie(row[0]), int(row[1])) for row in graph.query(_CLASS_COUNTS)]


def source_table(graph: Dataset | None = None, store: str | os.PathLike | None = None) -> list[dict[str, object]]:
    """Return one dict per source (name, title, rows, skipped, triples, licence, upstream, temporal, completeness), in build order."""
    from .sources import REGISTRY

    graph = graph if graph is not None else open_graph(store)
    numbers = ("rows", "skipped", "triples")
    rows = []
    for row in graph.query(_SOURCES):
        values = row.asdict()
        rows.append({key: int(values[key]) if key in numbers else str(values.get(key, "")) for key in _COLUMNS})
    order = {name: i for i, name in enumerate(REGISTRY)}
    return sorted(rows, key=lambda r: order.get(r["name"], len(order)))
