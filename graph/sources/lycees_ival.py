"""Lycées with their place and their DEPP indicators: IVAL (baccalauréat 2025) and IPS, one record per lycée and pathway.

``lycees_geolocalisation_ival_2025.json`` is ``{"meta": {"year": …}, "lycees": [record, …]}``: one record per
lycée général et technologique (``type`` ``GT``) or professionnel (``Pro``); a lycée polyvalent has one record
of each. A record gives the UAI, the name, the town (``ville``, a name, not an INSEE code), the address and
postcode, the WGS 84 coordinates (``lat``, ``lng``), public or private (``secteur``), and the figures of
:data:`INDICATORS`. The ``meta.year`` is the baccalauréat session (``2025``).

**The school.** Every record names the ``cmq:School`` of its UAI, the node the other sources describe (one
IRI per UAI). Its town (``cmq:city``, as written), address (``schema:address``: street, postcode, town),
postcode and sector (``cmq:publicPrivate``: ``public`` or ``privé``) are taken from its ``Pro`` record when it
has one, else from its ``GT`` record, because upstream deleted every ``nd`` from the names and towns of the GT
records (« Marmande » → « Marmae »; the addresses are intact); its point from the first of the two that has
one. The point is a ``geo:Geometry`` ``id/etablissement/{UAI}/position`` with
``geo:asWKT "POINT(lng lat)"^^geo:wktLiteral`` (GeoSPARQL: longitude first, WGS 84). A UAI that the schools index (InserJeunes, ACCE) lacks is a real lycée: it becomes a
``cmq:School`` with its UAI, the record's name, the kind read from the name (as InserJeunes reads it, « Lycée »
when no rule applies: every record is a lycée), and its département, académie and région read from the UAI
as InserJeunes does (the file's académie names are damaged too, « Normaie »).

**The measures.** Each record becomes a ``cmq:IvalMeasure`` ``id/ival/{UAI}/{gt|pro}/{session}`` of its
school, with its pathway, the session (``cmq:examSession``), the school year (``2024-2025`` for the 2025
session) and the figures (empty ones left out; a value that is not a number, or out of range, is warned and
left out).

**Issues.** The file is JSON, so the *line* of a row issue is the record's rank in ``lycees`` (1 for the
first). A malformed UAI or an unknown ``type`` is an error and the record is left out; a second record of the
same UAI and type is warned and left out; a coordinate that is missing, not a number or out of range leaves
the school without a point (warning).

>>> lycee_kind("Lycee Professionnel Nelson Mandela"), lycee_kind("Institution Sainte-Marie")
('Lycée professionnel', 'Lycée')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SDO, SKOS, XSD

from .. import iris
from ..errors import SourceFileError
from ..iris import CMQ, GEO, slug
from .base import Row, Source, SourceFile, Triple, decimal_literal, text, uai_is_valid
from .cmq import campus_row
from .files import read_json
from .inserjeunes import GENERIC_KIND, locate_school, school_kind, territory_triples, uai_departement

__all__ = [
    "LyceesIval",
    "FILE",
    "INDICATORS",
    "PATHWAYS",
    "IvalFile",
    "read_lycees",
    "point_of",
    "point_triples",
    "public_private",
    "lycee_kind",
    "new_school",
]

FILE = "lycees_geolocalisation_ival_2025.json"

#: Field → (property, minimum, maximum, whole number). Rates in percent, value added in points.
INDICATORS: dict[str, tuple[URIRef, float | None, float | None, bool]] = {
    "presents": (CMQ.candidatesPresent, 0, None, True),
    "tauxReussite": (CMQ.successRate, 0, 100, False),
    "vaReussite": (CMQ.successValueAdded, -100, 100, False),
    "tauxAcces": (CMQ.accessRate, 0, 100, False),
    "vaAcces": (CMQ.accessValueAdded, -100, 100, False),
    "tauxMention": (CMQ.distinctionRate, 0, 100, False),
    "vaMention": (CMQ.distinctionValueAdded, -100, 100, False),
    "ips": (CMQ.socialPositionIndex, 0, 200, False),
    "ecartTypeIps": (CMQ.socialPositionIndexDeviation, 0, 100, False),
}

#: The record fields the source reads (each must appear in the file).
FIELDS = ("uai", "nom", "ville", "secteur", "type", "lat", "lng", "adresse", "codePostal", *INDICATORS)

#: ``type`` (case ignored) → pathway of the measure.
PATHWAYS = {"gt": "gt", "pro": "pro"}

#: The arrondissement number of a town name (« Paris 13 », « Lyon 08 »), left out when a campus's town is matched.
_ARRONDISSEMENT = re.compile(r"\s+[0-9]{1,2}$")
_POSTCODE = re.compile(r"^[0-9]{5}$")
_SESSION = re.compile(r"^(19|20)[0-9]{2}$")


@dataclass(frozen=True)
class IvalFile:
    """The lycées file as read: its baccalauréat session and its records as rows (``line`` = rank in ``lycees``)."""

    session: str
    rows: tuple[Row, ...]


def _cell(value: Any) -> str:
    """The text of a JSON value as a cell: numbers as Python writes them, None as empty, lists and objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def read_lycees(path: Path, name: str = FILE) -> IvalFile:
    """Read the lycées file at ``path``: check its structure and return its session and records.

    Raises
    ------
    SourceFileError
        The file is not JSON, is not an object with ``meta.year`` (a year) and a ``lycees`` list of objects,
        or no record has one of the :data:`FIELDS`.
    """
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("lycees"), list):
        raise SourceFileError(path, "le fichier doit être un objet JSON avec une liste « lycees » / expected a JSON object with a 'lycees' list")
    meta = data.get("meta")
    session = str(meta.get("year", "")) if isinstance(meta, dict) else ""
    if not _SESSION.match(session):
        raise SourceFileError(path, "« meta.year » doit être l'année de la session / 'meta.year' must be the session's year", None, session)
    records = data["lycees"]
    wrong = next((n for n, record in enumerate(records, start=1) if not isinstance(record, dict)), None)
    if wrong is not None:
        raise SourceFileError(path, f"l'enregistrement {wrong} de « lycees » n'est pas un objet / record {wrong} of 'lycees' is not an object")
    missing = [field for field in FIELDS if not any(field in record for record in records)]
    if missing:
        raise SourceFileError(path, f"champ(s) absent(s) de tous les enregistrements / missing field(s): {', '.join(missing)}")
    rows = tuple(Row(name, n, {key: _cell(value) for key, value in record.items()}) for n, record in enumerate(records, start=1))
    return IvalFile(session, rows)


