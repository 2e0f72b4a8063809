"""The 12 official CMQ filières (sectors), as a SKOS concept scheme.

Publishes ``sectors``: the set of filière slugs.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import FOAF, RDF, RDFS, SKOS

from .. import iris
from ..iris import CMQ, slug
from .base import Source, SourceFile, Triple

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

    def triples(self) -> Iterator[Triple]:
        scheme = iris.ID["filiere"]
        yield scheme, RDF.type, SKOS.ConceptScheme
        yield scheme, RDFS.label, Literal("Filières des campus des métiers et des qualifications", lang="fr")
        yield scheme, RDFS.label, Literal("Sectors of the Campus des métiers et des qualifications", lang="en")
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
            yield node, RDF.type, CMQ.Sector
            yield node, RDF.type, SKOS.Concept
            yield node, SKOS.inScheme, scheme
            yield node, SKOS.topConceptOf, scheme
            yield node, SKOS.prefLabel, Literal(name, lang="fr")
            yield node, RDFS.label, Literal(name, lang="fr")
            yield node, SKOS.notation, Literal(slug(name))
            if row["page_education_gouv_fr"].startswith("http"):
                yield node, FOAF.page, URIRef(row["page_education_gouv_fr"])
        self.ctx.indexes["sectors"] = seen
