"""Tests of the ONISEP source on a real extract (ROME A1101, A1202, H2502, H2903, I1604, I1606)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, SKOS, XSD

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext
from cmqgraph.sources.onisep import Onisep

NAME = "rome_metiers_onisep.csv"


def test_onisep_jobs_and_pages(make_context):
    ctx = make_context(NAME)
    triples = set(Onisep(ctx).triples())
    job = iris.onisep("MET.664")
    assert (job, RDF.type, CMQ.OnisepJob) in triples
    assert (job, SKOS.prefLabel, Literal("technicien / technicienne automobile", lang="fr")) in triples
    assert (job, CMQ.relatedTrade, iris.trade("I1604")) in triples
    assert (job, CMQ.onisepPage, Literal("https://www.onisep.fr/http/redirection/metier/slug/MET.664", datatype=XSD.anyURI)) in triples
    page = Literal("https://candidat.francetravail.fr/metierscope/fiche-metier/A1202", datatype=XSD.anyURI)
    assert (iris.trade("A1202"), CMQ.franceTravailPage, page) in triples
    assert [(i.line, i.severity) for i in ctx.issues] == [(4, "skipped")]
    assert len({s for s, p, o in triples if p == RDF.type and o == CMQ.OnisepJob}) == 21


def test_onisep_unknown_and_bad_rome_codes(make_context, tmp_path):
    text = make_context(NAME).path(NAME).read_text(encoding="utf-8")
    (tmp_path / NAME).write_text(text.replace('"I1606";', '"I16O6";'), encoding="utf-8")
    ctx = BuildContext(files={NAME: tmp_path / NAME}, indexes={"rome_codes": frozenset({"A1101", "A1202", "H2502", "H2903"})})
    triples = set(Onisep(ctx).triples())
    errors = [(i.file, i.line, i.value) for i in ctx.issues if i.severity == "error"]
    assert errors == [(NAME, 23, "I16O6")]
    assert not any(s == iris.onisep("MET.68") for s, _, _ in triples)
    unknown = [i for i in ctx.issues if i.severity == "warning"]
    assert {i.value for i in unknown} == {"I1604"} and len(unknown) == 4
    assert (iris.onisep("MET.664"), CMQ.relatedTrade, iris.trade("I1604")) not in triples
    assert (iris.onisep("MET.664"), RDF.type, CMQ.OnisepJob) in triples


def test_onisep_duplicate_is_warned(make_context, tmp_path):
    text = make_context(NAME).path(NAME).read_text(encoding="utf-8")
    (tmp_path / NAME).write_text(text + text.splitlines()[1] + "\r\n", encoding="utf-8")
    ctx = BuildContext(files={NAME: tmp_path / NAME})
    set(Onisep(ctx).triples())
    assert [(i.line, i.value, i.severity) for i in ctx.issues if i.severity == "warning"] == [(24, "MET.287", "warning")]
