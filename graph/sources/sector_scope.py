"""Each campus's and pôle's sector scope: the trainings of its filières offered in its territory (derived, never a membership).

Policy staff ask the same question of every campus, members known or not: « which schools and trainings of
*our sector* exist in *our territory*, and where do they lead? ». This source answers it in its own named
graph (``graph/sector_scope``), typed apart from memberships, so that nothing in it reads as « member of ».

**The table.** ``cmq_filieres_nsf.csv`` (curated by hand, see ``SOURCES.md``) links each of the 12 CMQ
filières to NSF groups of the BCN: one row per link, with its reason and certainty. An empty ``cpc`` takes
every training of the group; a filled ``cpc`` only the diplômes professionnels of that CPC within the group
(the CPC of the list ``orion_diplomes_professionnels.csv``, joined by CFD). Each row becomes a
``cmq:SpecialityLink``. A row whose filière is not one of the 12, or whose group is not three digits or is
no ``GROUPE_SPECIALITE`` of the BCN, is a row error (file, line, value) and is left out; a CPC that no
diplôme of the list has, an unknown ``certitude`` or a link listed twice is a warning. A user drops in a
newer table with ``cmqgraph build --data DIR --with-defaults``.

**A training is in a filière** when the NSF group of its CFD (``nsf_of_cfd``, from the BCN) is linked to
the filière by a row without CPC, or by a row whose CPC is the training's (``cpc_of_cfd``). Each link names
the trainings it keeps (``cmq:linkedTraining``), offered or not, so that a query reaches a filière's
trainings by a join instead of comparing every training's NSF code with every link's group.

**The scope** (``cmq:SectorScope``, ``id/perimetre/…``) of a campus or a pôle is the set of Affelnet 2022
offers (``offers``: school × MEF → CFD, voie scolaire) whose school lies in the scope's territory and whose
training is in one of its filières, with those trainings, schools, and the ROME trades the trainings lead to
(``trades_of_cfd``, the Certif Info link that :mod:`~cmqgraph.sources.links` makes ``cmq:leadsToTrade``),
and their counts. A school's territory is that of the ``schools`` index, or, for a school only Affelnet
names, the département of its UAI.

- **Campus**: its filière and its académies, or its régions when the list gives no académie (the
  ``campuses`` index). Its **local territory** (``cmq:scopeLocalTerritory``), where its place is known: the
  bassins de formation of its communes (``bassins_of_campus``, from the Annuaire: Mobicampus, Sévenans /
  Montbéliard → Belfort-Montbéliard-Héricourt), else the départements of its towns (``departements_of_campus``,
  from the lycées file). The scope's schools there are its ``cmq:scopeLocalSchool`` (with their count): the
  nearest candidates, still derived. A school's bassin is the Annuaire's (``bassin_of_school``).
- **Pôle**: its régions (the ``clusters`` index) and the filières the keyword table of
  :mod:`~cmqgraph.sources.links` gives its theme (``sectors_of_theme``, the same ``cmq:SectorMatch`` rule).
- **Territoire d'innovation**: its départements, or its régions when the list gives none, and the filières
  the same keyword table gives its theme. A TIP-CMQ project is a campus's own (its scope is that campus's),
  and a campus connecté names no filière: neither gets a scope of its own.

A campus, pôle or project with a filière and a territory always gets a scope, empty or not (the counts say 0).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD

from .. import iris
from ..iris import CMQ, slug
from .base import Row, Source, SourceFile, Triple
from .curated import CERTAINTY_WORDS, certainty_of
from .inserjeunes import uai_departement
from .records import Campus, Offer

__all__ = ["SectorScope", "LEVELS", "SpecialityRule", "Scope", "method"]

TABLE = SourceFile("cmq_filieres_nsf.csv", ("filiere", "nsf_groupe", "nsf_libelle", "cpc", "certitude", "raison"))

#: The values of ``certitude``: the levels of the certainty scheme.
LEVELS = ("confirme", *dict.fromkeys(level for _, level in CERTAINTY_WORDS))

_METHOD = (
    "Périmètre déduit, jamais une adhésion : les offres Affelnet 2022 (voie scolaire) des établissements {territory} dont la "
    "formation (CFD) a un groupe NSF de la BCN (et, si la ligne de la table en nomme une, la CPC de la liste des diplômes "
    "professionnels) lié {sectors} par la table cmq_filieres_nsf.csv ; les métiers sont les codes ROME des certifications "
    "Certif Info de ces formations."
)


def method(kind: str) -> str:
    """Return the ``cmq:matchMethod`` text of the scopes of a ``campus`` or a ``pole``.

    >>> method("pole").split(" : ")[0]
    'Périmètre déduit, jamais une adhésion'
    """
    if kind == "campus":
        return _METHOD.format(territory="de l'académie du campus (à défaut, de sa région)", sectors="à la filière du campus")
    territory = "des régions du pôle" if kind == "pole" else "des départements du projet (à défaut, de ses régions)"
    whose = "du pôle" if kind == "pole" else "du projet"
    return _METHOD.format(territory=territory, sectors=f"à une filière {whose} (mots-clés de son thème, table SECTOR_KEYWORDS des liens)")


@dataclass(frozen=True)
class SpecialityRule:
    """A kept row of the table: the filière's slug, the NSF group, the CPC (empty: the whole group) and its node."""

    sector: str
    group: str
    cpc: str
    node: URIRef


