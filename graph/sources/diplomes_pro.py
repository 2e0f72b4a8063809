"""The DGESCO list of vocational diplomas (``fr-en-liste-diplomes-professionnels``, as copied by Orion).

Adds to each Training its commission professionnelle consultative (CPC) and sector, its RNCP fiche,
its first and last session and the list's comment. The list writes the CFD ``400-24202 V`` (a dash
and a key letter): the dash, the space and the key letter are removed to give the 8-character CFD.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal
from rdflib.namespace import RDF, SKOS

from .. import iris
from ..iris import CMQ
from .base import Source, SourceFile, Triple, text
from .bcn_formations import gyear

__all__ = ["DiplomesPro", "RNCP_CODE", "rncp_code", "normalise_cfd"]

#: An RNCP fiche code after normalisation.
RNCP_CODE = re.compile(r"^RNCP[0-9]+$")
_RNCP_INPUT = re.compile(r"^(?:RNCP\s*)?([0-9]+)$", re.IGNORECASE)
_CFD_USUAL = re.compile(r"^([0-9]{3})-([0-9]{5}) [A-Z]$")
_CFD_OTHER = re.compile(r"^([0-9]{3})-?([0-9]{5}) ?[A-Z]?$")


def rncp_code(value: str) -> str | None:
    """Return ``value`` as an RNCP code (``RNCP`` + digits), or None when it is not one.

    >>> rncp_code("751"), rncp_code("RNCP38381"), rncp_code("en cours")
    ('RNCP751', 'RNCP38381', None)
    """
    match = _RNCP_INPUT.match(value.strip())
    return f"RNCP{match.group(1)}" if match else None


def normalise_cfd(value: str) -> tuple[str | None, bool]:
    """Return the 8-character CFD of a list code and whether the code had the usual ``ddd-ddddd L`` shape.

    >>> normalise_cfd("400-24202 V"), normalise_cfd("32022406"), normalise_cfd("4002420")
    (('40024202', True), ('32022406', False), (None, False))
    """
    value = value.strip()
    match = _CFD_USUAL.match(value)
    if match:
        return match.group(1) + match.group(2), True
    match = _CFD_OTHER.match(value)
    return (match.group(1) + match.group(2), False) if match else (None, False)


class DiplomesPro(Source):
    name = "diplomes_pro"
    title = "Liste des diplômes professionnels (DGESCO) : CPC, fiche RNCP et sessions"
    files = (
        SourceFile(
            "orion_diplomes_professionnels.csv",
            (
                "Commission professionnelle consultative", "Secteur", "Code diplôme", "Code RNCP", "Première session",
                "Dernière session", "Commentaire",
            ),
        ),
    )
    upstream = (
        "mission-apprentissage/tjp-pilotage: server/static/files/diplomesProfessionnels.csv @ b986bec8d2c2f031e06306444be9cd1a5a055c8f "
        "(copy of the data.education.gouv.fr dataset fr-en-liste-diplomes-professionnels)"
    )
    temporal = "2025-01"
    completeness = (
        "The 577 vocational diplomas (CAP, bac pro, BP, BTS, MC…) of January 2025. Two rows have no RNCP code and one says "
        "« en cours »; 50 rows have no sector; about 70 CFDs are written without the dash or the key letter."
    )
    optional_reads = ("cfds",)
    publishes = ("cpc_of_cfd",)

    def triples(self) -> Iterator[Triple]:
        known = self.read_optional("cfds")
        seen: set[str] = set()
        cpc_of_cfd: dict[str, str] = {}
        for row in self.rows():
            cfd, usual = normalise_cfd(row["Code diplôme"])
            if cfd is None:
                self.ctx.issue(row, "Code diplôme", "not a CFD (expected ddd-ddddd and a key letter); row skipped")
                continue
            if not usual:
                self.ctx.issue(row, "Code diplôme", "CFD not in the usual ddd-ddddd L shape; read as its 8 digits", "warning")
            if cfd in seen:
                self.ctx.issue(row, "Code diplôme", "CFD listed twice; first row kept", "warning")
                continue
            seen.add(cfd)
            if known is not None and cfd not in known:
                self.ctx.issue(row, "Code diplôme", "CFD not in the BCN diploma table; row kept", "warning")
            node = iris.training(cfd)
            cpc = text(row["Commission professionnelle consultative"])
            if cpc is not None:
                cpc_of_cfd[cfd] = str(cpc)
                yield node, CMQ.cpc, cpc
            if row["Secteur"] not in ("", "Secteur"):
                yield node, CMQ.cpcSector, text(row["Secteur"])
            rncp = rncp_code(row["Code RNCP"])
            if rncp is not None:
                yield node, CMQ.hasRncp, iris.rncp(rncp)
                yield iris.rncp(rncp), RDF.type, CMQ.RncpCertification
                yield iris.rncp(rncp), SKOS.notation, Literal(rncp)
            elif row["Code RNCP"].lower() in ("", "en cours"):
                self.ctx.issue(row, "Code RNCP", "no RNCP code (empty or « en cours »); no RNCP link", "warning")
            else:
                self.ctx.issue(row, "Code RNCP", "not an RNCP code (RNCP and digits); no RNCP link, rest of the row kept")
            for column, prop in (("Première session", CMQ.firstSession), ("Dernière session", CMQ.lastSession)):
                year = gyear(row[column])
                if year is not None:
                    yield node, prop, year
                elif row[column]:
                    self.ctx.issue(row, column, "not a year; session left out", "warning")
            if row["Commentaire"].strip(" ."):
                yield node, SKOS.editorialNote, text(row["Commentaire"])
        self.publish("cpc_of_cfd", cpc_of_cfd)
