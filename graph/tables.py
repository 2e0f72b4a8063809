"""CSV tables of the graph and their Frictionless data package (Table Schema with keys), and their licences.

One UTF-8 CSV per entity kind and per relation, English snake_case column names, the entity IRI as the
key (``iri``) and the official code beside it; rows sorted by the primary key. A property with several
values for one entity (a school named differently by two sources) gives its smallest value (SPARQL
``MIN``), so each entity is one row; the RDF dumps keep every value. The query of table ``X`` is
``queries/internal/table_X.rq`` (:func:`cmqgraph.resources.internal_query`).

Licences: each source states its own (``dct:license`` in ``graph/meta``). A file that holds data of a
source under another licence than the Licence Ouverte is offered under that licence (see
:data:`LICENCES`): the RDF dumps hold every source, and a table holds a source's data when its rows would
differ without that source's named graph (:func:`table_licensing`).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import ORG, RDF, URIRef, Variable
from rdflib import Literal as RdfLiteral
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from .errors import ExportError
from .iris import CMQ, META_GRAPH, PREFIXES, label_type
from .resources import internal_query
from .saved_queries import insert_values
from .spreadsheet import rows_text

__all__ = [
    "Table", "TABLES", "table_rows", "write_tables", "datapackage", "source_descriptions",
    "LICENCES", "LICENCE_OUVERTE", "ODBL", "Licensing", "combined_licence", "graph_licensing", "table_licensing",
]

#: How a table cell joins the members of a set.
SET_SEPARATOR = " | "

_PREFIX_LINES = "\n".join(f"PREFIX {p}: <{iri}>" for p, iri in PREFIXES.items())


@dataclass(frozen=True)
class Table:
    """A CSV table: its name, title, columns ``(name, frictionless type, description)``, key and queries.

    ``sparql`` gives the rows and ``count_sparql`` counts what they should be (both internal queries,
    their parameters bound).
    """

    name: str
    title: str
    description: str
    fields: tuple[tuple[str, str, str], ...]
    primary_key: tuple[str, ...]
    sparql: str
    count_sparql: str
    foreign_keys: tuple[tuple[str, str, str], ...] = field(default=())  # (column, table, column)
    #: Columns that hold a set joined with " | " (``GROUP_CONCAT``, whose order SPARQL leaves to the engine): sorted here.
    sets: tuple[str, ...] = field(default=())


def _query(name: str, **bindings: URIRef) -> str:
    """Return the internal query ``name`` with ``bindings`` bound at its ``# @values`` lines."""
    return insert_values(internal_query(name), bindings)


def _entity_queries(name: str, cls: URIRef, **bindings: URIRef) -> tuple[str, str]:
    """Return the query of the entity table ``name`` (``table_{name}.rq``) and the count of its class ``cls``."""
    return _query(f"table_{name}", **bindings), insert_values(internal_query("table_instances_count"), {"class": cls})


