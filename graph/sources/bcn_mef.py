"""The BCN table N_MEF: each MEF (a year of a training path) with the CFD it prepares and its MEF STAT 11.

A duration or year of course of ``9`` is the BCN's « not significant » (apprenticeship and adult
MEFs) and is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from .. import iris
from ..iris import CMQ
from .base import Source, SourceFile, Triple, text
from .bcn_formations import CFD_CODE

__all__ = ["BcnMef"]

_MEF = re.compile(r"^[0-9]{10}$")
_MEF_STAT_11 = re.compile(r"^[0-9A-Z]{11}$")
_MEF_STAT_9 = re.compile(r"^[0-9A-Z]{9}$")


class BcnMef(Source):
    name = "bcn_mef"
    title = "BCN N_MEF : modules élémentaires de formation (MEF, MEF STAT 11) et diplômes préparés"
    files = (
        SourceFile(
            "bcn_n_mef.csv",
            (
                "MEF", "DISPOSITIF_FORMATION", "FORMATION_DIPLOME", "DUREE_DISPOSITIF", "ANNEE_DISPOSITIF", "LIBELLE_LONG",
                "MEF_STAT_11", "MEF_STAT_9",
            ),
        ),
    )
    upstream = "mission-apprentissage/tjp-pilotage: server/static/files/nMef.csv @ 6113c385d7ed24fc9c0ca608c655bb376e8dad75"
    temporal = "2025"
    completeness = (
        "All 10,067 MEF, open and closed. Duration and year of course are unknown (9) for 282 apprenticeship/adult MEFs. "
        "One MEF STAT 11 (32710013401) belongs to two CFDs; the first is kept in the MEF STAT 11 index."
    )
    optional_reads = ("cfds",)
    publishes = ("cfd_of_mefstat11",)

    def triples(self) -> Iterator[Triple]:
        known = self.read_optional("cfds")
        seen: set[str] = set()
        cfd_of: dict[str, str] = {}
        for row in self.rows():
            mef, cfd, stat11 = row["MEF"], row["FORMATION_DIPLOME"], row["MEF_STAT_11"]
            if not _MEF.match(mef):
                self.ctx.issue(row, "MEF", "MEF is not 10 digits; row skipped")
                continue
            if not CFD_CODE.match(cfd):
                self.ctx.issue(row, "FORMATION_DIPLOME", "CFD is not 8 letters or digits; row skipped")
                continue
            if stat11 and not _MEF_STAT_11.match(stat11):
                self.ctx.issue(row, "MEF_STAT_11", "MEF STAT 11 is not 11 letters or digits; row skipped")
                continue
            if mef in seen:
                self.ctx.issue(row, "MEF", "MEF listed twice; first row kept", "warning")
                continue
            seen.add(mef)
            if known is not None and cfd not in known:
                self.ctx.issue(row, "FORMATION_DIPLOME", "CFD not in the BCN diploma table; link kept", "warning")
            node = iris.mef(mef)
            yield node, RDF.type, CMQ.Mef
            yield node, RDF.type, SKOS.Concept
            yield node, SKOS.notation, Literal(mef)
            label = text(row["LIBELLE_LONG"])
            if label is not None:
                yield node, RDFS.label, label
            yield node, CMQ.prepares, iris.training(cfd)
            if row["DISPOSITIF_FORMATION"]:
                yield node, CMQ.dispositif, Literal(row["DISPOSITIF_FORMATION"])
            for column, prop in (("DUREE_DISPOSITIF", CMQ.durationYears), ("ANNEE_DISPOSITIF", CMQ.yearOfCourse)):
                if re.fullmatch(r"[1-8]", row[column]):
                    yield node, prop, Literal(int(row[column]), datatype=XSD.integer)
            if _MEF_STAT_9.match(row["MEF_STAT_9"]):
                yield node, CMQ.mefStat9, Literal(row["MEF_STAT_9"])
            if not stat11:
                continue
            yield node, CMQ.mefStat11, Literal(stat11)
            previous = cfd_of.setdefault(stat11, cfd)
            if previous != cfd:
                self.ctx.issue(row, "MEF_STAT_11", "MEF STAT 11 already maps to another CFD; the first kept in the index", "warning")
        self.publish("cfd_of_mefstat11", cfd_of)
