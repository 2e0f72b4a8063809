"""The lycées source (IVAL 2025, IPS, places) on its 38 real records of the Doubs, the Territoire de Belfort and one Meurthe-et-Moselle lycée.

The expected values are read from tests/data/lycees_geolocalisation_ival_2025.json (record numbers are ranks in ``lycees``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SDO, XSD

from cmqgraph import iris
from cmqgraph.errors import SourceFileError
from cmqgraph.iris import CMQ, GEO
from cmqgraph.sources import BuildContext, run_before
from cmqgraph.sources.lycees_ival import FILE, LyceesIval

DATA = Path(__file__).parent / "data"
BEFORE = (
    "orion_departements_academies_regions.csv", "academies_geo.json", "regions_geo.json",
    "inserjeunes_lycees_pro_uai_2022_2023.csv", "inserjeunes_cfa_uai_2022_2023.csv", "cfa_sous_convention_regionale_uai.csv",
    "cmq_filieres_12.csv", "cmq_campus_list.csv",
)


def run(ctx: BuildContext) -> set:
    assert run_before("lycees_ival", ctx).keys() == {"territoires", "inserjeunes", "acce", "filieres", "cmq"}
    ctx.issues.clear()
    return set(LyceesIval(ctx).triples())


def context(path: Path = DATA / FILE) -> BuildContext:
    return BuildContext(files={name: DATA / name for name in BEFORE} | {FILE: path})


def decimal(value: str) -> Literal:
    return Literal(value, datatype=XSD.decimal)


def mutated(tmp_path: Path, change) -> Path:
    """A copy of the extract after ``change(data)``."""
    data = json.loads((DATA / FILE).read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / FILE
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built():
    ctx = context()
    return ctx, run(ctx)


def test_a_lycee_the_other_lists_lack_becomes_a_school_with_its_place(built):
    _, triples = built
    mandela = iris.school("0250001R")  # record 23; absent from the InserJeunes and ACCE extracts
    assert (mandela, RDF.type, CMQ.School) in triples
    assert (mandela, CMQ.uai, Literal("0250001R")) in triples
    assert (mandela, RDFS.label, Literal("Lycee Professionnel Nelson Mandela", lang="fr")) in triples
    assert (mandela, CMQ.schoolKind, Literal("Lycée professionnel", lang="fr")) in triples
    assert (mandela, CMQ.inDepartement, iris.departement("25")) in triples
    assert (mandela, CMQ.inAcademie, iris.academie("03")) in triples
    assert (mandela, CMQ.inRegion, iris.region("27")) in triples
    assert (mandela, CMQ.city, Literal("Audincourt", lang="fr")) in triples
    assert (mandela, SDO.postalCode, Literal("25404")) in triples
    assert (mandela, SDO.address, Literal("6 rue René Girardot, 25404 Audincourt")) in triples
    assert (mandela, CMQ.publicPrivate, Literal("public", lang="fr")) in triples
    point = iris.school_point("0250001R")
    assert (mandela, GEO.hasGeometry, point) in triples
    assert (point, RDF.type, GEO.Geometry) in triples
    assert (point, GEO.asWKT, Literal("POINT(6.851839399677355 47.48440477835469)", datatype=GEO.wktLiteral)) in triples


def test_each_record_is_a_measure_with_its_year_and_pathway(built):
    _, triples = built
    measure = iris.ival_measure("0250001R", "pro", "2025")
    expected = {
        (RDF.type, CMQ.IvalMeasure), (CMQ.measuredSchool, iris.school("0250001R")), (CMQ.pathway, Literal("pro")),
        (CMQ.examSession, Literal("2025", datatype=XSD.gYear)), (CMQ.schoolYear, Literal("2024-2025")),
        (CMQ.candidatesPresent, Literal(123)), (CMQ.successRate, decimal("76")), (CMQ.successValueAdded, decimal("-6")),
        (CMQ.accessRate, decimal("58")), (CMQ.accessValueAdded, decimal("0")), (CMQ.distinctionRate, decimal("44")),
        (CMQ.distinctionValueAdded, decimal("-3")), (CMQ.socialPositionIndex, decimal("76.7")),
        (CMQ.socialPositionIndexDeviation, decimal("24.3")),
    }
    assert expected <= {(p, o) for s, p, o in triples if s == measure}
    # record 19 (0541268K) has no value added, no IPS and no coordinates: those are left out, without an issue
    sparse = iris.ival_measure("0541268K", "pro", "2025")
    assert {p for s, p, _ in triples if s == sparse} >= {CMQ.successRate, CMQ.accessRate, CMQ.distinctionRate}
    assert not {p for s, p, _ in triples if s == sparse} & {CMQ.successValueAdded, CMQ.socialPositionIndex}
    assert not any(s == iris.school("0541268K") and p == GEO.hasGeometry for s, p, _ in triples)


def test_a_lycee_polyvalent_is_one_school_with_two_measures(built):
    _, triples = built
    haag = iris.school("0250011B")  # records 9 (GT) and 36 (Pro); InserJeunes names it « LPO Jules Haag »
    measures = {s for s, p, o in triples if p == CMQ.measuredSchool and o == haag}
    assert measures == {iris.ival_measure("0250011B", "gt", "2025"), iris.ival_measure("0250011B", "pro", "2025")}
    assert (iris.ival_measure("0250011B", "gt", "2025"), CMQ.candidatesPresent, Literal(408)) in triples
    assert (iris.ival_measure("0250011B", "pro", "2025"), CMQ.candidatesPresent, Literal(126)) in triples
    assert len([o for s, p, o in triples if s == haag and p == GEO.hasGeometry]) == 1
    # a school of the index keeps its IRI and its name: this source neither types nor names it
    assert not any(s == haag and p in (RDF.type, RDFS.label) for s, p, _ in triples)


def test_counts(built):
    ctx, triples = built
    assert ctx.rows_read[FILE] == 38
    assert len({s for s, p, o in triples if o == CMQ.IvalMeasure}) == 38
    assert len({s for s, p, o in triples if p == GEO.hasGeometry}) == 32  # 33 UAI, one without coordinates
    # 25 of the 33 UAI are in none of the school extracts (InserJeunes, ACCE)
    assert len({s for s, p, o in triples if o == CMQ.School}) == 25
    assert [i for i in ctx.issues if i.file == FILE] == []


def test_a_campus_town_with_no_lycee_of_its_academie_gets_no_departement_and_a_warning(built):
    ctx, triples = built
    # the campuses of the académie de Besançon in the extract's list: Mobicampus (line 2, « Sévenans / Montbéliard ») and
    # M&SI (line 3, « Besançon »); the extract's lycées of that académie are in Montbéliard and Besançon (« Besancon »), 025
    placed = {(s, o) for s, p, o in triples if p == CMQ.inDepartement and "/campus/" in s}
    assert placed == {
        (iris.campus("Besançon", "Mobicampus – Automobile et mobilités du futur (Nord Franche-Comté)"), iris.departement("25")),
        (iris.campus("Besançon", "Microtechniques et systèmes intelligents (M&SI)"), iris.departement("25")),
    }
    [issue] = [i for i in ctx.issues if i.file == "cmq_campus_list.csv" and i.line == 2]
    assert (issue.column, issue.value, issue.severity) == ("ville", "Sévenans", "warning")


def test_the_gt_records_lost_their_nd_upstream(built):
    _, triples = built
    # record 15: the lycée Condorcet of Belfort, a GT-only lycée, as written
    assert (iris.school("0900002N"), RDFS.label, Literal("Lycee Coorcet", lang="fr")) in triples


def test_the_published_index_says_which_uai_have_a_point():
    ctx = context()
    run(ctx)
    described = ctx.indexes["lycee_schools"]
    assert len(described) == 33
    assert described["0250001R"] is True and described["0541268K"] is False


def test_bad_records_are_row_issues_naming_the_record(tmp_path):
    def change(data):
        records = data["lycees"]
        records[0]["uai"] = "0250008A"  # 0250008Y with a wrong check letter
        records[1]["lat"] = 147.5  # 0250058C, a GT-only lycée
        records[2]["type"] = "Agricole"  # 0251711Z's GT record; its Pro record (24) stays
        records.append(dict(records[3]))  # record 39: a second GT record of 0900003P

    ctx = context(mutated(tmp_path, change))
    triples = run(ctx)
    subjects = {s for s, _, _ in triples}
    assert iris.school("0250008Y") not in subjects and iris.school("0250008A") not in subjects
    found = {(i.file, i.line, i.column, i.value, i.severity) for i in ctx.issues if i.file == FILE}
    assert found == {
        (FILE, 1, "uai", "0250008A", "error"),
        (FILE, 2, "lat", "147.5", "warning"),
        (FILE, 3, "type", "Agricole", "error"),
        (FILE, 39, "uai", "0900003P", "warning"),
    }
    assert not any(s == iris.school("0250058C") and p == GEO.hasGeometry for s, p, _ in triples)
    assert iris.ival_measure("0251711Z", "gt", "2025") not in subjects and iris.ival_measure("0251711Z", "pro", "2025") in subjects


@pytest.mark.parametrize(
    "content, message",
    [
        ("[]", "lycees"),
        ('{"meta": {"year": "deux mille"}, "lycees": []}', "meta.year"),
        ('{"meta": {"year": "2025"}, "lycees": [{"uai": "0250001R"}]}', "missing field"),
        ('{"meta": {"year": "2025"}, "lycees": [3]}', "record 1"),
        ('{"meta": {"year": "2025"}, "lycees": [', "not JSON"),
    ],
)
def test_a_file_of_another_shape_is_a_file_error(tmp_path, content, message):
    (tmp_path / FILE).write_text(content, encoding="utf-8")
    ctx = context(tmp_path / FILE)
    with pytest.raises(SourceFileError, match=message):
        run(ctx)
