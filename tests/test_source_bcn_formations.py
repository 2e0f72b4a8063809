"""Tests of the BCN V_FORMATION_DIPLOME source on a real extract (vehicle maintenance and mechanics diplomas)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext
from cmqgraph.sources.bcn_formations import BcnFormations

NAME = "bcn_v_formation_diplome.csv"


def test_bcn_training(make_context):
    ctx = make_context(NAME)
    triples = set(BcnFormations(ctx).triples())
    bac = iris.training("40025214")
    assert (bac, RDF.type, CMQ.Training) in triples
    assert (bac, CMQ.cfd, Literal("40025214")) in triples
    assert (bac, RDFS.label, Literal("MAINTENANCE DES VEHICULES OPTION A VOITURES PARTICULIERES (BAC PRO)", lang="fr")) in triples
    assert (bac, SKOS.altLabel, Literal("MAINT.VEHIC.OPTA VOIT.PARTICUL.", lang="fr")) in triples
    assert (bac, CMQ.diplomaType, Literal("BAC PRO")) in triples
    assert (bac, CMQ.level, Literal("400")) in triples
    assert (bac, CMQ.rncpLevel, Literal(4, datatype=XSD.integer)) in triples
    assert (bac, CMQ.nsfGroup, Literal("252r")) in triples
    assert (bac, CMQ.openingDate, Literal("2014-09-01", datatype=XSD.date)) in triples
    assert (bac, CMQ.closingDate, Literal("2028-08-31", datatype=XSD.date)) in triples
    assert (bac, CMQ.firstSession, Literal("2017", datatype=XSD.gYear)) in triples
    assert (bac, CMQ.lastSession, Literal("2027", datatype=XSD.gYear)) in triples
    # NIVEAU_QUALIFICATION_RNCP 99 means unknown: no level
    assert not any(p == CMQ.rncpLevel for s, p, _ in triples if s == iris.training("90099901"))
    assert len(ctx.indexes["cfds"]) == 13 and "32025417" in ctx.indexes["cfds"] and isinstance(ctx.indexes["cfds"], frozenset)
    assert ctx.issues == []


def test_bcn_bad_cfd_and_duplicate(make_context, tmp_path):
    text = make_context(NAME).path(NAME).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    broken = text.replace("50025218;500;", "5002521;500;") + lines[1] + "\n"
    (tmp_path / NAME).write_text(broken, encoding="utf-8")
    ctx = BuildContext(files={NAME: tmp_path / NAME})
    triples = set(BcnFormations(ctx).triples())
    found = [(i.file, i.line, i.column, i.value, i.severity) for i in ctx.issues]
    bad_line = next(n for n, line in enumerate(lines, 1) if line.startswith("50025218;"))
    assert found == [
        (NAME, bad_line, "FORMATION_DIPLOME", "5002521", "error"),
        (NAME, len(lines) + 1, "FORMATION_DIPLOME", lines[1].split(";")[0], "warning"),
    ]
    assert not any(s == iris.training("5002521") for s, _, _ in triples)
    assert "50025218" not in ctx.indexes["cfds"]
