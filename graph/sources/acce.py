"""ACCE records of the CFA under regional convention (2021), as kept in tables-correspondances.

ACCE is the Éducation nationale directory of establishments (UAI). This extract lists the CFA
under a regional convention with their nature, sector, INSEE commune, SIRET, postal address and
opening date. Each row describes the ``cmq:School`` of its UAI (the same node as InserJeunes):
the ACCE name (``denomination_principale`` + ``patronyme_uai``, upper case and abbreviated) is its
``rdfs:label`` only when no earlier source named the UAI, else a ``skos:altLabel``. The commune
becomes a ``cmq:Commune`` in its département (from the first two characters of its INSEE code, three
for the codes 97x/98x of the DROM and COM); codes 99xxx (foreign countries) are not communes.

ACCE dates are Excel serial day numbers (``25288`` = 1969-03-26; ``44075`` = 2020-09-01, a school
start); they are converted with the 1899-12-30 epoch that Excel uses for dates after February 1900.

Publishes ``schools``: the schools InserJeunes names, then those of this list that InserJeunes lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SDO, SKOS, XSD

from .. import iris
from ..iris import CMQ
from .base import Row, Source, SourceFile, Triple, text, uai_is_valid
from .inserjeunes import locate_school, territory_triples
from .records import School

__all__ = ["Acce", "NATURES", "SECTORS", "excel_date"]

#: ACCE nature_uai → kind of establishment. Both natures of the file are CFA (every row's
#: denomination says so); the 11 rows of 610 look like CFA of national bodies (Compagnons du Devoir,
#: EDF-GDF, Formaposte…), but the label of nature 610 could not be checked, so both get the same kind.
NATURES = {"600": "Centre de formation d'apprentis", "610": "Centre de formation d'apprentis"}

#: secteur_public_prive → cmq:publicPrivate.
SECTORS = {"PU": "public", "PR": "privé"}

_EXCEL_EPOCH = date(1899, 12, 30)
_COMMUNE = re.compile(r"^([0-9]{5}|2[AB][0-9]{3})$")
_SIRET = re.compile(r"^[0-9]{14}$")
_POSTCODE = re.compile(r"^[0-9]{5}$")


def excel_date(serial: str) -> date | None:
    """Return the date of an Excel serial day number, or None when ``serial`` is not one.

    >>> excel_date("25288"), excel_date("44075"), excel_date("01/09/2020")
    (datetime.date(1969, 3, 26), datetime.date(2020, 9, 1), None)
    """
    serial = serial.strip()
    if not serial.isdigit() or not 61 <= int(serial) <= 80000:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(serial))


class Acce(Source):
    name = "acce"
    title = "ACCE : CFA sous convention régionale (UAI, commune, SIRET, adresse)"
    files = (
        SourceFile(
            "cfa_sous_convention_regionale_uai.csv",
            (
                "numero_uai",
                "nature_uai",
                "secteur_public_prive",
                "commune",
                "commune_libe",
                "denomination_principale",
                "patronyme_uai",
                "numero_siren_siret_uai",
                "date_ouverture",
                "date_fermeture",
                "lieu_dit_uai",
                "adresse_uai",
                "boite_postale_uai",
                "code_postal_uai",
                "localite_acheminement_uai",
            ),
        ),
    )
    upstream = (
        "mission-apprentissage/tables-correspondances: server/src/jobs/convetionFilesImporter/assets/"
        "CFASousConvRegionale_latest-UAI.csv @ efd122c4c028e362c5aa96bbdb14afde44a17cc5 (re-encoded from CP1252 to UTF-8)"
    )
    temporal = "2021"
    completeness = (
        "Only the 933 CFA under a regional convention in 2021, not the whole ACCE directory (the full copies are "
        "absent from the snapshots). Names are ACCE's upper-case abbreviated ones; some SIRET are missing."
    )
    reads = ("academie_of_departement", "region_of_academie")
    optional_reads = ("inserjeunes_schools",)
    publishes = ("schools",)

    def triples(self) -> Iterator[Triple]:
        schools = dict(self.read_optional("inserjeunes_schools") or {})
        seen: set[str] = set()
        communes: set[str] = set()
        for row in self.rows():
            uai = row["numero_uai"]
            if not uai_is_valid(uai):
                self.ctx.issue(row, "numero_uai", "malformed UAI or wrong check letter; row skipped")
                continue
            if uai in seen:
                self.ctx.issue(row, "numero_uai", "UAI listed twice; first row kept", "warning")
                continue
            seen.add(uai)
            yield from self._school(row, uai, schools)
            yield from self._commune(row, iris.school(uai), communes)
        self.publish("schools", schools)

    def _school(self, row: Row, uai: str, schools: dict[str, School]) -> Iterator[Triple]:
        node = iris.school(uai)
        yield node, RDF.type, CMQ.School
        yield node, CMQ.uai, Literal(uai)
        yield node, SKOS.notation, Literal(uai)
        name = text(f"{row['denomination_principale']} {row['patronyme_uai']}")
        known = uai in schools and schools[uai].name
        if name is not None:
            yield node, SKOS.altLabel if known else RDFS.label, name
        departement, academie = locate_school(self, row, "numero_uai", uai)
        region = self.read("region_of_academie").get(academie) if academie else None
        if uai not in schools:
            schools[uai] = School(uai, str(name) if name else None, departement, academie, region)
        yield from territory_triples(node, departement, academie, region)
        kind = NATURES.get(row["nature_uai"])
        if kind:
            yield node, CMQ.schoolKind, Literal(kind, lang="fr")
        else:
            self.ctx.issue(row, "nature_uai", "unknown nature code; kind left out", "warning")
        sector = SECTORS.get(row["secteur_public_prive"])
        if sector:
            yield node, CMQ.publicPrivate, Literal(sector, lang="fr")
        else:
            self.ctx.issue(row, "secteur_public_prive", "not PU/PR; sector left out", "warning")
        siret = row["numero_siren_siret_uai"]
        if _SIRET.match(siret):
            yield node, CMQ.siret, Literal(siret)
        elif not siret:
            self.ctx.issue(row, "numero_siren_siret_uai", "no SIRET given", "warning")
        else:
            self.ctx.issue(row, "numero_siren_siret_uai", "SIRET is not 14 digits; left out", "warning")
        for column, prop in (("date_ouverture", CMQ.openingDate), ("date_fermeture", CMQ.closingDate)):
            if row[column]:
                day = excel_date(row[column])
                if day is None:
                    self.ctx.issue(row, column, "not an Excel serial date; left out", "warning")
                else:
                    yield node, prop, Literal(day, datatype=XSD.date)
        postcode = row["code_postal_uai"]
        if postcode and not _POSTCODE.match(postcode):
            self.ctx.issue(row, "code_postal_uai", "postal code is not 5 digits; kept in the address only", "warning")
        elif postcode:
            yield node, SDO.postalCode, Literal(postcode)
        city = " ".join(f"{postcode} {row['localite_acheminement_uai']}".split())
        parts = [row["adresse_uai"], row["lieu_dit_uai"], row["boite_postale_uai"], city]
        address = ", ".join(" ".join(part.split()) for part in parts if part.strip())
        if address:
            yield node, SDO.address, Literal(address)

    def _commune(self, row: Row, school: URIRef, communes: set[str]) -> Iterator[Triple]:
        code = row["commune"]
        if not _COMMUNE.match(code):
            self.ctx.issue(row, "commune", "not an INSEE commune code; commune link left out")
            return
        if code.startswith("99"):
            self.ctx.issue(row, "commune", "INSEE code of a foreign country, not a commune; commune link left out", "warning")
            return
        commune = iris.commune(code)
        yield school, CMQ.inCommune, commune
        if code in communes:
            return
        communes.add(code)
        yield commune, RDF.type, CMQ.Commune
        yield commune, SKOS.notation, Literal(code)
        label = text(row["commune_libe"])
        if label is not None:
            yield commune, RDFS.label, label
        departement = code[:3] if code.startswith(("97", "98")) else code[:2]
        if departement in self.read("academie_of_departement"):
            yield commune, CMQ.inDepartement, iris.departement(departement)
        else:
            self.ctx.issue(row, "commune", f"département {departement!r} of the commune is not a known département", "warning")
