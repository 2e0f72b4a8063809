"""Pôles de compétitivité: the 55 of phase V (2023-2026) and 17 earlier ones, curated by hand.

A labelling phase is an event (``cmq:Labelling`` with label type ``pole-phase-N``), with its
years when the list gives them; phases marked ``probable`` keep that certainty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import FOAF, RDF, RDFS, XSD

from .. import iris
from ..iris import CMQ
from .base import Source, SourceFile, Triple
from .cmq import labelling
from .curated import certainty_of, provenance, resolve_regions
from .records import Cluster

__all__ = ["Poles", "parse_phase"]

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_PHASE = re.compile(r"^(?P<first>I{1,3}|IV|V)(?:-(?P<last>I{1,3}|IV|V))?\b")
_YEARS = re.compile(r"((?:19|20)\d{2})")


def parse_phase(value: str) -> tuple[list[int], str | None, str | None]:
    """Return the phase numbers, first year and last year that a ``phase`` cell states.

    >>> parse_phase("V (2023-2026) – probable")
    ([5], '2023', '2026')
    >>> parse_phase("III (jusqu'en 2018)")
    ([3], None, '2018')
    >>> parse_phase("I-III")
    ([1, 2, 3], None, None)
    """
    match = _PHASE.match(value.strip())
    if not match:
        return [], None, None
    first = _ROMAN[match.group("first")]
    last = _ROMAN[match.group("last")] if match.group("last") else first
    years = _YEARS.findall(value)
    if "jusqu" in value and years:
        return list(range(first, last + 1)), None, years[0]
    return list(range(first, last + 1)), (years[0] if years else None), (years[1] if len(years) > 1 else None)


class Poles(Source):
    name = "poles"
    title = "Pôles de compétitivité (phase V 2023-2026 et pôles antérieurs), liste constituée à la main"
    files = (
        SourceFile(
            "poles_competitivite.csv",
            ("nom", "theme_secteur", "region_principale", "autres_regions", "ville_siege", "site_web", "phase", "duree_label", "source_url", "remarque"),
        ),
    )
    upstream = "curated by hand from stored public web pages (27-28 March 2023 announcements, regional press, clusters' sites)"
    licence_note = "Facts collected from public web pages, not open data; the compilation is published under the project's licence."
    temporal = "2005-2026"
    completeness = (
        "55 pôles of phase V (47 confirmed by name, 8 probable) and 17 earlier pôles (merged, renamed or dropped). "
        "Seats and web sites only where a source gave them. No machine-readable official list was found."
    )
    reads = ("regions_by_name",)
    publishes = ("clusters",)

    def triples(self) -> Iterator[Triple]:
        clusters = []
        seen = set()
        for row in self.rows():
            name = row["nom"]
            node = iris.cluster(name)
            if not name or node in seen:
                self.ctx.issue(row, "nom", "empty or duplicated pôle name; row skipped")
                continue
            seen.add(node)
            yield node, RDF.type, CMQ.Cluster
            yield node, RDFS.label, Literal(name, lang="fr")
            if row["theme_secteur"]:
                yield node, CMQ.theme, Literal(row["theme_secteur"], lang="fr")
            main = resolve_regions(self, row, "region_principale")
            others = resolve_regions(self, row, "autres_regions") if row["autres_regions"] else []
            for code in main:
                yield node, CMQ.mainRegion, iris.region(code)
            for code in dict.fromkeys(main + others):
                yield node, CMQ.inRegion, iris.region(code)
            if row["ville_siege"]:
                yield node, CMQ.city, Literal(row["ville_siege"], lang="fr")
            if row["site_web"].startswith("http"):
                yield node, FOAF.homepage, URIRef(row["site_web"])
            yield from provenance(node, row)
            yield from self._phases(node, row)
            clusters.append(Cluster(node, name, row["theme_secteur"], tuple(dict.fromkeys(main + others))))
        self.publish("clusters", tuple(clusters))

    def _phases(self, node: URIRef, row) -> Iterator[Triple]:
        phases, start, end = parse_phase(row["phase"])
        if not phases:
            self.ctx.issue(row, "phase", "no phase (I to V) recognised; labelling left out", "warning")
            return
        certainty = certainty_of(row["phase"], row["remarque"] if "probable" in row["phase"] else "")
        for number in phases:
            year = Literal(start, datatype=XSD.gYear) if start and len(phases) == 1 else None
            event, triples = labelling(node, f"pole-phase-{number}", year, certainty)
            yield from triples
            yield event, CMQ.phase, Literal(row["phase"], lang="fr")
            if end and len(phases) == 1:
                yield event, CMQ.labelEnd, Literal(end, datatype=XSD.gYear)
            if row["duree_label"] and number == phases[-1]:
                yield event, CMQ.labelDuration, Literal(row["duree_label"], lang="fr")
