"""The PIA3 *Territoires d'innovation pédagogique* laureates: the CMQ call (TIP-CMQ) and the campus connectés.

Curated by hand. A TIP-CMQ laureate is known by its campus, a campus connecté by its own name.
Amounts are typed only when the list gives a plain number (million euros); otherwise the list's
words are kept in ``cmq:amountNote``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from .. import iris
from ..iris import CMQ
from .base import SourceFile, Triple, year_literal
from .curated import ProjectSource, resolve_academies, resolve_regions
from .records import Project

__all__ = ["Pia3Laureats", "french_date"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(), start=1
    )
}
_DATE = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(_MONTHS) + r")\s+((?:19|20)\d{2})\b")


def french_date(value: str) -> Literal | None:
    """Return the first full French date in ``value`` as ``xsd:date`` (``6 février 2020`` → 2020-02-06)."""
    match = _DATE.search(value.lower())
    if not match:
        return None
    day, month, year = int(match.group(1)), _MONTHS[match.group(2)], match.group(3)
    return Literal(f"{year}-{month:02d}-{day:02d}", datatype=XSD.date)


class Pia3Laureats(ProjectSource):
    name = "pia3"
    title = "Lauréats PIA3 « Territoires d'innovation pédagogique » : AAP Campus des métiers et des qualifications et campus connectés"
    files = (
        SourceFile(
            "pia3_cmq_laureats.csv",
            ("dispositif", "nom_projet", "campus_ou_porteur", "region", "academie", "date_annonce", "montant_meur", "source_url", "remarque"),
        ),
    )
    upstream = "curated by hand from stored public web pages (ministry, universities, campus sites, press)"
    temporal = "2019-2021"
    completeness = (
        "Only 6 of the 32 CMQ laureates of the TIP call were found; campus connectés: 6 Occitanie and 3 Centre-Val de Loire rows "
        "of 89 laureates nationally (2021 wave)."
    )
    reads = ("regions_by_name", "academies_by_name")
    publishes = ("pia3_projects",)

    def triples(self) -> Iterator[Triple]:
        projects = []
        seen: dict[URIRef, int] = {}
        for row in self.rows():
            programme = "campus-connectes" if "connect" in row["dispositif"].lower() else "tip-cmq"
            holder = row["campus_ou_porteur"]
            if not holder:
                self.ctx.issue(row, "campus_ou_porteur", "laureate without a campus or lead")
                continue
            # A TIP-CMQ laureate is known by its campus (project titles are mostly missing); a campus
            # connecté by its own name, its lead being a note that is often "(non précisé)".
            key = holder if programme == "tip-cmq" else row["nom_projet"]
            node = iris.project(programme, key)
            if node in seen:
                self.ctx.issue(row, "nom_projet", f"same laureate as line {seen[node]}; first row kept", "warning")
                continue
            seen[node] = row.line
            lead = "" if programme == "tip-cmq" or holder.startswith("(") else holder
            yield from self._project(row, programme, key, lead)
            if programme == "tip-cmq" and row["nom_projet"]:
                yield node, CMQ.projectTitle, Literal(row["nom_projet"], lang="fr")
            elif programme != "tip-cmq" and not lead:
                yield node, CMQ.leadNote, Literal(holder, lang="fr")
            yield node, CMQ.call, Literal(row["dispositif"], lang="fr")
            date = french_date(row["date_annonce"])
            if date is not None:
                yield node, CMQ.laureateDate, date
            year = year_literal(row["date_annonce"])
            if year is not None:
                yield node, CMQ.laureateYear, year
            if row["date_annonce"]:
                yield node, CMQ.dateNote, Literal(row["date_annonce"], lang="fr")
            yield from self._amount(row, node, "montant_meur", CMQ.stateFundingMEUR)
            regions = resolve_regions(self, row, "region")
            academies = resolve_academies(self, row, "academie") if row["academie"] else []
            for code in regions:
                yield node, CMQ.territory, iris.region(code)
            for code in academies:
                yield node, CMQ.territory, iris.academie(code)
            projects.append(Project(node, key, programme, tuple(academies)))
        self.publish("pia3_projects", tuple(projects))
