"""CSV tables of the graph and their Frictionless data package (Table Schema with keys).

One UTF-8 CSV per entity kind and per relation, English snake_case column names, the entity IRI as the
key (``iri``) and the official code beside it; rows sorted by the primary key. A property with several
values for one entity (a school named differently by two sources) gives its smallest value (SPARQL
``MIN``), so each entity is one row; the RDF dumps keep every value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .iris import PREFIXES
from .spreadsheet import rows_text

__all__ = ["Table", "TABLES", "entity_query", "table_rows", "write_tables", "datapackage", "source_descriptions"]

_PREFIX_LINES = "\n".join(f"PREFIX {p}: <{iri}>" for p, iri in PREFIXES.items())


@dataclass(frozen=True)
class Table:
    """A CSV table: its name, title, columns ``(name, frictionless type, description)``, key and query."""

    name: str
    title: str
    description: str
    fields: tuple[tuple[str, str, str], ...]
    primary_key: tuple[str, ...]
    sparql: str
    count_sparql: str
    foreign_keys: tuple[tuple[str, str, str], ...] = field(default=())  # (column, table, column)


def entity_query(cls: str, columns: dict[str, str], required: tuple[str, ...] = ()) -> tuple[str, str]:
    """Return the SPARQL of an entity table and of its count: one row per instance of ``cls``.

    ``columns`` maps each column to the predicate (or path) that gives it from ``?iri``, or to a pattern
    binding ``?v`` when it needs more than one step; a property with several values gives the smallest
    (``MIN``). The ``required`` columns must have a value (a school without UAI is not a row).
    """
    selected, patterns = [], []
    for n, (column, pattern) in enumerate(columns.items()):
        triple = pattern if "?v" in pattern else f"?iri {pattern} ?v"
        triple = triple.replace("?v", f"?v{n}").replace("?x", f"?x{n}")
        selected.append(f"(MIN(?v{n}) AS ?{column})")
        patterns.append(f"{triple} ." if column in required else f"OPTIONAL {{ {triple} }}")
    query = f"SELECT ?iri {' '.join(selected)} WHERE {{ ?iri a {cls} . {' '.join(patterns)} }} GROUP BY ?iri"
    return query, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a {cls} }}"


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
        """SELECT ?iri ?kind (MIN(?c) AS ?code) (MIN(?n) AS ?name) (MIN(?r) AS ?region) (MIN(?a) AS ?academie)
                  (MIN(?d) AS ?departement) WHERE {
             VALUES (?class ?kind) { (cmq:Region "region") (cmq:Academie "academie") (cmq:Departement "departement") (cmq:Commune "commune") }
             ?iri a ?class .
             OPTIONAL { ?iri skos:notation ?c } OPTIONAL { ?iri rdfs:label ?n } OPTIONAL { ?iri cmq:inRegion ?r }
             OPTIONAL { ?iri cmq:inAcademie ?a } OPTIONAL { ?iri cmq:inDepartement ?d }
           } GROUP BY ?iri ?kind""",
        """SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { VALUES ?c { cmq:Region cmq:Academie cmq:Departement cmq:Commune } ?s a ?c }""",
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
        *entity_query(
            "cmq:Campus",
            {
                "name": "rdfs:label",
                "sector": "cmq:sector",
                "academie": "cmq:inAcademie",
                "region": "cmq:inRegion",
                "city": "cmq:city",
                "homepage": "foaf:homepage",
                "support_establishment": "cmq:supportEstablishment",
                "excellence_status": "cmq:excellenceStatus",
                "excellence_year": r"?iri cmq:labelling ?x . ?x cmq:labelType id:label\/excellence ; cmq:labelYear ?v",
                "certainty": "cmq:certainty",
            },
        ),
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
        *entity_query(
            "cmq:School",
            {
                "uai": "cmq:uai",
                "name": "rdfs:label",
                "kind": "cmq:schoolKind",
                "departement": "cmq:inDepartement",
                "academie": "cmq:inAcademie",
                "region": "cmq:inRegion",
                "commune": "cmq:inCommune",
                "siret": "cmq:siret",
                "postal_code": "schema:postalCode",
            },
            required=("uai",),
        ),
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
        *entity_query(
            "cmq:Training",
            {
                "cfd": "cmq:cfd",
                "name": "rdfs:label",
                "level": "cmq:level",
                "rncp_level": "cmq:rncpLevel",
                "nsf_group": "cmq:nsfGroup",
                "diploma_type": "cmq:diplomaType",
                "opening_date": "cmq:openingDate",
                "closing_date": "cmq:closingDate",
                "trade_family": "cmq:inTradeFamily",
            },
            required=("cfd",),
        ),
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
        *entity_query(
            "cmq:Trade",
            {
                "rome_code": "skos:notation",
                "name": "skos:prefLabel",
                "domain": "?iri skos:broader ?v . ?v a cmq:ProfessionalDomain",
                "green_job": "cmq:greenJob",
                "digital_job": "cmq:digitalJob",
            },
            required=("rome_code",),
        ),
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
        *entity_query(
            "cmq:Cluster",
            {
                "name": "rdfs:label",
                "theme": "cmq:theme",
                "main_region": "cmq:mainRegion",
                "city": "cmq:city",
                "homepage": "foaf:homepage",
                "certainty": "cmq:certainty",
            },
        ),
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
        *entity_query(
            "cmq:RegionalProject",
            {
                "name": "rdfs:label",
                "programme": "cmq:programme",
                "laureate_date": "cmq:laureateDate",
                "laureate_year": "cmq:laureateYear",
                "state_funding_meur": "cmq:stateFundingMEUR",
                "total_budget_meur": "cmq:totalBudgetMEUR",
                "lead": "cmq:lead",
                "certainty": "cmq:certainty",
            },
        ),
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
        ),
        ("iri",),
        *entity_query(
            "org:Membership",
            {
                "member": "org:member",
                "organization": "org:organization",
                "role": "org:role",
                "match_method": "cmq:matchMethod",
                "match_score": "cmq:matchScore",
            },
        ),
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
        *entity_query(
            "cmq:TrainingOffer",
            {
                "school": "cmq:offeredBy",
                "training": "cmq:offeredTraining",
                "mef_stat11": "cmq:viaMef",
                "capacity": "cmq:capacity",
                "first_choice_demand": "cmq:firstChoiceDemand",
                "offer_year": "cmq:offerYear",
            },
        ),
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
        "SELECT DISTINCT ?training ?trade WHERE { ?training a cmq:Training ; cmq:leadsToTrade ?trade }",
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?t ?r WHERE { ?t a cmq:Training ; cmq:leadsToTrade ?r } }",
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
        """SELECT ?campus ?cluster (MAX(?r) AS ?same_region) (MAX(?s) AS ?same_sector) WHERE {
             ?campus a cmq:Campus . ?cluster a cmq:Cluster .
             { ?campus cmq:inRegion ?x . ?cluster cmq:inRegion ?x BIND(true AS ?r) BIND(false AS ?s) }
             UNION
             { ?campus cmq:sector ?y . ?cluster cmq:sector ?y BIND(false AS ?r) BIND(true AS ?s) }
           } GROUP BY ?campus ?cluster""",
        """SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?c ?p WHERE { ?c a cmq:Campus . ?p a cmq:Cluster .
             { ?c cmq:inRegion ?x . ?p cmq:inRegion ?x } UNION { ?c cmq:sector ?y . ?p cmq:sector ?y } } }""",
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


def table_rows(store: ox.Store, table: Table) -> list[list[str]]:
    """Return the rows of ``table`` (cells as CSV text), sorted by the primary key then the whole row."""
    solutions = store.query(f"{_PREFIX_LINES}\n{table.sparql}", use_default_graph_as_union=True)
    kinds = [kind for _, kind, _ in table.fields]
    names = [name for name, _, _ in table.fields]
    rows = [[_cell(solution[name], kind) for name, kind in zip(names, kinds)] for solution in solutions]
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
    """Return each source dataset of ``graph/meta``: iri, name, title, licence, upstream, temporal (sorted by name)."""
    query = f"""{_PREFIX_LINES}
    SELECT ?s ?title ?licence ?upstream ?temporal WHERE {{ GRAPH <{PREFIXES["cmq"].rsplit("ontology#", 1)[0]}graph/meta> {{
        ?s a cmq:SourceDataset ; dct:title ?title ; dct:license ?licence .
        OPTIONAL {{ ?s cmq:upstreamRepository ?upstream }} OPTIONAL {{ ?s dct:temporal ?temporal }} }} }}"""
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
            }
        )
    return sorted(out, key=lambda d: d["name"])


#: Known licences: IRI → (Frictionless name, title).
LICENCES = {
    "https://www.etalab.gouv.fr/licence-ouverte-open-licence/": ("etalab-2.0", "Licence Ouverte / Open Licence 2.0"),
    "https://opendatacommons.org/licenses/odbl/1-0/": ("ODbL-1.0", "Open Data Commons Open Database License 1.0"),
}


def _licence(iri: str) -> dict:
    name, title = LICENCES.get(iri, (None, iri))
    out = {"path": iri, "title": title}
    if name:
        out["name"] = name
    return out


def datapackage(store: ox.Store, tables: list[tuple[Table, Path]]) -> dict:
    """Return the Frictionless data package descriptor of the written ``tables`` (paths relative to its folder)."""
    sources = source_descriptions(store)
    licences = sorted({s["licence"] for s in sources}, key=lambda iri: (iri not in LICENCES, iri))
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
                "schema": schema,
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "cmqgraph",
        "title": "cmqgraph: Campus des métiers et des qualifications, schools, trainings, trades, pôles and projects",
        "description": "Tables exported from the cmqgraph knowledge graph (https://w3id.org/cmqgraph). "
        "Each entity is keyed by its IRI; the RDF dumps hold every value and provenance.",
        "homepage": "https://w3id.org/cmqgraph",
        "licenses": [_licence(iri) for iri in licences],
        "sources": [{"title": s["title"], "path": s["iri"], "description": s["upstream"]} for s in sources],
        "keywords": ["campus des métiers et des qualifications", "formation professionnelle", "ROME", "UAI", "CFD"],
        "resources": resources,
    }


def dump_json(data: dict) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_tables(store: ox.Store, out: Path, opener) -> list[Path]:
    """Write every table and ``datapackage.json`` into ``out`` with ``opener(path)`` (an atomic writer)."""
    written: list[tuple[Table, Path]] = []
    for table in TABLES:
        path = out / f"{table.name}.csv"
        data = csv_bytes(table, table_rows(store, table))
        with opener(path) as f:
            f.write(data)
        written.append((table, path))
    package = out / "datapackage.json"
    with opener(package) as f:
        f.write(dump_json(datapackage(store, written)))
    return [p for _, p in written] + [package]
