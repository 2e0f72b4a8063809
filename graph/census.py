"""What a built store holds per source, to compare a build with the graph it is about to replace.

A broken input file often does not fail: it gives a smaller graph (a truncated campus list gave 55
of 105 campuses). Before a build swaps its new store in, :func:`shrinkage` compares the
:func:`census` of both: the instances of each class in each source's named graph, and the rows each
source read (from ``graph/meta``). A loss larger than the allowed share stops the build
(:class:`~cmqgraph.errors.ShrinkError`) unless the user says it is intended. The queries are
``queries/internal/census_instances.rq`` and ``census_rows.rq``.

Examples
--------
>>> before = Census({("cmq", "cmq:Campus"): 105}, {"cmq": 105})
>>> after = Census({("cmq", "cmq:Campus"): 5}, {"cmq": 5})
>>> [str(s) for s in shrinkage(before, after)]
['cmq: cmq:Campus 105 → 5 (-95%)']
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .iris import META_GRAPH, PREFIXES, source_name
from .resources import internal_query
from .saved_queries import insert_values

__all__ = ["MAX_LOSS", "MIN_LOST", "Census", "Shrink", "census", "shrinkage"]

#: The share of a class's instances in a source that a build may lose without being stopped.
MAX_LOSS = 0.2
#: Losses of fewer instances than this never stop a build (a curated list may drop a row or two).
MIN_LOST = 3


def _curie(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return f"<{iri}>"


@dataclass(frozen=True)
class Census:
    """Instances per ``(source, class CURIE)`` and rows read per source."""

    instances: dict[tuple[str, str], int]
    rows: dict[str, int]


@dataclass(frozen=True)
class Shrink:
    """A class of a source that lost instances: ``before`` in the graph replaced, ``after`` in the new build."""

    source: str
    cls: str
    before: int
    after: int
    files: tuple[str, ...] = ()

    def __str__(self) -> str:
        read = f" ({', '.join(self.files)})" if self.files else ""
        return f"{self.source}{read}: {self.cls} {self.before} → {self.after} ({(self.after - self.before) / self.before:+.0%})"


def census(store: ox.Store) -> Census:
    """Return the census of ``store`` (two aggregate queries: about 0.1 s on the default graph)."""
    instances = {
        (source_name(s["g"].value), _curie(s["class"].value)): int(s["n"].value)
        for s in store.query(internal_query("census_instances"), prefixes=PREFIXES)
        if s["g"].value != str(META_GRAPH)
    }
    rows_query = insert_values(internal_query("census_rows"), {"meta": META_GRAPH})
    rows = {source_name(s["g"].value): int(s["rows"].value) for s in store.query(rows_query, prefixes=PREFIXES)}
    return Census(instances, rows)


def shrinkage(previous: Census, current: Census, max_loss: float = MAX_LOSS, min_lost: int = MIN_LOST) -> list[Shrink]:
    """Return the classes that lost more than ``max_loss`` of their instances (and at least ``min_lost``), largest loss first.

    A source that the new build does not have at all is not compared (the registry changed).
    """
    sources = {source for source, _ in current.instances} | set(current.rows)
    found = []
    for (source, cls), before in previous.instances.items():
        after = current.instances.get((source, cls), 0)
        if source in sources and before - after >= min_lost and after < before * (1 - max_loss):
            found.append(Shrink(source, cls, before, after))
    return sorted(found, key=lambda s: (s.after - s.before) / s.before)
