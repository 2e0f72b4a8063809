"""The list of Campus des métiers et des qualifications (CMQ), curated by hand from web pages.

Each campus gets its label history as events: the CMQ label (year) and the *excellence* label
(year, and the date 6 February 2020 for the laureates of the first wave). The list's own
``excellence`` value (oui/non/inconnu) is kept verbatim, and so are its remarks; a certainty is
derived from the remark's words (``déduit``, ``probable``, ``non vérifié``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import FOAF, RDF, RDFS, XSD

from .. import iris
from ..iris import CMQ, slug
from .base import Row, Source, SourceFile, Triple, year_literal
from .curated import certainty_of, provenance, resolve_academies, resolve_regions
from .records import Campus

__all__ = ["CampusList", "labelling", "campus_row"]

#: The day the first 23 *campus d'excellence* were announced.
FIRST_EXCELLENCE_WAVE = "2020-02-06"


def labelling(
    entity: URIRef, kind: str, year: Literal | None, certainty: URIRef, suffix: str = ""
) -> tuple[URIRef, list[Triple]]:
    """Return the IRI and the triples of a labelling event of ``entity`` (label type ``kind``)."""
    node = URIRef(f"{entity}/labellisation/{kind}{suffix}")
    triples: list[Triple] = [
        (node, RDF.type, CMQ.Labelling),
        (node, CMQ.labelType, iris.label_type(kind)),
        (node, CMQ.labelledEntity, entity),
        (node, CMQ.certainty, certainty),
        (entity, CMQ.labelling, node),
    ]
    if year is not None:
        triples.append((node, CMQ.labelYear, year))
    return node, triples


def campus_row(campus: Campus) -> Row:
    """Return the row of the campus list that ``campus`` comes from (its name and town), for a later source's issues on it.

    >>> campus_row(Campus(URIRef("urn:x:c"), "Mobicampus", (), (), "", town="Sévenans", line=2))
    Row(file='cmq_campus_list.csv', line=2, values={'nom': 'Mobicampus', 'ville': 'Sévenans'})
    """
    return Row(CampusList.files[0].name, campus.line, {"nom": campus.name, "ville": campus.town})


class CampusList(Source):
    name = "cmq"
    title = "Campus des métiers et des qualifications (liste constituée à la main)"
    files = (
        SourceFile(
            "cmq_campus_list.csv",
            (
                "nom", "filiere", "region_academique", "academie", "excellence", "annee_label_excellence",
                "laureat_23_excellence_6fev2020", "annee_label_cmq", "etablissement_support", "ville", "site_web",
                "source_url", "remarque",
            ),
        ),
    )
    upstream = "curated by hand from stored public web pages (press, académies, Régions, ministries); every row has its source_url"
    licence_note = "Facts collected from public web pages, not open data; the compilation is published under the project's licence."
    temporal = "2013-2026"
    completeness = (
        "105 of the ~115-160 labelled CMQ (about two thirds). No UAI for any campus or member school. Excellence: 28 oui, 2 non, "
        "75 inconnu; of the 23 laureates of 6 Feb 2020 only 6 are confirmed and 5 probable. 15 rows have no académie. "
        "When the source did not give the filière it was assigned from the theme (flagged in the remark)."
    )
    reads = ("academie_labels", "academies_by_name", "regions_by_name", "sectors")
    publishes = ("campuses",)

    def triples(self) -> Iterator[Triple]:
        campuses = []
        seen: dict[URIRef, int] = {}
        for row in self.rows():
            name = row["nom"]
            if not name:
                self.ctx.issue(row, "nom", "campus without a name")
                continue
            academies = resolve_academies(self, row, "academie") if row["academie"] else []
            first_academie = self.read("academie_labels").get(academies[0], "") if academies else ""
            node = iris.campus(first_academie, name)
            if node in seen:
                self.ctx.issue(row, "nom", f"campus already listed at line {seen[node]}; first row kept", "warning")
                continue
            seen[node] = row.line
            regions = resolve_regions(self, row, "region_academique")
            yield node, RDF.type, CMQ.Campus
            yield node, RDFS.label, Literal(name, lang="fr")
            for code in academies:
                yield node, CMQ.inAcademie, iris.academie(code)
            for code in regions:
                yield node, CMQ.inRegion, iris.region(code)
            sector = self._sector_of(row)
            if sector is not None:
                yield node, CMQ.sector, iris.sector(row["filiere"])
                if re.search(r"filière (déduite|= hypothèse|assignée)", row["remarque"].lower()):
                    yield node, CMQ.sectorCertainty, iris.certainty("deduit")
            if row["ville"]:
                yield node, CMQ.city, Literal(row["ville"], lang="fr")
            if row["site_web"].startswith("http"):
                yield node, FOAF.homepage, URIRef(row["site_web"])
            if row["etablissement_support"]:
                yield node, CMQ.supportEstablishmentName, Literal(row["etablissement_support"], lang="fr")
            yield from provenance(node, row)
            yield from self._labels(node, row)
            campuses.append(Campus(node, name, tuple(academies), tuple(regions), row["etablissement_support"], sector, row["ville"], row.line))
        self.publish("campuses", tuple(campuses))

    def _sector_of(self, row) -> str | None:
        """Return the slug of the row's filière (None, with a warning when it is not one of the 12)."""
        name = row["filiere"]
        if not name:
            return None
        if slug(name) not in self.read("sectors"):
            self.ctx.issue(row, "filiere", "not one of the 12 CMQ filières; sector left out", "warning")
            return None
        return slug(name)

    def _labels(self, node: URIRef, row) -> Iterator[Triple]:
        status = row["excellence"] or "inconnu"
        if status not in ("oui", "non", "inconnu"):
            self.ctx.issue(row, "excellence", "expected oui, non or inconnu; kept as inconnu", "warning")
            status = "inconnu"
        yield node, CMQ.excellenceStatus, Literal(status)
        row_certainty = certainty_of(row["remarque"])
        if row["annee_label_cmq"]:
            year = year_literal(row["annee_label_cmq"])
            if year is None:
                self.ctx.issue(row, "annee_label_cmq", "not a year; CMQ label left without a year", "warning")
            _, triples = labelling(node, "cmq", year, row_certainty)
            yield from triples
        laureate = row["laureat_23_excellence_6fev2020"]
        if status == "oui" or laureate in ("oui", "probable"):
            year = year_literal(row["annee_label_excellence"]) or (year_literal(FIRST_EXCELLENCE_WAVE) if laureate else None)
            certainty = iris.certainty("probable") if laureate == "probable" or status != "oui" else iris.certainty("confirme")
            event, triples = labelling(node, "excellence", year, certainty)
            yield from triples
            if laureate in ("oui", "probable"):
                yield event, CMQ.labelDate, Literal(FIRST_EXCELLENCE_WAVE, datatype=XSD.date)
                yield event, CMQ.excellenceWave, Literal("23 premiers campus d'excellence (6 février 2020)", lang="fr")
