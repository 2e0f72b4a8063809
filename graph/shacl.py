"""SHACL core constraints compiled into SPARQL and run on the Oxigraph store: the fast engine of ``validate``.

Each (property shape, constraint component) of the shapes becomes one SPARQL query over the union of the
store's named graphs; the few rows where Oxigraph's and rdflib's readings of a literal may differ (an
ill-typed number, a lexical form rdflib normalises, Python's ``$`` matching before a final newline) are
checked again in Python with pySHACL's own rules, so that the results are those of pySHACL (the reference,
``engine="pyshacl"``): same focus nodes, paths, values, severities and messages.

Compiled: targets by ``sh:targetClass`` (with the ``rdfs:subClassOf`` closure of the ontology and the store),
IRI and sequence paths, ``sh:minCount`` (0 or 1), ``sh:maxCount``, ``sh:datatype``, ``sh:class``,
``sh:pattern`` (without ``sh:flags``), ``sh:nodeKind``, ``sh:in`` (of IRIs), ``sh:or`` (of ``sh:class``),
``sh:minInclusive``, and a node shape's ``sh:not [ sh:class C ]``; every shape with a result needs its
``sh:message``. Anything else raises :class:`~cmqgraph.errors.ShapesNotCompiled`, and
:func:`cmqgraph.validate.validate` then uses pySHACL for that shapes file.

The queries are generated from the shapes (so they do not live in ``queries/internal``); every IRI and
literal in them is written by pyoxigraph's own serialiser, which checks and escapes it.

Example
-------
>>> from cmqgraph.shacl import compile_shapes
>>> import rdflib, pyoxigraph as ox
>>> shapes = rdflib.Graph().parse(format="turtle", data='''
... @prefix sh: <http://www.w3.org/ns/shacl#> .
... <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ;
...   sh:property [ sh:path <urn:p> ; sh:minCount 1 ; sh:message "p attendu"@fr ] .''')
>>> [check.component.rsplit("#")[-1] for check in compile_shapes(shapes, rdflib.Graph(), ox.Store())]
['MinCountConstraintComponent']
"""

from __future__ import annotations

import collections
import functools
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, XSD
from rdflib.collection import Collection
from rdflib.namespace import SH

from .errors import ShapesNotCompiled
from .resources import ontology_path, shapes_path
from .store import open_store
from .validate import Violation, _term, violations

__all__ = ["Check", "compile_shapes", "run", "validate_sparql", "report_of"]

#: sh: predicates a node shape may carry (others: not compiled).
_NODE_KEYS = {SH.targetClass, SH.property, SH["not"], SH.message, SH.severity, SH.name, SH.description}
#: sh: predicates a property shape may carry.
_PROPERTY_KEYS = {
    SH.path, SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH.pattern, SH.nodeKind, SH["in"], SH["or"],
    SH.minInclusive, SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group,
}
#: Lexical forms that are certainly valid for both Oxigraph and rdflib (a value outside is checked again in Python).
_SAFE = {
    XSD.integer: r"^-?[1-9][0-9]{0,17}$|^0$",
    XSD.decimal: r"^-?(0|[1-9][0-9]{0,14})\.[0-9]{1,10}$|^-?(0|[1-9][0-9]{0,17})$",
    XSD.boolean: "^(true|false)$",
    XSD.date: r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$",
}
#: Datatypes whose python value pySHACL checks (``DatatypeConstraintComponent._assert_actual_datatype``).
_CHECKED = {XSD.integer, XSD.float, XSD.decimal, XSD.boolean, XSD.date, XSD.time, XSD.dateTime}
_NODE_KINDS = {
    SH.IRI: "isIRI(?v)", SH.Literal: "isLiteral(?v)", SH.BlankNode: "isBlank(?v)",
    SH.BlankNodeOrIRI: "(isBlank(?v) || isIRI(?v))", SH.BlankNodeOrLiteral: "(isBlank(?v) || isLiteral(?v))",
    SH.IRIOrLiteral: "(isIRI(?v) || isLiteral(?v))",
}
_PLAIN = f"(DATATYPE(?v) = <{XSD.string}> || DATATYPE(?v) = <{RDF.langString}>)"


@dataclass
class Check:
    """One compiled constraint: its query, and the Python re-check of the rows it returns (None: none needed)."""

    shape: rdflib.term.Identifier
    path: rdflib.term.Identifier | None
    component: rdflib.URIRef
    severity: rdflib.URIRef
    messages: tuple[rdflib.Literal, ...]
    query: str
    keep: Callable[[rdflib.term.Identifier | None], bool] | None = None
    max_count: int | None = None
    values: bool = True


