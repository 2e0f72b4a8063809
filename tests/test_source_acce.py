"""The ACCE source on the 15 real rows of the Doubs and the Territoire de Belfort, after InserJeunes."""

from __future__ import annotations

from pathlib import Path

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SDO, SKOS, XSD

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext, run_before
from cmqgraph.sources.acce import Acce
from cmqgraph.sources.records import School

DATA = Path(__file__).parent / "data"
TERRITOIRES = ("orion_departements_academies_regions.csv", "academies_geo.json", "regions_geo.json")
INSERJEUNES = ("inserjeunes_lycees_pro_uai_2022_2023.csv", "inserjeunes_cfa_uai_2022_2023.csv")
ACCE = "cfa_sous_convention_regionale_uai.csv"


def run(ctx: BuildContext, with_inserjeunes: bool = True) -> set:
    assert list(run_before("acce", ctx, skip=() if with_inserjeunes else ("inserjeunes",))) == (
        ["territoires", "inserjeunes"] if with_inserjeunes else ["territoires"]
    )
    ctx.issues.clear()
    return set(Acce(ctx).triples())


def test_school_record(make_context):
    ctx = make_context(*TERRITOIRES, *INSERJEUNES, ACCE)
    triples = run(ctx)
    cfa = iris.school("0251643A")  # line 4
    assert (cfa, RDF.type, CMQ.School) in triples
    assert (cfa, CMQ.uai, Literal("0251643A")) in triples
    assert (cfa, CMQ.siret, Literal("19251263000042")) in triples
    assert (cfa, CMQ.publicPrivate, Literal("public", lang="fr")) in triples
    assert (cfa, CMQ.schoolKind, Literal("Centre de formation d'apprentis", lang="fr")) in triples
    assert (cfa, SDO.address, Literal("10 RUE FRANCOIS VILLON, BP65809, 25058 BESANCON CEDEX")) in triples
    assert (cfa, SDO.postalCode, Literal("25058")) in triples
    assert (cfa, CMQ.openingDate, Literal("1985-04-10", datatype=XSD.date)) in triples  # 31147
    assert (cfa, CMQ.inDepartement, iris.departement("25")) in triples
    assert (cfa, CMQ.inAcademie, iris.academie("03")) in triples
    assert (cfa, CMQ.inRegion, iris.region("27")) in triples
    assert not any(s == cfa and p == CMQ.closingDate for s, p, _ in triples)
    assert (iris.school("0251124L"), CMQ.publicPrivate, Literal("privé", lang="fr")) in triples
    assert ctx.rows_read[ACCE] == 15
    assert ctx.issues == []


def test_commune(make_context):
    triples = run(make_context(*TERRITOIRES, *INSERJEUNES, ACCE))
    belfort = iris.commune("90010")
    assert (iris.school("0900239W"), CMQ.inCommune, belfort) in triples
    assert (belfort, RDF.type, CMQ.Commune) in triples
    assert (belfort, RDFS.label, Literal("Belfort", lang="fr")) in triples
    assert (belfort, SKOS.notation, Literal("90010")) in triples
    assert (belfort, CMQ.inDepartement, iris.departement("90")) in triples
    assert len({s for s, p, o in triples if o == CMQ.Commune}) == 6


def test_inserjeunes_name_wins_acce_name_is_an_alt_label(make_context):
    ctx = make_context(*TERRITOIRES, *INSERJEUNES, ACCE)
    triples = run(ctx)
    ifpp = iris.school("0251124L")  # "IFPP" in InserJeunes
    assert (ifpp, SKOS.altLabel, Literal("CTR DE FORMATION D APPRENTIS REGIONAL DE LA PHARMACIE", lang="fr")) in triples
    assert not any(s == ifpp and p == RDFS.label for s, p, _ in triples)
    assert ctx.indexes["schools"]["0251124L"].name == "IFPP"
    mfr = iris.school("0251824X")  # not in InserJeunes
    assert (mfr, RDFS.label, Literal("CTR DE FORMATION D APPRENTIS MAISONS FAMILIALES RURALES", lang="fr")) in triples
    assert ctx.indexes["schools"]["0251824X"] == School(
        uai="0251824X",
        name="CTR DE FORMATION D APPRENTIS MAISONS FAMILIALES RURALES",
        departement="25",
        academie="03",
        region="27",
    )


def test_without_inserjeunes_every_acce_name_is_the_label(make_context):
    ctx = make_context(*TERRITOIRES, ACCE)
    triples = run(ctx, with_inserjeunes=False)
    assert (iris.school("0251124L"), RDFS.label, Literal("CTR DE FORMATION D APPRENTIS REGIONAL DE LA PHARMACIE", lang="fr")) in triples
    assert len(ctx.indexes["schools"]) == 15


def test_wrong_check_letter_is_an_error_and_the_row_is_skipped(tmp_path):
    content = (DATA / ACCE).read_bytes().replace(b"0900378X", b"0900378A")
    (tmp_path / ACCE).write_bytes(content)
    ctx = BuildContext(files={n: DATA / n for n in TERRITOIRES} | {ACCE: tmp_path / ACCE})
    triples = run(ctx, with_inserjeunes=False)
    assert not any("0900378" in str(s) for s, _, _ in triples)
    assert iris.commune("90099") not in {s for s, _, _ in triples}
    [issue] = ctx.issues
    assert (issue.file, issue.line, issue.column, issue.value, issue.severity) == (ACCE, 16, "numero_uai", "0900378A", "error")


def test_bad_siret_and_date_are_warned(tmp_path):
    content = (DATA / ACCE).read_bytes().replace(b"21900010600175;29099;", b"219000106;2909X;")
    (tmp_path / ACCE).write_bytes(content)
    ctx = BuildContext(files={n: DATA / n for n in TERRITOIRES} | {ACCE: tmp_path / ACCE})
    triples = run(ctx, with_inserjeunes=False)
    school = iris.school("0900239W")
    assert (school, RDF.type, CMQ.School) in triples
    assert not any(s == school and p in (CMQ.siret, CMQ.openingDate) for s, p, _ in triples)
    found = {(i.line, i.column, i.value, i.severity) for i in ctx.issues}
    assert found == {(15, "numero_siren_siret_uai", "219000106", "warning"), (15, "date_ouverture", "2909X", "warning")}


def test_duplicated_uai_is_warned_and_first_kept(tmp_path):
    lines = (DATA / ACCE).read_bytes().split(b"\n")
    (tmp_path / ACCE).write_bytes(b"\n".join(lines[:3] + [lines[2].replace(b"HILAIRE DE CHARDONNET", b"AUTRE")] + lines[3:]))
    ctx = BuildContext(files={n: DATA / n for n in TERRITOIRES} | {ACCE: tmp_path / ACCE})
    triples = run(ctx, with_inserjeunes=False)
    labels = {str(o) for s, p, o in triples if s == iris.school("0251519R") and p == RDFS.label}
    assert labels == {"CTR DE FORMATION D APPRENTIS HILAIRE DE CHARDONNET"}
    [issue] = ctx.issues
    assert (issue.line, issue.severity, issue.value) == (4, "warning", "0251519R")
