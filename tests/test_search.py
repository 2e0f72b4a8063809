"""Search (issue 14): ``cmqgraph.search``, ``cmqgraph search``, ``/search`` and ``/api/search`` on the default graph.

Every expected thing is read from the shipped files (graph/data), its IRI minted by cmqgraph.iris from the
values read there: the search must find it in its first three results (a code typed alone: first).
"""

# ruff: noqa: F811  (the server fixture is imported from servers.py, then named as a test argument)

from __future__ import annotations

import csv
import importlib
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import cmqgraph
import pytest
from cmqgraph import iris
from cmqgraph.builder import default_data_dir
from cmqgraph.errors import ParameterError, StoreError
from cmqgraph.store import SEARCH_INDEX, store_kind
from conftest import DATA, build_with_campus_renamed
from servers import cmqgraph_server, start_cmqgraph  # noqa: F401  (pytest fixture)

search_module = importlib.import_module("cmqgraph.search")  # cmqgraph.search is the function
SHIPPED = default_data_dir()


def rows(name: str, folder: Path = SHIPPED) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def one(name: str, column: str, value: str, folder: Path = SHIPPED) -> dict[str, str]:
    (row,) = [r for r in rows(name, folder) if r[column] == value]
    return row


# ------------------------------------------------------------------------------------ what the data says

MOBICAMPUS = one("cmq_campus_list.csv", "nom", "Mobicampus – Automobile et mobilités du futur (Nord Franche-Comté)")
CAMPUS = str(iris.campus(MOBICAMPUS["academie"], MOBICAMPUS["nom"]))
MANDELA = one("fr-en-annuaire-education.csv", "Identifiant_de_l_etablissement", "0250001R")
SCHOOL = str(iris.school(MANDELA["Identifiant_de_l_etablissement"]))


#: The apprenticeship kit gives RNCP25353 its CFD (40025510, a Bac pro of the BCN).
RNCP_CFD = one("kit_apprentissage_cfd_rncp_20231218.csv", "Code_RNCP", "RNCP25353")["Code_Diplome"]
TRAINING = str(iris.training(RNCP_CFD))
TRADE = str(iris.trade(one("orion_rome_fiches.csv", "code_rome", "H2209")["code_rome"]))
CLUSTER = str(iris.cluster(one("poles_competitivite.csv", "nom", "Pôle Véhicule du Futur")["nom"]))
#: The schools of the directory named Nelson Mandela in Audincourt (the lycée and its general section).
AUDINCOURT = {
    str(iris.school(r["Identifiant_de_l_etablissement"])) for r in rows("fr-en-annuaire-education.csv")
    if "Nelson Mandela" in r["Nom_etablissement"] and r["Nom_commune"] == "Audincourt"
}

#: Each case of the issue: what a person types → the thing it must find in the first three.
CASES = {
    "mobicampus": CAMPUS,
    "Mobicampus": CAMPUS,
    "mobicamp": CAMPUS,  # as one types
    "mobicampsu": CAMPUS,  # a typo
    "MOBICAMPUS – automobile": CAMPUS,
    "nelson mandela audincourt": SCHOOL,
    "Nelson-Mandela, AUDINCOURT": SCHOOL,
    "lycée professionnel nelson mandela": SCHOOL,
    "nels mand audinc": SCHOOL,
    "pôle véhicule du futur": CLUSTER,
    "pole vehicule futur": CLUSTER,
    "dessinatrice structures bois": TRADE,
    "metiers electricite environnements connectes bac pro": TRAINING,
}
#: A code typed alone finds its thing first.
CODES = {
    "0250001R": SCHOOL, "0250001r": SCHOOL, "H2209": TRADE, "h2209": TRADE, RNCP_CFD: TRAINING, "RNCP25353": TRAINING,
    "rncp 25353": TRAINING,
}


def test_the_expected_things_are_read_from_the_data():
    assert MANDELA["Nom_etablissement"] == "Lycée professionnel Nelson Mandela" and MANDELA["Nom_commune"] == "Audincourt"
    assert CAMPUS.endswith("/campus/besancon/mobicampus-automobile-et-mobilites-du-futur-nord-franche-comte")
    assert RNCP_CFD == "40025510" and CLUSTER.endswith("/pole/pole-vehicule-du-futur")
    assert SCHOOL in AUDINCOURT and len(AUDINCOURT) == 2