@dataclass
class _Result:
    check: Check
    focus: rdflib.term.Identifier
    value: rdflib.term.Identifier | None = field(default=None)


def _not_compiled(feature: str, where: object) -> ShapesNotCompiled:
    return ShapesNotCompiled(
        f"les formes utilisent {feature} ({where}), que le moteur SPARQL ne compile pas / the shapes use {feature} ({where}), "
        "which the SPARQL engine does not compile",
        feature,
    )


def _iri(term: rdflib.term.Identifier) -> str:
    if not isinstance(term, rdflib.URIRef):
        raise _not_compiled("a non-IRI term", term)
    try:
        return str(ox.NamedNode(str(term)))
    except ValueError as exc:
        raise _not_compiled("an invalid IRI", term) from exc


def _literal(term: rdflib.Literal) -> str:
    if term.language:
        return str(ox.Literal(str(term), language=term.language))
    return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string))))


def _values(var: str, terms: Iterable[rdflib.term.Identifier]) -> str:
    return "VALUES ?%s { %s }" % (var, " ".join(sorted(_iri(t) for t in terms)))


def _subclasses(ontology: rdflib.Graph, store: ox.Store) -> Callable[[rdflib.URIRef], set]:
    """Return ``down(C)``: C and every class below it (``rdfs:subClassOf``, in the ontology and in the store)."""
    below = collections.defaultdict(set)
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        below[sup].add(sub)
    query = f"SELECT DISTINCT ?s ?o WHERE {{ ?s <{RDFS.subClassOf}> ?o }}"
    for row in store.query(query, use_default_graph_as_union=True):
        below[_term(row["o"])].add(_term(row["s"]))

    def down(cls: rdflib.URIRef) -> set:
        out, todo = {cls}, [cls]
        while todo:
            for sub in below.get(todo.pop(), ()):
                if sub not in out:
                    out.add(sub)
                    todo.append(sub)
        return out

    return down


def _one(shapes: rdflib.Graph, node, key) -> rdflib.term.Identifier | None:
    found = list(shapes.objects(node, key))
    if len(found) > 1:
        raise _not_compiled(f"several {key.n3(shapes.namespace_manager)}", node)
    return found[0] if found else None


def _check_keys(shapes: rdflib.Graph, node, allowed: set) -> None:
    for key in set(shapes.predicates(node)):
        if str(key).startswith(str(SH)) and key not in allowed:
            raise _not_compiled(key.n3(shapes.namespace_manager), node)


def _path(shapes: rdflib.Graph, path) -> str:
    if isinstance(path, rdflib.URIRef):
        return _iri(path)
    if isinstance(path, rdflib.BNode) and (path, RDF.first, None) in shapes:
        items = list(Collection(shapes, path))
        if items and all(isinstance(i, rdflib.URIRef) for i in items):
            return "/".join(_iri(i) for i in items)
    raise _not_compiled("a path other than an IRI or a sequence of IRIs", path)


def _messages(shapes: rdflib.Graph, node) -> tuple[rdflib.Literal, ...]:
    messages = tuple(shapes.objects(node, SH.message))
    if not messages:
        raise _not_compiled("a shape without sh:message (pySHACL's generated messages)", node)
    if any("{$" in str(m) or "{?" in str(m) for m in messages):
        raise _not_compiled("a templated sh:message", node)
    return messages


def _severity(shapes: rdflib.Graph, node) -> rdflib.URIRef:
    severity = _one(shapes, node, SH.severity) or SH.Violation
    if severity not in (SH.Violation, SH.Warning, SH.Info):
        raise _not_compiled("a custom severity", node)
    return severity


def _guard(shapes: rdflib.Graph, ontology: rdflib.Graph, store: ox.Store, classes: set) -> None:
    """Refuse what the store alone cannot answer: shapes not reached from a class target, ontology individuals."""
    shape_subjects = set(shapes.subjects(SH.targetClass, None))
    for node in shape_subjects:
        if (node, RDF.type, SH.NodeShape) not in shapes or (node, SH.path, None) in shapes:
            raise _not_compiled("sh:targetClass on a shape that is not a node shape", node)
    for cls in (RDFS.Class, rdflib.OWL.Class):
        for node in shapes.subjects(RDF.type, cls):
            if (node, RDF.type, SH.NodeShape) in shapes:
                raise _not_compiled("an implicit class target", node)
    used: set = set()
    for node in shape_subjects:
        used.update(shapes.objects(node, SH.property))
    for node in shapes.subjects(SH.path, None):
        if node not in used and any(shapes.objects(node, SH.targetClass)):
            raise _not_compiled("a property shape with its own target", node)
    # pySHACL reads the ontology as data: its individuals must not be focus nodes or sh:class values
    if any(t in classes for t in ontology.objects(None, RDF.type)):
        raise _not_compiled("an ontology individual typed with a class the shapes use", ontology_path())
    subjects = {s for s in ontology.subjects() if isinstance(s, rdflib.URIRef)}
    if subjects and classes:
        query = f"ASK {{ {_values('s', subjects)} {_values('c', classes)} ?s a ?c }}"
        if store.query(query, use_default_graph_as_union=True):
            raise _not_compiled("ontology terms typed in the graph with a class the shapes use", ontology_path())


