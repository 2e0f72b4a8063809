"""The Annuaire de l'éducation source on the 65 real rows of five communes (Audincourt, Montbéliard, Pont-de-Roide, Sévenans, Challuy).

The expected values are read from tests/data/fr-en-annuaire-education.csv (line numbers count the header as line 1) with awk.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SDO, SKOS, XSD

import cmqgraph
from cmqgraph import iris
from cmqgraph.iris import CMQ, GEO
from cmqgraph.sources import BuildContext, run_before
from cmqgraph.sources.annuaire_education import FILE, UAI, AnnuaireEducation

DATA = Path(__file__).parent / "data"
CAMPUS_LIST = "cmq_campus_list.csv"
BEFORE = (
    "orion_departements_academies_regions.csv", "academies_geo.json", "regions_geo.json", "cmq_filieres_12.csv", CAMPUS_LIST,
    "inserjeunes_lycees_pro_uai_2022_2023.csv", "inserjeunes_cfa_uai_2022_2023.csv", "cfa_sous_convention_regionale_uai.csv",
    "lycees_geolocalisation_ival_2025.json",
)
MOBICAMPUS = iris.campus("Besançon", "Mobicampus – Automobile et mobilités du futur (Nord Franche-Comté)")
TRUE, FALSE = Literal(True, datatype=XSD.boolean), Literal(False, datatype=XSD.boolean)


def run(ctx: BuildContext) -> set:
    assert list(run_before("annuaire_education", ctx)) == ["territoires", "filieres", "inserjeunes", "acce", "cmq", "lycees_ival"]
    ctx.issues.clear()
    return set(AnnuaireEducation(ctx).triples())


def about(triples: set, node) -> set:
    return {(p, o) for s, p, o in triples if s == node}


@pytest.fixture(scope="module")
def built():
    ctx = BuildContext(files={name: DATA / name for name in (*BEFORE, FILE)})
    return ctx, run(ctx)


def test_nelson_mandela_in_audincourt_and_its_bassin(built):
    _, triples = built
    mandela = iris.school("0250001R")  # line 29
    facts = about(triples, mandela)
    assert {
        (CMQ.inCommune, iris.commune("25031")), (CMQ.inBassinFormation, iris.bassin_formation("3009")),
        (CMQ.establishmentType, Literal("Lycée", lang="fr")), (CMQ.establishmentNature, iris.establishment_nature("320")),
        (CMQ.lyceeDesMetiers, TRUE), (CMQ.vocationalPathway, TRUE), (CMQ.generalPathway, FALSE), (CMQ.technologicalPathway, FALSE),
        (CMQ.apprenticeshipOffered, TRUE), (CMQ.postBacOffered, TRUE), (CMQ.gretaMember, TRUE), (CMQ.agriculturalLycee, FALSE),
        (SKOS.altLabel, Literal("Lycée professionnel Nelson Mandela", lang="fr")),
    } <= facts
    # the lycées file describes it: its name, address, sector and point come from there, not from here
    assert not {p for p, _ in facts} & {RDF.type, RDFS.label, SDO.address, CMQ.publicPrivate, GEO.hasGeometry}
    audincourt = about(triples, iris.commune("25031"))
    assert {(RDF.type, CMQ.Commune), (SKOS.notation, Literal("25031")), (RDFS.label, Literal("Audincourt", lang="fr")),
            (CMQ.inDepartement, iris.departement("25")), (CMQ.inBassinFormation, iris.bassin_formation("3009"))} <= audincourt
    bassin = about(triples, iris.bassin_formation("3009"))
    assert bassin == {(RDF.type, CMQ.BassinFormation), (SKOS.notation, Literal("3009")),
                      (RDFS.label, Literal("Belfort-Montbéliard-Héricourt", lang="fr")), (CMQ.inAcademie, iris.academie("03"))}
    nature = about(triples, iris.establishment_nature("320"))
    assert (SKOS.prefLabel, Literal("LYCEE PROFESSIONNEL", lang="fr")) in nature and (RDF.type, CMQ.EstablishmentNature) in nature


def test_an_establishment_no_other_source_knows_is_described_here(built):
    _, triples = built
    college = iris.school("0250047R")  # lines 32 and 33: one collège, two sites
    facts = about(triples, college)
    assert {
        (RDF.type, CMQ.School), (CMQ.uai, Literal("0250047R")), (RDFS.label, Literal("Collège Olympe de Gouges site de Pont de Roide", lang="fr")),
        (CMQ.schoolKind, Literal("Collège", lang="fr")), (CMQ.inDepartement, iris.departement("25")), (CMQ.inAcademie, iris.academie("03")),
        (CMQ.inRegion, iris.region("27")), (CMQ.inCommune, iris.commune("25463")), (SDO.address, Literal("85 rue de Montbéliard, BP 37")),
        (SDO.postalCode, Literal("25150")), (CMQ.publicPrivate, Literal("public", lang="fr")), (CMQ.gretaMember, TRUE),
        (GEO.hasGeometry, iris.school_point("0250047R")),
    } <= facts
    assert len([o for p, o in facts if p == RDFS.label]) == 1  # the second site's row adds only its flags
    point = iris.school_point("0250047R")
    assert (point, GEO.asWKT, Literal("POINT(6.772410058272304 47.39308622394696)", datatype=GEO.wktLiteral)) in triples
    agricole = about(triples, iris.school("0580055V"))  # line 64: an agricultural lycée, in none of the other extracts
    assert (CMQ.agriculturalLycee, TRUE) in agricole and (CMQ.schoolKind, Literal("Lycée", lang="fr")) in agricole


def test_which_rows_become_schools_and_the_counts(built):
    ctx, triples = built
    assert ctx.rows_read[FILE] == 65
    skipped = [i for i in ctx.issues if i.severity == "skipped"]
    assert len(skipped) == 48  # 40 écoles, 3 médico-social, 4 services, 1 CIO
    assert {i.value for i in skipped} == {"Ecole", "Médico-social", "Service Administratif", "Information et orientation"}
    assert len({s for s, p, _ in triples if p == CMQ.inCommune and "etablissement" in s}) == 16  # 17 kept rows, one UAI twice
    assert len({s for s, _, o in triples if o == CMQ.School}) == 12  # the other 4 are in InserJeunes or the lycées file
    assert len({s for s, p, _ in triples if p == GEO.hasGeometry}) == 12  # the lycées file placed the other 4
    assert len({s for s, _, o in triples if o == CMQ.Commune}) == 5
    assert len({s for s, _, o in triples if o == CMQ.BassinFormation}) == 3
    [again] = [i for i in ctx.issues if i.severity == "warning" and i.file == FILE]
    assert (again.line, again.column, again.value) == (33, UAI, "0250047R")


def test_a_commune_is_in_a_bassin_only_when_its_rows_agree(built):
    _, triples = built
    # Pont-de-Roide: its rows give 3009 or nothing; Challuy: 7016 (the lycée agricole) and 7581 (an école)
    assert (iris.commune("25463"), CMQ.inBassinFormation, iris.bassin_formation("3009")) in triples
    assert (iris.commune("25463"), RDFS.label, Literal("Pont-de-Roide-Vermondans", lang="fr")) in triples  # 5 of its 7 rows
    assert not any(s == iris.commune("58051") and p == CMQ.inBassinFormation for s, p, _ in triples)
    assert (iris.school("0580055V"), CMQ.inBassinFormation, iris.bassin_formation("7016")) in triples


def test_mobicampus_is_in_its_towns_and_reaches_the_bassin_through_montbeliard(built):
    ctx, triples = built
    # cmq_campus_list.csv line 2: ville « Sévenans / Montbéliard »; the Annuaire writes « Sevenans »
    communes = {o for s, p, o in triples if s == MOBICAMPUS and p == CMQ.inCommune}
    assert communes == {iris.commune("90094"), iris.commune("25388")}
    bassins = {o for c in communes for s, p, o in triples if s == c and p == CMQ.inBassinFormation}
    assert bassins == {iris.bassin_formation("3009")}
    # Besançon (line 3) and Dijon (line 7) have no row in the extract: warned, never guessed
    towns = {(i.file, i.line, i.value) for i in ctx.issues if i.column == "ville"}
    assert towns == {(CAMPUS_LIST, 3, "Besançon"), (CAMPUS_LIST, 7, "Dijon")}
    # the Plasticampus (académie de Lyon) is left alone: the extract covers no commune of its académie
    assert not any(p == CMQ.inCommune and "campus/lyon" in s for s, p, _ in triples)


def test_a_drop_in_file_in_the_official_format_gives_row_issues(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for path in DATA.iterdir():
        if path.suffix in (".csv", ".json"):
            shutil.copy(path, data / path.name)
    lines = (DATA / FILE).read_text(encoding="utf-8").split("\n")
    header = lines[0].split(";")
    mandela, guynemer, bauhin = (lines[n - 1].split(";") for n in (29, 13, 63))
    guynemer[0] = "025003"  # a malformed UAI
    bauhin[header.index("latitude")] = "147,5"  # a latitude beyond 90° (the collège Jean Bauhin, which the lycées file does not place)
    (data / FILE).write_text("\n".join([lines[0], *(";".join(cells) for cells in (mandela, guynemer, bauhin))]) + "\n", encoding="utf-8")
    report = cmqgraph.build(store=tmp_path / "store", data_dir=data)
    [source] = [s for s in report.sources if s.name == "annuaire_education"]
    found = {(i.file, i.line, i.column, i.value, i.severity) for i in source.issues if i.file == FILE}
    assert found == {(FILE, 3, UAI, "025003", "error"), (FILE, 4, "latitude", "147,5", "warning")}
    # the good row and the row with bad coordinates are kept (Mandela is placed by the lycées file, Bauhin nowhere)
    graph = iris.source_graph("annuaire_education")
    query = "SELECT DISTINCT ?g ?uai ?c ?point WHERE { GRAPH ?g { ?s cmq:inCommune ?c OPTIONAL { ?s geo:hasGeometry ?point } } ?s cmq:uai ?uai } ORDER BY ?uai"
    rows = [(str(r[1]), r[2], r[3]) for r in cmqgraph.open_graph(tmp_path / "store").query(query, initBindings={"g": graph})]
    assert rows == [("0250001R", iris.commune("25031"), None), ("0250003T", iris.commune("25031"), None)]
