"""The territoires source on the real Orion table and an extract of the outlines (Besançon, Dijon, BFC)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, RDFS

from cmqgraph import iris
from cmqgraph.iris import CMQ, GEO
from cmqgraph.sources.territoires import Territoires

FILES = ("orion_departements_academies_regions.csv", "academies_geo.json", "regions_geo.json")


def test_nesting_of_departement_academie_region(make_context):
    ctx = make_context(*FILES)
    triples = set(Territoires(ctx).triples())
    doubs, belfort = iris.departement("25"), iris.departement("90")
    assert (doubs, RDFS.label, Literal("Doubs", lang="fr")) in triples
    assert (doubs, CMQ.inAcademie, iris.academie("03")) in triples
    assert (belfort, CMQ.inAcademie, iris.academie("03")) in triples
    assert (iris.academie("03"), RDFS.label, Literal("Besançon", lang="fr")) in triples
    assert (iris.academie("03"), CMQ.inRegion, iris.region("27")) in triples
    assert (iris.departement("2A"), RDF.type, CMQ.Departement) in triples
    assert (iris.departement("971"), CMQ.inRegion, iris.region("01")) in triples
    assert len({s for s, p, o in triples if o == CMQ.Departement}) == 101
    assert len({s for s, p, o in triples if o == CMQ.Region}) == 18


def test_pseudo_rows_are_skipped_and_reported(make_context):
    ctx = make_context(*FILES)
    triples = set(Territoires(ctx).triples())
    assert not any(str(s).endswith("/departement/130") for s, _, _ in triples)  # Andorre
    andorre = [i for i in ctx.issues if i.value == "130"]
    assert andorre and andorre[0].line == 104 and andorre[0].severity == "skipped"
    assert all(i.severity == "skipped" for i in ctx.issues)


def test_outlines_and_centroids(make_context):
    ctx = make_context(*FILES)
    triples = set(Territoires(ctx).triples())
    geometry = iris.ID["academie/03/contour"]
    assert (iris.academie("03"), GEO.hasGeometry, geometry) in triples
    assert any(s == geometry and p == GEO.asGeoJSON and '"MultiPolygon"' in o for s, p, o in triples)
    centroid = {o for s, p, o in triples if s == iris.ID["academie/03/centroide"] and p == GEO.asWKT}
    assert centroid == {Literal("POINT(6.08808604316 47.2079483667)", datatype=GEO.wktLiteral)}


def test_indexes_for_later_sources(make_context):
    ctx = make_context(*FILES)
    list(Territoires(ctx).triples())
    assert ctx.indexes["regions_by_name"]["bourgogne-franche-comte"] == "27"
    assert ctx.indexes["academies_by_name"]["normandie"] == "70"
    assert ctx.indexes["academie_of_departement"]["90"] == "03"
