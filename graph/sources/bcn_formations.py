"""The BCN table V_FORMATION_DIPLOME: the reference list of Éducation nationale diplomas, by CFD.

``LIBELLE_COURT`` is the diploma type (``BAC PRO``, ``CAP``, ``BTS``…), not a short name: it is kept
as ``cmq:diplomaType``, and the 33-character statistical label ``LIBELLE_STAT_33`` is the
``skos:altLabel``. The NSF group is the speciality number followed by its letter in lower case, as
the NSF nomenclature writes it (``252r``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from .. import iris
from ..iris import CMQ
from .base import Row, Source, SourceFile, Triple, text

__all__ = ["BcnFormations", "CFD_CODE", "french_date", "gyear"]

#: A CFD (code formation diplôme).
CFD_CODE = re.compile(r"^[0-9A-Z]{8}$")
_FRENCH_DATE = re.compile(r"^([0-9]{2})/([0-9]{2})/([0-9]{4})$")
_RNCP_LEVEL = re.compile(r"^0[1-8]$")
_NSF_GROUP = re.compile(r"^[0-9]{3}$")


def french_date(value: str) -> Literal | None:
    """Return a ``dd/mm/yyyy`` date as an ``xsd:date`` literal, or None when it is not a real date.

    >>> french_date("31/08/2028")
    rdflib.term.Literal('2028-08-31', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#date'))
    """
    match = _FRENCH_DATE.match(value.strip())
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return Literal(date(year, month, day), datatype=XSD.date)
    except ValueError:
        return None


def gyear(value: str) -> Literal | None:
    """Return a four-digit year as an ``xsd:gYear`` literal, or None."""
    value = value.strip()
    return Literal(value, datatype=XSD.gYear) if re.fullmatch(r"(19|20)[0-9]{2}", value) else None


class BcnFormations(Source):
    name = "bcn_formations"
    title = "BCN V_FORMATION_DIPLOME : diplômes de l'Éducation nationale (CFD)"
    files = (
        SourceFile(
            "bcn_v_formation_diplome.csv",
            (
                "FORMATION_DIPLOME", "NIVEAU_FORMATION_DIPLOME", "GROUPE_SPECIALITE", "LETTRE_SPECIALITE", "LIBELLE_COURT",
                "LIBELLE_STAT_33", "LIBELLE_LONG_200", "DATE_OUVERTURE", "DATE_FERMETURE", "DATE_PREMIERE_SESSION",
                "DATE_DERNIERE_SESSION", "NIVEAU_QUALIFICATION_RNCP",
            ),
        ),
    )
    upstream = "mission-apprentissage/tjp-pilotage: server/static/files/vFormationDiplome_.csv @ fef60ffe4826ca1cd653044e419239133af41938"
    temporal = "2025"
    completeness = (
        "All 11,261 CFD of the 2025 extract, open and closed. The RNCP level is left out when the BCN says unknown "
        "(00, 99, XX: 83 rows); session years are filled for a third of the diplomas only."
    )
    publishes = ("cfds", "nsf_of_cfd")

    def triples(self) -> Iterator[Triple]:
        cfds: set[str] = set()
        nsf_of_cfd: dict[str, str] = {}
        for row in self.rows():
            cfd = row["FORMATION_DIPLOME"]
            if not CFD_CODE.match(cfd):
                self.ctx.issue(row, "FORMATION_DIPLOME", "CFD is not 8 letters or digits; row skipped")
                continue
            if cfd in cfds:
                self.ctx.issue(row, "FORMATION_DIPLOME", "CFD listed twice; first row kept", "warning")
                continue
            label = text(row["LIBELLE_LONG_200"]) or text(row["LIBELLE_STAT_33"])
            if label is None:
                self.ctx.issue(row, "LIBELLE_LONG_200", "diploma without a label; row skipped")
                continue
            cfds.add(cfd)
            if _NSF_GROUP.match(row["GROUPE_SPECIALITE"]):
                nsf_of_cfd[cfd] = row["GROUPE_SPECIALITE"]
            yield from self._training(cfd, label, row)
        self.publish("cfds", frozenset(cfds))
        self.publish("nsf_of_cfd", nsf_of_cfd)

    def _training(self, cfd: str, label: Literal, row: Row) -> Iterator[Triple]:
        node = iris.training(cfd)
        yield node, RDF.type, CMQ.Training
        yield node, CMQ.cfd, Literal(cfd)
        yield node, SKOS.notation, Literal(cfd)
        yield node, RDFS.label, label
        short = text(row["LIBELLE_STAT_33"])
        if short is not None and short != label:
            yield node, SKOS.altLabel, short
        if row["LIBELLE_COURT"]:
            yield node, CMQ.diplomaType, Literal(row["LIBELLE_COURT"])
        if row["NIVEAU_FORMATION_DIPLOME"]:
            yield node, CMQ.level, Literal(row["NIVEAU_FORMATION_DIPLOME"])
        if _RNCP_LEVEL.match(row["NIVEAU_QUALIFICATION_RNCP"]):
            yield node, CMQ.rncpLevel, Literal(int(row["NIVEAU_QUALIFICATION_RNCP"]), datatype=XSD.integer)
        if _NSF_GROUP.match(row["GROUPE_SPECIALITE"]):
            yield node, CMQ.nsfGroup, Literal(row["GROUPE_SPECIALITE"] + row["LETTRE_SPECIALITE"].lower())
        for column, prop in (("DATE_OUVERTURE", CMQ.openingDate), ("DATE_FERMETURE", CMQ.closingDate)):
            if row[column]:
                value = french_date(row[column])
                if value is None:
                    self.ctx.issue(row, column, "not a dd/mm/yyyy date; date left out", "warning")
                else:
                    yield node, prop, value
        for column, prop in (("DATE_PREMIERE_SESSION", CMQ.firstSession), ("DATE_DERNIERE_SESSION", CMQ.lastSession)):
            if row[column]:
                value = gyear(row[column])
                if value is None:
                    self.ctx.issue(row, column, "not a year; session left out", "warning")
                else:
                    yield node, prop, value
