"""Tests of the DGESCO vocational diplomas list on a real extract (vehicle maintenance and mechanics diplomas)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, SKOS, XSD

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext
from cmqgraph.sources.diplomes_pro import DiplomesPro, normalise_cfd, rncp_code

NAME = "orion_diplomes_professionnels.csv"


def test_diplomas(make_context):
    ctx = make_context(NAME)
    triples = set(DiplomesPro(ctx).triples())
    bac = iris.training("40025214")
    assert (bac, CMQ.cpc, Literal("CPC Industrie", lang="fr")) in triples
    assert (bac, CMQ.cpcSector, Literal("Secteur Métallurgie", lang="fr")) in triples
    assert (bac, CMQ.hasRncp, iris.rncp("RNCP19117")) in triples
    assert (iris.rncp("RNCP19117"), RDF.type, CMQ.RncpCertification) in triples
    assert (bac, CMQ.firstSession, Literal("2017", datatype=XSD.gYear)) in triples
    old = iris.training("40025410")
    assert (old, CMQ.lastSession, Literal("2026", datatype=XSD.gYear)) in triples
    assert (old, SKOS.editorialNote, Literal("remplacé par le 400-25413 S", lang="fr")) in triples
    # "50025224R" (no dash) is read as 50025224, with a warning; its sector is only "Secteur"
    assert (iris.training("50025224"), CMQ.hasRncp, iris.rncp("RNCP37670")) in triples
    assert not any(p == CMQ.cpcSector for s, p, _ in triples if s == iris.training("50025224"))
    # "en cours": no RNCP link
    assert not any(p == CMQ.hasRncp for s, p, _ in triples if s == iris.training("50023114"))
    found = sorted((i.line, i.column, i.value, i.severity) for i in ctx.issues)
    assert found == [
        (4, "Code diplôme", "50025224R", "warning"),
        (7, "Code RNCP", "en cours", "warning"),
        (13, "Code diplôme", "500-23118 U", "warning"),
    ]
    # the first row of the duplicated CFD is kept
    assert (iris.training("50023118"), CMQ.hasRncp, iris.rncp("RNCP37891")) in triples
    assert (iris.training("50023118"), CMQ.hasRncp, iris.rncp("RNCP4463")) not in triples


def test_helpers():
    assert normalise_cfd("400-24202 V") == ("40024202", True)
    assert normalise_cfd("320-33609T") == ("32033609", False)
    assert normalise_cfd("4002420") == (None, False)
    assert rncp_code("751") == "RNCP751" and rncp_code("") is None


def test_bad_cfd_is_reported(make_context, tmp_path):
    text = make_context(NAME).path(NAME).read_text(encoding="utf-8-sig")
    (tmp_path / NAME).write_text(text.replace("400-25214 R", "400-2521 R"), encoding="utf-8")
    ctx = BuildContext(files={NAME: tmp_path / NAME})
    triples = set(DiplomesPro(ctx).triples())
    assert [(i.file, i.line, i.value) for i in ctx.issues if i.severity == "error"] == [(NAME, 10, "400-2521 R")]
    assert not any(s == iris.training("40025214") for s, _, _ in triples)
