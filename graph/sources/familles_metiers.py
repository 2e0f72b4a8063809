"""The bac pro familles de métiers: BCN groupes de formation, BCN famille codes and Orion's specialities.

Each BCN groupe de formation of type TG01 (2nde professionnelle familles) or TG02 (other bac pro
groups) is a ``cmq:TradeFamily`` of the ``id/famille-metiers`` scheme, identified by its code
(``G0013``); TG03 groups (BTS common first years) are skipped. The BCN famille code (``011``) is
added as ``cmq:familyCode``.

Orion names a family « Métiers de la maintenance des matériels et des véhicules » where the BCN says
« Maintenance des matériels et des véhicules ». A name is matched to a BCN label when both give the
same set of words (:func:`name_key`): accents and case dropped, the word « métiers » and the French
articles and prepositions removed, and a final ``s`` cut. Each speciality CFD and the family's
common 2nde CFD are then ``cmq:inTradeFamily`` the family.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal
from rdflib.namespace import SKOS

from .. import iris
from ..iris import CMQ, slug
from .base import Source, SourceFile, Triple, concept, concept_scheme, text
from .bcn_formations import CFD_CODE

__all__ = ["FamillesMetiers", "FAMILY_GROUP_TYPES", "name_key"]

_STOP_WORDS = frozenset({"metier", "de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en"})
#: Group types kept: 2nde professionnelle familles (TG01) and other bac pro groups (TG02).
FAMILY_GROUP_TYPES = ("TG01", "TG02")


def name_key(name: str) -> frozenset[str]:
    """Return the words that identify a famille de métiers name.

    >>> name_key("Métiers du numérique et des transitions énergétiques") == name_key("Transitions numérique et énergétique")
    True
    """
    words = (w[:-1] if w.endswith("s") else w for w in slug(name, max_length=400).split("-"))
    return frozenset(w for w in words if w and w not in _STOP_WORDS)


class FamillesMetiers(Source):
    name = "familles_metiers"
    title = "Familles de métiers de la voie professionnelle (BCN et Orion)"
    files = (
        SourceFile("bcn_n_groupe_formation.csv", ("GROUPE_FORMATION", "TYPE_GROUPE_FORMATION", "LIBELLE_LONG", "LIBELLE_EDITION")),
        SourceFile("bcn_n_famille_metier_spec_pro.csv", ("FAMILLE_METIER", "LIBELLE_EDITION")),
        SourceFile("orion_familles_metiers.csv", ("FAMILLE", "SPECIALITE", "CFD_COMMUN", "CFD_SPECIALITE")),
    )
    upstream = (
        "mission-apprentissage/tjp-pilotage: server/static/files/n_groupe_formation_.csv @ 940eb8253a0aa5373664a12f943a620649867f8d, "
        "server/static/files/familleMetiers.csv @ 282273ad081e719297ce8b867888ec6ee0b51f4e; mission-apprentissage/c-est-qui-le-pro: "
        "server/data/bcn/n_famille_metier_spec_pro.csv @ 54e290258c59b5604452fd54627e31bd34be5d5e"
    )
    temporal = "2025"
    completeness = (
        "The 23 bac pro groupes de formation (TG01, TG02) of the BCN; the 6 BTS groups (TG03) are left out. Orion lists 90 "
        "specialities in 23 families; specialities of families that Orion does not list have no family link."
    )
    optional_reads = ("cfds",)

    def triples(self) -> Iterator[Triple]:
        scheme = iris.ID["famille-metiers"]
        yield from concept_scheme(scheme, "Familles de métiers de la voie professionnelle")
        families: dict[frozenset[str], str] = {}
        for row in self.rows(0):
            code, label = row["GROUPE_FORMATION"], text(row["LIBELLE_EDITION"]) or text(row["LIBELLE_LONG"])
            if row["TYPE_GROUPE_FORMATION"] not in FAMILY_GROUP_TYPES:
                self.ctx.issue(row, "TYPE_GROUPE_FORMATION", "not a bac pro group (BTS common year); row skipped", "skipped")
                continue
            if not code or label is None:
                self.ctx.issue(row, "GROUPE_FORMATION", "group without a code or a label; row skipped")
                continue
            key = name_key(str(label))
            if key in families or code in families.values():
                self.ctx.issue(row, "GROUPE_FORMATION", "group listed twice; first row kept", "warning")
                continue
            families[key] = code
            node = iris.trade_family(code)
            yield from concept(node, CMQ.TradeFamily, scheme, label, code)
        for row in self.rows(1):
            code = row["FAMILLE_METIER"]
            if code == "999" or code.endswith("_temp"):
                self.ctx.issue(row, "FAMILLE_METIER", "« hors famille » or temporary code; row skipped", "skipped")
                continue
            group = families.get(name_key(row["LIBELLE_EDITION"]))
            if group is None:
                self.ctx.issue(row, "LIBELLE_EDITION", "no BCN groupe de formation with this name; code not kept", "warning")
                continue
            yield iris.trade_family(group), CMQ.familyCode, Literal(code)
        yield from self._specialities(families)

    def _specialities(self, families: dict[frozenset[str], str]) -> Iterator[Triple]:
        known = self.read_optional("cfds")
        named: set[str] = set()
        specialities: set[str] = set()
        for row in self.rows(2):
            if row["CFD_SPECIALITE"] in specialities:
                self.ctx.issue(row, "CFD_SPECIALITE", "speciality listed twice; first row kept", "warning")
                continue
            specialities.add(row["CFD_SPECIALITE"])
            group = families.get(name_key(row["FAMILLE"]))
            if group is None:
                self.ctx.issue(row, "FAMILLE", "no BCN groupe de formation matches this family name; row skipped")
                continue
            family = iris.trade_family(group)
            if group not in named:
                named.add(group)
                yield family, SKOS.altLabel, text(row["FAMILLE"])
            for column in ("CFD_SPECIALITE", "CFD_COMMUN"):
                cfd = row[column]
                if not CFD_CODE.match(cfd):
                    self.ctx.issue(row, column, "CFD is not 8 letters or digits; no family link for it")
                    continue
                if known is not None and cfd not in known:
                    self.ctx.issue(row, column, "CFD not in the BCN diploma table; link kept", "warning")
                yield iris.training(cfd), CMQ.inTradeFamily, family
