"""Tests of the ROME source on a real extract (domaines H23/H25/H29/I16/A11, automobile and mechanics fiches)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext
from cmqgraph.sources.rome import Rome

FILES = ("orion_rome_domaines_professionnels.csv", "orion_rome_fiches.csv", "orion_rome_appellations_metiers.csv")


def test_rome_fiches_domains_and_appellations(make_context):
    ctx = make_context(*FILES)
    triples = set(Rome(ctx).triples())
    mechanic = iris.trade("I1604")
    assert (mechanic, RDF.type, CMQ.Trade) in triples
    assert (mechanic, SKOS.prefLabel, Literal("Mécanicien / Mécanicienne automobile", lang="fr")) in triples
    assert (mechanic, RDFS.label, Literal("Mécanicien / Mécanicienne automobile", lang="fr")) in triples
    assert (mechanic, SKOS.broader, iris.domain("I16")) in triples
    assert (mechanic, SKOS.inScheme, iris.ID["rome"]) in triples
    assert (mechanic, CMQ.ficheCode, Literal("285")) in triples
    assert (mechanic, CMQ.greenJob, Literal("Emploi stratégique pour la Transition écologique")) in triples
    assert (iris.domain("H29"), SKOS.prefLabel, Literal("Mécanique, travail des métaux et outillage", lang="fr")) in triples
    # A1102's parent fiche is A1101: a related concept, not a broader one.
    assert (iris.trade("A1102"), SKOS.related, iris.trade("A1101")) in triples
    assert (iris.trade("A1101"), SKOS.related, iris.trade("A1101")) not in triples
    appellation = iris.appellation("13981")
    assert (appellation, SKOS.broader, mechanic) in triples
    assert (appellation, SKOS.altLabel, Literal("Dépanneur(se)-remorqueur(se) de véhicules automobiles", lang="fr")) in triples
    assert not any(p == SKOS.altLabel for s, p, o in triples if s == iris.appellation("14168"))
    assert ctx.indexes["rome_codes"] == frozenset({"A1101", "A1102", "H2301", "H2502", "H2503", "H2903", "H2909", "I1603", "I1604", "I1606"})
    assert ctx.issues == []


def test_rome_bad_code_is_reported_and_skipped(make_context, tmp_path):
    for name in FILES:
        text = (make_context(name).path(name)).read_text(encoding="utf-8")
        if name == "orion_rome_fiches.csv":
            text = text.replace("H2903;377;280", "H29O3;377;280")
        (tmp_path / name).write_text(text, encoding="utf-8")
    ctx = BuildContext(files={name: tmp_path / name for name in FILES})
    triples = set(Rome(ctx).triples())
    assert not any(s == iris.trade("H29O3") for s, _, _ in triples)
    bad = [i for i in ctx.issues if i.file == "orion_rome_fiches.csv"]
    assert [(i.line, i.column, i.value, i.severity) for i in bad] == [(7, "code_rome", "H29O3", "error")]
    # the appellations of the broken fiche are skipped too, each reported
    skipped = [i for i in ctx.issues if i.file == "orion_rome_appellations_metiers.csv"]
    assert {i.value for i in skipped} == {"H2903"} and len(skipped) == 3
    assert "H2903" not in ctx.indexes["rome_codes"]


def test_rome_duplicate_is_warned(make_context, tmp_path):
    for name in FILES:
        text = make_context(name).path(name).read_text(encoding="utf-8")
        if name == "orion_rome_appellations_metiers.csv":
            text += text.splitlines()[1] + "\n"
        (tmp_path / name).write_text(text, encoding="utf-8")
    ctx = BuildContext(files={name: tmp_path / name for name in FILES})
    set(Rome(ctx).triples())
    assert [(i.line, i.value, i.severity) for i in ctx.issues] == [(14, "10337", "warning")]