# ------------------------------------------------------------------------------------ the index, built with the graph


def test_the_build_writes_the_index_into_the_store(built):
    store, report = built
    assert report.search_note == ""
    assert (store / SEARCH_INDEX).is_file()
    assert store_kind(store) == "cmqgraph"  # the index is one of the store's own files
    index = search_module.open_index(store, build=False)
    assert index.things > 20_000  # campuses, schools, trainings, trades, pôles, projects, territories


# ------------------------------------------------------------------------------------ the cases of the issue


@pytest.mark.parametrize("text", list(CASES))
def test_each_case_is_in_the_first_three(built, text):
    hits = cmqgraph.search(text, store=built[0])
    assert CASES[text] in [h.iri for h in hits[:3]], [(h.iri, h.score) for h in hits[:5]]


@pytest.mark.parametrize("code", list(CODES))
def test_a_code_alone_finds_its_thing_first(built, code):
    hits = cmqgraph.search(code, store=built[0])
    assert hits[0].iri == CODES[code]


def test_accents_case_and_punctuation_do_not_count(built):
    plain = cmqgraph.search("lycee professionnel nelson mandela audincourt", store=built[0])
    noisy = cmqgraph.search("LYCÉE-professionnel « Nelson » Mandéla, audincourt !", store=built[0])
    assert [h.iri for h in noisy] == [h.iri for h in plain] and plain[0].iri == SCHOOL


def test_several_words_narrow(built):
    wide = search_module.search_facets("nelson mandela", store=built[0])
    narrow = search_module.search_with_facets("nelson mandela audincourt", store=built[0])
    assert {h.iri for h in narrow.hits} == AUDINCOURT  # every school of that name in that town, nothing else
    assert narrow.facets == {"school": len(AUDINCOURT)} and wide["school"] > narrow.facets["school"]


def test_a_typo_is_forgiven(built):
    assert one("orion_rome_fiches.csv", "code_rome", "D1102")["libelle_rome"] == "Boulanger / Boulangère"
    boulanger = str(iris.trade("D1102"))
    assert boulanger in [h.iri for h in cmqgraph.search("boulangre", store=built[0])[:3]]
    assert cmqgraph.search("mobicampsu", kind="campus", store=built[0])[0].iri == CAMPUS


def test_a_name_alone_puts_its_territories_first(built):
    hits = cmqgraph.search("Bourgogne-Franche-Comté", store=built[0])
    assert hits[0].kind == "region" and hits[0].label == "Bourgogne-Franche-Comté"
    besancon = cmqgraph.search("besancon", store=built[0])
    assert {h.kind for h in besancon[:3]} == {"academie", "commune", "bassin"} and all(h.label == "Besançon" for h in besancon[:3])


def test_the_snippet_says_why_a_thing_was_found(built):
    (h2903,) = [r for r in rows("orion_rome_appellations_metiers.csv") if r["libelle_appellation_long"] == "Affûteur / Affûteuse de menuiserie"]
    hit = cmqgraph.search("affuteuse menuiserie", kind="trade", store=built[0])[0]
    assert hit.iri == str(iris.trade(h2903["code_rome"])) and hit.snippet.startswith("Affûteur / Affûteuse de menuiserie")
    member = [h for h in cmqgraph.search("mobicampus", store=built[0]) if h.iri == SCHOOL]
    assert member and member[0].snippet.startswith("membre de Mobicampus")  # a member school, found through its campus


# ------------------------------------------------------------------------------------ kind, limit, facets, bad input


def test_the_kind_filter_and_the_facets(built):
    result = search_module.search_with_facets("besancon", store=built[0])
    communes = search_module.search_with_facets("besancon", kind="commune", store=built[0])
    assert communes.facets == result.facets  # the facets count every kind, whatever the filter
    assert communes.hits and {h.kind for h in communes.hits} == {"commune"}
    assert len(communes.hits) == result.facets["commune"]
    assert list(result.facets.values()) == sorted(result.facets.values(), reverse=True)
    assert set(result.facets) <= set(search_module.KINDS) and result.total == sum(result.facets.values())


def test_the_limit(built):
    assert len(cmqgraph.search("lycee", limit=3, store=built[0])) == 3
    assert len(cmqgraph.search("lycee", store=built[0])) == 10
    assert len(cmqgraph.search("lycee", limit=search_module.MAX_LIMIT, store=built[0])) == search_module.MAX_LIMIT


