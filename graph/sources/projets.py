"""PIA3 regional projects: the *Territoires d'innovation* laureates and the TIP / campus connectés laureates.

Two curated lists, one module: :class:`TerritoiresInnovation` (``territoires_innovation_laureats.csv``)
and :class:`Pia3Laureats` (``pia3_cmq_laureats.csv``). Amounts are typed only when the list gives a
plain number (million euros); otherwise the list's words are kept in ``cmq:amountNote``.

Publishes ``projects``: a list of dicts (iri, name, lead, programme, regions, academies, line).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import ORG, RDF, RDFS, XSD

from .. import iris
from ..iris import CMQ, slug
from .base import Row, Source, SourceFile, Triple, year_literal
from .curated import provenance, resolve_academies, resolve_regions
from .territoires import DEPARTEMENT_CODE

__all__ = ["TerritoiresInnovation", "Pia3Laureats", "french_date", "membership"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(), start=1
    )
}
_DATE = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(_MONTHS) + r")\s+((?:19|20)\d{2})\b")
_DEPT = re.compile(r"(?<![\d(+])\b(\d{2,3}|2A|2B)\b(?!\s*(?:M€|%|départements|communes))")


def french_date(value: str) -> Literal | None:
    """Return the first full French date in ``value`` as ``xsd:date`` (``6 février 2020`` → 2020-02-06)."""
    match = _DATE.search(value.lower())
    if not match:
        return None
    day, month, year = int(match.group(1)), _MONTHS[match.group(2)], match.group(3)
    return Literal(f"{year}-{month:02d}-{day:02d}", datatype=XSD.date)


def membership(member: URIRef, organization: URIRef, role: str) -> tuple[URIRef, list[Triple]]:
    """Return the IRI and triples of an ``org:Membership`` of ``member`` in ``organization``."""
    node = iris.membership(member, organization, role)
    return node, [
        (node, RDF.type, ORG.Membership),
        (node, ORG.member, member),
        (node, ORG.organization, organization),
        (node, ORG.role, iris.role(role)),
    ]


def organisation(name: str) -> tuple[URIRef, list[Triple]]:
    """Return the IRI and triples of an organisation known only by its name (no official code)."""
    node = iris.organisation(slug(name))
    return node, [(node, RDF.type, ORG.Organization), (node, RDFS.label, Literal(name, lang="fr"))]


class _ProjectSource(Source):
    licence_note = "Facts collected from public web pages, not open data; the compilation is published under the project's licence."

    def _project(self, row: Row, programme: str, name: str, lead: str) -> Iterator[Triple]:
        node = iris.project(programme, name)
        yield node, RDF.type, CMQ.RegionalProject
        yield node, RDFS.label, Literal(name, lang="fr")
        yield node, CMQ.programme, iris.programme(programme)
        if lead:
            org, triples = organisation(lead)
            yield from triples
            yield node, CMQ.lead, org
            _, triples = membership(org, node, "porteur")
            yield from triples
        yield from provenance(node, row)

    def _amount(self, row: Row, node: URIRef, column: str, prop: URIRef) -> Iterator[Triple]:
        value = row[column]
        if not value:
            return
        amount = self.ctx.number(row, column, minimum=0, action="kept as a note only")
        if amount is not None:
            yield node, prop, amount
        yield node, CMQ.amountNote, Literal(f"{column}: {value}", lang="fr")


class TerritoiresInnovation(_ProjectSource):
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

    def triples(self) -> Iterator[Triple]:
        projects = self.ctx.indexes.setdefault("projects", [])
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
            regions = resolve_regions(self.ctx, row, "region")
            for code in regions:
                yield node, CMQ.territory, iris.region(code)
            departements = [d for d in _DEPT.findall(row["departements"]) if DEPARTEMENT_CODE.match(d)]
            for code in departements:
                yield node, CMQ.territory, iris.departement(code)
            if row["departements"] and not row["departements"].replace(",", " ").replace(" ", "").isdigit():
                yield node, CMQ.departementsNote, Literal(row["departements"], lang="fr")
            yield from self._amount(row, node, "montant_millions_eur", CMQ.stateFundingMEUR)
            yield from self._amount(row, node, "subvention_etat_meur", CMQ.stateGrantMEUR)
            yield from self._amount(row, node, "investissement_etat_meur", CMQ.stateInvestmentMEUR)
            yield from self._amount(row, node, "budget_total_projet_meur", CMQ.totalBudgetMEUR)
            projects.append(
                {"iri": node, "name": name, "lead": row["porteur"], "programme": "ti", "regions": regions,
                 "departements": departements, "academies": [], "line": row.line}
            )


class Pia3Laureats(_ProjectSource):
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

    def triples(self) -> Iterator[Triple]:
        projects = self.ctx.indexes.setdefault("projects", [])
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
            regions = resolve_regions(self.ctx, row, "region")
            academies = resolve_academies(self.ctx, row, "academie") if row["academie"] else []
            for code in regions:
                yield node, CMQ.territory, iris.region(code)
            for code in academies:
                yield node, CMQ.territory, iris.academie(code)
            projects.append(
                {"iri": node, "name": key, "holder": holder, "lead": lead, "programme": programme, "regions": regions,
                 "departements": [], "academies": academies, "line": row.line}
            )