def compile_shapes(shapes: rdflib.Graph, ontology: rdflib.Graph, store: ox.Store) -> list[Check]:
    """Compile every shape of ``shapes`` into :class:`Check` objects for ``store``.

    Raises
    ------
    ShapesNotCompiled
        The shapes use a feature this compiler does not handle.
    """
    down = _subclasses(ontology, store)
    checks: list[Check] = []
    classes: set = set()
    for node in sorted(set(shapes.subjects(SH.targetClass, None))):
        _check_keys(shapes, node, _NODE_KEYS)
        targets = set().union(*(down(c) for c in shapes.objects(node, SH.targetClass)))
        classes |= targets
        focus = "?f a ?tc . " + _values("tc", targets)
        for inner in shapes.objects(node, SH["not"]):
            checks.append(_not_check(shapes, node, inner, focus, down, classes))
        for prop in shapes.objects(node, SH.property):
            checks.extend(_property_checks(shapes, prop, focus, down, classes))
    _guard(shapes, ontology, store, classes)
    return checks


def _not_check(shapes, node, inner, focus: str, down, classes: set) -> Check:
    keys = {k for k in shapes.predicates(inner) if k != RDF.type}
    if keys != {SH["class"]}:
        raise _not_compiled("sh:not other than [ sh:class C ]", node)
    negated = set().union(*(down(c) for c in shapes.objects(inner, SH["class"])))
    classes |= negated
    query = f"SELECT DISTINCT ?f WHERE {{ {focus} ?f a ?nc . {_values('nc', negated)} }}"
    return Check(node, None, SH.NotConstraintComponent, _severity(shapes, node), _messages(shapes, node), query, values=False)


def _property_checks(shapes: rdflib.Graph, prop, focus: str, down, classes: set) -> list[Check]:
    _check_keys(shapes, prop, _PROPERTY_KEYS)
    path = _one(shapes, prop, SH.path)
    if path is None:
        raise _not_compiled("a property shape without sh:path", prop)
    p = _path(shapes, path)
    made: list[Check] = []

    def add(component, query, keep=None, max_count=None, values=True):
        made.append(Check(prop, path, component, _severity(shapes, prop), _messages(shapes, prop), query, keep, max_count, values))

    def with_values(condition: str) -> str:
        return f"SELECT DISTINCT ?f ?v WHERE {{ {focus} ?f {p} ?v . FILTER({condition}) }}"

    least = _one(shapes, prop, SH.minCount)
    if least is not None and int(least) > 1:
        raise _not_compiled("sh:minCount above 1", prop)
    if least is not None and int(least) == 1:
        add(SH.MinCountConstraintComponent, f"SELECT DISTINCT ?f WHERE {{ {focus} FILTER NOT EXISTS {{ ?f {p} ?v }} }}", values=False)
    most = _one(shapes, prop, SH.maxCount)
    if most is not None:
        over = f"SELECT ?f WHERE {{ {focus} ?f {p} ?v }} GROUP BY ?f HAVING (COUNT(DISTINCT ?v) > {int(most)})"
        add(SH.MaxCountConstraintComponent, f"SELECT DISTINCT ?f ?v WHERE {{ {{ {over} }} ?f {p} ?v }}", max_count=int(most))
    datatype = _one(shapes, prop, SH.datatype)
    if datatype is not None:
        add(SH.DatatypeConstraintComponent, with_values(_datatype_filter(datatype)), keep=lambda v, dt=datatype: not _datatype_ok(v, dt))
    pattern = _one(shapes, prop, SH.pattern)
    if pattern is not None:
        compiled = re.compile(str(pattern))
        rx = f"!COALESCE(REGEX(STR(?v), {_literal(rdflib.Literal(str(pattern)))}), false)"
        add(SH.PatternConstraintComponent, with_values(f"isBlank(?v) || {rx} || (isLiteral(?v) && !{_PLAIN})"),
            keep=lambda v, rx=compiled: isinstance(v, rdflib.BNode) or not rx.search(_string(v)))
    for key, component in ((SH["class"], SH.ClassConstraintComponent), (SH["or"], SH.OrConstraintComponent)):
        value = _one(shapes, prop, key)
        if value is None:
            continue
        wanted = down(value) if key == SH["class"] else _or_classes(shapes, prop, value, down)
        classes |= wanted
        add(component, with_values(f"NOT EXISTS {{ ?v a ?c . {_values('c', wanted)} }}"))
    listed = _one(shapes, prop, SH["in"])
    if listed is not None:
        members = list(Collection(shapes, listed))
        if not all(isinstance(m, rdflib.URIRef) for m in members):
            raise _not_compiled("sh:in with literals or blank nodes", prop)
        same = " || ".join(f"sameTerm(?v, {_iri(m)})" for m in members) or "false"
        add(SH.InConstraintComponent, with_values(f"!({same})"))
    kind = _one(shapes, prop, SH.nodeKind)
    if kind is not None:
        if kind not in _NODE_KINDS:
            raise _not_compiled("an unknown sh:nodeKind", prop)
        add(SH.NodeKindConstraintComponent, with_values(f"!{_NODE_KINDS[kind]}"))
    floor = _one(shapes, prop, SH.minInclusive)
    if floor is not None:
        if not isinstance(floor, rdflib.Literal):
            raise _not_compiled("a non-literal sh:minInclusive", prop)
        add(SH.MinInclusiveConstraintComponent, with_values(f"!COALESCE(?v >= {_literal(floor)}, false)"),
            keep=lambda v, floor=floor: not _at_least(v, floor))
    return made


