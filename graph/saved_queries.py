"""Saved SPARQL queries: each ``queries/NAME.rq`` carries its metadata beside the SPARQL.

The metadata is TOML in comment lines that start with ``#+`` at the top of the file, so the file stays
valid SPARQL that any endpoint accepts, and a person can read and edit both parts::

    #+ title.fr = "Campus d'une région"
    #+ title.en = "Campuses of a région"
    #+ description.fr = "…"
    #+ description.en = "…"
    #+ columns = ["campus", "nom", "academie"]
    #+ [params.region]
    #+ type = "string"
    #+ required = false
    #+ default = "Bourgogne-Franche-Comté"
    #+ example = "Occitanie"
    #+ description.fr = "Nom de la région"
    #+ description.en = "Name of the région"
    #+ choices = "region"
    SELECT ?campus ?nom ?academie WHERE { … }

A parameter may name its ``choices``: a list of the graph (:data:`CHOICE_LISTS`: régions, académies,
filières, campuses, projects, pôles), or the values themselves (``choices = ["ti", "tip-cmq"]``, the only
ones accepted). A value of a closed list of the graph (a région, an académie, a filière) is checked against
the graph's own list (:meth:`SavedQuery.check_choices`) by whoever runs the query: the engine, on the
local store or the endpoint it queries, and the server, with the lists it keeps. A top-level ``view``
table maps the filters of the network view (:func:`cmqgraph.view.view`) to parameters, for queries whose
rows are actors (``view = { region = "region" }``).

Parameters are typed (:data:`PARAMETER_TYPES`), converted to RDF terms, and bound as values: a
``VALUES`` block built from the terms' ``.n3()`` is put at the start of the query's top-level ``WHERE``
group, the same way for the local store and for a remote endpoint. Nothing a user types is pasted into
the query text.

Examples
--------
>>> from cmqgraph.saved_queries import parse_query
>>> q = parse_query("demo", '''#+ title.fr = "Démo"
... #+ title.en = "Demo"
... #+ description.fr = "d"
... #+ description.en = "d"
... #+ columns = ["n"]
... #+ [params.code]
... #+ type = "string"
... #+ example = "27"
... SELECT ?n WHERE { ?r skos:notation ?code ; rdfs:label ?n }''')
>>> print(q.with_values({"code": "27"}).splitlines()[-1])
SELECT ?n WHERE { VALUES (?code) { ("27") } ?r skos:notation ?code ; rdfs:label ?n }
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from .errors import ParameterError, QueryError, QueryNotFound
from .iris import CMQ
from .resources import internal_query, queries_dir
from .sources.base import uai_is_valid
from .sources.files import line_of, utf8_text

__all__ = [
    "PARAMETER_TYPES",
    "CHOICE_LISTS",
    "VIEW_FILTERS",
    "ViewFilter",
    "ChoiceList",
    "QueryError",
    "ParameterError",
    "QueryNotFound",
    "Parameter",
    "SavedQuery",
    "parse_query",
    "load_queries",
    "get_query",
    "insert_values",
    "blank_comments",
    "decode_query",
]


def _string(raw: str) -> Literal:
    return Literal(raw)


def _lang_fr(raw: str) -> Literal:
    return Literal(raw, lang="fr")


def _integer(raw: str) -> Literal:
    if not re.fullmatch(r"[+-]?\d+", raw.strip()):
        raise ValueError("expected a whole number")
    return Literal(int(raw), datatype=XSD.integer)


def _decimal(raw: str) -> Literal:
    try:
        return Literal(Decimal(raw.strip().replace(",", ".")), datatype=XSD.decimal)
    except InvalidOperation:
        raise ValueError("expected a decimal number") from None


def _year(raw: str) -> Literal:
    if not re.fullmatch(r"\d{4}", raw.strip()):
        raise ValueError("expected a year such as 2020")
    return Literal(raw.strip(), datatype=XSD.gYear)


def _date(raw: str) -> Literal:
    try:
        return Literal(date.fromisoformat(raw.strip()).isoformat(), datatype=XSD.date)
    except ValueError:
        raise ValueError("expected a date such as 2020-02-06") from None


def _boolean(raw: str) -> Literal:
    value = raw.strip().lower()
    if value not in ("true", "false", "oui", "non", "1", "0"):
        raise ValueError("expected true or false")
    return Literal(value in ("true", "oui", "1"), datatype=XSD.boolean)


def _uai(raw: str) -> Literal:
    value = raw.strip().upper()
    if not uai_is_valid(value):
        raise ValueError("expected a UAI: seven digits and their check letter, such as 0250001R")
    return Literal(value)


def _iri(raw: str) -> URIRef:
    value = raw.strip()
    if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|^`\\]+", value):
        raise ValueError("expected an absolute IRI such as https://w3id.org/cmqgraph/id/region/27")
    return URIRef(value)


#: Parameter type → converter from the text a user types to an RDF term.
PARAMETER_TYPES: dict[str, Callable[[str], Identifier]] = {
    "string": _string,
    "text_fr": _lang_fr,
    "integer": _integer,
    "decimal": _decimal,
    "year": _year,
    "date": _date,
    "boolean": _boolean,
    "iri": _iri,
    "uai": _uai,
}


@dataclass(frozen=True)
class ViewFilter:
    """A filter of the network view: its French label (and English, where it differs), its choice list, its help."""

    label: str
    english: str
    choices: str
    help: str


#: The filters of the network view: the options of ``cmqgraph view`` and ``cmqgraph network``, the fields of
#: the server's view form, what a query's ``view`` table can fill from its parameters.
VIEW_FILTERS: dict[str, ViewFilter] = {
    "region": ViewFilter("Région", "", "region", "A région by name or INSEE code."),
    "academie": ViewFilter("Académie", "", "academie", "An académie by name or code."),
    "campus": ViewFilter("Campus", "", "campus", "A campus by name (part of it is enough)."),
    "cluster": ViewFilter("Pôle de compétitivité", "competitiveness cluster", "pole", "A pôle de compétitivité by name."),
    "project": ViewFilter("Projet", "regional project, PIA3", "projet", "A regional project by name (part of it is enough)."),
}


@dataclass(frozen=True)
class Parameter:
    """A typed parameter of a saved query (see :data:`PARAMETER_TYPES`)."""

    name: str
    type: str
    required: bool
    default: str | None
    example: str
    description: Mapping[str, str]
    #: The name of a :data:`CHOICE_LISTS` list, the accepted values themselves, or None.
    choices: str | tuple[str, ...] | None = None

    @property
    def closed(self) -> bool:
        """True when only the choices are accepted: values listed here, or a closed list of the graph."""
        return isinstance(self.choices, tuple) or (self.choices is not None and CHOICE_LISTS[self.choices].closed)

    def convert(self, raw: object, query: str) -> Identifier:
        """Return ``raw`` as an RDF term of this parameter's type, or raise :class:`ParameterError`."""
        if isinstance(raw, (URIRef, Literal)):
            return raw
        if isinstance(self.choices, tuple):
            self.check_choice(str(raw), self.choices, query)
        try:
            return PARAMETER_TYPES[self.type](str(raw))
        except ValueError as exc:
            raise ParameterError(f"query {query!r}, parameter {self.name!r} ({self.type}): {exc}; got {raw!r}", self.name) from exc

    def check_choice(self, raw: str, values: Sequence[str], query: str) -> None:
        """Raise :class:`ParameterError` unless ``raw`` is one of ``values`` (case ignored), naming the closest."""
        if raw.strip().casefold() in {v.casefold() for v in values}:
            return
        if not values:
            raise ParameterError(f"query {query!r}, parameter {self.name!r}: the graph has no values in the list {self.choices!r}", self.name)
        close = difflib.get_close_matches(raw, values, n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else f"{len(values)} values are accepted"
        raise ParameterError(f"query {query!r}, parameter {self.name!r}: {raw!r} is not one of the accepted values; {hint}", self.name)

    @property
    def graph_list(self) -> str | None:
        """The name of the closed list of the graph that a value must be in (a région, an académie), or None."""
        return self.choices if isinstance(self.choices, str) and self.closed else None


@dataclass(frozen=True)
class SavedQuery:
    """A saved query: its name, bilingual title and description, parameters, columns and SPARQL."""

    name: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    parameters: tuple[Parameter, ...]
    columns: tuple[str, ...]
    sparql: str
    path: Path | None = None
    metadata: Mapping[str, object] = field(default_factory=dict, repr=False)
    #: Network-view filter → the parameter that fills it; None: the rows are not actors (no view).
    view: Mapping[str, str] | None = None

    def bind(self, values: Mapping[str, object] | None = None) -> dict[str, Identifier]:
        """Return the RDF terms to bind: ``values`` checked and converted, defaults filled in.

        Raises
        ------
        ParameterError
            A name is unknown, a required parameter is missing, or a value has the wrong type.
        """
        values = dict(values or {})
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            hints = {u: difflib.get_close_matches(u, known, n=1) for u in unknown}
            hint = "; ".join(f"{u!r}" + (f" (did you mean {h[0]!r}?)" if h else "") for u, h in hints.items())
            expected = ", ".join(known) or "none"
            raise ParameterError(f"query {self.name!r} has no parameter {hint}; its parameters: {expected}", unknown[0])
        bound: dict[str, Identifier] = {}
        for param in self.parameters:
            raw = values.get(param.name, param.default)
            if raw is None or raw == "":
                if param.required:
                    raise ParameterError(
                        f"query {self.name!r} needs the parameter {param.name!r} ({param.type}), for example "
                        f"--param {param.name}={param.example}",
                        param.name,
                    )
                continue
            bound[param.name] = param.convert(raw, self.name)
        return bound

    def graph_lists(self, values: Mapping[str, object] | None = None) -> list[str]:
        """Return the closed lists of the graph that the given ``values`` must be checked against (:meth:`check_choices`)."""
        given = values or {}
        return sorted({p.graph_list for p in self.parameters if p.graph_list and given.get(p.name) not in (None, "")})

    def check_choices(self, values: Mapping[str, object] | None, lists: Mapping[str, Sequence[str]]) -> None:
        """Raise :class:`ParameterError` unless each value given for a parameter with a closed list of the graph is in it.

        ``lists`` holds the values of the lists :meth:`graph_lists` names, read from the graph the query
        runs on (:func:`cmqgraph.engine.choice_values`, or a server's cache). Defaults are not checked.

        >>> from cmqgraph.saved_queries import get_query
        >>> get_query("campus_excellence").check_choices({"region": "Bourgogne"}, {"region": ["Bourgogne-Franche-Comté", "Occitanie"]})
        Traceback (most recent call last):
        ...
        cmqgraph.errors.ParameterError: query 'campus_excellence', parameter 'region': 'Bourgogne' is not one of the accepted values; did you mean 'Bourgogne-Franche-Comté'?
        """
        given = values or {}
        for param in self.parameters:
            raw = given.get(param.name)
            if param.graph_list and raw not in (None, ""):
                param.check_choice(str(raw), lists[param.graph_list], self.name)

    def with_values(self, values: Mapping[str, object] | None = None) -> str:
        """Return the SPARQL with the bound parameters as a ``VALUES`` block at the start of ``WHERE``."""
        return insert_values(self.sparql, self.bind(values))


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_MARKER = re.compile(r"^([ \t]*)#[ \t]*@values[ \t]*$", re.MULTILINE)


def insert_values(sparql: str, bindings: Mapping[str, Identifier]) -> str:
    r"""Return ``sparql`` with ``VALUES (?a ?b) { (term term) }`` where its parameters are bound.

    The block replaces every ``# @values`` comment line (alone on its line); without one, it opens the first
    ``WHERE`` group. A query places the marker inside the group that its parameters filter, so that the
    engine joins them first (Oxigraph joins a top-level ``VALUES`` that shares no variable with the
    first patterns last); a parameter bound there is visible only inside that group. The terms are
    written with rdflib's ``.n3()``, which escapes them; nothing else is added.

    >>> from rdflib import Literal
    >>> print(insert_values("SELECT ?n WHERE {\n  {\n    # @values\n    ?c rdfs:label ?n FILTER(?n = ?x) }\n}", {"x": Literal("a")}))
    SELECT ?n WHERE {
      {
        VALUES (?x) { ("a") }
        ?c rdfs:label ?n FILTER(?n = ?x) }
    }
    """
    if not bindings:
        return sparql
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(term.n3() for term in bindings.values())
    block = f"VALUES ({names}) {{ ({terms}) }}"
    if _MARKER.search(sparql):
        return _MARKER.sub(lambda m: m.group(1) + block, sparql)
    match = _WHERE.search(blank_comments(sparql))
    if match is None:
        raise QueryError("a query with parameters needs an explicit 'WHERE {' or a '# @values' line to bind them")
    return f"{sparql[: match.end()]} {block}{sparql[match.end():]}"


def blank_comments(sparql: str) -> str:
    """Return ``sparql`` with comments, strings and IRIs blanked out (same length), to find keywords."""
    pattern = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>\s]*>|#[^\n]*')
    return pattern.sub(lambda m: " " * len(m.group(0)), sparql)


