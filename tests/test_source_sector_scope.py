"""The sector scope source: the filière → NSF table read as links, and each campus's and pôle's scope, never a membership.

Every expected value is read here from the shipped files with the csv module (Affelnet offers joined to the BCN's MEF
and NSF group, the CPC of the diplômes professionnels, Certif Info's ROME codes), not from the code under test.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from pathlib import Path

import cmqgraph
import pytest
from cmqgraph import iris
from cmqgraph.builder import data_files, default_data_dir, locate_files
from cmqgraph.iris import CMQ, slug
from cmqgraph.sources import BuildContext, run_until
from conftest import DATA
from rdflib import Literal
from rdflib.namespace import ORG, RDF, XSD

SHIPPED = default_data_dir()
TABLE = "cmq_filieres_nsf.csv"
MOBILITY = "Mobilité, aéronautique, transports terrestres et maritimes"
BESANCON_DEPARTEMENTS = ("025", "039", "070", "090")  # académie de Besançon (orion_departements_academies_regions.csv)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def mobility_offers(folder: Path) -> set[tuple[str, str, str]]:
    """(UAI, MEF STAT 11, CFD) of the Affelnet offers of the académie de Besançon in the Mobilité filière, from the raw files."""
    cfd_of: dict[str, str] = {}
    for row in rows(folder / "bcn_n_mef.csv"):
        if row["MEF_STAT_11"]:
            cfd_of.setdefault(row["MEF_STAT_11"], row["FORMATION_DIPLOME"])
    group_of = {row["FORMATION_DIPLOME"]: row["GROUPE_SPECIALITE"] for row in rows(folder / "bcn_v_formation_diplome.csv")}
    cpc_of: dict[str, str] = {}
    for row in rows(folder / "orion_diplomes_professionnels.csv"):
        cpc_of.setdefault(re.sub(r"[^0-9A-Z]", "", row["Code diplôme"])[:8], row["Commission professionnelle consultative"])
    table = [row for row in rows(folder / TABLE) if row["filiere"] == MOBILITY]
    whole = {row["nsf_groupe"] for row in table if not row["cpc"]}
    narrowed = {(row["nsf_groupe"], row["cpc"]) for row in table if row["cpc"]}
    found = set()
    for row in rows(folder / "orion_uai_mefstat_attractivite_2022.csv"):
        uai, mef = row["Etablissement d'accueil"], row["MEF STAT 11"]
        cfd = cfd_of.get(mef)
        if uai[:3] in BESANCON_DEPARTEMENTS and cfd and (group_of.get(cfd) in whole or (group_of.get(cfd), cpc_of.get(cfd)) in narrowed):
            found.add((uai, mef, cfd))
    return found


def trades_of(folder: Path, cfds: set[str]) -> set[str]:
    """The ROME 4.0 codes of the Certif Info certifications (first row of each number) of ``cfds``."""
    fiches = {row["code_rome"] for row in rows(folder / "orion_rome_fiches.csv")}
    seen, found = set(), set()
    for row in rows(folder / "certifinfo_diplomes_rome_rncp.csv"):
        if row["Code_Diplome"] in seen:
            continue
        seen.add(row["Code_Diplome"])
        if row["Code_Scolarité"] in cfds:
            found |= {row[f"Code_Rome_{n}"] for n in range(1, 6)} & fiches
    return found


def objects(triples, subject, prop) -> set:
    return {o for s, p, o in triples if s == subject and p == prop}


@pytest.fixture(scope="module")
def ran() -> tuple[BuildContext, dict[str, list]]:
    """Every source up to the sector scope run over the shipped files: the context and each source's triples."""
    ctx = BuildContext(files=data_files())
    return ctx, run_until("sector_scope", ctx)


@pytest.fixture(scope="module")
def shipped(ran) -> tuple[BuildContext, list]:
    """The sector scope source's triples over the shipped files."""
    ctx, triples = ran
    return ctx, triples["sector_scope"]


