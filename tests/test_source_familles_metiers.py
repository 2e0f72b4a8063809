"""Tests of the familles de métiers source on real extracts (maintenance and mechanics families)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, SKOS

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext
from cmqgraph.sources.familles_metiers import FamillesMetiers, name_key

FILES = ("bcn_n_groupe_formation.csv", "bcn_n_famille_metier_spec_pro.csv", "orion_familles_metiers.csv")


def test_families_and_links(make_context):
    ctx = make_context(*FILES)
    triples = set(FamillesMetiers(ctx).triples())
    family = iris.trade_family("G0013")
    assert (family, RDF.type, CMQ.TradeFamily) in triples
    assert (family, SKOS.prefLabel, Literal("Maintenance des matériels et des véhicules", lang="fr")) in triples
    assert (family, SKOS.altLabel, Literal("Métiers de la maintenance des matériels et des véhicules", lang="fr")) in triples
    assert (family, CMQ.familyCode, Literal("011")) in triples
    assert (iris.training("40025214"), CMQ.inTradeFamily, family) in triples
    assert (iris.training("40025222"), CMQ.inTradeFamily, family) in triples  # the common 2nde
    assert (iris.training("40025013"), CMQ.inTradeFamily, iris.trade_family("G0014")) in triples
    assert not any(s == iris.trade_family("G0022") for s, _, _ in triples)  # a BTS group
    assert sorted((i.value, i.severity) for i in ctx.issues) == [("016_temp", "skipped"), ("999", "skipped"), ("TG03", "skipped")]


def test_name_key_matches_orion_and_bcn_names():
    assert name_key("Métiers de la beauté et du bien-être") == name_key("Beauté et bien-être")
    assert name_key("Métiers de la mer") != name_key("Métiers du cuir")


def test_unmatched_family_and_bad_cfd(make_context, tmp_path):
    for name in FILES:
        text = make_context(name).path(name).read_text(encoding="utf-8-sig")
        if name == "orion_familles_metiers.csv":
            text = text.replace(";40025215;06", ";4002521;06").replace(
                "Métiers de la réalisation d'ensembles mécaniques et industriels;Fonderie", "Métiers de la fonderie;Fonderie"
            )
        (tmp_path / name).write_text(text, encoding="utf-8")
    ctx = BuildContext(files={name: tmp_path / name for name in FILES})
    triples = set(FamillesMetiers(ctx).triples())
    errors = [(i.file, i.line, i.column, i.value) for i in ctx.issues if i.severity == "error"]
    assert errors == [
        ("orion_familles_metiers.csv", 3, "CFD_SPECIALITE", "4002521"),
        ("orion_familles_metiers.csv", 14, "FAMILLE", "Métiers de la fonderie"),
    ]
    assert not any(s == iris.training("40022303") for s, _, _ in triples)
    assert (iris.training("40025222"), CMQ.inTradeFamily, iris.trade_family("G0013")) in triples