def _or_classes(shapes: rdflib.Graph, prop, head, down) -> set:
    out: set = set()
    for member in Collection(shapes, head):
        if {k for k in shapes.predicates(member) if k != RDF.type} != {SH["class"]}:
            raise _not_compiled("sh:or other than a list of [ sh:class C ]", prop)
        out |= down(shapes.value(member, SH["class"]))
    return out


def _datatype_filter(datatype: rdflib.URIRef) -> str:
    """Rows that may break ``sh:datatype``: another datatype, and, for a datatype rdflib parses, any unsafe lexical form."""
    condition = f"!isLiteral(?v) || DATATYPE(?v) != {_iri(datatype)}"
    if datatype in (XSD.string, RDF.langString) or (datatype not in _CHECKED and datatype not in rdflib.term._toPythonMapping):
        return condition  # pySHACL accepts every literal of the right datatype
    if datatype in _SAFE:
        return condition + f" || !REGEX(STR(?v), {_literal(rdflib.Literal(_SAFE[datatype]))})"
    return "true"  # every value is checked again in Python


def _datatype_ok(value, datatype: rdflib.URIRef) -> bool:
    """pySHACL's test (``DatatypeConstraintComponent.evaluate``) for one value node."""
    from pyshacl.constraints.core.value_constraints import DatatypeConstraintComponent

    if not isinstance(value, rdflib.Literal):
        return False
    check = DatatypeConstraintComponent._assert_actual_datatype
    if value.datatype == datatype:
        return False if value.ill_typed is True else check(None, value, datatype)
    if datatype == RDFS.Literal or (datatype == RDFS.Datatype and value.datatype):
        return True
    if value.datatype is None and value.language is None and datatype == XSD.string:
        return check(None, value, datatype)
    if datatype == RDF.langString and value.language:
        return check(None, value, datatype)
    return False


def _string(value) -> str:
    """pySHACL's ``StringBasedConstraintBase.value_node_to_string``."""
    if isinstance(value, rdflib.Literal) and value.value is not None and value.datatype in (None, RDF.langString, XSD.string):
        return str(value.value)
    return str(value)


def _at_least(value, floor: rdflib.Literal) -> bool:
    """pySHACL's ``sh:minInclusive`` test for one value node."""
    from pyshacl.rdfutil import compare_literal

    if not isinstance(value, rdflib.Literal) or isinstance(floor.value, str) != isinstance(value.value, str):
        return False
    try:
        return compare_literal(value, floor) >= 0
    except (TypeError, NotImplementedError):
        return False


def _rows(store: ox.Store, check: Check) -> list[_Result]:
    seen: dict = {}
    for row in store.query(check.query, use_default_graph_as_union=True):
        focus = _term(row["f"])
        value = _term(row["v"]) if check.values else None
        if check.keep is not None and not check.keep(value):
            continue
        seen.setdefault((focus, value), None)
    if check.max_count is not None:  # rdflib may read two stored literals as one value: count as pySHACL does
        per_focus = collections.Counter(focus for focus, _ in seen)
        return [_Result(check, focus) for focus, n in per_focus.items() if n > check.max_count]
    return [_Result(check, focus, value) for focus, value in seen]


