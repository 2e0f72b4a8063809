"""The members of the campuses: the real file, its tests/data extract, and the same format dropped in by a user."""

from __future__ import annotations

import csv
from decimal import Decimal
from types import MappingProxyType

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, XSD

import cmqgraph
from cmqgraph import iris
from cmqgraph.builder import data_files, default_data_dir
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext, needs, run_until
from cmqgraph.sources.cmq_membres import match_campus

from conftest import DATA

MEMBERS = "cmq_membres.csv"
MANDELA = "0250001R"
MOBICAMPUS = iris.campus("Besançon", "Mobicampus – Automobile et mobilités du futur (Nord Franche-Comté)")
UTBM = iris.organisation("universite-de-technologie-de-belfort-montbeliard")

#: The campus names of the members file that are not spelt as in the campus list (SOURCES.md, third pass), and the
#: campus of the list each designates: spelling variants resolve, the merger and the campuses the list lacks do not.
VARIANTS = {
    "Énergies et efficacité énergétique (Fécamp) – CMQ3E haut-normand": "Énergies et efficacité énergétique (Fécamp)",
    "Métiers d'art et patrimoine (Hauts-de-France)": "Métiers d'art et patrimoine",
    "Construction durable et éco-réhabilitation (CDER) – campus régional du patrimoine bâti, de la restauration à l'éco-construction":
        "Construction durable et éco-réhabilitation (CDER)",
    "Campus d'excellence Mode, métiers d'art et design – Paris, Manufacture (Campus des métiers d'art et du design)":
        "Campus d'excellence Mode, métiers d'art et design – Paris, Manufactures des Gobelins",
}
UNLISTED = (
    "CEINE – Campus d'excellence international normand des énergies (ex-Énergies et efficacité énergétique, Fécamp)",
    "Campus des métiers de la mer (Nouvelle-Aquitaine)",
    "Campus des métiers et des qualifications des industries créatives de la mode et du luxe (Pays de la Loire)",
)


