"""The curated CMQ list on a real extract: the BFC rows, Plasticampus, three others and Polynésie."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import run_until

TERRITOIRES = ("orion_departements_academies_regions.csv", "academies_geo.json", "regions_geo.json")
MOBICAMPUS = iris.campus("Besançon", "Mobicampus – Automobile et mobilités du futur (Nord Franche-Comté)")


def run(make_context):
    ctx = make_context(*TERRITOIRES, "cmq_filieres_12.csv", "cmq_campus_list.csv")
    ran = run_until("cmq", ctx)
    assert list(ran) == ["territoires", "filieres", "cmq"]
    return ctx, {triple for triples in ran.values() for triple in triples}


def test_mobicampus(make_context):
    _, triples = run(make_context)
    assert (MOBICAMPUS, RDF.type, CMQ.Campus) in triples
    assert (MOBICAMPUS, CMQ.inAcademie, iris.academie("03")) in triples
    assert (MOBICAMPUS, CMQ.inRegion, iris.region("27")) in triples
    assert (MOBICAMPUS, CMQ.sector, iris.sector("Mobilité, aéronautique, transports terrestres et maritimes")) in triples
    assert (MOBICAMPUS, CMQ.sectorCertainty, iris.certainty("deduit")) in triples
    excellence = iris.URIRef(f"{MOBICAMPUS}/labellisation/excellence")
    assert (excellence, CMQ.labelType, iris.label_type("excellence")) in triples
    assert (excellence, CMQ.labelDate, Literal("2020-02-06", datatype=XSD.date)) in triples
    assert (excellence, CMQ.certainty, iris.certainty("confirme")) in triples
    label = iris.URIRef(f"{MOBICAMPUS}/labellisation/cmq")
    assert (label, CMQ.labelYear, Literal("2016", datatype=XSD.gYear)) in triples


def test_uncertainty_is_kept(make_context):
    _, triples = run(make_context)
    plasticampus = iris.campus("Lyon", "Plasticampus (Plasti Campus d'Oyonnax-Bellignat) – plasturgie")
    assert (iris.URIRef(f"{plasticampus}/labellisation/excellence"), CMQ.certainty, iris.certainty("probable")) in triples
    unknown = iris.campus("", "Territoire intelligent")
    assert (unknown, CMQ.excellenceStatus, Literal("inconnu")) in triples
    assert not any(s == iris.URIRef(f"{unknown}/labellisation/excellence") for s, _, _ in triples)
    notes = {str(o) for s, p, o in triples if s == unknown and p == SKOS.editorialNote}
    assert any("académie, support et filière non trouvés" in note for note in notes)
    assert (unknown, CMQ.certainty, iris.certainty("non-verifie")) in triples


def test_polynesie_is_kept_without_region_and_reported(make_context):
    ctx, triples = run(make_context)
    polynesie = [s for s, p, o in triples if p == RDFS.label and "Polynésie" in str(o)]
    assert len(polynesie) == 1
    assert not any(s == polynesie[0] and p == CMQ.inRegion for s, p, _ in triples)
    assert any(i.value == "Polynésie française" and i.severity == "warning" for i in ctx.issues)


def test_duplicate_campus_is_warned(make_context, tmp_path):
    source = make_context("cmq_campus_list.csv").path("cmq_campus_list.csv")
    lines = source.read_text(encoding="utf-8").splitlines()
    (tmp_path / "cmq_campus_list.csv").write_text("\n".join(lines + [lines[1]]) + "\n", encoding="utf-8")
    ctx = make_context(*TERRITOIRES, "cmq_filieres_12.csv")
    ctx.files["cmq_campus_list.csv"] = tmp_path / "cmq_campus_list.csv"
    run_until("cmq", ctx)
    duplicate = [i for i in ctx.issues if "already listed" in i.message]
    assert len(duplicate) == 1 and duplicate[0].line == len(lines) + 1 and duplicate[0].value.startswith("Mobicampus")
