"""Tests of the Kit apprentissage source on a real extract (vehicle maintenance and mechanics CFDs)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext
from cmqgraph.sources.kit_apprentissage import KitApprentissage

NAME = "kit_apprentissage_cfd_rncp_20231218.csv"


def test_kit(make_context):
    ctx = make_context(NAME)
    triples = set(KitApprentissage(ctx).triples())
    fiche = iris.rncp("RNCP38367")
    assert (iris.training("32025215"), CMQ.hasRncp, fiche) in triples
    assert (fiche, RDF.type, CMQ.RncpCertification) in triples
    assert (fiche, CMQ.rncpLevel, Literal(5, datatype=XSD.integer)) in triples
    assert (fiche, CMQ.apprenticeshipAccess, Literal(True, datatype=XSD.boolean)) in triples
    assert (fiche, CMQ.rncpActive, Literal(True, datatype=XSD.boolean)) in triples
    assert (fiche, CMQ.rncpExpiry, Literal("2026-12-31", datatype=XSD.date)) in triples
    # RNCP19117 is shared by the three bac pro options: first title as label, the others as altLabel
    shared = iris.rncp("RNCP19117")
    assert [o for s, p, o in triples if s == shared and p == RDFS.label] == [
        Literal("MAINTENANCE DES VEHICULES OPTION C MOTOCYCLES (BAC PRO)", lang="fr")
    ]
    assert len([o for s, p, o in triples if s == shared and p == SKOS.altLabel]) == 2
    assert {s for s, p, o in triples if p == CMQ.hasRncp and o == shared} == {
        iris.training(c) for c in ("40025214", "40025215", "40025216")
    }
    assert [(i.line, i.value, i.severity) for i in ctx.issues] == [(2, "NR", "skipped")]


def test_bad_rncp_and_duplicate(make_context, tmp_path):
    text = make_context(NAME).path(NAME).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    text = text.replace("RNCP19118;", "RNCP-19118;") + lines[2] + "\r\n"
    (tmp_path / NAME).write_text(text, encoding="utf-8")
    ctx = BuildContext(files={NAME: tmp_path / NAME})
    triples = set(KitApprentissage(ctx).triples())
    found = [(i.file, i.line, i.value, i.severity) for i in ctx.issues if i.severity != "skipped"]
    assert found == [(NAME, 4, "RNCP-19118", "error"), (NAME, 10, "RNCP19117", "warning")]
    assert not any(p == CMQ.hasRncp for s, p, _ in triples if s == iris.training("50025218"))