@pytest.fixture(scope="module")
def mobicampus() -> str:
    [name] = [row["nom"] for row in rows(SHIPPED / "cmq_campus_list.csv") if row["nom"].startswith("Mobicampus")]
    return name


def scope_of(triples, name: str):
    [campus] = [s for s, p, o in triples if p == CMQ.scopeOf and str(o).endswith("/" + slug(name))]
    return campus


@pytest.mark.slow  # runs the sources over the full shipped files
def test_every_row_of_the_table_is_a_speciality_link(shipped):
    ctx, triples = shipped
    table = rows(SHIPPED / TABLE)
    links = {s for s, p, o in triples if p == RDF.type and o == CMQ.SpecialityLink}
    assert len(links) == len(table) == 84
    assert [i for i in ctx.issues if i.file == TABLE] == []
    for line, row in enumerate(table, start=2):
        node = iris.speciality_link(row["filiere"], row["nsf_groupe"], row["cpc"])
        assert objects(triples, node, CMQ.linkedSector) == {iris.sector(row["filiere"])}
        assert objects(triples, node, CMQ.linkedNsfGroup) == {Literal(row["nsf_groupe"])}
        assert objects(triples, node, CMQ.linkedCpc) == ({Literal(row["cpc"])} if row["cpc"] else set())
        assert objects(triples, node, CMQ.certainty) == {iris.certainty(row["certitude"])}
        assert objects(triples, node, CMQ.sourceRowNumber) == {Literal(line)}


@pytest.mark.slow  # runs the sources over the full shipped files
def test_each_link_names_every_training_of_its_nsf_group_and_cpc(shipped):
    """cmq:linkedTraining: the BCN's CFDs (first row of each) of the row's GROUPE_SPECIALITE, narrowed to the row's CPC
    in the list of diplômes professionnels when it names one; offered or not."""
    _, triples = shipped
    group_of: dict[str, str] = {}
    for row in rows(SHIPPED / "bcn_v_formation_diplome.csv"):
        group_of.setdefault(row["FORMATION_DIPLOME"], row["GROUPE_SPECIALITE"])
    cpc_of: dict[str, str] = {}
    for row in rows(SHIPPED / "orion_diplomes_professionnels.csv"):
        cpc_of.setdefault(re.sub(r"[^0-9A-Z]", "", row["Code diplôme"])[:8], row["Commission professionnelle consultative"])
    linked = 0
    for row in rows(SHIPPED / TABLE):
        node = iris.speciality_link(row["filiere"], row["nsf_groupe"], row["cpc"])
        expected = {iris.training(cfd) for cfd, group in group_of.items()
                    if group == row["nsf_groupe"] and (not row["cpc"] or cpc_of.get(cfd) == row["cpc"])}
        assert objects(triples, node, CMQ.linkedTraining) == expected, row["filiere"] + " " + row["nsf_groupe"]
        linked += len(expected)
    assert linked == sum(1 for _, p, _ in triples if p == CMQ.linkedTraining) > 1000