TABLES: tuple[Table, ...] = (
    Table(
        "territories",
        "Territories",
        "Régions, académies, départements and communes (kind: region, academie, departement, commune).",
        (
            ("iri", "string", "IRI of the territory"),
            ("kind", "string", "region, academie, departement or commune"),
            ("code", "string", "official code (INSEE for régions, départements and communes; Éducation nationale for académies)"),
            ("name", "string", "name"),
            ("region", "string", "IRI of the région it lies in"),
            ("academie", "string", "IRI of the académie it lies in"),
            ("departement", "string", "IRI of the département it lies in"),
        ),
        ("iri",),
        _query("table_territories"),
        _query("table_territories_count"),
        (("region", "territories", "iri"), ("academie", "territories", "iri"), ("departement", "territories", "iri")),
    ),
    Table(
        "campuses",
        "Campus des métiers et des qualifications",
        "One row per campus, with its filière, académie, région and support establishment.",
        (
            ("iri", "string", "IRI of the campus"),
            ("name", "string", "name"),
            ("sector", "string", "IRI of its filière (one of the 12 CMQ filières)"),
            ("academie", "string", "IRI of its académie"),
            ("region", "string", "IRI of its région"),
            ("city", "string", "city named by the list"),
            ("homepage", "string", "web site"),
            ("support_establishment", "string", "IRI of the support establishment (a school or another organisation)"),
            ("excellence_status", "string", "the list's oui / non / inconnu, verbatim"),
            ("excellence_year", "year", "year of the campus d'excellence label, when known"),
            ("certainty", "string", "IRI of the certainty of the curated row"),
        ),
        ("iri",),
        *_entity_queries("campuses", CMQ.Campus, excellence=label_type("excellence")),
        (("academie", "territories", "iri"), ("region", "territories", "iri")),
    ),
    Table(
        "schools",
        "Schools (établissements)",
        "One row per établissement with a UAI.",
        (
            ("iri", "string", "IRI of the school"),
            ("uai", "string", "UAI (Unité administrative immatriculée)"),
            ("name", "string", "name"),
            ("kind", "string", "kind of school (lycée professionnel, CFA…)"),
            ("departement", "string", "IRI of its département"),
            ("academie", "string", "IRI of its académie"),
            ("region", "string", "IRI of its région"),
            ("commune", "string", "IRI of its commune, when known"),
            ("siret", "string", "SIRET, when known"),
            ("postal_code", "string", "postal code, when known"),
        ),
        ("iri",),
        *_entity_queries("schools", CMQ.School),
        (
            ("departement", "territories", "iri"),
            ("academie", "territories", "iri"),
            ("region", "territories", "iri"),
            ("commune", "territories", "iri"),
        ),
    ),
    Table(
        "trainings",
        "Trainings (diplômes of the BCN)",
        "One row per training identified by its CFD.",
        (
            ("iri", "string", "IRI of the training"),
            ("cfd", "string", "CFD code (code formation diplôme)"),
            ("name", "string", "name"),
            ("level", "string", "BCN level code"),
            ("rncp_level", "integer", "RNCP level"),
            ("nsf_group", "string", "NSF group"),
            ("diploma_type", "string", "BCN diploma type"),
            ("opening_date", "date", "opening date"),
            ("closing_date", "date", "closing date"),
            ("trade_family", "string", "IRI of its famille de métiers, if any"),
        ),
        ("iri",),
        *_entity_queries("trainings", CMQ.Training),
    ),
    Table(
        "trades",
        "Trades (ROME 4.0 fiches)",
        "One row per ROME fiche.",
        (
            ("iri", "string", "IRI of the trade"),
            ("rome_code", "string", "ROME code"),
            ("name", "string", "name"),
            ("domain", "string", "IRI of its ROME domaine professionnel"),
            ("green_job", "string", "France Travail ecological-transition flag"),
            ("digital_job", "string", "France Travail digital-transition flag"),
        ),
        ("iri",),
        *_entity_queries("trades", CMQ.Trade),
    ),
    Table(
        "clusters",
        "Pôles de compétitivité",
        "One row per pôle de compétitivité.",
        (
            ("iri", "string", "IRI of the pôle"),
            ("name", "string", "name"),
            ("theme", "string", "theme"),
            ("main_region", "string", "IRI of its main région"),
            ("city", "string", "city"),
            ("homepage", "string", "web site"),
            ("certainty", "string", "IRI of the certainty of the curated row"),
        ),
        ("iri",),
        *_entity_queries("clusters", CMQ.Cluster),
        (("main_region", "territories", "iri"),),
    ),
    Table(
        "projects",
        "PIA3 regional projects",
        "Territoires d'innovation, TIP CMQ and campus connectés.",
        (
            ("iri", "string", "IRI of the project"),
            ("name", "string", "name"),
            ("programme", "string", "IRI of its programme"),
            ("laureate_date", "date", "date it was made a laureate, when known"),
            ("laureate_year", "year", "year it was made a laureate, when only the year is known"),
            ("state_funding_meur", "number", "State funding, million euros"),
            ("total_budget_meur", "number", "total budget, million euros"),
            ("lead", "string", "IRI of its lead organisation"),
            ("certainty", "string", "IRI of the certainty of the curated row"),
        ),
        ("iri",),
        *_entity_queries("projects", CMQ.RegionalProject),
    ),
    Table(
        "memberships",
        "Memberships",
        "A member (school, campus, organisation) in an organisation (campus, project), with its role.",
        (
            ("iri", "string", "IRI of the membership"),
            ("member", "string", "IRI of the member"),
            ("organization", "string", "IRI of the organisation"),
            ("role", "string", "IRI of the role (support, membre, porteur, partenaire, campus-associe)"),
            ("match_method", "string", "how the link was made, when made by name"),
            ("match_score", "number", "score of the name match"),
            ("sources", "string", "IRIs of the named graphs (sources) that state the membership, separated by ' | '"),
            ("certainty", "string", "IRI of the certainty of the curated row, when a curated list states it"),
            ("source_url", "string", "a web page the curated row cites (the smallest IRI when several)"),
        ),
        ("iri",),
        *_entity_queries("memberships", ORG.Membership),
        sets=("sources",),
    ),
    Table(
        "sector_scopes",
        "Sector scopes (derived)",
        "What a campus, a pôle or a Territoire d'innovation finds in its filières and territory (graph sector_scope): derived by a documented rule, "
        "never a membership; its offers, trainings, schools and trades are in the graph (cmq:scopeOffer…).",
        (
            ("iri", "string", "IRI of the scope"),
            ("scope_of", "string", "IRI of the campus, pôle or project"),
            ("sectors", "string", "IRIs of its filières, separated by ' | '"),
            ("territories", "string", "IRIs of its territories (académies, régions or départements), separated by ' | '"),
            ("trainings", "integer", "number of distinct trainings in the scope"),
            ("schools", "integer", "number of distinct schools in the scope (not members)"),
            ("trades", "integer", "number of distinct ROME trades the trainings lead to"),
            ("local_territories", "string", "IRIs of its local territories (the bassins or départements of a campus's towns), separated by ' | '"),
            ("local_schools", "integer", "number of its schools in its local territories (empty when the campus's place is unknown)"),
            ("method", "string", "how the scope was derived (cmq:matchMethod)"),
        ),
        ("iri",),
        *_entity_queries("sector_scopes", CMQ.SectorScope),
        sets=("sectors", "territories", "local_territories"),
    ),
    Table(
        "training_offers",
        "Training offers (Affelnet 2022)",
        "A school offering a training, with its capacity and first-choice demand.",
        (
            ("iri", "string", "IRI of the offer"),
            ("school", "string", "IRI of the school"),
            ("training", "string", "IRI of the training (its CFD; may be absent from the BCN table)"),
            ("mef_stat11", "string", "MEF STAT 11 code"),
            ("capacity", "integer", "capacity"),
            ("first_choice_demand", "integer", "first-choice demand"),
            ("offer_year", "year", "year"),
        ),
        ("iri",),
        *_entity_queries("training_offers", CMQ.TrainingOffer),
        (("school", "schools", "iri"),),
    ),
    Table(
        "training_trades",
        "Trainings → trades",
        "A training leads to a ROME trade (cmq:leadsToTrade, through Certif Info).",
        (
            ("training", "string", "IRI of the training"),
            ("trade", "string", "IRI of the ROME trade"),
        ),
        ("training", "trade"),
        _query("table_training_trades"),
        _query("table_training_trades_count"),
        (("training", "trainings", "iri"),),
    ),
    Table(
        "overlaps",
        "Campus ↔ pôle overlaps",
        "A campus and a pôle de compétitivité that share a région or a filière.",
        (
            ("campus", "string", "IRI of the campus"),
            ("cluster", "string", "IRI of the pôle"),
            ("same_region", "boolean", "the pôle is in the campus's région"),
            ("same_sector", "boolean", "the pôle has the campus's filière"),
        ),
        ("campus", "cluster"),
        _query("table_overlaps"),
        _query("table_overlaps_count"),
        (("campus", "campuses", "iri"), ("cluster", "clusters", "iri")),
    ),
)


