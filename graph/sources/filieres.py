"""The 12 official CMQ filières (sectors), as a SKOS concept scheme."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import FOAF

from .. import iris
from ..iris import CMQ, slug
from .base import Source, SourceFile, Triple, concept, concept_scheme

__all__ = ["Filieres"]


class Filieres(Source):
    name = "filieres"
    title = "Les 12 filières des campus des métiers et des qualifications"
    files = (SourceFile("cmq_filieres_12.csv", ("rang_glossaire_orion", "filiere_cmq", "page_education_gouv_fr")),)
    upstream = (
        "derived from mission-apprentissage/tjp-pilotage: server/src/modules/glossaire/entries/cmq.md "
        "@ a923d38149443c702b8a4bb360d1faca798f44d1 (the Orion glossary), with the education.gouv.fr page of each filière"
    )
    temporal = "2025"
    completeness = "Complete (12 filières). Converted from a Markdown list; the order is the glossary's, not an official code."
    publishes = ("sectors",)

    def triples(self) -> Iterator[Triple]:
        scheme = iris.ID["filiere"]
        yield from concept_scheme(
            scheme, "Filières des campus des métiers et des qualifications", "Sectors of the Campus des métiers et des qualifications"
        )
        seen = set()
        for row in self.rows():
            name = row["filiere_cmq"]
            if not name:
                self.ctx.issue(row, "filiere_cmq", "empty filière name")
                continue
            if slug(name) in seen:
                self.ctx.issue(row, "filiere_cmq", "filière listed twice; first row kept", "warning")
                continue
            seen.add(slug(name))
            node = iris.sector(name)
            yield from concept(node, CMQ.Sector, scheme, Literal(name, lang="fr"), slug(name), top=True)
            if row["page_education_gouv_fr"].startswith("http"):
                yield node, FOAF.page, URIRef(row["page_education_gouv_fr"])
        self.publish("sectors", frozenset(seen))
