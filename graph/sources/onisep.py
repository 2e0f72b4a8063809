"""ONISEP métiers linked to ROME fiches, with the France Travail page of each fiche (C'est qui le pro).

Each ONISEP métier is a ``cmq:OnisepJob`` of the ``id/onisep`` scheme, identified by the ``MET.nnn``
slug that ends its onisep.fr address, and ``cmq:relatedTrade`` its ROME fiche. Rows without an
ONISEP link (ROME fiches that have no ONISEP métier) only give the fiche's France Travail page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal
from rdflib.namespace import XSD

from .. import iris
from ..iris import CMQ
from .base import Source, SourceFile, Triple, concept, concept_scheme, text
from .rome import ROME_CODE

__all__ = ["Onisep"]

_SLUG = re.compile(r"^https?://\S+/(MET\.[0-9]+)$")


class Onisep(Source):
    name = "onisep"
    title = "Métiers ONISEP reliés aux fiches ROME (C'est qui le pro)"
    files = (SourceFile("rome_metiers_onisep.csv", ("Code ROME", "libellé métier onisep", "lien site onisep.fr", "lien site FT")),)
    upstream = "mission-apprentissage/c-est-qui-le-pro: server/data/rome/romeMetier.csv @ 62c2c039f7665ec3c361f81af5dfe14901880933"
    licence = "https://opendatacommons.org/licenses/odbl/1-0/"
    licence_note = (
        "The ONISEP side (métier names and pages) is published by ONISEP under the ODbL; the ROME side (codes, France Travail "
        "pages) is Licence Ouverte / Etalab 2.0 probable. The stricter ODbL (share-alike) is given for this source's whole named graph."
    )
    temporal = "2024-10"
    completeness = (
        "814 ONISEP métiers for 963 rows; 149 ROME fiches have no ONISEP métier (rows kept only for the France Travail page). "
        "An ONISEP métier is linked to one ROME fiche only."
    )
    optional_reads = ("rome_codes",)

    def triples(self) -> Iterator[Triple]:
        scheme = iris.ID["onisep"]
        yield from concept_scheme(scheme, "Métiers de l'ONISEP")
        known = self.read_optional("rome_codes")
        seen: set[str] = set()
        for row in self.rows():
            code = row["Code ROME"]
            if not ROME_CODE.match(code):
                self.ctx.issue(row, "Code ROME", "not a ROME code (letter A-N and 4 digits); row skipped")
                continue
            trade = iris.trade(code)
            if known is not None and code not in known:
                self.ctx.issue(row, "Code ROME", "ROME code not in the ROME 4.0 fiches; no link to it", "warning")
                trade = None
            if trade is not None and row["lien site FT"].startswith("http"):
                yield trade, CMQ.franceTravailPage, Literal(row["lien site FT"], datatype=XSD.anyURI)
            link = row["lien site onisep.fr"]
            if not link:
                self.ctx.issue(row, "lien site onisep.fr", "no ONISEP métier for this ROME fiche; only its France Travail page kept", "skipped")
                continue
            match = _SLUG.match(link)
            if not match:
                self.ctx.issue(row, "lien site onisep.fr", "ONISEP address does not end with a MET.nnn slug; row skipped")
                continue
            slug = match.group(1)
            if slug in seen:
                self.ctx.issue(row, "lien site onisep.fr", "ONISEP métier listed twice; first row kept", "warning", slug)
                continue
            label = text(row["libellé métier onisep"])
            if label is None:
                self.ctx.issue(row, "libellé métier onisep", "ONISEP métier without a name; row skipped")
                continue
            seen.add(slug)
            node = iris.onisep(slug)
            yield from concept(node, CMQ.OnisepJob, scheme, label, slug)
            yield node, CMQ.onisepPage, Literal(link, datatype=XSD.anyURI)
            if trade is not None:
                yield node, CMQ.relatedTrade, trade