def _cell(term, kind: str) -> str:
    if term is None:
        return ""
    value = term.value
    if kind == "boolean":
        return "true" if value in ("true", "1") else "false"
    return value


def table_rows(store: ox.Store, table: Table, graphs: list[ox.NamedNode] | None = None) -> list[list[str]]:
    """Return the rows of ``table`` (cells as CSV text), sorted by the primary key then the whole row.

    The query sees the union of all named graphs, or of ``graphs`` only.
    """
    query = f"{_PREFIX_LINES}\n{table.sparql}"
    if graphs is None:
        solutions = store.query(query, use_default_graph_as_union=True)
    else:
        solutions = store.query(query, default_graph=[ox.DefaultGraph(), *graphs], named_graphs=graphs)
    kinds = [kind for _, kind, _ in table.fields]
    names = [name for name, _, _ in table.fields]
    rows = [[_cell(solution[name], kind) for name, kind in zip(names, kinds)] for solution in solutions]
    for i in (names.index(column) for column in table.sets):
        for row in rows:
            row[i] = SET_SEPARATOR.join(sorted(row[i].split(SET_SEPARATOR))) if row[i] else row[i]
    key = [names.index(k) for k in table.primary_key]
    rows.sort(key=lambda row: ([row[i] for i in key], row))
    return rows


