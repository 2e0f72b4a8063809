"""Régions, académies and départements (Orion table) with the académie and région outlines.

Publishes the names and codes of the régions and académies, and the académie of each département,
that the sources below it use to place what they read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from .. import iris
from ..errors import SourceFileError
from ..iris import CMQ, GEO, slug
from .base import Source, SourceFile, Triple

__all__ = ["Territoires", "insee_departement", "DEPARTEMENT_CODE"]

#: INSEE codes of départements (metropolitan, Corsica, the five DROM).
DEPARTEMENT_CODE = re.compile(r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$")

#: Académies merged into another, with the code of the one that replaced them.
REPLACED_ACADEMIES = {"05": "70", "21": "70"}


def insee_departement(code: str) -> str:
    """Return the INSEE form of a 3-character département code (``025`` → ``25``, ``02A`` → ``2A``).

    >>> insee_departement("025"), insee_departement("971"), insee_departement("02A")
    ('25', '971', '2A')
    """
    code = code.strip()
    return code[1:] if len(code) == 3 and code.startswith("0") else code


class Territoires(Source):
    name = "territoires"
    title = "Régions, académies et départements (table Orion) et contours des académies et régions"
    files = (
        SourceFile(
            "orion_departements_academies_regions.csv",
            ("libelleRegion", "codeAcademie", "codeRegion", "codeDepartement", "libelleAcademie", "libelleDepartement"),
        ),
        SourceFile("academies_geo.json", format="geojson"),
        SourceFile("regions_geo.json", format="geojson"),
    )
    upstream = (
        "mission-apprentissage/tjp-pilotage: server/static/files/departements_academies_regions.csv "
        "@ 282273ad081e719297ce8b867888ec6ee0b51f4e; ui/public/fond_carte_academies.json @ 4c10989b4aa6a9a1396a656bf5c04471597c0b0f; "
        "ui/public/fond_carte_regions.json @ 9f8eeee39b1a52d10abf2a894d0ddff3cd9b46bb"
    )
    temporal = "2023"
    completeness = (
        "All 101 départements, 18 régions and 30 académies (Normandie merged in 2020; Caen and Rouen kept as replaced académies). "
        "Pseudo-rows (étranger, COM, « sans objet ») are skipped. Outlines are simplified (2023). No commune list."
    )
    publishes = (
        "regions_by_name", "region_labels", "academies_by_name", "academie_labels", "region_of_academie", "academie_of_departement",
    )

    def expected_rows(self) -> int:
        return self.ctx.line_count(self.files[0]) + 48

    def triples(self) -> Iterator[Triple]:
        regions: dict[str, str] = {}
        academies: dict[str, tuple[str, str]] = {}
        dept_academie: dict[str, str] = {}
        for row in self.rows():
            reg, aca, dep = row["codeRegion"], row["codeAcademie"], row["codeDepartement"]
            if reg in ("99", "00") or not re.fullmatch(r"[0-9]{2}", aca):
                self.ctx.issue(row, "libelleAcademie", "not a région/académie of France (pseudo-row), skipped", "skipped")
                continue
            if not re.fullmatch(r"[0-9]{2}", reg):
                self.ctx.issue(row, "codeRegion", "région code is not two digits")
                continue
            regions.setdefault(reg, row["libelleRegion"])
            academies.setdefault(aca, (row["libelleAcademie"], reg))
            if not dep:
                continue
            insee = insee_departement(dep)
            if not DEPARTEMENT_CODE.match(insee):
                self.ctx.issue(row, "codeDepartement", "not a département (collectivity or foreign territory), skipped", "skipped")
                continue
            if insee in dept_academie:
                self.ctx.issue(row, "codeDepartement", "département listed twice; first row kept", "warning")
                continue
            dept_academie[insee] = aca
            d = iris.departement(insee)
            yield d, RDF.type, CMQ.Departement
            yield d, RDFS.label, Literal(row["libelleDepartement"], lang="fr")
            yield d, SKOS.notation, Literal(insee)
            yield d, CMQ.inAcademie, iris.academie(aca)
            yield d, CMQ.inRegion, iris.region(reg)

        for code, label in sorted(regions.items()):
            r = iris.region(code)
            yield r, RDF.type, CMQ.Region
            yield r, RDFS.label, Literal(label, lang="fr")
            yield r, SKOS.notation, Literal(code)
        for code, (label, reg) in sorted(academies.items()):
            a = iris.academie(code)
            yield a, RDF.type, CMQ.Academie
            yield a, RDFS.label, Literal(label, lang="fr")
            yield a, SKOS.notation, Literal(code)
            yield a, CMQ.inRegion, iris.region(reg)
            if code in REPLACED_ACADEMIES:
                yield a, DCTERMS.isReplacedBy, iris.academie(REPLACED_ACADEMIES[code])

        yield from self._outlines(academies, regions)

        self.publish("regions_by_name", {slug(label): code for code, label in regions.items()})
        self.publish("region_labels", regions)
        aca_names = {slug(label): code for code, (label, _) in academies.items() if code not in REPLACED_ACADEMIES}
        aca_names.update({slug(f"ex-{academies[old][0]}"): new for old, new in REPLACED_ACADEMIES.items() if old in academies})
        self.publish("academies_by_name", aca_names)
        self.publish("academie_labels", {code: label for code, (label, _) in academies.items()})
        self.publish("region_of_academie", {code: reg for code, (_, reg) in academies.items()})
        self.publish("academie_of_departement", dept_academie)

    def _outlines(self, academies: dict, regions: dict) -> Iterator[Triple]:
        for spec, key, mint, known in (
            (self.files[1], "code_academie", iris.academie, academies),
            (self.files[2], "reg", iris.region, regions),
        ):
            features = self.ctx.read_geojson(spec)
            for n, feature in enumerate(features):
                code = str(feature["properties"].get(key, ""))
                if code not in known:
                    raise SourceFileError(self.ctx.path(spec.name), f"feature {n}: unknown code in property {key!r}", None, code)
                if self.ctx.on_row:
                    self.ctx.on_row()
                node = mint(code)
                geometry = URIRef(f"{node}/contour")
                yield node, GEO.hasGeometry, geometry
                yield geometry, RDF.type, GEO.Geometry
                yield geometry, GEO.asGeoJSON, Literal(json.dumps(feature["geometry"], separators=(",", ":")), datatype=GEO.geoJSONLiteral)
                point = feature["properties"].get("geo_point_2d")
                if point and not (isinstance(point, list) and len(point) == 2 and all(isinstance(v, (int, float)) for v in point)):
                    raise SourceFileError(self.ctx.path(spec.name), f"feature {n}: 'geo_point_2d' is not [latitude, longitude]", None, str(point)[:60])
                if point:
                    centroid = URIRef(f"{node}/centroide")
                    yield node, GEO.hasCentroid, centroid
                    yield centroid, RDF.type, GEO.Geometry
                    yield centroid, GEO.asWKT, Literal(f"POINT({point[1]} {point[0]})", datatype=GEO.wktLiteral)