def _store_of(store: str | os.PathLike | ox.Store | None, data: rdflib.Graph | None) -> ox.Store:
    if data is None:
        return store if isinstance(store, ox.Store) else open_store(store)
    memory, graph = ox.Store(), ox.NamedNode("urn:cmqgraph:data")
    convert = {rdflib.URIRef: lambda t: ox.NamedNode(str(t)), rdflib.BNode: lambda t: ox.BlankNode(str(t))}

    def term(t):
        if isinstance(t, rdflib.Literal):
            if t.language:
                return ox.Literal(str(t), language=t.language)
            return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype or XSD.string)))
        return convert[type(t)](t)

    memory.extend(ox.Quad(term(s), term(p), term(o), graph) for s, p, o in data)
    return memory


def run(
    store: str | os.PathLike | ox.Store | None = None,
    shapes: str | os.PathLike | None = None,
    data: rdflib.Graph | None = None,
    workers: int | None = None,
) -> tuple[bool, rdflib.Graph, str]:
    """Validate the store (or ``data``) with the compiled shapes; return ``(conforms, report, text)`` like pySHACL.

    The queries run in ``workers`` threads (default: 2, or 1 on a single core): Oxigraph answers them
    without holding Python's lock, so two threads take about half the time on two cores.

    Raises
    ------
    ShapesNotCompiled
        The shapes use a feature this compiler does not handle (nothing was validated).
    """
    oxstore = _store_of(store, data)
    shapes_graph = rdflib.Graph().parse(Path(shapes) if shapes else shapes_path(), format="turtle")
    ontology = rdflib.Graph().parse(ontology_path(), format="turtle")
    checks = compile_shapes(shapes_graph, ontology, oxstore)
    with ThreadPoolExecutor(max_workers=workers or min(2, os.cpu_count() or 1)) as pool:
        results = [result for found in pool.map(functools.partial(_rows, oxstore), checks) for result in found]
    return report_of(results, shapes_graph)


def _copy(source: rdflib.Graph, target: rdflib.Graph, node) -> None:
    """Copy the blank-node structure under ``node`` (a sequence path) from the shapes into the report."""
    if isinstance(node, rdflib.BNode):
        for p, o in source.predicate_objects(node):
            target.add((node, p, o))
            _copy(source, target, o)


def report_of(results: list, shapes: rdflib.Graph) -> tuple[bool, rdflib.Graph, str]:
    """Build a minimal ``sh:ValidationReport`` graph (what :func:`cmqgraph.validate.violations` reads) and its text."""
    report = rdflib.Graph()
    report.bind("sh", SH)
    root = rdflib.BNode()
    conforms = not any(r.check.severity == SH.Violation for r in results)
    report.add((root, RDF.type, SH.ValidationReport))
    report.add((root, SH.conforms, rdflib.Literal(conforms)))
    lines = ["Validation Report", f"Conforms: {conforms}", f"Results ({len(results)}):"]
    for result in results:
        node, check = rdflib.BNode(), result.check
        report.add((root, SH.result, node))
        for p, o in ((RDF.type, SH.ValidationResult), (SH.focusNode, result.focus), (SH.resultSeverity, check.severity),
                     (SH.sourceShape, check.shape), (SH.sourceConstraintComponent, check.component)):
            report.add((node, p, o))
        if check.path is not None:
            report.add((node, SH.resultPath, check.path))
            _copy(shapes, report, check.path)
        value = result.focus if check.component == SH.NotConstraintComponent else result.value
        if value is not None:
            report.add((node, SH.value, value))
        for message in check.messages:
            report.add((node, SH.resultMessage, message))
        lines.append(f"Constraint {check.severity.rsplit('#', 1)[-1]} in {check.component.rsplit('#', 1)[-1]}:\n"
                     f"\tFocus Node: {result.focus.n3()}\n\tValue Node: {'' if value is None else value.n3()}\n"
                     f"\tMessage: {' / '.join(sorted(str(m) for m in check.messages))}")
    return conforms, report, "\n".join(lines) + "\n"


def validate_sparql(
    store: str | os.PathLike | ox.Store | None = None,
    shapes: str | os.PathLike | None = None,
) -> list[Violation]:
    """Return the SHACL results of the store as :class:`~cmqgraph.validate.Violation` objects, sorted like ``violations``.

    Raises
    ------
    ShapesNotCompiled
        The shapes use a feature this compiler does not handle.
    """
    return violations(run(store, shapes)[1])

