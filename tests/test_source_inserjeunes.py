"""The InserJeunes source on real extracts: lycées and CFA of the académie de Besançon, one Corsican lycée,
and 0451335G, the one extract UAI listed in both files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext, run_before
from cmqgraph.sources.inserjeunes import InserJeunes, school_kind
from cmqgraph.sources.records import School

DATA = Path(__file__).parent / "data"
TERRITOIRES = ("orion_departements_academies_regions.csv", "academies_geo.json", "regions_geo.json")
LYCEES, CFA = "inserjeunes_lycees_pro_uai_2022_2023.csv", "inserjeunes_cfa_uai_2022_2023.csv"


def run(ctx: BuildContext) -> set:
    assert list(run_before("inserjeunes", ctx)) == ["territoires"]
    ctx.issues.clear()
    return set(InserJeunes(ctx).triples())


def decimal(value: str) -> Literal:
    return Literal(Decimal(value), datatype=XSD.decimal)


def test_lycee_school_and_territory(make_context):
    ctx = make_context(*TERRITOIRES, LYCEES, CFA)
    triples = run(ctx)
    school = iris.school("0900236T")
    assert (school, RDF.type, CMQ.School) in triples
    assert (school, CMQ.uai, Literal("0900236T")) in triples
    assert (school, SKOS.notation, Literal("0900236T")) in triples
    assert (school, RDFS.label, Literal("Lycée professionnel Raoul Follereau", lang="fr")) in triples
    assert (school, CMQ.schoolKind, Literal("Lycée professionnel", lang="fr")) in triples
    assert (school, CMQ.inDepartement, iris.departement("90")) in triples
    assert (school, CMQ.inAcademie, iris.academie("03")) in triples
    assert (school, CMQ.inRegion, iris.region("27")) in triples
    assert ctx.indexes["inserjeunes_schools"]["0900236T"] == School(
        uai="0900236T",
        name="Lycée professionnel Raoul Follereau",
        departement="90",
        academie="03",
        region="27",
    )
    assert ctx.rows_read == {LYCEES: 25, CFA: 37} | {n: ctx.rows_read[n] for n in TERRITOIRES}
    assert ctx.issues == []


def test_corsican_uai_gets_its_departement(make_context):
    triples = run(make_context(*TERRITOIRES, LYCEES, CFA))
    ajaccio = iris.school("6200002H")
    assert (ajaccio, CMQ.inDepartement, iris.departement("2A")) in triples
    assert (ajaccio, CMQ.inAcademie, iris.academie("27")) in triples
    assert (ajaccio, CMQ.inRegion, iris.region("94")) in triples
    assert (ajaccio, CMQ.schoolKind, Literal("Lycée général et technologique", lang="fr")) in triples


def test_kinds_from_the_label(make_context):
    triples = run(make_context(*TERRITOIRES, LYCEES, CFA))
    kinds = {str(s).rsplit("/", 1)[1]: str(o) for s, p, o in triples if p == CMQ.schoolKind}
    assert kinds["0250011B"] == "Lycée polyvalent"  # "LPO Jules Haag"
    assert kinds["0251592V"] == "Lycée professionnel privé"  # "LP PR St Joseph - …"
    assert kinds["0251371E"] == "Établissement régional d'enseignement adapté"
    assert kinds["0251729U"] == "Maison familiale rurale"
    assert kinds["0900239W"] == "Centre de formation d'apprentis"  # "CFA Municipal Jackie Drouet"
    assert kinds["0251124L"] == "organisme de formation / CFA"  # "IFPP": no rule, generic kind of the CFA file
    assert school_kind("Organisme de foramtion - Centre de formation d'apprentis X", "apprentissage") == (
        "Organisme de formation-Centre de formation d'apprentis"
    )


def test_measures_by_population(make_context):
    triples = run(make_context(*TERRITOIRES, LYCEES, CFA))
    school = iris.school("0250011B")
    apprentis = iris.ID["inserjeunes/0250011B/pro/apprentis"]
    assert (apprentis, RDF.type, CMQ.InsertionMeasure) in triples
    assert (apprentis, CMQ.measuredSchool, school) in triples
    assert (apprentis, CMQ.pathway, Literal("pro")) in triples
    assert (apprentis, CMQ.population, Literal("apprentis")) in triples
    assert (apprentis, CMQ.schoolYear, Literal("2022-2023")) in triples
    # line 2: 56;68;80;-12;56;30;14
    assert (apprentis, CMQ.continuationRate, decimal("56")) in triples
    assert (apprentis, CMQ.insertionRate, decimal("68")) in triples
    assert (apprentis, CMQ.expectedEmploymentRate, decimal("80")) in triples
    assert (apprentis, CMQ.valueAdded, decimal("-12")) in triples
    assert (apprentis, CMQ.shareInFurtherStudy, decimal("56")) in triples
    assert (apprentis, CMQ.shareEmployed6Months, decimal("30")) in triples
    assert (apprentis, CMQ.shareOtherSituations, decimal("14")) in triples
    populations = {str(o) for s, p, o in triples if p == CMQ.population and "/0250011B/" in str(s)}
    assert populations == {"ensemble", "apprentis", "scolaires"}
    cfa = iris.ID["inserjeunes/0251643A/apprentissage/ensemble"]
    assert (cfa, CMQ.insertionRate, decimal("78")) in triples
    assert (cfa, CMQ.pathway, Literal("apprentissage")) in triples


def test_nd_values_are_left_out(make_context):
    triples = run(make_context(*TERRITOIRES, LYCEES, CFA))
    erea = iris.ID["inserjeunes/0251371E/pro/scolaires"]  # line 14: 33;nd;nd;nd;33;11;56
    props = {p for s, p, o in triples if s == erea}
    assert CMQ.continuationRate in props and CMQ.shareOtherSituations in props
    assert not props & {CMQ.insertionRate, CMQ.expectedEmploymentRate, CMQ.valueAdded}


def test_uai_in_both_files_is_one_school(make_context):
    ctx = make_context(*TERRITOIRES, LYCEES, CFA)
    triples = run(ctx)
    school = iris.school("0451335G")
    assert len({o for s, p, o in triples if s == school and p == RDFS.label}) == 1
    assert len({o for s, p, o in triples if s == school and p == CMQ.schoolKind}) == 1
    measured = {s for s, p, o in triples if p == CMQ.measuredSchool and o == school}
    assert measured == {iris.ID["inserjeunes/0451335G/pro/ensemble"], iris.ID["inserjeunes/0451335G/apprentissage/ensemble"]}
    assert (school, CMQ.inRegion, iris.region("24")) in triples


def test_wrong_check_letter_is_an_error_and_the_row_is_skipped(tmp_path):
    content = (DATA / LYCEES).read_bytes().replace(b"0900355X", b"0900355Y")
    (tmp_path / LYCEES).write_bytes(content)
    ctx = BuildContext(files={n: DATA / n for n in (*TERRITOIRES, CFA)} | {LYCEES: tmp_path / LYCEES})
    triples = run(ctx)
    assert not any("0900355" in str(s) for s, _, _ in triples)
    [issue] = ctx.issues
    assert (issue.file, issue.line, issue.column, issue.value, issue.severity) == (
        LYCEES,
        23,
        "n°UAI de l'établissement",
        "0900355Y",
        "error",
    )


def test_duplicated_measure_is_warned_and_first_kept(tmp_path):
    lines = (DATA / LYCEES).read_bytes().split(b"\r\n")
    (tmp_path / LYCEES).write_bytes(b"\r\n".join(lines[:5] + [lines[4].replace(b";51;52;46;6;", b";1;2;3;4;")] + lines[5:]))
    ctx = BuildContext(files={n: DATA / n for n in (*TERRITOIRES, CFA)} | {LYCEES: tmp_path / LYCEES})
    triples = run(ctx)
    measure = iris.ID["inserjeunes/0250014E/pro/ensemble"]
    assert {o for s, p, o in triples if s == measure and p == CMQ.insertionRate} == {decimal("52")}
    [issue] = ctx.issues
    assert (issue.line, issue.severity, issue.value) == (6, "warning", "0250014E")


def test_unknown_region_name_is_warned(tmp_path):
    row = b"0900239W;CFA Municipal Jackie Drouet;"
    content = (DATA / CFA).read_bytes().replace(row + b"BOURGOGNE-FRANCHE-COMTE", row + b"FRANCHE-COMTE")
    (tmp_path / CFA).write_bytes(content)
    ctx = BuildContext(files={n: DATA / n for n in (*TERRITOIRES, LYCEES)} | {CFA: tmp_path / CFA})
    triples = run(ctx)
    assert (iris.school("0900239W"), CMQ.inAcademie, iris.academie("03")) in triples
    assert not any(s == iris.school("0900239W") and p == CMQ.inRegion for s, p, _ in triples)
    [issue] = ctx.issues
    assert (issue.file, issue.line, issue.column, issue.value, issue.severity) == (CFA, 35, "Région", "FRANCHE-COMTE", "warning")


def test_deterministic(make_context):
    assert run(make_context(*TERRITOIRES, LYCEES, CFA)) == run(make_context(*TERRITOIRES, LYCEES, CFA))