@pytest.mark.parametrize("kwargs, parameter", [
    ({"kind": "lycee"}, "kind"), ({"limit": 0}, "limit"), ({"limit": search_module.MAX_LIMIT + 1}, "limit"), ({"limit": "3"}, "limit"),
])
def test_bad_parameters_are_refused(built, kwargs, parameter):
    with pytest.raises(ParameterError) as caught:
        cmqgraph.search("mobicampus", store=built[0], **kwargs)
    assert caught.value.parameter == parameter


def test_nothing_to_search_finds_nothing(built):
    for text in ("", "   ", "« — »", "l"):
        assert search_module.search_with_facets(text, store=built[0]).hits == ()
    with pytest.raises(ParameterError):
        cmqgraph.search("x" * (search_module.MAX_TEXT + 1), store=built[0])
    assert cmqgraph.search("zzqqxxw", store=built[0]) == []


def test_no_graph_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="run 'cmqgraph build' first"):
        cmqgraph.search("mobicampus", store=tmp_path / "none")


# ------------------------------------------------------------------------------------ the index follows the graph


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """The extracts of tests/data built into a store."""
    store = tmp_path_factory.mktemp("search-small") / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    return store


def test_the_index_follows_a_rebuild(tmp_path):
    store = tmp_path / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    assert cmqgraph.search("Maroquinerie et métiers d'art", store=store)[0].label == "Maroquinerie et métiers d'art"
    build_with_campus_renamed(tmp_path, "Maroquinerie et métiers d'art", "Sellerie et cuirs d'art")
    assert cmqgraph.search("sellerie cuirs", store=store)[0].label == "Sellerie et cuirs d'art"
    assert cmqgraph.search("maroquinerie", kind="campus", store=store) == []


def test_a_store_without_index_gets_one_at_the_first_search(tmp_path):
    store = tmp_path / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    (store / SEARCH_INDEX).unlink()  # a store built before the index existed
    with pytest.raises(StoreError, match="no search index"):
        search_module.open_index(store, build=False)
    assert cmqgraph.search("mobicampus", store=store)[0].iri == CAMPUS
    assert (store / SEARCH_INDEX).is_file() and store_kind(store) == "cmqgraph"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]  # written beside, then renamed: nothing left


def test_a_build_whose_index_fails_still_builds_and_says_so(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise cmqgraph.errors.OutputError("disk full (simulated)")

    monkeypatch.setattr("cmqgraph.builder.build_index", broken)
    report = cmqgraph.build(store=tmp_path / "store", data_dir=DATA)
    assert "the search index was not written (disk full (simulated))" in report.search_note
    assert store_kind(tmp_path / "store") == "cmqgraph" and not (tmp_path / "store" / SEARCH_INDEX).exists()


def test_a_killed_index_write_leaves_a_store_a_build_may_replace(small, tmp_path):
    folder = tmp_path / "store"
    folder.mkdir()
    for path in small.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / f".{SEARCH_INDEX}.part-12345").write_bytes(b"half")
    assert store_kind(folder) == "cmqgraph"


# ------------------------------------------------------------------------------------ the command line


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cmqgraph", *args], capture_output=True, text=True, timeout=300)


def test_the_command_line_formats(built):
    store = str(built[0])
    answer = json.loads(cli("--store", store, "search", "0250001R", "--format", "json").stdout)
    assert answer["results"][0]["iri"] == SCHOOL and answer["facets"] == {"school": 1}
    assert set(answer["results"][0]) == {"iri", "label", "kind", "code", "score", "snippet"}
    table = cli("--store", store, "search", "nelson mandela audincourt", "--limit", "1", "--format", "csv")
    lines = table.stdout.splitlines()
    assert table.returncode == 0 and lines[0] == "iri,label,kind,code,score,snippet" and len(lines) == 2 and lines[1].startswith(SCHOOL)
    people = cli("--store", store, "search", "mobicampsu", "--kind", "campus")
    assert people.returncode == 0 and "Mobicampus" in people.stdout and "trouvé" in people.stdout


@pytest.mark.parametrize("args, code", [
    (("search", ""), 2), (("search", "x", "--kind", "lycee"), 2), (("search", "x", "--limit", "0"), 2),
    (("search", "x", "--format", "xml"), 2), (("search", "x" * 301), 2),
])
def test_the_command_line_refuses_bad_input(built, args, code):
    result = cli("--store", str(built[0]), *args)
    assert result.returncode == code and "Traceback" not in result.stderr