@pytest.mark.slow  # runs the sources over the full shipped files
def test_the_mobicampus_scope_holds_the_mobility_offers_of_the_academie_de_besancon(shipped, mobicampus):
    _, triples = shipped
    expected = mobility_offers(SHIPPED)
    cfds, uais = {cfd for _, _, cfd in expected}, {uai for uai, _, _ in expected}
    assert (len(expected), len(cfds), len(uais)) == (33, 18, 7)
    assert "40025214" in cfds  # BAC PRO maintenance des véhicules option A voitures particulières
    scope = scope_of(triples, mobicampus)
    assert objects(triples, scope, CMQ.scopeTraining) == {iris.training(cfd) for cfd in cfds}
    assert objects(triples, scope, CMQ.scopeSchool) == {iris.school(uai) for uai in uais}
    assert {iris.school("0251994G"), iris.school("0700011G")} <= objects(triples, scope, CMQ.scopeSchool)  # offer 40025214
    assert objects(triples, scope, CMQ.scopeOffer) == {iris.training_offer(uai, mef) for uai, mef, _ in expected}
    trades = trades_of(SHIPPED, cfds)
    assert "I1604" in trades  # mécanique automobile et entretien de véhicules
    assert objects(triples, scope, CMQ.scopeTrade) == {iris.trade(rome) for rome in trades}
    counts = {p: o for s, p, o in triples if s == scope and p in (CMQ.scopeTrainingCount, CMQ.scopeSchoolCount, CMQ.scopeTradeCount)}
    assert counts == {
        CMQ.scopeTrainingCount: Literal(len(cfds), datatype=XSD.integer),
        CMQ.scopeSchoolCount: Literal(len(uais), datatype=XSD.integer),
        CMQ.scopeTradeCount: Literal(len(trades), datatype=XSD.integer),
    }
    assert objects(triples, scope, CMQ.scopeTerritory) == {iris.academie("03")}
    assert objects(triples, scope, CMQ.scopeSector) == {iris.sector(MOBILITY)}
    assert objects(triples, scope, CMQ.certainty) == {iris.certainty("deduit")}
    [method] = objects(triples, scope, CMQ.matchMethod)
    assert "jamais une adhésion" in method and TABLE in method


@pytest.mark.slow  # runs the sources over the full shipped files
def test_every_campus_with_a_filiere_and_a_territory_has_a_scope_and_only_territoires_d_innovation_among_projects(shipped):
    _, triples = shipped
    twelve = {slug(row["filiere_cmq"]) for row in rows(SHIPPED / "cmq_filieres_12.csv")}
    # the académies and régions of the territoires table, without its pseudo-territories (région code 00, e.g. Polynésie française)
    territories = [row for row in rows(SHIPPED / "orion_departements_academies_regions.csv") if row["codeRegion"] != "00"]
    known = {slug(row[column]) for row in territories for column in ("libelleAcademie", "libelleRegion")}

    def located(value: str) -> bool:
        return any(slug(part) in known for part in re.split(r"\s*[,/]\s*", re.sub(r"\([^)]*\)", "", value)))

    campuses = rows(SHIPPED / "cmq_campus_list.csv")
    placed = [row for row in campuses if slug(row["filiere"]) in twelve and (located(row["academie"]) or located(row["region_academique"]))]
    scoped = {o for s, p, o in triples if p == CMQ.scopeOf}
    assert len([o for o in scoped if "/campus/" in o]) == len(placed) == 103
    assert [o for o in scoped if "/projet/" in o and "/projet/ti/" not in o] == []  # a TIP-CMQ project is its campus's own
    empty = [s for s, p, o in triples if p == CMQ.scopeTrainingCount and o == Literal(0, datatype=XSD.integer)]
    assert [s for s in empty if "/projet/" not in s] == []  # a project's scope may be empty: HIT (santé, Morbihan) has no such offer


@pytest.mark.slow  # runs the sources over the full shipped files
def test_nothing_in_the_scope_is_a_membership(shipped):
    _, triples = shipped
    assert not [t for t in triples if t[1] == RDF.type and t[2] == ORG.Membership]
    assert not [t for t in triples if str(t[1]).startswith(str(ORG))]
    scopes = {s for s, p, o in triples if p == RDF.type and o == CMQ.SectorScope}
    assert scopes and all(str(s).startswith(str(iris.ID["perimetre/"])) for s in scopes)


@pytest.mark.slow  # runs the sources over the full shipped files
def test_the_pole_vehicule_du_futur_scope_covers_its_regions_and_filieres(shipped):
    _, triples = shipped
    [pole] = [row for row in rows(SHIPPED / "poles_competitivite.csv") if row["nom"] == "Pôle Véhicule du Futur"]
    scope = iris.sector_scope(iris.cluster(pole["nom"]))
    assert (pole["region_principale"], pole["autres_regions"]) == ("Bourgogne-Franche-Comté", "Grand Est")
    assert objects(triples, scope, CMQ.scopeTerritory) == {iris.region("27"), iris.region("44")}
    assert iris.sector(MOBILITY) in objects(triples, scope, CMQ.scopeSector)
    mobicampus_schools = {iris.school(uai) for uai, _, _ in mobility_offers(SHIPPED)}
    assert mobicampus_schools <= objects(triples, scope, CMQ.scopeSchool)  # Besançon is in Bourgogne-Franche-Comté