def point_of(row: Row, lat: str, lng: str) -> tuple[str | None, tuple[str, str] | None]:
    """Return the WKT point of ``row``'s coordinates (None when it has none) and the problem, ``(column, message)``, if any.

    Both coordinates must be plain decimal numbers (a comma is accepted), the latitude within ±90 and the
    longitude within ±180 degrees (WGS 84).

    >>> point_of(Row("f", 2, {"lat": "47.4844", "lng": "6.8518"}), "lat", "lng")
    ('POINT(6.8518 47.4844)', None)
    >>> point_of(Row("f", 2, {"lat": "147.5", "lng": "6.85"}), "lat", "lng")[1][0]
    'lat'
    """
    cells = {lat: row[lat], lng: row[lng]}
    if not any(cells.values()):
        return None, None
    numbers = {}
    for column, limit in ((lat, 90), (lng, 180)):
        value = cells[column]
        if not value:
            return None, (column, "coordonnée manquante : point écarté / missing coordinate; point left out")
        number = decimal_literal(value)
        if number is None:
            return None, (column, "coordonnée qui n'est pas un nombre : point écarté / coordinate is not a number; point left out")
        if abs(number.toPython()) > limit:
            return None, (column, f"coordonnée hors de ±{limit}° : point écarté / coordinate outside ±{limit}°; point left out")
        numbers[column] = number
    return f"POINT({numbers[lng]} {numbers[lat]})", None


def point_triples(uai: str, wkt: str) -> Iterator[Triple]:
    """Yield the ``geo:hasGeometry`` of school ``uai`` and its geometry, a WKT point (WGS 84)."""
    geometry = iris.school_point(uai)
    yield iris.school(uai), GEO.hasGeometry, geometry
    yield geometry, RDF.type, GEO.Geometry
    yield geometry, GEO.asWKT, Literal(wkt, datatype=GEO.wktLiteral)


def public_private(value: str) -> str | None:
    """Return ``public`` or ``privé`` for a sector as a directory writes it, or None when it is neither.

    >>> public_private("privé sous contrat"), public_private("Public"), public_private("?")
    ('privé', 'public', None)
    """
    word = slug(value)
    if word.startswith("public"):
        return "public"
    if word.startswith("prive"):
        return "privé"
    return None