@dataclass(frozen=True)
class ChoiceList:
    """A list of values read from the graph: ``sparql`` selects them as ``?value``, sorted.

    ``closed``: only these values are accepted (a région, an académie); otherwise they are suggestions,
    and part of a name is enough (a campus).

    >>> print(CHOICE_LISTS["region"].sparql.splitlines()[-4])
      VALUES (?class) { (<https://w3id.org/cmqgraph/ontology#Region>) }
    """

    sparql: str
    closed: bool


def _labels(cls: URIRef, closed: bool) -> ChoiceList:
    """Return the list of the labels of the instances of ``cls`` (``queries/internal/choice_labels.rq``, ``?class`` bound)."""
    return ChoiceList(insert_values(internal_query("choice_labels"), {"class": cls}), closed)


#: The lists of the graph that a parameter's ``choices`` can name.
CHOICE_LISTS: dict[str, ChoiceList] = {
    "region": _labels(CMQ.Region, closed=True),
    "academie": _labels(CMQ.Academie, closed=True),
    "filiere": _labels(CMQ.Sector, closed=True),
    "campus": _labels(CMQ.Campus, closed=False),
    "projet": _labels(CMQ.RegionalProject, closed=False),
    "pole": _labels(CMQ.Cluster, closed=False),
}


def decode_query(data: bytes, where: str) -> str:
    r"""Return the text of a query file: UTF-8, a leading BOM dropped; raise :class:`QueryError` naming the line and byte.

    ``where`` names the file in the message. The offset counts from the file's first byte, BOM included.

    >>> decode_query(b"\xef\xbb\xbfASK {}", "q.rq")
    'ASK {}'
    >>> decode_query(b'ASK {\n  FILTER(?n = "\xe9t\xe9") }', "q.rq")
    Traceback (most recent call last):
    ...
    cmqgraph.errors.QueryError: q.rq, line 2: not valid UTF-8 (byte 0xe9 at offset 21); save the file as UTF-8
    """
    try:
        return utf8_text(data)
    except UnicodeDecodeError as exc:
        line, offset = line_of(data, exc.start), exc.start
        raise QueryError(f"{where}, line {line}: not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset}); save the file as UTF-8") from exc