def drop_in(tmp_path: Path, extra: list[str]) -> tuple[BuildContext, list]:
    """Run the source over the extracts of tests/data, the table with ``extra`` rows appended."""
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("*.md", "dcat-ap-*"))
    with (folder / TABLE).open("a", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in extra))
    ctx = BuildContext(files={name: folder / name for name in data_files()})
    return ctx, run_until("sector_scope", ctx)["sector_scope"]


def test_a_drop_in_table_with_a_wrong_filiere_or_nsf_group_names_file_line_and_value(tmp_path):
    lines = len((DATA / TABLE).read_text(encoding="utf-8").splitlines())
    ctx, triples = drop_in(tmp_path, [
        "Agriculture et pêche;252;Moteurs et mécanique auto;;confirme;Une filière qui n'est pas une des 12.",
        f"{MOBILITY};135;Autre;;confirme;Un groupe qui n'est pas dans la BCN (135 : aucun GROUPE_SPECIALITE).",
        f"{MOBILITY};25;Autre;;confirme;Pas trois chiffres.",
        f"{MOBILITY};252;Moteurs et mécanique auto;;confirme;Le même lien deux fois.",
        "Systèmes innovants, mécatronique;250;Mécanique-électricité;CPC Industrie;sûr;Un lien probable, certitude mal écrite.",
    ])
    issues = {(i.file, i.line, i.column, i.value, i.severity) for i in ctx.issues if i.file == TABLE}
    assert issues >= {
        (TABLE, lines + 1, "filiere", "Agriculture et pêche", "error"),
        (TABLE, lines + 2, "nsf_groupe", "135", "error"),
        (TABLE, lines + 3, "nsf_groupe", "25", "error"),
        (TABLE, lines + 4, "nsf_groupe", "252", "warning"),
        (TABLE, lines + 5, "certitude", "sûr", "warning"),
    }
    assert all(i.message.split(" / ")[0] and " / " in i.message for i in ctx.issues if i.file == TABLE)
    links = [s for s, p, o in triples if p == RDF.type and o == CMQ.SpecialityLink]
    assert len(links) == lines - 1 + 1  # the extract's rows and the CPC Industrie row, whose certainty the reason's words give
    node = iris.speciality_link("Systèmes innovants, mécatronique", "250", "CPC Industrie")
    assert objects(triples, node, CMQ.certainty) == {iris.certainty("probable")}