def test_the_command_line_without_a_graph_exits_4(tmp_path):
    result = cli("--store", str(tmp_path / "none"), "search", "mobicampus")
    assert result.returncode == 4 and "run 'cmqgraph build' first" in result.stderr


# ------------------------------------------------------------------------------------ the server


def get(server, path: str, **params) -> tuple[int, bytes, dict]:
    url = server.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_the_api_answers_results_and_facets(cmqgraph_server):
    status, body, headers = get(cmqgraph_server, "/api/search", q="nelson mandela audincourt")
    answer = json.loads(body)
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert set(answer) == {"results", "facets"} and answer["facets"] == {"school": len(AUDINCOURT)}
    assert answer["results"][0]["iri"] == SCHOOL and answer["results"][0]["code"] == "0250001R"
    assert all(set(r) == {"iri", "label", "kind", "code", "score", "snippet"} for r in answer["results"])
    _, body, _ = get(cmqgraph_server, "/api/search", q="besancon", kind="commune", limit="1")
    (commune,) = json.loads(body)["results"]
    assert commune["kind"] == "commune" and commune["label"] == "Besançon"


@pytest.mark.parametrize("params, field", [
    ({}, "q"), ({"q": "  "}, "q"), ({"q": "x", "kind": "lycee"}, "kind"), ({"q": "x", "limit": "0"}, "limit"),
    ({"q": "x", "limit": "abc"}, "limit"), ({"q": "x" * 301}, "q"),
])
def test_the_api_refuses_bad_parameters(cmqgraph_server, params, field):
    status, body, _ = get(cmqgraph_server, "/api/search", **params)
    assert status == 422 and json.loads(body)["detail"][0]["loc"] == ["query", field]


def test_the_api_is_described(cmqgraph_server):
    _, body, _ = get(cmqgraph_server, "/openapi.json")
    operation = json.loads(body)["paths"]["/api/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "kind", "limit"} and "422" in operation["responses"]
    assert "/search" not in json.loads(body)["paths"]  # the page is not API


def test_the_page_links_each_result_to_its_page(cmqgraph_server):
    status, body, _ = get(cmqgraph_server, "/search", q="mobicampus")
    page = body.decode("utf-8")
    assert status == 200 and '<html lang="fr">' in page
    assert 'href="/id/campus/besancon/mobicampus-automobile-et-mobilites-du-futur-nord-franche-comte"' in page
    assert 'href="/id/etablissement/0250001R"' in page  # the member school
    assert 'href="/search?q=mobicampus&amp;kind=campus"' in page  # its facet
    assert 'value="mobicampus"' in page  # the query echoed in the boxes
    assert 'for="search-q"' in page and 'for="search-kind"' in page


def test_the_page_without_a_query_and_with_bad_parameters(cmqgraph_server):
    status, body, _ = get(cmqgraph_server, "/search")
    assert status == 200 and "<ol class=\"hits\">" not in body.decode("utf-8") and "Exemples" in body.decode("utf-8")
    status, body, _ = get(cmqgraph_server, "/search", q="x", kind="lycee")
    assert status == 422 and "unknown kind" in body.decode("utf-8")
    status, body, _ = get(cmqgraph_server, "/search", q="besancon", kind="commune")
    assert status == 200 and 'data-kind="commune" aria-current="page"' in body.decode("utf-8")


def test_the_server_writes_a_missing_index_and_follows_a_rebuild(tmp_path):
    store = tmp_path / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    (store / SEARCH_INDEX).unlink()  # a store built before the index existed: a worker writes it at the first search
    with start_cmqgraph(store, tmp_path) as server:
        _, body, _ = get(server, "/api/search", q="maroquinerie", kind="campus")
        assert [r["label"] for r in json.loads(body)["results"]] == ["Maroquinerie et métiers d'art"]
        assert (store / SEARCH_INDEX).is_file()
        build_with_campus_renamed(tmp_path, "Maroquinerie et métiers d'art", "Sellerie et cuirs d'art")
        _, body, _ = get(server, "/api/search", q="sellerie", kind="campus")
        assert [r["label"] for r in json.loads(body)["results"]] == ["Sellerie et cuirs d'art"]
