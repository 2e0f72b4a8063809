"""The ROME 4.0 of France Travail (as copied by Orion): domaines professionnels, fiches métiers and appellations.

Domaines (``H25``) are the top concepts of the ``id/rome`` scheme; each fiche (``H2502``) is
``skos:broader`` its domaine (the first three characters of its code) and each appellation (a job
title, by its OGR code) is ``skos:broader`` its fiche. A fiche whose ``code_rome_parent`` names
another fiche is ``skos:related`` to it: the ROME 4.0 « fiche parente » groups neighbouring fiches,
it is not a broader concept, so ``skos:related`` is used rather than a new ``cmq:parentTrade``.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from .. import iris
from ..iris import CMQ
from .base import Row, Source, SourceFile, Triple, concept, concept_scheme, text

__all__ = ["Rome", "ROME_CODE", "ROME_FLAGS"]

#: A ROME 4.0 fiche code.
ROME_CODE = re.compile(r"^[A-N][0-9]{4}$")
_DOMAIN_CODE = re.compile(r"^[A-N][0-9]{2}$")
_OGR = re.compile(r"^[0-9]+$")

#: Fiche columns kept verbatim (when not empty) as France Travail flags.
ROME_FLAGS = {
    "transition_eco": CMQ.greenJob,
    "transition_num": CMQ.digitalJob,
    "transition_demo": CMQ.demographicJob,
    "emploi_reglemente": CMQ.regulatedJob,
    "emploi_cadre": CMQ.managerJob,
}


class Rome(Source):
    name = "rome"
    title = "Répertoire opérationnel des métiers et des emplois (ROME 4.0) : domaines, fiches et appellations"
    files = (
        SourceFile("orion_rome_domaines_professionnels.csv", ("code_domaine_professionnel", "libelle_domaine_professionnel")),
        SourceFile(
            "orion_rome_fiches.csv",
            ("code_rome", "code_fiche_metier", "code_ogr", "libelle_rome", *ROME_FLAGS, "code_rome_parent"),
        ),
        SourceFile(
            "orion_rome_appellations_metiers.csv",
            ("code_ogr", "libelle_appellation_long", "libelle_appellation_court", "code_rome"),
        ),
    )
    upstream = (
        "mission-apprentissage/tjp-pilotage: server/static/files/domaine_professionnel.csv, server/static/files/rome.csv, "
        "server/static/files/metier.csv @ 282273ad081e719297ce8b867888ec6ee0b51f4e (copies of the France Travail ROME 4.0)"
    )
    temporal = "2024"
    completeness = (
        "The full ROME 4.0 as copied by Orion: 110 domaines, 609 fiches, 11,522 appellations. The transition and "
        "employment flags are filled for a minority of fiches only (empty means not stated). No competences or work contexts."
    )
    publishes = ("rome_codes",)

    def triples(self) -> Iterator[Triple]:
        scheme = iris.ID["rome"]
        yield from concept_scheme(scheme, "Répertoire opérationnel des métiers et des emplois (ROME 4.0)")
        domains = yield from self._domains(scheme)
        fiches: dict[str, Row] = {}
        for row in self.rows(1):
            code = row["code_rome"]
            if not ROME_CODE.match(code):
                self.ctx.issue(row, "code_rome", "not a ROME code (letter A-N and 4 digits); row skipped")
            elif code in fiches:
                self.ctx.issue(row, "code_rome", "fiche listed twice; first row kept", "warning")
            elif not row["libelle_rome"]:
                self.ctx.issue(row, "libelle_rome", "fiche without a label; row skipped")
            else:
                fiches[code] = row
        for code, row in fiches.items():
            yield from self._fiche(scheme, code, row, domains, fiches)
        yield from self._appellations(scheme, fiches)
        self.publish("rome_codes", frozenset(fiches))

    def _domains(self, scheme: URIRef) -> Generator[Triple, None, set[str]]:
        domains: set[str] = set()
        for row in self.rows(0):
            code, label = row["code_domaine_professionnel"], row["libelle_domaine_professionnel"]
            if not _DOMAIN_CODE.match(code):
                self.ctx.issue(row, "code_domaine_professionnel", "not a ROME domaine code (letter A-N and 2 digits); row skipped")
                continue
            if code in domains:
                self.ctx.issue(row, "code_domaine_professionnel", "domaine listed twice; first row kept", "warning")
                continue
            if not label:
                self.ctx.issue(row, "libelle_domaine_professionnel", "domaine without a label; row skipped")
                continue
            domains.add(code)
            node = iris.domain(code)
            yield from concept(node, CMQ.ProfessionalDomain, scheme, text(label), code, top=True)
        return domains

    def _fiche(self, scheme: URIRef, code: str, row: Row, domains: set[str], fiches: dict[str, Row]) -> Iterator[Triple]:
        node = iris.trade(code)
        yield from concept(node, CMQ.Trade, scheme, text(row["libelle_rome"]), code)
        if code[:3] in domains:
            yield node, SKOS.broader, iris.domain(code[:3])
        else:
            self.ctx.issue(row, "code_rome", "domaine (first 3 characters) unknown; fiche kept without its domaine", "warning")
        for column, prop in (("code_fiche_metier", CMQ.ficheCode), ("code_ogr", CMQ.ogrCode)):
            if row[column]:
                yield node, prop, Literal(row[column])
        for column, prop in ROME_FLAGS.items():
            if row[column]:
                yield node, prop, Literal(row[column])
        parent = row["code_rome_parent"]
        if parent and parent != code:
            if parent in fiches:
                yield node, SKOS.related, iris.trade(parent)
            else:
                self.ctx.issue(row, "code_rome_parent", "parent fiche unknown; no skos:related link", "warning")

    def _appellations(self, scheme: URIRef, fiches: dict[str, Row]) -> Iterator[Triple]:
        seen: set[str] = set()
        for row in self.rows(2):
            ogr, code, long_label = row["code_ogr"], row["code_rome"], row["libelle_appellation_long"]
            if not _OGR.match(ogr):
                self.ctx.issue(row, "code_ogr", "OGR code is not a number; row skipped")
                continue
            if code not in fiches:
                self.ctx.issue(row, "code_rome", "not a known ROME fiche code; row skipped")
                continue
            if ogr in seen:
                self.ctx.issue(row, "code_ogr", "appellation listed twice; first row kept", "warning")
                continue
            if not long_label:
                self.ctx.issue(row, "libelle_appellation_long", "appellation without a label; row skipped")
                continue
            seen.add(ogr)
            node = iris.appellation(ogr)
            yield from concept(node, CMQ.TradeAppellation, scheme, text(long_label), ogr)
            yield node, CMQ.ogrCode, Literal(ogr)
            yield node, SKOS.broader, iris.trade(code)
            short = text(row["libelle_appellation_court"])
            if short is not None and short != text(long_label):
                yield node, SKOS.altLabel, short