def rows(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def memberships(triples) -> set[URIRef]:
    return {s for s, p, o in triples if p == RDF.type and o == ORG.Membership}


def campus_of(ctx: BuildContext, name: str) -> URIRef:
    (campus,) = [c.iri for c in ctx.indexes["campuses"] if c.name == name]
    return campus


@pytest.fixture(scope="module")
def real():
    """The shipped members file over the shipped campus list and schools (the acronyms of the supports left out)."""
    ctx = BuildContext(files=data_files(), indexes={"organisation_aliases": MappingProxyType({})})
    ran = run_until("cmq_membres", ctx)
    assert list(ran) == ["territoires", "filieres", "inserjeunes", "acce", "cmq", "cmq_membres"]
    return ctx, set(ran["cmq_membres"])


def test_the_members_need_the_campuses_the_schools_and_the_links():
    assert needs("cmq_membres")[-2:] == ["pia3", "links"]
    assert {"cmq", "acce", "inserjeunes"} <= set(needs("cmq_membres"))


def test_every_row_naming_a_listed_campus_is_a_membership(real):
    ctx, triples = real
    file_rows = rows(default_data_dir() / MEMBERS)
    assert len(file_rows) == 151 and len({r["campus_nom"] for r in file_rows}) == 71
    left_out = [n for n, r in enumerate(file_rows, start=2) if r["campus_nom"] in UNLISTED]
    assert len(left_out) == 7
    assert len(memberships(triples)) == 151 - 7
    issues = [i for i in ctx.issues if i.file == MEMBERS and i.severity == "error"]
    assert [(i.line, i.column) for i in issues] == [(n, "campus_nom") for n in left_out]
    assert all("les plus proches : « " in i.message for i in issues)


def test_campus_names_spelt_otherwise_resolve_only_when_the_method_is_sure(real):
    ctx, triples = real
    listed = {c.name for c in ctx.indexes["campuses"]}
    names = {r["campus_nom"] for r in rows(default_data_dir() / MEMBERS)}
    assert names - listed == set(VARIANTS) | set(UNLISTED)
    as_written = {str(o): s for s, p, o in triples if p == CMQ.campusNameAsWritten}
    assert set(as_written) == set(VARIANTS)
    for written, name in VARIANTS.items():
        found = match_campus(written, ctx.indexes["campuses"])
        assert found.campus.name == name and found.score >= 0.75
        assert (as_written[written], ORG.organization, campus_of(ctx, name)) in triples
        assert (as_written[written], CMQ.campusMatchScore, Literal(found.score, datatype=XSD.decimal)) in triples
    for written in UNLISTED:
        assert match_campus(written, ctx.indexes["campuses"]).campus is None
    ceine = match_campus(UNLISTED[0], ctx.indexes["campuses"])
    assert "Énergies et efficacité énergétique (Fécamp)" in ceine.closest and not ceine.ambiguous


def test_the_lycee_nelson_mandela_is_a_member_of_three_campuses(real):
    ctx, triples = real
    named = [r["campus_nom"] for r in rows(default_data_dir() / MEMBERS) if r["uai"] == MANDELA]
    assert len(named) == 3
    mandela = iris.school(MANDELA)
    for name in named:
        node = iris.membership(mandela, campus_of(ctx, name), "membre")
        assert (node, ORG.member, mandela) in triples
        assert (node, ORG.role, iris.role("membre")) in triples
        assert (node, CMQ.certainty, iris.certainty("confirme")) in triples
    source = URIRef("https://www.ac-besancon.fr/des-filieres-d-avenir-au-coeur-de-la-relation-ecole-entreprise-123269")
    assert (iris.membership(mandela, MOBICAMPUS, "membre"), DCTERMS.source, source) in triples
    assert not any(s == mandela for s, _, _ in triples)  # the school is InserJeunes's node, described there


def test_a_member_named_without_uai_is_matched_in_the_campus_academie_and_town(real):
    ctx, triples = real
    caen = iris.membership(iris.school("0141408E"), campus_of(ctx, "Industrie des énergies (Cherbourg)"), "partenaire")
    assert (caen, CMQ.matchedName, Literal("Université de Caen Normandie", lang="fr")) in triples
    assert (caen, CMQ.matchScore, Literal(Decimal("0.75"), datatype=XSD.decimal)) in triples
    # a member found by its name on a campus found by its words: each match keeps its own score
    estienne = [s for s, p, o in triples if p == CMQ.matchedName and str(o).startswith("Ecole Estienne")]
    (paris,) = [v for k, v in VARIANTS.items() if k.startswith("Campus d'excellence Mode")]
    assert len(estienne) == 1 and (estienne[0], ORG.organization, campus_of(ctx, paris)) in triples
    assert (estienne[0], CMQ.campusMatchScore, Literal(Decimal("0.833"), datatype=XSD.decimal)) in triples
    # the only Riquet of the schools' lists is a lycée whose name does not say the town of the row (Saint-Orens-de-Gameville)
    (riquet,) = [i for i in ctx.issues if i.file == MEMBERS and i.column == "ville"]
    assert riquet.line == 121 and riquet.value == "Saint-Orens-de-Gameville" and "0312289V" in riquet.message
    occitanie = campus_of(ctx, "Aéronautique et spatial (Occitanie)")
    assert not any(p == ORG.member and o == iris.school("0312289V") for s, p, o in triples if (s, ORG.organization, occitanie) in triples)


def test_a_university_named_on_two_rows_is_one_organisation(real):
    ctx, triples = real
    lyon1 = iris.organisation("universite-claude-bernard-lyon-1")
    assert sum(1 for r in rows(default_data_dir() / MEMBERS) if r["etablissement"] == "Université Claude Bernard Lyon 1") == 2
    assert {o for s, p, o in triples if p == ORG.organization and (s, ORG.member, lyon1) in triples} == {
        campus_of(ctx, "Auto'Mobilités"), campus_of(ctx, "Lumière"),
    }
    assert {(s, p, o) for s, p, o in triples if s == lyon1} == {
        (lyon1, RDF.type, ORG.Organization), (lyon1, RDFS.label, Literal("Université Claude Bernard Lyon 1", lang="fr")),
    }


def test_the_extract_in_tests_data(make_context):
    names = [p.name for p in DATA.iterdir() if p.suffix in (".csv", ".json")]
    ctx = make_context(*names)
    triples = set(run_until("cmq_membres", ctx)["cmq_membres"])
    assert len(memberships(triples)) == len(rows(DATA / MEMBERS)) == 12
    # links made the UTBM the support of Mobicampus: the members file says the same of the same node, with its source
    support = iris.membership(UTBM, MOBICAMPUS, "support")
    assert ctx.indexes["support_of_campus"][MOBICAMPUS].membership == support
    assert (support, DCTERMS.source, URIRef("https://letrois.info/en-bref/mobicampus-obtient-le-label-national-campus-dexcellence/")) in triples
    cnam = iris.organisation("cnam-bourgogne-franche-comte")
    assert (iris.membership(cnam, iris.campus("", "Territoire intelligent"), "partenaire"), CMQ.certainty, iris.certainty("deduit")) in triples
    # the lycée Nelson Mandela is not in the schools extract: it is warned and described from the row
    mandela = iris.school(MANDELA)
    warned = [i.line for i in ctx.issues if i.file == MEMBERS and i.value == MANDELA and i.severity == "warning"]
    assert warned == [n for n, r in enumerate(rows(DATA / MEMBERS), start=2) if r["uai"] == MANDELA] == [2, 6, 8]
    assert {(mandela, RDF.type, CMQ.School), (mandela, CMQ.uai, Literal(MANDELA))} <= triples
    assert (mandela, RDFS.label, Literal("Lycée professionnel Nelson Mandela", lang="fr")) in triples


def test_a_dropped_in_member_list_is_read_and_its_bad_rows_reported(tmp_path):
    """A user's list in the same format: a good row, a campus the list lacks, a wrong check letter and a duplicate."""
    shipped = lines(default_data_dir() / MEMBERS)
    good, boudard, sea = shipped[142], shipped[143], shipped[45]
    assert good.startswith("Maroquinerie et métiers d'art;Lycée professionnel Les Huisselets;Montbéliard;0250067M;")
    assert ";0251749R;" in boudard and sea.startswith("Campus des métiers de la mer (Nouvelle-Aquitaine);")
    data = tmp_path / "data"
    data.mkdir()
    for path in DATA.iterdir():
        if path.suffix in (".csv", ".json"):
            (data / path.name).write_bytes(path.read_bytes())
    rows_written = [shipped[0], good, sea, boudard.replace(";0251749R;", ";0251749S;"), good]
    (data / MEMBERS).write_text("\n".join(rows_written) + "\n", encoding="utf-8")
    report = cmqgraph.build(store=tmp_path / "store", data_dir=data, with_defaults=True)
    assert report.inputs.paths[MEMBERS] == data / MEMBERS and MEMBERS not in report.inputs.shipped
    issues = [(i.line, i.column, i.value, i.severity) for i in report.issues if i.file == MEMBERS]
    assert issues == [
        (3, "campus_nom", "Campus des métiers de la mer (Nouvelle-Aquitaine)", "error"),
        (4, "uai", "0251749S", "error"),
        (5, "etablissement", "Lycée professionnel Les Huisselets", "warning"),
    ]
    store = ox.Store.read_only(str(tmp_path / "store"))
    graph = ox.NamedNode(str(iris.source_graph("cmq_membres")))
    members = list(store.quads_for_pattern(None, ox.NamedNode(str(ORG.member)), None, graph))
    assert [q.object.value for q in members] == [str(iris.school("0250067M"))]
