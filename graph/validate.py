"""Check the built graph against the SHACL shapes (pySHACL), like ``pyshacl.validate``.

The union of all named graphs is validated at once, so that a constraint may follow a link from one
source's graph to another's (a school's département typed in ``graph/territoires``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import rdflib
from pyshacl import validate as shacl_validate
from rdflib.namespace import SH

from .resources import ontology_path, shapes_path
from .store import open_graph

__all__ = ["Violation", "validate", "violations", "load_union"]


@dataclass(frozen=True)
class Violation:
    """One result of a SHACL report: where (focus node, path), what (message), how bad (severity)."""

    focus: str
    path: str
    value: str
    message: str
    severity: str
    shape: str


def load_union(store: str | os.PathLike | None = None) -> rdflib.Graph:
    """Return an in-memory rdflib graph holding the union of every named graph of the store."""
    graph = rdflib.Graph()
    graph += open_graph(store).triples((None, None, None))
    return graph


def validate(
    store: str | os.PathLike | None = None,
    data: rdflib.Graph | None = None,
    shapes: str | os.PathLike | None = None,
) -> tuple[bool, rdflib.Graph, str]:
    """Validate the built graph (or ``data``) against the shapes.

    Returns
    -------
    conforms : bool
    report : rdflib.Graph
        The SHACL validation report.
    text : str
        The report as text.
    """
    data_graph = data if data is not None else load_union(store)
    shapes_graph = rdflib.Graph().parse(Path(shapes) if shapes else shapes_path(), format="turtle")
    ontology = rdflib.Graph().parse(ontology_path(), format="turtle")
    return shacl_validate(
        data_graph,
        shacl_graph=shapes_graph,
        ont_graph=ontology,
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
        inplace=True,
    )


def violations(report: rdflib.Graph) -> list[Violation]:
    """Return the results of a SHACL report, sorted by focus node and path."""
    out = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        def one(prop):
            value = report.value(result, prop)
            return "" if value is None else str(value)

        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        out.append(
            Violation(
                focus=one(SH.focusNode),
                path=one(SH.resultPath),
                value=one(SH.value),
                message=" / ".join(messages),
                severity=one(SH.resultSeverity).rsplit("#", 1)[-1],
                shape=one(SH.sourceShape),
            )
        )
    return sorted(out, key=lambda v: (v.focus, v.path, v.message))