def lycee_kind(name: str) -> str:
    """Return the kind of a lycée read from its name (:func:`~cmqgraph.sources.inserjeunes.school_kind`), « Lycée » when no rule reads it."""
    kind = school_kind(name, "pro")
    return "Lycée" if kind == GENERIC_KIND["pro"] else kind


def new_school(source: Source, row: Row, uai_column: str, name: str, kind: str | None) -> Iterator[Triple]:
    """Yield the description of a school that no source above ``source`` names: UAI, name, kind and territory.

    The département, académie and région are read from the UAI as InserJeunes reads them, through the
    ``academie_of_departement`` and ``region_of_academie`` indexes that ``source`` reads.
    """
    uai = row[uai_column]
    node = iris.school(uai)
    yield node, RDF.type, CMQ.School
    yield node, CMQ.uai, Literal(uai)
    yield node, SKOS.notation, Literal(uai)
    label = text(name)
    if label is not None:
        yield node, RDFS.label, label
    if kind:
        yield node, CMQ.schoolKind, Literal(kind, lang="fr")
    departement, academie = locate_school(source, row, uai_column, uai)
    region = source.read("region_of_academie").get(academie) if academie else None
    yield from territory_triples(node, departement, academie, region)


def school_year(session: str) -> str:
    """Return the school year of a baccalauréat session (``2025`` → ``2024-2025``)."""
    return f"{int(session) - 1}-{session}"


