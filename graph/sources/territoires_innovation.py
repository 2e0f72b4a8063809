"""The PIA3 *Territoires d'innovation* laureates of 13 September 2019, curated by hand.

Amounts are typed only when the list gives a plain number (million euros); otherwise the list's
words are kept in ``cmq:amountNote``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal
from rdflib.namespace import XSD

from .. import iris
from ..iris import CMQ
from .base import SourceFile, Triple
from .curated import ProjectSource, resolve_regions
from .records import Project
from .territoires import DEPARTEMENT_CODE

__all__ = ["TerritoiresInnovation"]

_DEPT = re.compile(r"(?<![\d(+])\b(\d{2,3}|2A|2B)\b(?!\s*(?:M€|%|départements|communes))")


class TerritoiresInnovation(ProjectSource):
    name = "territoires_innovation"
    title = "Lauréats de l'action PIA3 « Territoires d'innovation » (13 septembre 2019), liste constituée à la main"
    files = (
        SourceFile(
            "territoires_innovation_laureats.csv",
            (
                "nom_projet", "porteur", "region", "departements", "theme", "montant_millions_eur", "subvention_etat_meur",
                "investissement_etat_meur", "budget_total_projet_meur", "source_url", "remarque",
            ),
        ),
    )
    upstream = "curated by hand from stored public web pages (press, local authorities)"
    temporal = "2019-09-13"
    completeness = "20 of the 24 laureates announced on 13 Sept 2019; the 4 others were not identified. State shares often unknown."
    reads = ("regions_by_name",)
    publishes = ("ti_projects",)

    def triples(self) -> Iterator[Triple]:
        projects = []
        for row in self.rows():
            name = row["nom_projet"]
            if not name:
                self.ctx.issue(row, "nom_projet", "project without a name")
                continue
            node = iris.project("ti", name)
            yield from self._project(row, "ti", name, row["porteur"])
            yield node, CMQ.laureateDate, Literal("2019-09-13", datatype=XSD.date)
            if row["theme"]:
                yield node, CMQ.theme, Literal(row["theme"], lang="fr")
            regions = resolve_regions(self, row, "region")
            departements = [d for d in _DEPT.findall(row["departements"]) if DEPARTEMENT_CODE.match(d)]
            for code in regions:
                yield node, CMQ.territory, iris.region(code)
            for code in departements:
                yield node, CMQ.territory, iris.departement(code)
            if row["departements"] and not row["departements"].replace(",", " ").replace(" ", "").isdigit():
                yield node, CMQ.departementsNote, Literal(row["departements"], lang="fr")
            yield from self._amount(row, node, "montant_millions_eur", CMQ.stateFundingMEUR)
            yield from self._amount(row, node, "subvention_etat_meur", CMQ.stateGrantMEUR)
            yield from self._amount(row, node, "investissement_etat_meur", CMQ.stateInvestmentMEUR)
            yield from self._amount(row, node, "budget_total_projet_meur", CMQ.totalBudgetMEUR)
            projects.append(Project(node, name, "ti", (), row["theme"], tuple(regions), tuple(departements)))
        self.publish("ti_projects", tuple(projects))