def count(store: ox.Store, table: Table) -> int:
    """Return what the graph counts for ``table`` (its ``count_sparql``)."""
    (solution,) = list(store.query(f"{_PREFIX_LINES}\n{table.count_sparql}", use_default_graph_as_union=True))
    return int(solution["n"].value)


def csv_bytes(table: Table, rows: list[list[str]]) -> bytes:
    """Return the CSV text of ``rows`` (header first, ``\\n`` line ends, minimal quoting, formulas neutralised), UTF-8."""
    return rows_text([name for name, _, _ in table.fields], rows).encode("utf-8")


def source_descriptions(store: ox.Store) -> list[dict]:
    """Return each source dataset of ``graph/meta``: iri, name, title, licence, upstream, temporal, graph (sorted by name).

    ``graph`` is the IRI of the source's named graph (empty when ``graph/meta`` does not state it).
    """
    query = f"{_PREFIX_LINES}\n{_query('tables_sources', meta=META_GRAPH)}"
    out = []
    for row in store.query(query):
        out.append(
            {
                "iri": row["s"].value,
                "name": row["s"].value.rsplit("/", 1)[1],
                "title": row["title"].value,
                "licence": row["licence"].value,
                "upstream": row["upstream"].value if row["upstream"] else "",
                "temporal": row["temporal"].value if row["temporal"] else "",
                "graph": row["graph"].value if row["graph"] else "",
            }
        )
    return sorted(out, key=lambda d: d["name"])


# ---------------------------------------------------------------------------------------------------------
# licences

LICENCE_OUVERTE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
ODBL = "https://opendatacommons.org/licenses/odbl/1-0/"

#: Known licences, IRI → (Frictionless name, title), from the most permissive to the least. Data under one
#: may be redistributed under any later one (the Licence Ouverte 2.0 is compatible with every free licence
#: that requires attribution, the ODbL among them), so a file that mixes data under several is offered
#: under the last of them. The titles are the ones data.gouv.fr gives these licences: udata's harvester
#: recognises a licence by its title (``License.guess_one`` in ``udata/core/dataset/models.py``).
LICENCES = {
    LICENCE_OUVERTE: ("etalab-2.0", "Licence Ouverte / Open Licence version 2.0"),
    ODBL: ("ODbL-1.0", "Open Data Commons Open Database License (ODbL)"),
}


@dataclass(frozen=True)
class Licensing:
    """The licence a file is offered under, and the sources under another licence than the Licence Ouverte it holds data of."""

    licence: str
    sources: tuple[str, ...] = ()


def combined_licence(licences: Iterable[str]) -> str:
    """Return the licence a file that mixes data under ``licences`` is offered under: the last of them in :data:`LICENCES`.

    >>> combined_licence([LICENCE_OUVERTE, ODBL, LICENCE_OUVERTE]) == ODBL
    True

    Raises
    ------
    ExportError
        A licence is not in :data:`LICENCES` (nothing tells which licence the mix may be offered under).
    """
    chosen = set(licences) | {LICENCE_OUVERTE}
    unknown = sorted(chosen - set(LICENCES))
    if unknown:
        raise ExportError(
            f"licence inconnue de cmqgraph.tables.LICENCES : {unknown[0]} ; impossible de dire sous quelle licence diffuser "
            f"un fichier qui la mêle à d'autres / unknown licence {unknown[0]}: cannot tell which licence a file mixing it is offered under"
        )
    order = list(LICENCES)
    return max(chosen, key=order.index)


