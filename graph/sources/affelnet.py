"""Affelnet 2022 offers of the voie scolaire: which school offers which MEF, with capacity and demand.

The Orion extract ``attractivite_capacite_2022`` lists, for each school (UAI) and MEF STAT 11 of a
first year (2nde pro, 1re année de CAP…), the capacity of the carte scolaire and the number of
first-choice wishes (Affelnet, status ``ST``: students, not apprentices). Each (UAI, MEF STAT 11) pair
becomes a ``cmq:TrainingOffer`` ``id/offre/{UAI}/{MEF STAT 11}`` of the diploma (CFD) that the MEF
prepares, plus the shortcut ``School cmq:offers Training``.

Duplicated pairs. 1194 rows share their (UAI, MEF STAT 11) pair with another row (587 pairs, 2 to
4 rows each, counted in the file's own ``nb_apparitions_uai_mefstat`` column); the rows differ only
in capacity and demand (same famille de métiers, status and terminal MEF). They are separate
Affelnet offers of one school for one MEF (another section, site or recruitment) that the extract does
not tell apart. Like Orion (``findAttractiviteCapaciteHorsBTS``, which adds the lines up), the rows
of a pair are **summed** into one offer, and each extra row is reported as a warning.

Placeholder capacities. Affelnet writes ``999`` (once ``998``) when the capacity is not set; those
values are not capacities: ``cmq:capacity`` is left out (for the whole pair when summing) with a
warning. Other values, including 0 to 4, are kept as given.

A school absent from the ``schools`` index is typed here with its UAI and territory but without a
name (none of the supplied lists names it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from rdflib import Literal
from rdflib.namespace import RDF, SKOS, XSD

from .. import iris
from ..iris import CMQ
from .base import Row, Source, SourceFile, Triple, uai_is_valid
from .inserjeunes import locate_school, territory_triples
from .records import Offer

__all__ = ["Affelnet", "PLACEHOLDER_CAPACITIES"]

UAI_COLUMN = "Etablissement d'accueil"
MEF_COLUMN = "MEF STAT 11"
CAPACITY_COLUMN = "Capacité carte scolaire"
DEMAND_COLUMN = "Demandes vœux 1"
OFFER_YEAR = "2022"

#: Capacities that Affelnet uses for "not set".
PLACEHOLDER_CAPACITIES = frozenset({"998", "999"})

_MEFSTAT11 = re.compile(r"^[0-9A-Z]{11}$")


@dataclass
class _Offer:
    """The rows of one (UAI, MEF STAT 11) pair, summed."""

    uai: str
    mefstat11: str
    cfd: str
    row: Row
    capacity: int | None = 0
    demand: int | None = 0
    lines: list[int] = field(default_factory=list)


class Affelnet(Source):
    name = "affelnet"
    title = "Affelnet 2022 : offre de formation des établissements (voie scolaire), capacités et premiers vœux"
    files = (
        SourceFile(
            "orion_uai_mefstat_attractivite_2022.csv",
            (
                UAI_COLUMN,
                MEF_COLUMN,
                "Voeu de recensement O/N",
                "Statut Offre de formation",
                CAPACITY_COLUMN,
                DEMAND_COLUMN,
                "Famille de métiers",
                "nb_apparitions_uai_mefstat",
                "mef_stat_terminale",
            ),
        ),
    )
    upstream = (
        "mission-apprentissage/tjp-pilotage: server/static/files/2022/attractivite_capacite_2022.csv "
        "@ 282273ad081e719297ce8b867888ec6ee0b51f4e"
    )
    temporal = "2022"
    completeness = (
        "Voie scolaire only (no apprenticeship), first years of the vocational pathways in Affelnet 2022 (2789 UAI). "
        "No school names. Duplicated (UAI, MEF STAT 11) rows are summed, as Orion does; placeholder capacities (999) are left out."
    )
    reads = ("cfd_of_mefstat11", "schools", "academie_of_departement", "region_of_academie")
    publishes = ("offers",)

    def triples(self) -> Iterator[Triple]:
        cfd_of = self.read("cfd_of_mefstat11")
        offers: dict[tuple[str, str], _Offer] = {}
        for row in self.rows():
            uai, mefstat11 = row[UAI_COLUMN], row[MEF_COLUMN]
            if not uai_is_valid(uai):
                self.ctx.issue(row, UAI_COLUMN, "malformed UAI or wrong check letter; row skipped")
                continue
            if not _MEFSTAT11.match(mefstat11):
                self.ctx.issue(row, MEF_COLUMN, "MEF STAT 11 is not 11 characters [0-9A-Z]; row skipped")
                continue
            cfd = cfd_of.get(mefstat11)
            if cfd is None:
                self.ctx.issue(row, MEF_COLUMN, "MEF STAT 11 not in BCN N_MEF; row skipped")
                continue
            offer = offers.get((uai, mefstat11))
            if offer is None:
                offer = offers[(uai, mefstat11)] = _Offer(uai, mefstat11, cfd, row)
            else:
                self.ctx.issue(
                    row,
                    MEF_COLUMN,
                    "duplicated (UAI, MEF STAT 11) pair: another Affelnet offer of the same MEF; "
                    "capacity and first-choice demand summed with the pair's first line",
                    "warning",
                    f"{uai} {mefstat11} (first on line {offer.lines[0]})",
                )
            offer.lines.append(row.line)
            offer.capacity = self._add(row, CAPACITY_COLUMN, offer.capacity)
            offer.demand = self._add(row, DEMAND_COLUMN, offer.demand)

        schools = self.read("schools")
        typed: set[str] = set()
        for offer in offers.values():
            yield from self._offer(offer)
            if offer.uai not in schools and offer.uai not in typed:
                typed.add(offer.uai)
                yield from self._unnamed_school(offer)
        self.publish("offers", tuple(Offer(offer.uai, offer.mefstat11, offer.cfd) for offer in offers.values()))

    def _add(self, row: Row, column: str, total: int | None) -> int | None:
        """Add the integer in ``row[column]`` to ``total``; None (unknown) absorbs."""
        value = row[column]
        if column == CAPACITY_COLUMN and value in PLACEHOLDER_CAPACITIES:
            self.ctx.issue(row, column, "placeholder capacity (capacity not set in Affelnet); capacity left out", "warning")
            return None
        number = self.ctx.number(row, column, integer=True, minimum=0, action="left out")
        if number is None and not value:
            self.ctx.issue(row, column, "empty; left out", "warning")
        if number is None:
            return None
        return None if total is None else total + int(number)

    def _offer(self, offer: _Offer) -> Iterator[Triple]:
        node = iris.training_offer(offer.uai, offer.mefstat11)
        school, training = iris.school(offer.uai), iris.training(offer.cfd)
        yield node, RDF.type, CMQ.TrainingOffer
        yield node, CMQ.offeredBy, school
        yield node, CMQ.offeredTraining, training
        yield node, CMQ.viaMef, Literal(offer.mefstat11)
        yield node, CMQ.offerYear, Literal(OFFER_YEAR, datatype=XSD.gYear)
        if offer.capacity is not None:
            yield node, CMQ.capacity, Literal(offer.capacity, datatype=XSD.integer)
        if offer.demand is not None:
            yield node, CMQ.firstChoiceDemand, Literal(offer.demand, datatype=XSD.integer)
        yield school, CMQ.offers, training

    def _unnamed_school(self, offer: _Offer) -> Iterator[Triple]:
        node = iris.school(offer.uai)
        yield node, RDF.type, CMQ.School
        yield node, CMQ.uai, Literal(offer.uai)
        yield node, SKOS.notation, Literal(offer.uai)
        yield node, SKOS.editorialNote, Literal("nom absent des listes fournies (InserJeunes, ACCE)", lang="fr")
        departement, academie = locate_school(self, offer.row, UAI_COLUMN, offer.uai)
        region = self.read("region_of_academie").get(academie) if academie else None
        yield from territory_triples(node, departement, academie, region)