class LyceesIval(Source):
    name = "lycees_ival"
    title = "Lycées géolocalisés avec leurs indicateurs de valeur ajoutée (IVAL, baccalauréat 2025) et leur IPS"
    files = (SourceFile(FILE, FIELDS, format="json"),)
    upstream = "Lingelo/comparateur-lycees: public/data/lycees.json @ 8de6a3eb32738d2cc08fe82c93a7ee29162478d6 (2026-04-13, DEPP IVAL and IPS joined with the Annuaire de l'éducation's geolocation)"
    licence_note = (
        "The repository has no licence file; its application states the data are under the Licence Ouverte 2.0, the licence of the "
        "DEPP / data.education.gouv.fr files it joins."
    )
    temporal = "2025 (baccalauréat session 2025)"
    completeness = (
        "Every lycée général et technologique and professionnel of the Éducation nationale (3,503 UAI, 4,360 records; 4,350 with "
        "coordinates); no CFA and no agricultural lycée. Towns are names, not INSEE codes. Upstream deleted every 'nd' from the "
        "names and towns of the GT records: a lycée with a pro record takes its name and town from it, the 1,489 GT-only lycées keep "
        "them as written (some damaged, e.g. 'Marmae'). The file's académie names are damaged too: the territory is read from the UAI."
    )
    reads = ("academie_of_departement", "region_of_academie", "schools", "campuses")
    publishes = ("lycee_schools", "departements_of_campus")

    def expected_rows(self) -> int:
        path = self.ctx.files.get(FILE)
        return path.read_bytes().count(b'"uai"') if path is not None and path.is_file() else 0

    def triples(self) -> Iterator[Triple]:
        data = read_lycees(self.ctx.path(FILE))
        self.ctx.rows_read[FILE] = len(data.rows)
        by_uai: dict[str, dict[str, Row]] = {}
        for row in data.rows:
            if self.ctx.on_row is not None:
                self.ctx.on_row()
            self._add(row, by_uai)
        known = self.read("schools")
        for uai, records in by_uai.items():
            yield from self._school(uai, records, uai in known)
            for pathway, row in records.items():
                yield from self._measure(uai, pathway, row, data.session)
        self.publish("lycee_schools", {
            uai: any(point_of(row, "lat", "lng")[0] is not None for row in records.values()) for uai, records in by_uai.items()
        })
        yield from self._campuses(by_uai)

    def _campuses(self, by_uai: dict[str, dict[str, Row]]) -> Iterator[Triple]:
        """Yield the département of each town of each campus that the lycées of its académies place in one département."""
        academie_of, region_of = self.read("academie_of_departement"), self.read("region_of_academie")
        towns: dict[str, dict[str, set[str]]] = {}
        for uai, records in by_uai.items():
            row, departement = records.get("pro") or records["gt"], uai_departement(uai)
            if row["ville"] and departement in academie_of:
                towns.setdefault(academie_of[departement], {}).setdefault(slug(_ARRONDISSEMENT.sub("", row["ville"])), set()).add(departement)
        found: dict[URIRef, tuple[str, ...]] = {}
        for campus in self.read("campuses"):
            academies = campus.academies or tuple(a for a, r in region_of.items() if r in campus.regions)
            place = campus_row(campus)
            for town in campus.towns:
                codes = sorted({code for a in academies for code in towns.get(a, {}).get(slug(town), ())})
                if len(codes) == 1:
                    found[campus.iri] = (*found.get(campus.iri, ()), codes[0])
                    yield campus.iri, CMQ.inDepartement, iris.departement(codes[0])
                elif codes:
                    self.ctx.issue(place, "ville", f"des lycées de ce nom de ville sont dans plusieurs départements ({', '.join(codes)}) : "
                                   "pas de département / lycées of several départements have this town name; no département given", "warning", town)
                else:
                    self.ctx.issue(place, "ville", "aucun lycée des académies du campus n'est dans une ville de ce nom : pas de département / "
                                   "no lycée of the campus's académies is in a town of this name; no département given", "warning", town)
        self.publish("departements_of_campus", {iri: tuple(dict.fromkeys(codes)) for iri, codes in found.items()})

    def _add(self, row: Row, by_uai: dict[str, dict[str, Row]]) -> None:
        """Put ``row`` under its UAI and pathway, or report why it is left out."""
        uai = row["uai"]
        if not uai_is_valid(uai):
            self.ctx.issue(row, "uai", "UAI mal formé ou lettre de clé fausse : enregistrement écarté / malformed UAI or wrong check letter; record left out")
            return
        pathway = PATHWAYS.get(row["type"].lower())
        if pathway is None:
            self.ctx.issue(row, "type", "type inconnu (attendu : GT ou Pro) : enregistrement écarté / unknown type (expected GT or Pro); record left out")
            return
        records = by_uai.setdefault(uai, {})
        if pathway in records:
            message = (f"deuxième enregistrement {row['type']} de ce lycée (le premier est le n° {records[pathway].line}) : écarté / "
                       f"second {row['type']} record of this lycée; left out")
            self.ctx.issue(row, "uai", message, "warning")
            return
        records[pathway] = row

    def _school(self, uai: str, records: dict[str, Row], known: bool) -> Iterator[Triple]:
        """Yield what the lycée's pro record (else its GT record) says of the school: place, address, sector; and its point."""
        node = iris.school(uai)
        row = records.get("pro") or records["gt"]
        if not known:
            yield from new_school(self, row, "uai", row["nom"], lycee_kind(row["nom"]) if row["nom"] else None)
        town = text(row["ville"])
        if town is not None:
            yield node, CMQ.city, town
        postcode = row["codePostal"]
        if postcode and _POSTCODE.match(postcode):
            yield node, SDO.postalCode, Literal(postcode)
        elif postcode:
            self.ctx.issue(row, "codePostal", "code postal qui n'a pas 5 chiffres : laissé dans l'adresse / postcode is not 5 digits; kept in the address only", "warning")
        address = ", ".join(part for part in (" ".join(row["adresse"].split()), " ".join(f"{postcode} {row['ville']}".split())) if part)
        if address:
            yield node, SDO.address, Literal(address)
        sector = public_private(row["secteur"])
        if sector:
            yield node, CMQ.publicPrivate, Literal(sector, lang="fr")
        elif row["secteur"]:
            self.ctx.issue(row, "secteur", "ni public ni privé : secteur écarté / neither public nor private; sector left out", "warning")
        points = []
        for record in sorted(records.values(), key=lambda r: r is not row):
            wkt, problem = point_of(record, "lat", "lng")
            if problem is not None:
                self.ctx.issue(record, *problem, "warning")
            points.append(wkt)
        wkt = next((p for p in points if p is not None), None)
        if wkt is not None:
            yield from point_triples(uai, wkt)

    def _measure(self, uai: str, pathway: str, row: Row, session: str) -> Iterator[Triple]:
        measure = iris.ival_measure(uai, pathway, session)
        yield measure, RDF.type, CMQ.IvalMeasure
        yield measure, RDFS.label, Literal(f"IVAL {session} {uai} voie {pathway}", lang="fr")
        yield measure, CMQ.measuredSchool, iris.school(uai)
        yield measure, CMQ.pathway, Literal(pathway)
        yield measure, CMQ.examSession, Literal(session, datatype=XSD.gYear)
        yield measure, CMQ.schoolYear, Literal(school_year(session))
        for field, (prop, low, high, whole) in INDICATORS.items():
            number = self.ctx.number(row, field, integer=whole, minimum=low, maximum=high, action="indicateur écarté / indicator left out")
            if number is not None:
                yield measure, prop, number