def _others(sources: list[dict]) -> list[dict]:
    return [s for s in sources if s["licence"] != LICENCE_OUVERTE]


def graph_licensing(sources: list[dict]) -> Licensing:
    """Return the licensing of a file that holds the whole graph (an RDF dump, the SPARQL endpoint)."""
    others = _others(sources)
    return Licensing(combined_licence(s["licence"] for s in sources), tuple(s["name"] for s in others))


# A conservative IRI syntax: a constant rdflib reads otherwise than Oxigraph would (an escape left in) fails it.
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*")


def _triple_patterns(sparql: str) -> tuple[list[tuple[tuple, bool]], dict[Variable, set[URIRef]]] | None:
    """Return the triple patterns of ``sparql`` and the classes its required patterns give to variables.

    A class is taken only from an ``?x a C`` pattern that every solution must match (not one inside an
    OPTIONAL, UNION, MINUS, sub-query or expression). Each pattern comes with whether those classes bind
    its variables (not inside a sub-query, whose variables may be others of the same name). None when
    rdflib cannot read the query.
    """
    try:
        algebra = prepareQuery(sparql).algebra
    except Exception:  # noqa: BLE001 - rdflib reads less SPARQL than Oxigraph: the caller then runs the exact check
        return None
    triples: list[tuple[tuple, bool]] = []
    classes: dict[Variable, set[URIRef]] = {}

    def walk(node: object, required: bool, outer: bool) -> None:
        if isinstance(node, (list, tuple)):
            for item in node:
                walk(item, False, outer)
        if not isinstance(node, CompValue):
            return
        if node.name == "BGP":
            for s, p, o in node.triples:
                triples.append(((s, p, o), outer))
                if required and isinstance(s, Variable) and p == RDF.type and isinstance(o, URIRef):
                    classes.setdefault(s, set()).add(o)
        for key, value in node.items():
            keeps = key in ("p", "p1", "p2") and node.name not in ("Union", "Minus", "ToMultiSet")
            walk(value, required and keeps and not (node.name == "LeftJoin" and key == "p2"), outer and node.name != "ToMultiSet")

    walk(algebra, True, True)
    return triples, classes


def _sparql_term(term: object, fresh: Iterator[str]) -> str | None:
    """Return ``term`` of a triple pattern as SPARQL text (a path or blank node as a new variable), None if doubtful."""
    if isinstance(term, Variable):
        return term.n3()
    if isinstance(term, URIRef):
        return f"<{term}>" if _IRI.fullmatch(str(term)) else None
    if isinstance(term, RdfLiteral):
        return term.n3()
    return f"?{next(fresh)}"  # a property path, or a blank node of the pattern


def _may_read(store: ox.Store, sparql: str, graphs: list[str]) -> bool:
    """Whether ``sparql`` may read a triple of ``graphs``: False only when none of its triple patterns matches one.

    A pattern whose variable the query requires to be of class C is matched only by triples whose term is
    of class C. The answer is conservative: True whenever the patterns cannot be read.
    """
    found = _triple_patterns(f"{_PREFIX_LINES}\n{sparql}")
    if found is None:
        return True
    triples, classes = found
    names = " ".join(f"<{g}>" for g in graphs)
    fresh = (f"cmqgraph_any{n}" for n in itertools.count())
    for triple, outer in triples:
        terms = [_sparql_term(term, fresh) for term in triple]
        if None in terms:
            return True
        anchors = " ".join(
            f"{term.n3()} a <{cls}> ." for term in (triple[0], triple[2]) if outer and isinstance(term, Variable)
            for cls in sorted(classes.get(term, ()))
        )
        ask = f"ASK {{ VALUES ?cmqgraph_graph {{ {names} }} GRAPH ?cmqgraph_graph {{ {' '.join(terms)} }} {anchors} }}"
        if store.query(ask, use_default_graph_as_union=True):
            return True
    return False


