"""The saved queries (queries/*.rq): metadata, parameters, and answers checked against the real data."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal
from servers import start_cmqgraph

import cmqgraph
from cmqgraph.cli import EXIT_QUERY_ERROR, main
from cmqgraph.engine import run_query, select
from cmqgraph.saved_queries import (
    CHOICE_LISTS,
    PARAMETER_TYPES,
    ParameterError,
    QueryError,
    blank_comments,
    load_queries,
    parse_query,
)

DATA = Path(__file__).parent.parent / "graph" / "data"
EXTRACTS = Path(__file__).parent / "data"
BOM = b"\xef\xbb\xbf"
QUERIES = load_queries()
MOBICAMPUS = "https://w3id.org/cmqgraph/id/campus/besancon/mobicampus-automobile-et-mobilites-du-futur-nord-franche-comte"
TI_NFC = "Transformation d'un territoire industriel"


def select_variables(sparql: str) -> list[str]:
    """Return the variables of the top-level SELECT clause, in order (``?x`` and ``(… AS ?x)``)."""
    text = blank_comments(sparql)
    clause = re.search(r"\bSELECT\b(.*?)\bWHERE\b", text, re.IGNORECASE | re.DOTALL).group(1)
    clause = re.sub(r"\b(DISTINCT|REDUCED)\b", " ", clause, flags=re.IGNORECASE)
    found = re.findall(r"\((?:[^()]|\([^()]*(?:\([^()]*\))*[^()]*\))*?\bAS\s+\?(\w+)\s*\)|\?(\w+)", clause, re.DOTALL)
    return [a or b for a, b in found]


def csv_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def run(built, name, **params):
    return run_query(name, params, store=built[0])


# --- generic checks -----------------------------------------------------------------------------------


def test_at_least_sixteen_queries():
    assert len(QUERIES) >= 16


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_metadata_complete(name):
    q = QUERIES[name]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
    for part in (q.title, q.description):
        assert set(part) >= {"fr", "en"} and all(part[lang].strip() for lang in ("fr", "en"))
    assert list(q.columns) == select_variables(q.sparql), "columns must be the SELECT variables, in order"
    for p in q.parameters:
        assert p.type in PARAMETER_TYPES
        assert p.example
        assert set(p.description) >= {"fr", "en"}, f"parameter {p.name} needs description.fr and .en"
        assert "required" in q.metadata["params"][p.name]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_examples_return_rows(built, name):
    q = QUERIES[name]
    frame = run_query(q, {p.name: p.example for p in q.parameters}, store=built[0])
    assert list(frame.columns) == list(q.columns)
    assert len(frame) >= 1


@pytest.mark.parametrize("name", sorted(n for n in QUERIES if not any(p.required for p in QUERIES[n].parameters)))
def test_runs_without_parameters(built, name):
    assert len(run_query(name, {}, store=built[0])) >= 1


def test_wrong_parameter_name_or_type():
    with pytest.raises(ParameterError, match="did you mean 'region'"):
        QUERIES["campus_par_territoire"].bind({"regoin": "Occitanie"})
    with pytest.raises(ParameterError):
        QUERIES["provenance"].bind({"iri": "not an iri"})
    with pytest.raises(ParameterError, match="needs the parameter 'region'"):
        QUERIES["metiers_non_couverts"].bind({})


def test_wrong_parameter_raises_through_run_query(built):
    with pytest.raises(ParameterError):
        run_query("campus_excellence", {"annee": "2020"}, store=built[0])


#: Parameters that filter on a name of one of the graph's lists, and the list they must offer.
NAMED_LISTS = {"region": "region", "academie": "academie", "filiere": "filiere", "campus": "campus", "projet": "projet"}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_parameters_on_a_list_offer_its_choices(name):
    for p in QUERIES[name].parameters:
        if p.name in NAMED_LISTS:
            assert p.choices == NAMED_LISTS[p.name], f"{name}: parameter {p.name} should offer the {NAMED_LISTS[p.name]} list"


@pytest.mark.parametrize("name", sorted(CHOICE_LISTS))
def test_choice_lists_hold_the_graph_labels(built, name):
    values = select(CHOICE_LISTS[name].sparql, store=built[0])["value"].tolist()
    assert values and values == sorted(values) and len(values) == len(set(values))


@pytest.mark.parametrize(("name", "column"), [("region", "libelleRegion"), ("academie", "libelleAcademie")])
def test_closed_territory_lists_are_those_of_the_territories_file(built, name, column):
    """The régions and académies offered are the file's, but for its pseudo-régions 00 (TOM) and 99 (sans objet)."""
    rows = csv_rows("orion_departements_academies_regions.csv")
    expected = {r[column] for r in rows if r["codeRegion"] not in ("00", "99")}
    assert set(select(CHOICE_LISTS[name].sparql, store=built[0])["value"]) == expected


