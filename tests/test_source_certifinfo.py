"""Tests of the Certif Info source on a real extract (vehicle maintenance and mechanics certifications)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, XSD

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext
from cmqgraph.sources.certifinfo import CertifInfo

NAME = "certifinfo_diplomes_rome_rncp.csv"


def test_certifinfo(make_context):
    ctx = make_context(NAME)
    triples = set(CertifInfo(ctx).triples())
    cert = iris.certification("87941")
    assert (cert, RDF.type, CMQ.Certification) in triples
    assert (cert, RDFS.label, Literal("BTS maintenance des véhicules option A : voitures particulières", lang="fr")) in triples
    assert (cert, CMQ.certificationType, Literal("Brevet de technicien supérieur", lang="fr")) in triples
    assert (cert, CMQ.europeanLevel, Literal(5, datatype=XSD.integer)) in triples
    assert (cert, CMQ.nsfCode, Literal("250")) in triples
    assert (cert, CMQ.hasRncp, iris.rncp("RNCP38367")) in triples
    assert (cert, CMQ.certifies, iris.training("32025215")) in triples
    assert {o for s, p, o in triples if s == cert and p == CMQ.leadsToTrade} == {
        iris.trade("I1103"), iris.trade("I1310"), iris.trade("I1604")
    }
    # no Training -> Trade shortcut here: the links source makes it from the index
    assert not any(p == CMQ.leadsToTrade and s == iris.training("32025215") for s, p, _ in triples)
    assert ctx.indexes["trades_of_cfd"]["40025014"] == frozenset({"H2901", "H2903"})
    assert [(i.line, i.value, i.severity) for i in ctx.issues] == [(3, "13074", "warning")]


def test_unknown_and_bad_codes(make_context, tmp_path):
    text = make_context(NAME).path(NAME).read_text(encoding="utf-8")
    (tmp_path / NAME).write_text(text.replace(";40025216;", ";4002521;"), encoding="utf-8")
    rome_codes = frozenset({"A1303", "H1206", "H1302", "H2502", "M1801", "M1803", "M1805", "I1604", "I1103", "I1310", "H2901", "H2903"})
    ctx = BuildContext(files={NAME: tmp_path / NAME}, indexes={"rome_codes": rome_codes})
    triples = set(CertifInfo(ctx).triples())
    found = [(i.file, i.line, i.column, i.value, i.severity) for i in ctx.issues if i.value != "13074"]
    assert found == [
        (NAME, 4, "Code_Rome_5", "M1700", "warning"),
        (NAME, 7, "Code_Scolarité", "4002521", "error"),
    ]
    assert (iris.certification("62774"), CMQ.leadsToTrade, iris.trade("H2502")) in triples
    assert (iris.certification("62774"), CMQ.leadsToTrade, iris.trade("M1700")) not in triples
    assert (iris.certification("82778"), CMQ.leadsToTrade, iris.trade("I1604")) in triples
    assert not any(p == CMQ.certifies for s, p, _ in triples if s == iris.certification("82778"))
