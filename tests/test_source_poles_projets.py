"""Pôles, Territoires d'innovation and PIA3 laureates on real extracts (rows named in tests/data/README.md)."""

from __future__ import annotations

from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import run_until
from cmqgraph.sources.pia3 import Pia3Laureats, french_date
from cmqgraph.sources.poles import Poles, parse_phase
from cmqgraph.sources.territoires_innovation import TerritoiresInnovation

TERRITOIRES = ("orion_departements_academies_regions.csv", "academies_geo.json", "regions_geo.json")
VDF = iris.cluster("Pôle Véhicule du Futur")
TI_NFC = iris.project("ti", "Transformation d'un territoire industriel (Nord Franche-Comté)")


def run(make_context, source):
    ctx = make_context(*TERRITOIRES, *(spec.name for spec in source.files))
    ran = run_until(source.name, ctx)
    assert list(ran) == ["territoires", source.name]
    return ctx, {triple for triples in ran.values() for triple in triples}


def test_parse_phase():
    assert parse_phase("IV (2019-2022) – 1 an") == ([4], "2019", "2022")
    assert parse_phase("I (labellisé 2005)") == ([1], "2005", None)
    assert parse_phase("sans phase") == ([], None, None)


def test_pole_vehicule_du_futur(make_context):
    _, triples = run(make_context, Poles)
    assert (VDF, CMQ.mainRegion, iris.region("27")) in triples
    assert {o for s, p, o in triples if s == VDF and p == CMQ.inRegion} == {iris.region("27"), iris.region("44")}
    phase = URIRef(f"{VDF}/labellisation/pole-phase-5")
    assert (phase, CMQ.labelYear, Literal("2023", datatype=XSD.gYear)) in triples
    assert (phase, CMQ.labelEnd, Literal("2026", datatype=XSD.gYear)) in triples
    assert (phase, CMQ.certainty, iris.certainty("confirme")) in triples


def test_phase_range_and_end_year(make_context):
    _, triples = run(make_context, Poles)
    advancity = iris.cluster("Advancity (ex-Ville et mobilité durables)")
    phases = {o for s, p, o in triples if s == advancity and p == CMQ.labelling}
    assert phases == {URIRef(f"{advancity}/labellisation/pole-phase-{n}") for n in (1, 2, 3)}
    viameca = URIRef(f"{iris.cluster('ViaMéca')}/labellisation/pole-phase-3")
    assert (viameca, CMQ.labelEnd, Literal("2018", datatype=XSD.gYear)) in triples
    assert not any(s == viameca and p == CMQ.labelYear for s, p, _ in triples)


def test_territoire_d_innovation_nord_franche_comte(make_context):
    _, triples = run(make_context, TerritoiresInnovation)
    territory = {o for s, p, o in triples if s == TI_NFC and p == CMQ.territory}
    assert territory == {iris.region("27"), iris.departement("25"), iris.departement("90")}
    assert (TI_NFC, CMQ.laureateDate, Literal("2019-09-13", datatype=XSD.date)) in triples
    assert not any(s == TI_NFC and p == CMQ.totalBudgetMEUR for s, p, _ in triples)  # "69 à 70" is a range
    assert (TI_NFC, CMQ.amountNote, Literal("budget_total_projet_meur: 69 à 70", lang="fr")) in triples
    dijon = iris.project("ti", "Dijon, alimentation durable 2030 (système alimentaire durable)")
    assert (dijon, CMQ.stateFundingMEUR, Literal(Decimal("9.8"), datatype=XSD.decimal)) in triples
    assert (dijon, CMQ.totalBudgetMEUR, Literal(Decimal("42"), datatype=XSD.decimal)) in triples


def test_pia3_laureates(make_context):
    _, triples = run(make_context, Pia3Laureats)
    lannion = iris.project("tip-cmq", "CMQ de Lannion – Numérique et photonique")
    assert (lannion, CMQ.laureateDate, Literal("2020-02-06", datatype=XSD.date)) in triples
    assert (lannion, CMQ.stateFundingMEUR, Literal(Decimal("1.5"), datatype=XSD.decimal)) in triples
    assert (lannion, CMQ.territory, iris.academie("14")) in triples
    carcassonne = iris.project("campus-connectes", "Campus connecté Carcassonne Agglo")
    assert (carcassonne, CMQ.programme, iris.programme("campus-connectes")) in triples
    assert not any(s == carcassonne and p == CMQ.lead for s, p, _ in triples)  # lead "(… non précisées)"
    assert french_date("annoncé le 1er juillet 2020") == Literal("2020-07-01", datatype=XSD.date)