def test_closed_lists_are_what_the_queries_compare_with(built):
    """A région accepted by the form is one the query's filter finds: every région with a campus gives rows."""
    regions = set(select(CHOICE_LISTS["region"].sparql, store=built[0])["value"])
    with_campus = set(run_query("campus_par_territoire", {}, store=built[0])["nom_region"].dropna())
    assert with_campus and with_campus <= regions
    region = sorted(with_campus)[0]
    assert len(run_query("campus_par_territoire", {"region": region}, store=built[0])) >= 1


def test_static_choices_are_checked_and_the_examples_are_among_them():
    for q in QUERIES.values():
        for p in q.parameters:
            if isinstance(p.choices, tuple):
                assert p.example in p.choices, f"{q.name}: the example of {p.name} is not among its choices"
    with pytest.raises(ParameterError, match="did you mean 'tip-cmq'") as info:
        QUERIES["projets_regionaux"].bind({"programme": "tip_cmq"})
    assert info.value.parameter == "programme"
    assert QUERIES["projets_regionaux"].bind({"programme": "TI"})["programme"].toPython() == "TI"


def test_views_name_filters_and_parameters():
    assert QUERIES["campus_excellence"].view == {"region": "region"}
    assert QUERIES["sources_et_lacunes"].view is None
    header = '#+ title.fr = "t"\n#+ title.en = "t"\n#+ description.fr = "d"\n#+ description.en = "d"\n#+ columns = ["n"]\n'
    with pytest.raises(QueryError, match="'view' must map filters"):
        parse_query("bad", header + '#+ view = { commune = "x" }\nSELECT ?n WHERE { ?n ?p ?o }')
    with pytest.raises(QueryError, match="unknown choices 'commune'"):
        parse_query("bad", header + '#+ [params.x]\n#+ example = "a"\n#+ choices = "commune"\nSELECT ?n WHERE { ?n ?p ?x }')


def test_parameter_errors_name_the_parameter():
    with pytest.raises(ParameterError) as info:
        QUERIES["metiers_non_couverts"].bind({})
    assert info.value.parameter == "region"
    with pytest.raises(ParameterError) as info:
        QUERIES["campus_par_territoire"].bind({"regoin": "Occitanie"})
    assert info.value.parameter == "regoin"


# --- the graph's closed lists check the values, wherever the query runs (issue 11) ---------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """The extracts of tests/data built into a store (a few seconds): every région and académie, 14 campuses."""
    store = tmp_path_factory.mktemp("small") / "store"
    cmqgraph.build(store=store, data_dir=EXTRACTS)
    return store