@dataclass(frozen=True)
class Scope:
    """What a scope is made from: its entity, label, filière slugs, territories, the area keys of its schools, its method,
    and its local territories with their area keys (none when the entity's place is not known)."""

    entity: URIRef
    name: str
    sectors: tuple[str, ...]
    territories: tuple[URIRef, ...]
    areas: frozenset[str]
    method: str
    local: tuple[URIRef, ...] = ()
    local_areas: frozenset[str] = frozenset()


class SectorScope(Source):
    name = "sector_scope"
    title = "Périmètre sectoriel des campus et des pôles (déduit : filière × territoire, jamais une adhésion)"
    files = (TABLE,)
    upstream = (
        "computed by cmqgraph: cmq_filieres_nsf.csv (filière → NSF group table, curated by hand on 2 December 2026) applied to "
        "the Affelnet offers, the BCN NSF groups, the CPC of the diplômes professionnels and the Certif Info trades, for the "
        "campuses of cmq_campus_list.csv and the pôles of poles_competitivite.csv (method on each scope: cmq:matchMethod)"
    )
    licence_note = "Derived from the linked sources; same terms as them. The table is published under the project's licence."
    temporal = "2022 (Affelnet offers); table 2026-12-02"
    completeness = (
        "Method: a scope holds the Affelnet 2022 offers (voie scolaire, first years of vocational pathways; no apprenticeship, "
        "no general or higher education) of the schools of its territory whose training's NSF group (and CPC where the table "
        "row narrows it) the table links to one of its filières, with those schools and the ROME trades of the trainings "
        "(Certif Info). Campus territory: its académies, or its régions when the list gives none; its local territory (the "
        "schools nearest to it) is the bassin de formation of its commune where the Annuaire places it (shipped: "
        "Bourgogne-Franche-Comté only), else the département of its town where a lycée of its académies is in a town of that "
        "name; otherwise it has none. Pôles: their régions; Territoires d'innovation: their départements (else régions); both "
        "with the filières the keyword table of links gives their theme. Campuses without a filière or a territory, TI projects "
        "whose theme matches no keyword, TIP-CMQ projects (their campus's scope is theirs) and campus connectés get no scope: on "
        "the shipped data 103 of 105 campuses (not the two of Polynésie française, a pseudo-territory of the territoires "
        "table), 70 of 72 pôles (not Pin maritime and Hippolia, whose themes match no keyword) and the TI projects with a "
        "matching theme. The table is a judgement: its certainty is on each cmq:SpecialityLink."
    )
    reads = (
        "sectors", "academie_of_departement", "region_of_academie", "nsf_of_cfd", "cpc_of_cfd",
        "trades_of_cfd", "schools", "offers", "campuses", "clusters", "sectors_of_theme", "ti_projects",
        "departements_of_campus", "bassins_of_campus", "bassin_of_school",
    )

    def triples(self) -> Iterator[Triple]:
        rules: list[SpecialityRule] = []
        yield from self._links(rules)
        kept_by = self._rules_keeping(rules)
        for cfd, kept in sorted(kept_by.items()):
            for rule in kept:
                yield rule.node, CMQ.linkedTraining, iris.training(cfd)
        sectors_of = {cfd: frozenset(r.sector for r in kept) for cfd, kept in kept_by.items()}
        offers_in = self._offers_by_area()
        links_of: dict[str, list[URIRef]] = {}
        for rule in rules:
            links_of.setdefault(rule.sector, []).append(rule.node)
        for scope in (*self._campus_scopes(), *self._cluster_scopes(), *self._project_scopes()):
            yield from self._scope(scope, offers_in, sectors_of, links_of)

    # ------------------------------------------------------------------------------------------ the table

    def _links(self, rules: list[SpecialityRule]) -> Iterator[Triple]:
        """Yield a ``cmq:SpecialityLink`` per good row of the table, and append its rule to ``rules``."""
        sectors = self.read("sectors")
        groups = frozenset(self.read("nsf_of_cfd").values())
        cpcs = frozenset(self.read("cpc_of_cfd").values())
        seen: dict[tuple[str, str, str], int] = {}
        for row in self.ctx.read_csv(TABLE):
            sector, group, cpc = slug(row["filiere"]), row["nsf_groupe"], " ".join(row["cpc"].split())
            if sector not in sectors:
                self.ctx.issue(row, "filiere", "pas une des 12 filières CMQ (cmq_filieres_12.csv) ; ligne écartée / not one of the 12 CMQ filières; row left out")
                continue
            if not (len(group) == 3 and group.isdigit()):
                self.ctx.issue(row, "nsf_groupe", "pas un groupe NSF (trois chiffres) ; ligne écartée / not an NSF group (three digits); row left out")
                continue
            if group not in groups:
                self.ctx.issue(row, "nsf_groupe", "groupe NSF absent de la BCN (GROUPE_SPECIALITE) ; ligne écartée / NSF group not in the BCN; row left out")
                continue
            if (sector, group, cpc) in seen:
                self.ctx.issue(row, "nsf_groupe", f"lien déjà donné à la ligne {seen[sector, group, cpc]} ; ligne écartée / "
                               f"link listed twice (line {seen[sector, group, cpc]}); row left out", "warning")
                continue
            seen[sector, group, cpc] = row.line
            if cpc and cpc not in cpcs:
                self.ctx.issue(row, "cpc", "aucun diplôme professionnel de la liste n'a cette CPC : le lien ne retient aucune formation / "
                               "no diplôme professionnel of the list has this CPC; the link keeps no training", "warning")
            node = iris.speciality_link(row["filiere"], group, cpc)
            rules.append(SpecialityRule(sector, group, cpc, node))
            yield from self._link(node, row, sector, group, cpc)

    def _link(self, node: URIRef, row: Row, sector: str, group: str, cpc: str) -> Iterator[Triple]:
        yield node, RDF.type, CMQ.SpecialityLink
        label = f"{row['filiere']} ← NSF {group} {row['nsf_libelle']}".strip() + (f" ({cpc})" if cpc else "")
        yield node, RDFS.label, Literal(label, lang="fr")
        yield node, CMQ.linkedSector, iris.sector(sector)
        yield node, CMQ.linkedNsfGroup, Literal(group)
        if cpc:
            yield node, CMQ.linkedCpc, Literal(cpc)
        if row["raison"]:
            yield node, SKOS.editorialNote, Literal(row["raison"], lang="fr")
        yield node, CMQ.certainty, self._certainty(row)
        yield node, CMQ.sourceRowNumber, Literal(row.line)

    def _certainty(self, row: Row) -> URIRef:
        """The row's ``certitude``; when it is not a level of the scheme, the certainty the words of its reason call for."""
        if row["certitude"] in LEVELS:
            return iris.certainty(row["certitude"])
        found = certainty_of(row["raison"])
        self.ctx.issue(row, "certitude", f"certitude inconnue (attendu : {', '.join(LEVELS)}) : lue dans la raison ({found.rsplit('/', 1)[-1]}) / "
                       "unknown certainty; read from the reason's words", "warning")
        return found

    def _rules_keeping(self, rules: list[SpecialityRule]) -> dict[str, list[SpecialityRule]]:
        """Map each CFD of the BCN to the rules that keep it: its NSF group's, the CPC's where a rule narrows it (CFDs no rule keeps left out)."""
        nsf_of, cpc_of = self.read("nsf_of_cfd"), self.read("cpc_of_cfd")
        by_group: dict[str, list[SpecialityRule]] = {}
        for rule in rules:
            by_group.setdefault(rule.group, []).append(rule)
        found = {}
        for cfd, group in nsf_of.items():
            kept = [r for r in by_group.get(group, ()) if not r.cpc or r.cpc == cpc_of.get(cfd)]
            if kept:
                found[cfd] = kept
        return found

    # ------------------------------------------------------------------------------------------ the territories

    def _offers_by_area(self) -> dict[str, list[Offer]]:
        """Map ``a{académie}``, ``r{région}``, ``d{département}`` and ``b{bassin}`` to the offers of the schools there."""
        schools, academie_of = self.read("schools"), self.read("academie_of_departement")
        region_of, bassin_of = self.read("region_of_academie"), self.read("bassin_of_school")
        found: dict[str, list[Offer]] = {}
        for offer in self.read("offers"):
            school = schools.get(offer.uai)
            if school is not None:
                departement, academie, region = school.departement, school.academie, school.region
            else:
                departement = uai_departement(offer.uai)
                academie = academie_of.get(departement)
                region = region_of.get(academie) if academie else None
            bassin = bassin_of.get(offer.uai)
            for prefix, code in (("a", academie), ("r", region), ("d", departement), ("b", bassin)):
                found.setdefault(f"{prefix}{code}" if code else "", []).append(offer)
        found.pop("", None)
        return found

    def _campus_scopes(self) -> Iterator[Scope]:
        for campus in self.read("campuses"):
            if campus.sector is None:
                continue  # the cmq source reports a filière that is not one of the 12
            if campus.academies:
                territories, areas = [iris.academie(a) for a in campus.academies], [f"a{a}" for a in campus.academies]
            else:
                territories, areas = [iris.region(r) for r in campus.regions], [f"r{r}" for r in campus.regions]
            if areas:
                yield Scope(campus.iri, campus.name, (campus.sector,), tuple(territories), frozenset(areas), method("campus"), *self._local(campus))

    def _local(self, campus: Campus) -> tuple[tuple[URIRef, ...], frozenset[str]]:
        """The local territories of ``campus`` and their area keys: the bassins of its communes, else its towns' départements."""
        bassins = self.read("bassins_of_campus").get(campus.iri, ())
        if bassins:
            return tuple(iris.bassin_formation(b) for b in bassins), frozenset(f"b{b}" for b in bassins)
        departements = self.read("departements_of_campus").get(campus.iri, ())
        return tuple(iris.departement(d) for d in departements), frozenset(f"d{d}" for d in departements)

    def _project_scopes(self) -> Iterator[Scope]:
        sectors_of = self.read("sectors_of_theme")
        for project in self.read("ti_projects"):
            sectors = sectors_of.get(project.iri, ())
            if project.departements:
                territories, areas = [iris.departement(d) for d in project.departements], [f"d{d}" for d in project.departements]
            else:
                territories, areas = [iris.region(r) for r in project.regions], [f"r{r}" for r in project.regions]
            if sectors and areas:
                yield Scope(project.iri, project.name, sectors, tuple(territories), frozenset(areas), method("projet"))

    def _cluster_scopes(self) -> Iterator[Scope]:
        sectors_of = self.read("sectors_of_theme")
        for cluster in self.read("clusters"):
            sectors = sectors_of.get(cluster.iri, ())
            if sectors and cluster.regions:
                areas = frozenset(f"r{r}" for r in cluster.regions)
                yield Scope(cluster.iri, cluster.name, sectors, tuple(iris.region(r) for r in cluster.regions), areas, method("pole"))

    # ------------------------------------------------------------------------------------------ a scope

    def _scope(
        self, scope: Scope, offers_in: Mapping[str, list[Offer]], sectors_of: Mapping[str, frozenset[str]], links_of: Mapping[str, list[URIRef]]
    ) -> Iterator[Triple]:
        node = iris.sector_scope(scope.entity)
        wanted = set(scope.sectors)
        offers = sorted(
            {(o.uai, o.mefstat11): o for area in scope.areas for o in offers_in.get(area, ()) if wanted & sectors_of.get(o.cfd, frozenset())}.values(),
            key=lambda o: (o.uai, o.mefstat11),
        )
        trainings = sorted({o.cfd for o in offers})
        schools = sorted({o.uai for o in offers})
        trades_of = self.read("trades_of_cfd")
        trades = sorted({rome for cfd in trainings for rome in trades_of.get(cfd, ())})
        near = {(o.uai, o.mefstat11) for area in scope.local_areas for o in offers_in.get(area, ())}
        local = sorted({o.uai for o in offers if (o.uai, o.mefstat11) in near})
        yield node, RDF.type, CMQ.SectorScope
        yield node, RDFS.label, Literal(f"Périmètre sectoriel de {scope.name} (déduit)", lang="fr")
        yield node, RDFS.label, Literal(f"Sector scope of {scope.name} (derived)", lang="en")
        yield node, CMQ.scopeOf, scope.entity
        yield node, CMQ.matchMethod, Literal(scope.method, lang="fr")
        yield node, CMQ.certainty, iris.certainty("deduit")
        for sector in scope.sectors:
            yield node, CMQ.scopeSector, iris.sector(sector)
            for link in links_of.get(sector, ()):
                yield node, PROV.wasDerivedFrom, link
        for territory in scope.territories:
            yield node, CMQ.scopeTerritory, territory
        for territory in scope.local:
            yield node, CMQ.scopeLocalTerritory, territory
        for uai in local:
            yield node, CMQ.scopeLocalSchool, iris.school(uai)
        if scope.local:
            yield node, CMQ.scopeLocalSchoolCount, Literal(len(local), datatype=XSD.integer)
        for offer in offers:
            yield node, CMQ.scopeOffer, iris.training_offer(offer.uai, offer.mefstat11)
        for cfd in trainings:
            yield node, CMQ.scopeTraining, iris.training(cfd)
        for uai in schools:
            yield node, CMQ.scopeSchool, iris.school(uai)
        for rome in trades:
            yield node, CMQ.scopeTrade, iris.trade(rome)
        for prop, items in ((CMQ.scopeTrainingCount, trainings), (CMQ.scopeSchoolCount, schools), (CMQ.scopeTradeCount, trades)):
            yield node, prop, Literal(len(items), datatype=XSD.integer)