def test_the_table_is_a_drop_in_file_and_its_checksum_is_in_the_meta_graph(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(DATA / TABLE, folder / TABLE)
    inputs = locate_files(folder, with_defaults=True)
    assert inputs.paths[TABLE] == folder / TABLE and TABLE not in inputs.shipped
    store = tmp_path / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    query = """
    SELECT ?graph ?name ?value WHERE { GRAPH <https://w3id.org/cmqgraph/graph/meta> {
      ?source cmq:namedGraph ?graph ; prov:wasDerivedFrom ?file . ?file cmq:sourceFile ?name ; spdx:checksum/spdx:checksumValue ?value } }"""
    found = cmqgraph.open_graph(store).query(query, initBindings={"graph": iris.source_graph("sector_scope"), "name": Literal(TABLE)})
    assert [str(row[2]) for row in found] == [hashlib.sha256((DATA / TABLE).read_bytes()).hexdigest()]


def annuaire_rows(*towns: str) -> list[dict[str, str]]:
    return [row for row in rows(SHIPPED / "fr-en-annuaire-education.csv") if row["Nom_commune"] in towns]


@pytest.mark.slow  # runs the sources over the full shipped files
def test_the_mobicampus_scope_marks_its_schools_in_the_bassin_of_its_towns(shipped, mobicampus):
    _, triples = shipped
    bassins = {row["code_bassin_formation"] for row in annuaire_rows("Montbéliard", "Sévenans") if row["code_bassin_formation"]}
    assert bassins == {"3009"}
    assert {row["libelle_bassin_formation"] for row in annuaire_rows("Montbéliard") if row["code_bassin_formation"]} == {"Belfort-Montbéliard-Héricourt"}
    in_bassin = {row["Identifiant_de_l_etablissement"] for row in rows(SHIPPED / "fr-en-annuaire-education.csv")
                 if row["code_bassin_formation"] == "3009"}
    local = {uai for uai, _, _ in mobility_offers(SHIPPED)} & in_bassin
    assert local == {"0251994G", "0900236T"}  # Germaine Tillion (Montbéliard), Raoul Follereau (Belfort)
    scope = scope_of(triples, mobicampus)
    assert objects(triples, scope, CMQ.scopeLocalTerritory) == {iris.bassin_formation("3009")}
    assert objects(triples, scope, CMQ.scopeLocalSchool) == {iris.school(uai) for uai in local}
    assert objects(triples, scope, CMQ.scopeLocalSchoolCount) == {Literal(2, datatype=XSD.integer)}


@pytest.mark.slow  # runs the sources over the full shipped files
def test_a_campus_outside_the_annuaire_is_placed_in_the_departement_of_its_town_by_the_lycees(ran):
    _, triples = ran
    [campus] = [row for row in rows(SHIPPED / "cmq_campus_list.csv") if row["nom"] == "Cuir, textile, mode et luxe (Thiviers)"]
    assert (campus["ville"], campus["academie"]) == ("Thiviers", "Bordeaux")
    import json

    lycees = json.loads((SHIPPED / "lycees_geolocalisation_ival_2025.json").read_text(encoding="utf-8"))["lycees"]
    assert {r["uai"][:3] for r in lycees if r["ville"] == "Thiviers"} == {"024"}  # Dordogne, académie de Bordeaux
    node = iris.campus("Bordeaux", campus["nom"])
    assert objects(triples["lycees_ival"], node, CMQ.inDepartement) == {iris.departement("24")}
    scope = iris.sector_scope(node)
    scope_schools = {str(o).rsplit("/", 1)[-1] for o in objects(triples["sector_scope"], scope, CMQ.scopeSchool)}
    assert objects(triples["sector_scope"], scope, CMQ.scopeLocalTerritory) == {iris.departement("24")}
    local = {str(o).rsplit("/", 1)[-1] for o in objects(triples["sector_scope"], scope, CMQ.scopeLocalSchool)}
    assert local == {uai for uai in scope_schools if uai.startswith("024")} and local < scope_schools


@pytest.mark.slow  # runs the sources over the full shipped files
def test_the_territoire_d_innovation_of_nord_franche_comte_has_the_scope_of_its_theme_in_its_departements(shipped):
    _, triples = shipped
    [row] = [r for r in rows(SHIPPED / "territoires_innovation_laureats.csv") if r["nom_projet"].startswith("Transformation d'un territoire")]
    assert (row["departements"], row["theme"]) == ("25, 90", "industrie du futur, hydrogène-énergie, compétences")
    scope = iris.sector_scope(iris.project("ti", row["nom_projet"]))
    assert objects(triples, scope, CMQ.scopeTerritory) == {iris.departement("25"), iris.departement("90")}
    assert objects(triples, scope, CMQ.scopeSector) == {iris.sector("Transition énergétique, éco-industrie")}  # « hydrogène »
    schools = {str(o).rsplit("/", 1)[-1] for o in objects(triples, scope, CMQ.scopeSchool)}
    assert schools and {uai[:3] for uai in schools} <= {"025", "090"}
    assert objects(triples, scope, CMQ.scopeLocalTerritory) == set()