def extract_campuses(**where: str) -> set[str]:
    """The names of the campuses of the extract ``cmq_campus_list.csv`` whose columns have the values ``where``."""
    with (EXTRACTS / "cmq_campus_list.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {r["nom"] for r in csv.DictReader(handle, delimiter=";") if all(r[k] == v for k, v in where.items())}


#: (query, parameter, a value the graph does not have, the name it must suggest)
UNKNOWN_VALUES = [
    ("campus_excellence", "region", "Bourgogne", "Bourgogne-Franche-Comté"),
    ("campus_par_territoire", "academie", "Besancon", "Besançon"),
]


@pytest.mark.parametrize(("name", "param", "value", "suggested"), UNKNOWN_VALUES)
def test_a_value_the_graph_does_not_have_is_refused_with_the_closest_names(small, name, param, value, suggested):
    with pytest.raises(ParameterError) as refused:
        run_query(name, {param: value}, store=small)
    assert refused.value.parameter == param
    assert f"parameter {param!r}: {value!r} is not one of the accepted values" in str(refused.value)
    assert repr(suggested) in str(refused.value)


def test_a_graph_without_the_list_says_so():
    """An endpoint whose graph has no région (not cmqgraph's, or without the union default graph) refuses every région, saying why."""
    with pytest.raises(ParameterError, match="parameter 'region': the graph has no values in the list 'region'"):
        QUERIES["campus_excellence"].check_choices({"region": "Occitanie"}, {"region": []})
    assert QUERIES["campus_excellence"].graph_lists({"region": ""}) == []  # an empty value is no value: the default applies
    assert QUERIES["campus_par_territoire"].graph_lists({"academie": "Dijon", "filiere": "x", "region": "y"}) == ["academie", "filiere", "region"]


@pytest.mark.parametrize(("name", "param", "value", "suggested"), UNKNOWN_VALUES)
def test_the_command_line_refuses_it_with_exit_code_5(small, name, param, value, suggested):
    result = CliRunner().invoke(main, ["--store", str(small), "query", "run", name, "-p", f"{param}={value}"])
    assert result.exit_code == EXIT_QUERY_ERROR, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert f"parameter {param!r}" in result.output and repr(suggested) in result.output


def test_values_the_graph_has_give_the_same_answers_as_before(small):
    """Accepted (case ignored, as the queries compare them), they answer the extract's campuses."""
    excellence = extract_campuses(region_academique="Bourgogne-Franche-Comté", excellence="oui")
    assert len(excellence) == 4
    for value in ("Bourgogne-Franche-Comté", "bourgogne-franche-comté"):
        assert set(run_query("campus_excellence", {"region": value}, store=small)["nom_campus"]) == excellence
    besancon = run_query("campus_par_territoire", {"academie": "Besançon"}, store=small)
    assert set(besancon["nom_campus"]) == extract_campuses(academie="Besançon") and len(set(besancon["nom_campus"])) == 3
    assert len(run_query("campus_excellence", {}, store=small)) == len(extract_campuses(excellence="oui"))  # defaults unchecked


def test_lists_the_caller_holds_are_used_instead_of_the_graphs(small):
    """The server passes the lists it keeps: the query is checked against them, the graph's lists are not read again."""
    with pytest.raises(ParameterError, match="'Bourgogne-Franche-Comté' is not one of the accepted values"):
        run_query("campus_excellence", {"region": "Bourgogne-Franche-Comté"}, store=small, lists={"region": ["Occitanie"]})
    held = run_query("campus_excellence", {"region": "Bourgogne-Franche-Comté"}, store=small, lists={"region": ["Bourgogne-Franche-Comté"]})
    assert set(held["nom_campus"]) == extract_campuses(region_academique="Bourgogne-Franche-Comté", excellence="oui")


def test_the_same_check_on_a_remote_endpoint(small, tmp_path):
    """On an endpoint, the lists are read from the endpoint's graph: a real ``cmqgraph serve`` on 127.0.0.1."""
    with start_cmqgraph(small, tmp_path) as server:
        with pytest.raises(ParameterError, match="did you mean .*'Bourgogne-Franche-Comté'") as refused:
            run_query("campus_excellence", {"region": "Bourgogne"}, endpoint=server.endpoint, timeout=30)
        assert refused.value.parameter == "region"
        remote = run_query("campus_excellence", {"region": "Bourgogne-Franche-Comté"}, endpoint=server.endpoint, timeout=30)
    local = run_query("campus_excellence", {"region": "Bourgogne-Franche-Comté"}, store=small)
    assert remote.to_dict("records") == local.to_dict("records") and len(local) == 4


@pytest.mark.parametrize("bom", [b"", BOM], ids=["no BOM", "BOM"])
def test_a_saved_query_file_that_is_not_utf8_is_named_with_its_line_and_byte(small, tmp_path, bom):
    content = bom + QUERIES["campus_excellence"].path.read_text(encoding="utf-8").encode("cp1252")
    path = tmp_path / "campus_excellence.rq"
    path.write_bytes(content)
    offset = next(i for i, byte in enumerate(content) if byte >= 0x80 and i >= len(bom))
    line = content[:offset].count(b"\n") + 1
    expected = f"{path}, line {line}: not valid UTF-8 (byte 0x{content[offset]:02x} at offset {offset}); save the file as UTF-8"
    with pytest.raises(QueryError) as refused:
        load_queries(folders=(tmp_path,))
    assert str(refused.value) == expected
    result = CliRunner().invoke(main, ["--store", str(small), "serve", "--queries", str(tmp_path)])
    assert result.exit_code == EXIT_QUERY_ERROR and result.output == f"error: {expected}\n"


def test_a_saved_query_file_with_a_bom_is_read(tmp_path):
    shipped = QUERIES["campus_excellence"]
    (tmp_path / "mine.rq").write_bytes(BOM + shipped.path.read_bytes())
    mine = load_queries(folders=(tmp_path,))["mine"]
    assert (mine.title, mine.columns, mine.sparql) == (shipped.title, shipped.columns, shipped.sparql)


# --- answers from the real data -----------------------------------------------------------------------


def test_campus_par_territoire_matches_the_list(built):
    rows = csv_rows("cmq_campus_list.csv")
    expected = {r["nom"] for r in rows if r["region_academique"] == "Bourgogne-Franche-Comté"}
    frame = run(built, "campus_par_territoire", region="bourgogne-franche-comté")
    assert set(frame.nom_campus) == expected
    mobi = frame[frame.iri_campus == MOBICAMPUS].iloc[0]
    assert (mobi.annee_label_cmq, mobi.excellence, mobi.annee_excellence, mobi.date_excellence) == ("2016", "oui", "2020", "2020-02-06")
    besancon = run(built, "campus_par_territoire", academie="Besançon")
    assert set(besancon.nom_campus) == {r["nom"] for r in rows if r["academie"] == "Besançon"}
    plasturgie = run(built, "campus_par_territoire", region="Auvergne-Rhône-Alpes", filiere="Matériaux, matériaux innovants")
    assert any(n.startswith("Plasticampus") for n in plasturgie.nom_campus)


def test_campus_excellence_bfc(built):
    frame = run(built, "campus_excellence", region="Bourgogne-Franche-Comté")
    mobi = frame[frame.iri_campus == MOBICAMPUS]
    assert len(mobi) == 1
    assert (mobi.iloc[0].annee_excellence, mobi.iloc[0].date_excellence, mobi.iloc[0].certitude) == ("2020", "2020-02-06", "confirme")
    everywhere = run(built, "campus_excellence")
    assert everywhere.iri_campus.nunique() == sum(r["excellence"] == "oui" for r in csv_rows("cmq_campus_list.csv"))


def test_plasticampus_support_school(built):
    frame = run(built, "etablissements_du_campus", campus="plasticampus")
    support = frame[frame.role == "support"]
    assert support.uai.tolist() == ["0011119L"]
    assert support.iloc[0].methode and support.iloc[0].score is not None


def test_membres_partages_utbm(built):
    frame = run(built, "membres_partages")
    utbm = frame[frame.nom_membre.str.startswith("Université de technologie de Belfort-Montbéliard")]
    assert set(utbm.type_organisation) == {"campus", "projet"}
    assert any(n.startswith("Mobicampus") for n in utbm.nom_organisation)
    assert any(n.startswith(TI_NFC) for n in utbm.nom_organisation)
    assert (frame.nb_organisations >= 2).all()


def test_formations_and_trades_of_plasticampus(built):
    offer = run(built, "formations_du_campus", campus="Plasticampus")
    assert set(offer.uai) == {"0011119L"}
    # Affelnet 2022: the lycée Arbez Carme offers the bac pro Plastiques et composites (CFD 40022503)
    assert "40022503" in set(offer.cfd)
    assert (offer.capacite >= 0).all()
    trades = run(built, "metiers_du_campus", campus="Plasticampus")
    # Certif Info: the bac pro Maintenance des systèmes de production connectés leads to ROME I1304
    assert "I1304" in set(trades.code_rome)


def test_pole_vehicule_du_futur_overlaps_mobicampus(built):
    frame = run(built, "poles_et_campus", campus="Mobicampus")
    vdf = frame[frame.nom_pole == "Pôle Véhicule du Futur"]
    assert vdf.lien.tolist() == ["les deux"]
    assert vdf.iloc[0].region_commune == "Bourgogne-Franche-Comté"
    assert set(frame.lien) <= {"secteur", "territoire", "les deux"}


def test_ti_contains_mobicampus(built):
    frame = run(built, "territoire_du_projet", projet=TI_NFC)
    mobi = frame[(frame.ressource == MOBICAMPUS)]
    assert {"membre", "departement", "region"} <= set(mobi.lien)
    assert "Pôle Véhicule du Futur" in set(frame[frame.type == "pole"].nom)
    # schools in the Doubs (25) or the Territoire de Belfort (90): their UAI starts with 025 or 090
    schools = frame[frame.type == "etablissement"]
    assert len(schools) > 0
    assert all(r.rsplit("/", 1)[1][:3] in {"025", "090"} for r in schools.ressource)


def test_trade_gaps_exclude_covered_trades(built):
    gaps = run(built, "metiers_non_couverts", region="Auvergne-Rhône-Alpes")
    covered = run(built, "metiers_du_campus", campus="Plasticampus")
    covered = covered[covered.nb_formations_membres > 0]  # the gaps are those of the campuses' members
    assert len(gaps) > 0 and len(covered) > 0
    assert not set(gaps.code_rome) & set(covered.code_rome)


def test_trades_shared_by_campuses(built):
    frame = run(built, "metiers_communs_aux_campus")
    assert (frame.nb_campus >= 2).all()
    assert (frame.nb_regions <= frame.nb_campus).all()


def test_regions_campus_counts_match_the_list(built):
    expected = Counter(r["region_academique"] for r in csv_rows("cmq_campus_list.csv"))
    excellence = Counter(r["region_academique"] for r in csv_rows("cmq_campus_list.csv") if r["excellence"] == "oui")
    frame = run(built, "regions_classement")
    assert len(frame) == 18
    for row in frame.itertuples():
        assert row.nb_campus == expected.get(row.nom_region, 0), row.nom_region
        assert row.nb_campus_excellence == excellence.get(row.nom_region, 0), row.nom_region
        if row.nb_campus:
            assert row.part_excellence_pct == (200 * row.nb_campus_excellence + row.nb_campus) // (2 * row.nb_campus)  # half up, as SPARQL ROUND
    bfc = frame[frame.nom_region == "Bourgogne-Franche-Comté"].iloc[0]
    assert bfc.part_excellence_pct == 36  # 4 of 11
    poles = csv_rows("poles_competitivite.csv")
    assert bfc.nb_poles_region_principale >= 1 and bfc.nb_poles >= bfc.nb_poles_region_principale
    assert len(poles) >= frame.nb_poles_region_principale.sum()


def test_provenance_of_mobicampus(built):
    frame = run(built, "provenance", iri=MOBICAMPUS)
    graphs = set(frame[frame.aspect == "graphe"].graphe)
    assert {"https://w3id.org/cmqgraph/graph/cmq", "https://w3id.org/cmqgraph/graph/faits_bfc"} <= graphs
    assert "https://letrois.info/en-bref/mobicampus-obtient-le-label-national-campus-dexcellence/" in set(frame.valeur)
    assert frame[frame.aspect == "certitude"].valeur.tolist() == ["deduit"]
    assert frame[frame.aspect == "graphe"].licence.notna().all()


def test_what_the_graph_does_not_know(built):
    rows = csv_rows("cmq_campus_list.csv")
    frame = run(built, "ce_que_le_graphe_ignore")
    assert (frame.lacune == "sans-academie").sum() == sum(not r["academie"] for r in rows)
    assert (frame.lacune == "excellence-inconnue").sum() == sum(r["excellence"] == "inconnu" for r in rows)
    assert (frame[frame.lacune == "certitude"].valeur != "confirme").all()
    assert frame.note.notna().all()
    only = run(built, "ce_que_le_graphe_ignore", lacune="filiere-deduite")
    assert set(only.lacune) == {"filiere-deduite"}
    # the list's remark says so: « filière déduite du thème », « filière = hypothèse », « filière assignée »
    assert len(only) == sum(bool(re.search(r"filière (déduite|= hypothèse|assignée)", r["remarque"])) for r in rows)


def test_sources_and_gaps(built):
    frame = run(built, "sources_et_lacunes")
    cmq = frame[frame.graphe == "https://w3id.org/cmqgraph/graph/cmq"].iloc[0]
    assert cmq.nb_lignes == len(csv_rows("cmq_campus_list.csv"))
    assert cmq.note_completude
    assert frame.licence.notna().all() and (frame.nb_lignes_ignorees >= 0).all()


def test_poles_by_region(built):
    frame = run(built, "poles_par_region", region="Bourgogne-Franche-Comté")
    vdf = frame[frame.nom_pole == "Pôle Véhicule du Futur"]
    assert set(vdf.region_principale) == {"oui"}
    assert {"pole-phase-5"} <= set(vdf.phase)
    assert ("2023", "2026") in set(zip(vdf.annee_debut, vdf.annee_fin))
    grand_est = run(built, "poles_par_region", region="Grand Est")
    assert "non" in set(grand_est[grand_est.nom_pole == "Pôle Véhicule du Futur"].region_principale)


def test_regional_projects(built):
    frame = run(built, "projets_regionaux", programme="ti")
    assert set(frame.code_programme) == {"ti"}
    assert frame.iri_projet.nunique() == 20
    ti = frame[frame.nom_projet.str.startswith(TI_NFC)]
    assert set(ti.date_laureat) == {"2019-09-13"}


def test_offer_of_a_school(built):
    """Typed in lower case, the UAI finds every Affelnet 2022 offer of the lycée 0011119L whose MEF STAT 11 the BCN
    N_MEF table knows (the others are row errors of the build)."""
    with (DATA / "bcn_n_mef.csv").open(encoding="utf-8-sig", newline="") as handle:
        known = {r["MEF_STAT_11"] for r in csv.DictReader(handle, delimiter=";")}
    with (DATA / "orion_uai_mefstat_attractivite_2022.csv").open(encoding="utf-8", newline="") as handle:
        offered = {r["MEF STAT 11"] for r in csv.DictReader(handle, delimiter=";") if r["Etablissement d'accueil"] == "0011119L"}
    frame = run(built, "offre_etablissement", uai="0011119l")
    assert {str(m).rsplit("/", 1)[-1] for m in frame.mef} == offered & known != set()
    assert "40022503" in set(frame.cfd)
    assert any(n.startswith("Plasticampus") for n in frame.nom_campus.dropna())


def test_insertion_of_plasticampus(built):
    frame = run(built, "insertion_du_campus", campus="Plasticampus")
    assert set(frame.uai) == {"0011119L"}
    assert {"ensemble", "apprentis", "scolaires"} <= set(frame.population)


def test_perimetre_du_campus_is_the_sector_scope_not_the_members(built):
    """Mobicampus's scope: BAC PRO maintenance des véhicules (40025214, NSF group 252 → Mobilité) as Affelnet 2022
    offers it in the académie de Besançon, at the lycées Germaine Tillion (0251994G) and 0700011G; neither is a member
    the members file names (it names only the lycée Nelson Mandela, 0250001R, among Mobicampus's schools)."""
    frame = run(built, "perimetre_du_campus", campus="mobicampus")
    assert set(frame.filiere) == {"Mobilité, aéronautique, transports terrestres et maritimes"}
    assert {"0251994G", "0700011G"} <= set(frame[frame.cfd == "40025214"].uai)
    assert not frame[frame.uai != "0250001R"].membre_connu.any()
    assert (frame.nb_metiers >= 0).all() and frame.nb_metiers.max() > 0


def test_metiers_du_campus_tells_members_from_scope(built):
    """Mobicampus: its member lycée Nelson Mandela (0250001R, lycée des métiers de la plasturgie) leads to ROME H3201
    (plasturgiste); the bac pro maintenance des véhicules of its scope (40025214, Certif Info) to I1604."""
    frame = run(built, "metiers_du_campus", campus="Mobicampus")
    origin = dict(zip(frame.code_rome, frame.origine, strict=True))
    assert origin["H3201"] == "membres"
    assert origin["I1604"] == "périmètre (déduit)"
    assert set(frame.origine) <= {"membres", "périmètre (déduit)", "membres et périmètre"}
    both = frame[frame.origine == "membres et périmètre"]
    assert ((both.nb_formations_membres > 0) & (both.nb_formations_perimetre > 0)).all()


def test_etablissements_a_inviter_are_scope_schools_that_are_not_members(built):
    """Mobicampus: the lycées Germaine Tillion (0251994G, Montbéliard) and Henri Fertet (0700011G, Gray) offer the bac
    pro maintenance des véhicules (40025214) in its académie and are in no member list; every row is in its scope."""
    frame = run(built, "etablissements_a_inviter", campus="mobicampus")
    assert {"0251994G", "0700011G"} <= set(frame.uai)
    scope = set(run(built, "perimetre_du_campus", campus="mobicampus").uai)
    members = set(run(built, "etablissements_du_campus", campus="mobicampus").uai.dropna())
    assert set(frame.uai) <= scope and not set(frame.uai) & members
    assert (frame.nb_formations >= 1).all()


def test_metiers_absents_du_pole_are_outside_its_scope(built):
    """Pôle Véhicule du Futur: the trades its scope (its régions) reaches are never listed as absent; the
    mécanicien automobile (I1604), whose bac pro is offered in Bourgogne-Franche-Comté, is not absent."""
    frame = run(built, "metiers_absents_du_pole", pole="Véhicule du Futur")
    assert len(frame) > 0 and (frame.nb_formations_ailleurs >= 1).all()
    assert "I1604" not in set(frame.code_rome)
    reached = select(
        "SELECT ?code WHERE { ?s a cmq:SectorScope ; cmq:scopeOf ?p ; cmq:scopeTrade/skos:notation ?code . "
        "?p rdfs:label \"Pôle Véhicule du Futur\"@fr }", store=built[0])
    assert len(reached) > 0 and not set(frame.code_rome) & set(reached.code)


def test_a_uai_parameter_is_read_in_any_case_and_its_check_letter_checked():
    assert QUERIES["offre_etablissement"].bind({"uai": " 0011119l "})["uai"] == Literal("0011119L")
    with pytest.raises(ParameterError, match="check letter") as refused:
        QUERIES["offre_etablissement"].bind({"uai": "0011119M"})
    assert refused.value.parameter == "uai"
