"""Check the built graph against the SHACL shapes, like ``pyshacl.validate``.

The union of all named graphs is validated at once, so that a constraint may follow a link from one
source's graph to another's (a school's département typed in ``graph/territoires``). Two engines give the
same results: ``"sparql"`` (the default, :mod:`cmqgraph.shacl`: the shapes compiled into SPARQL on the
store) and ``"pyshacl"`` (the reference: pySHACL on an in-memory copy of the graph).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
import rdflib.collection
from rdflib.namespace import SH

from .resources import ontology_path, shapes_path
from .store import open_store

__all__ = ["ENGINES", "Violation", "validate", "violations", "load_union", "path_text"]

#: The validation engines: the compiled SPARQL one (default) and pySHACL (the reference).
ENGINES = ("sparql", "pyshacl")

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class Violation:
    """One result of a SHACL report: where (focus node, path), what (message), how bad (severity)."""

    focus: str
    path: str
    value: str
    message: str
    severity: str
    shape: str


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Identifier:
    """Convert a pyoxigraph term to rdflib (plain strings stay plain: ``xsd:string`` is implied)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return rdflib.Literal(term.value, datatype=None if datatype == _XSD_STRING else rdflib.URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    raise TypeError(f"unsupported RDF term {term!r}")


def load_union(store: str | os.PathLike | None = None) -> rdflib.Graph:
    """Return an in-memory rdflib graph holding the union of every named graph of the store.

    Terms are converted straight from pyoxigraph (about twice as fast as going through oxrdflib's
    generic triple pattern interface).
    """
    graph = rdflib.Graph()
    add = graph.add
    for quad in open_store(store).quads_for_pattern(None, None, None, None):
        add((_term(quad.subject), _term(quad.predicate), _term(quad.object)))
    return graph


def validate(
    store: str | os.PathLike | None = None,
    data: rdflib.Graph | None = None,
    shapes: str | os.PathLike | None = None,
    engine: str = "sparql",
) -> tuple[bool, rdflib.Graph, str]:
    """Validate the built graph (or ``data``) against the shapes.

    Parameters
    ----------
    store : path, optional
        The store (default: the usual one).
    data : rdflib.Graph, optional
        Validate this graph instead of the store.
    shapes : path, optional
        A SHACL shapes file (default: the shipped ``ontology/shapes.ttl``).
    engine : {"sparql", "pyshacl"}
        ``"sparql"`` compiles the shapes into SPARQL run on the store (:mod:`cmqgraph.shacl`); a shapes file
        using a feature it does not compile is validated by pySHACL instead, with a warning.
        ``"pyshacl"`` is the reference.

    Returns
    -------
    conforms : bool
    report : rdflib.Graph
        The SHACL validation report (with ``"sparql"``, a minimal one: the results, without copies of the shapes).
    text : str
        The report as text.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    if engine == "sparql":
        from .errors import ShapesNotCompiled
        from .shacl import run

        try:
            return run(store, shapes, data=data)
        except ShapesNotCompiled as exc:
            warnings.warn(f"{exc}; validation par pySHACL / validating with pySHACL", UserWarning, stacklevel=2)
    return _validate_pyshacl(store, data, shapes)


def _validate_pyshacl(store, data, shapes) -> tuple[bool, rdflib.Graph, str]:
    from pyshacl import validate as shacl_validate  # imported here: the sparql engine does not need all of pySHACL

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


def path_text(graph: rdflib.Graph, path: rdflib.term.Identifier | None, nested: bool = False) -> str:
    """Write a SHACL path of ``graph`` as text: an IRI as itself, any other path in SPARQL's property path syntax.

    >>> g = rdflib.Graph().parse(format="turtle", data="<urn:x> <urn:p> ( <urn:a> <urn:b> ) .")
    >>> path_text(g, g.value(rdflib.URIRef("urn:x"), rdflib.URIRef("urn:p")))
    '<urn:a>/<urn:b>'
    """
    if path is None:
        return ""
    if isinstance(path, rdflib.URIRef):
        return f"<{path}>" if nested else str(path)
    if (path, rdflib.RDF.first, None) in graph:
        return "/".join(path_text(graph, item, True) for item in rdflib.collection.Collection(graph, path))
    for key, wrap in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"), (SH.zeroOrOnePath, "{}?")):
        inner = graph.value(path, key)
        if inner is not None:
            return wrap.format(f"({path_text(graph, inner, True)})")
    inner = graph.value(path, SH.alternativePath)
    if inner is not None:
        return "(" + "|".join(path_text(graph, item, True) for item in rdflib.collection.Collection(graph, inner)) + ")"
    return str(path)


def violations(report: rdflib.Graph) -> list[Violation]:
    """Return the results of a SHACL report, sorted by focus node and path (a path that is not an IRI written by :func:`path_text`)."""
    out = []
    def one(result, prop) -> str:
        value = report.value(result, prop)
        return "" if value is None else str(value)

    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        out.append(
            Violation(
                focus=one(result, SH.focusNode),
                path=path_text(report, report.value(result, SH.resultPath)),
                value=one(result, SH.value),
                message=" / ".join(messages),
                severity=one(result, SH.resultSeverity).rsplit("#", 1)[-1],
                shape=one(result, SH.sourceShape),
            )
        )
    return sorted(out, key=lambda v: (v.focus, v.path, v.message))