def _holds(store: ox.Store, table: Table, source: dict, rows: list[list[str]] | None) -> bool:
    """Whether ``table`` holds data of ``source``: its ``rows`` (queried when None) would differ without the source's named graph."""
    if not source["graph"]:
        return True
    if not _may_read(store, table.sparql, [source["graph"]]):
        return False
    others = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value != source["graph"]]
    return table_rows(store, table, others) != (table_rows(store, table) if rows is None else rows)


def table_licensing(store: ox.Store, sources: list[dict], rows: dict[str, list[list[str]]] | None = None) -> dict[str, Licensing]:
    """Return the licensing of each table (by name): the Licence Ouverte, or the licence of the sources it holds data of.

    ``rows`` gives the tables' rows when they are already computed (else they are queried when needed).
    """
    out = {}
    for table in TABLES:
        held = [s for s in _others(sources) if _holds(store, table, s, None if rows is None else rows[table.name])]
        out[table.name] = Licensing(combined_licence(s["licence"] for s in held), tuple(s["name"] for s in held))
    return out


def _licence(iri: str) -> dict:
    name, title = LICENCES.get(iri, (None, iri))
    out = {"path": iri, "title": title}
    if name:
        out["name"] = name
    return out


def datapackage(store: ox.Store, tables: list[tuple[Table, Path]], licensing: dict[str, Licensing] | None = None) -> dict:
    """Return the Frictionless data package descriptor of the written ``tables`` (paths relative to its folder).

    Each resource states its licence (``licensing``, else :func:`table_licensing`); the package states the
    licence the tables are offered under together.
    """
    sources = source_descriptions(store)
    if licensing is None:
        licensing = table_licensing(store, sources)
    resources = []
    for table, path in tables:
        schema: dict = {
            "fields": [{"name": n, "type": k, "description": d} for n, k, d in table.fields],
            "primaryKey": list(table.primary_key),
            "missingValues": [""],
        }
        if table.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": [col], "reference": {"resource": "" if ref == table.name else ref, "fields": [ref_col]}}
                for col, ref, ref_col in table.foreign_keys
            ]
        resources.append(
            {
                "name": table.name,
                "path": path.name,
                "title": table.title,
                "description": table.description,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "licenses": [_licence(licensing[table.name].licence)],
                "schema": schema,
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "cmqgraph",
        "title": "cmqgraph: Campus des métiers et des qualifications, schools, trainings, trades, pôles and projects",
        "description": "Tables exported from the cmqgraph knowledge graph (https://w3id.org/cmqgraph). "
        "Each entity is keyed by its IRI; the RDF dumps hold every value and provenance. Each table states its licence: "
        "the Licence Ouverte 2.0, or the licence of a source whose data it holds.",
        "homepage": "https://w3id.org/cmqgraph",
        "licenses": [_licence(combined_licence(licensing[table.name].licence for table, _ in tables))],
        "sources": [{"title": s["title"], "path": s["iri"], "description": s["upstream"]} for s in sources],
        "keywords": ["campus des métiers et des qualifications", "formation professionnelle", "ROME", "UAI", "CFD"],
        "resources": resources,
    }


def dump_json(data: dict) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_tables(store: ox.Store, out: Path, opener) -> list[Path]:
    """Write every table and ``datapackage.json`` into ``out`` with ``opener(path)`` (an atomic writer)."""
    written: list[tuple[Table, Path]] = []
    rows: dict[str, list[list[str]]] = {}
    for table in TABLES:
        path = out / f"{table.name}.csv"
        rows[table.name] = table_rows(store, table)
        with opener(path) as f:
            f.write(csv_bytes(table, rows[table.name]))
        written.append((table, path))
    licensing = table_licensing(store, source_descriptions(store), rows)
    package = out / "datapackage.json"
    with opener(package) as f:
        f.write(dump_json(datapackage(store, written, licensing)))
    return [p for _, p in written] + [package]
