"""Tests of the BCN N_MEF source on a real extract (MEFs of vehicle maintenance and mechanics diplomas)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, XSD

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext
from cmqgraph.sources.bcn_mef import BcnMef

NAME = "bcn_n_mef.csv"


def test_mef(make_context):
    ctx = make_context(NAME)
    triples = set(BcnMef(ctx).triples())
    mef = iris.mef("2472521433")
    assert (mef, RDF.type, CMQ.Mef) in triples
    assert (mef, CMQ.prepares, iris.training("40025214")) in triples
    assert (mef, CMQ.mefStat11, Literal("23830025214")) in triples
    assert (mef, CMQ.durationYears, Literal(3, datatype=XSD.integer)) in triples
    assert (mef, CMQ.yearOfCourse, Literal(3, datatype=XSD.integer)) in triples
    assert (mef, CMQ.dispositif, Literal("247")) in triples
    assert (mef, RDFS.label, Literal("TLEPRO MAINT.VEHIC.OPTA VOIT.PARTICUL.", lang="fr")) in triples
    # duration 9 = not significant
    assert not any(p == CMQ.durationYears for s, p, _ in triples if s == iris.mef("2772110599"))
    index = ctx.indexes["cfd_of_mefstat11"]
    assert index["23830025214"] == "40025214"
    # one MEF STAT 11 for two CFDs: warned, first kept
    assert index["32710013401"] == "32113401"
    assert [(i.column, i.value, i.severity) for i in ctx.issues] == [("MEF_STAT_11", "32710013401", "warning")]


def test_mef_bad_cfd_is_reported(make_context, tmp_path):
    text = make_context(NAME).path(NAME).read_text(encoding="utf-8-sig")
    (tmp_path / NAME).write_text(text.replace(";40025214;3;3;", ";4002521-;3;3;", 1), encoding="utf-8")
    ctx = BuildContext(files={NAME: tmp_path / NAME}, indexes={"cfds": frozenset({"40025214"})})
    triples = set(BcnMef(ctx).triples())
    errors = [(i.file, i.column, i.value) for i in ctx.issues if i.severity == "error"]
    assert errors == [(NAME, "FORMATION_DIPLOME", "4002521-")]
    line = next(i.line for i in ctx.issues if i.severity == "error")
    mef = text.splitlines()[line - 1].split(";")[0]
    assert not any(s == iris.mef(mef) for s, _, _ in triples)
    # CFDs outside the cfds index are warned, links kept
    assert any(i.severity == "warning" and i.value == "40025222" for i in ctx.issues)