def parse_query(name: str, text: str, path: Path | None = None) -> SavedQuery:
    """Parse a saved query: the ``#+`` TOML header and the SPARQL below it.

    Raises
    ------
    QueryError
        The header is not valid TOML or lacks a title, description or columns in French and English.
    """
    where = str(path or name)
    header = "\n".join(line[2:].removeprefix(" ") for line in text.splitlines() if line.startswith("#+"))
    sparql = "\n".join(line for line in text.splitlines() if not line.startswith("#+")).strip()
    try:
        meta = tomllib.loads(header)
    except tomllib.TOMLDecodeError as exc:
        raise QueryError(f"{where}: the '#+' metadata is not valid TOML: {exc}") from exc
    for key in ("title", "description"):
        if not isinstance(meta.get(key), dict) or not {"fr", "en"} <= set(meta[key]):
            raise QueryError(f"{where}: metadata needs {key}.fr and {key}.en")
    if not isinstance(meta.get("columns"), list) or not meta["columns"]:
        raise QueryError(f"{where}: metadata needs the list of columns the query returns")
    parameters = []
    for pname, spec in meta.get("params", {}).items():
        ptype = spec.get("type", "string")
        if ptype not in PARAMETER_TYPES:
            raise QueryError(f"{where}: parameter {pname!r} has unknown type {ptype!r}; types: {', '.join(PARAMETER_TYPES)}")
        if "example" not in spec:
            raise QueryError(f"{where}: parameter {pname!r} needs an example")
        default = spec.get("default")
        choices = spec.get("choices")
        if isinstance(choices, list):
            choices = tuple(str(c) for c in choices)
        elif choices is not None and choices not in CHOICE_LISTS:
            raise QueryError(f"{where}: parameter {pname!r} has unknown choices {choices!r}; lists: {', '.join(CHOICE_LISTS)}")
        parameters.append(
            Parameter(
                name=pname,
                type=ptype,
                required=bool(spec.get("required", default is None)),
                default=None if default is None else str(default),
                example=str(spec["example"]),
                description=spec.get("description", {}),
                choices=choices,
            )
        )
    view = meta.get("view")
    names = {p.name for p in parameters}
    if view is not None and (not isinstance(view, dict) or not set(view) <= set(VIEW_FILTERS) or not set(view.values()) <= names):
        raise QueryError(f"{where}: 'view' must map filters among {', '.join(VIEW_FILTERS)} to the query's parameters, not {view!r}")
    return SavedQuery(
        name=name,
        title=meta["title"],
        description=meta["description"],
        parameters=tuple(parameters),
        columns=tuple(meta["columns"]),
        sparql=sparql,
        path=path,
        metadata=meta,
        view=view,
    )


def load_queries(folders: tuple[str | os.PathLike, ...] = ()) -> dict[str, SavedQuery]:
    """Return the saved queries by name: the shipped ones, then those of ``folders`` (which override them).

    Raises
    ------
    QueryError
        A file cannot be read, is not UTF-8 (its line and byte named), or its metadata is wrong.
    """
    queries: dict[str, SavedQuery] = {}
    for folder in (queries_dir(), *map(Path, folders)):
        for path in sorted(Path(folder).glob("*.rq")):
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise QueryError(f"{path}: cannot read the saved query: {exc.strerror}") from exc
            queries[path.stem] = parse_query(path.stem, decode_query(data, str(path)), path)
    return queries


def get_query(name: str, folders: tuple[str | os.PathLike, ...] = ()) -> SavedQuery:
    """Return the saved query ``name``, or raise :class:`QueryNotFound` with the closest names."""
    queries = load_queries(folders)
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, queries, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; 'cmqgraph query list' shows them"
    raise QueryNotFound(f"no saved query named {name!r}{hint}")
