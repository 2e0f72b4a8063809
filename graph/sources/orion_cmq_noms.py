"""Campus names used in Orion's search box (9 examples), matched to the campus list where possible.

Each name is a ``cmq:NameMention`` that keeps the name, whether it says *excellence*, and the theme
after the dash; ``cmq:mentions`` links it to a campus when the theme matches exactly one campus
name (same rule as the other name links, see :mod:`cmqgraph.sources.links`).
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, XSD

from .. import iris
from ..iris import CMQ
from .base import Source, SourceFile, Triple
from .links import best_match

__all__ = ["OrionCampusNames"]


class OrionCampusNames(Source):
    name = "orion_cmq_noms"
    title = "Noms de campus utilisés par Orion (exemples)"
    files = (SourceFile("orion_cmq_noms_exemples.csv", ("nom_cmq", "mention_excellence_dans_le_nom", "theme_apres_tiret")),)
    upstream = (
        "derived from mission-apprentissage/tjp-pilotage: server/src/modules/data/usecases/searchCampus/campusData.ts "
        "@ f42c44721b7b22c2c92db6a96b1971d666e76b92"
    )
    temporal = "2025"
    completeness = "9 example names, not a list: no académie, UAI or date. The 2nd and 3rd columns were computed from the name."
    reads = ("campuses",)

    def triples(self) -> Iterator[Triple]:
        campuses = [(c.iri, c.name) for c in self.read("campuses")]
        for row in self.rows():
            name = row["nom_cmq"]
            if not name:
                self.ctx.issue(row, "nom_cmq", "empty name")
                continue
            node = iris.name_mention(name)
            yield node, RDF.type, CMQ.NameMention
            yield node, RDFS.label, Literal(name, lang="fr")
            yield node, CMQ.mentionsExcellence, Literal(row["mention_excellence_dans_le_nom"] == "oui", datatype=XSD.boolean)
            if row["theme_apres_tiret"]:
                yield node, CMQ.theme, Literal(row["theme_apres_tiret"], lang="fr")
                match = best_match(row["theme_apres_tiret"], campuses)
                if match:
                    yield node, CMQ.mentions, match[0]
                    yield node, CMQ.matchScore, Literal(match[2], datatype=XSD.decimal)
