"""The map page ``/carte``, its GeoJSON, the map panel of a page, the static files and the home page, in a real server.

``cmqgraph serve`` runs on 127.0.0.1 over the default graph (the session's ``cmqgraph_server``). Expected
figures are read from the shipped files (``graph/data``: the campus list, the members, the outlines, the pôles)
with the csv and json modules, or counted in the store by queries of their own, never taken from the code under
test. In headless Chromium (the fixtures of ``test_server_browser``): the pages render, ``lang="fr"``, every form
field has its label, no request leaves 127.0.0.1, no console error; screenshots in ``tests/output/carte-*.png``.
"""

# ruff: noqa: F811  (the fixtures imported from servers, test_server_browser and test_view are parameters of the tests)
from __future__ import annotations

import csv
import hashlib
import html
import http.client
import json
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from cmqgraph import engine
from cmqgraph.saved_queries import insert_values
from rdflib import Literal
from servers import cmqgraph_server  # noqa: F401  (a fixture)
from test_server_browser import Tab, tab  # noqa: F401  (tab: a Chromium page that logs console errors and requests)
from test_view import OUTPUT, browser  # noqa: F401  (browser: the Chromium fixture; it skips without Playwright or chromium)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "graph" / "data"
STATIC = ROOT / "graph" / "server" / "static"
MANDELA = "0250001R"  # lycée professionnel Nelson Mandela, Audincourt: a member of Mobicampus (cmq_membres.csv)
MOBICAMPUS = "Mobicampus – Automobile et mobilités du futur (Nord Franche-Comté)"
CMQ = "https://w3id.org/cmqgraph/ontology#"


def fold(text: str) -> str:
    """A name without accents, case, spaces or punctuation, to match the files' names with the graph's."""
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())


def rows(name: str) -> list[dict]:
    with open(SHIPPED / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def outline_file(name: str) -> dict[str, dict]:
    """The features of a shipped outline file by code (régions: ``reg``, académies: ``code_academie``)."""
    key = "reg" if name.startswith("regions") else "code_academie"
    return {str(f["properties"][key]): f for f in json.loads((SHIPPED / name).read_text(encoding="utf-8"))["features"]}


def get_json(server, path: str, status: int = 200) -> dict:
    answer = requests.get(server.base + path, timeout=120)
    assert answer.status_code == status, answer.text[:500]
    if status == 200:
        assert answer.headers["content-type"] == "application/geo+json"
    return answer.json()


def by_code(collection: dict) -> dict[str, dict]:
    return {f["properties"]["code"]: f["properties"] for f in collection["features"]}


def positions(geometry: dict) -> list[list[float]]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [p for polygon in polygons for ring in polygon for p in ring]


def iri_of(store, cls: str, label: str) -> str:
    """The IRI of the one ``cmq:cls`` whose label is ``label`` (bound, not pasted)."""
    text = insert_values(f"SELECT ?x WHERE {{ # @values\n ?x a cmq:{cls} ; rdfs:label ?l FILTER(STR(?l) = ?wanted) }}", {"wanted": Literal(label)})
    [iri] = engine.select(text, store=store)["x"]
    return str(iri)


def half_up(a: int, b: int) -> int:
    """``a / b`` rounded half up, as SPARQL's ROUND does (Python's round() goes to the even: 62.5 → 62)."""
    return int(Decimal(a) / Decimal(b) + Decimal("0.5"))


def sparql_count(store, text: str) -> int:
    return int(engine.select(text, store=store).iloc[0, 0])


# ---------------------------------------------------------------------------------------------- static files


def vendored() -> dict[str, str]:
    """The files of static/README.md's checksum list: path → sha256."""
    text = (STATIC / "README.md").read_text(encoding="utf-8")
    return {path: digest for digest, path in re.findall(r"^([0-9a-f]{64})  (\S+)$", text, re.MULTILINE)}


def test_the_vendored_leaflet_is_served_as_published(cmqgraph_server):
    listed = vendored()
    assert set(listed) >= {"leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/LICENSE"}
    assert "Leaflet 1.9.4" in (STATIC / "README.md").read_text(encoding="utf-8")
    assert "BSD 2-Clause License" in (STATIC / "leaflet" / "LICENSE").read_text(encoding="utf-8")
    for path, digest in listed.items():
        answer = requests.get(f"{cmqgraph_server.base}/static/{path}", timeout=30)
        assert answer.status_code == 200, path
        assert hashlib.sha256(answer.content).hexdigest() == digest == hashlib.sha256((STATIC / path).read_bytes()).hexdigest(), path
        assert "max-age=86400" in answer.headers["cache-control"]
    script = requests.get(f"{cmqgraph_server.base}/static/leaflet/leaflet.js", timeout=30)
    assert script.headers["content-type"].startswith("text/javascript") and 'version="1.9.4"' in script.text
    head = requests.head(f"{cmqgraph_server.base}/static/cmqmap.js", timeout=30)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) == (STATIC / "cmqmap.js").stat().st_size


def raw_get(server, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (no client normalises its dots)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.ports["http"], timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", [
    "/static/../carte.py", "/static/%2e%2e/carte.py", "/static/leaflet/%2e%2e/%2e%2e/carte.py", "/static/..%2fcarte.py",
    "/static/leaflet/..%2F..%2Fcarte.py", "/static/%2fetc%2fpasswd", "/static//etc/passwd", "/static/leaflet",
    "/static/.%2e/templates/base.html", "/static/..%5ccarte.py", "/static/nothing.js",
])
def test_the_static_route_refuses_what_is_not_a_static_file(cmqgraph_server, path):
    status, body = raw_get(cmqgraph_server, path)
    assert status == 404
    assert b"__all__" not in body and b"root:" not in body and b"<!doctype" not in body


def test_the_static_files_fit_the_wheel_package_data():
    """pyproject.toml ships static/*, static/*/*, static/*/*/*: no file may lie deeper."""
    files = [p.relative_to(STATIC) for p in STATIC.rglob("*") if p.is_file()]
    assert files and all(len(p.parts) <= 3 for p in files), files
    assert '"static/*", "static/*/*", "static/*/*/*"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_the_server_imports_neither_matplotlib_nor_shapely():
    code = "import sys, cmqgraph.server.app, cmqgraph.server.carte; print('matplotlib' in sys.modules, 'shapely' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ---------------------------------------------------------------------------------------------- GeoJSON


def test_region_outlines_and_campus_counts_are_those_of_the_files(cmqgraph_server, built):
    regions = get_json(cmqgraph_server, "/api/carte/territoires?niveau=region&mesure=nb_campus")
    raw = outline_file("regions_geo.json")
    assert len(regions["features"]) == 18 and set(by_code(regions)) == set(raw)
    campuses = rows("cmq_campus_list.csv")
    listed = Counter(fold(r["region_academique"]) for r in campuses)
    excellent = Counter(fold(r["region_academique"]) for r in campuses if r["excellence"] == "oui")
    for code, p in by_code(regions).items():
        assert fold(p["name"]) == fold(raw[code]["properties"]["libgeo"])
        assert p["value"] == p["nb_campus"] == listed[fold(p["name"])], p["name"]
        assert p["nb_campus_excellence"] == excellent[fold(p["name"])], p["name"]
        assert p["href"] == p["iri"].replace("https://w3id.org/cmqgraph", "") and p["level"] == "region"
    assert sum(p["nb_campus"] for p in by_code(regions).values()) == len(campuses) - 2  # the 2 of French Polynesia have no région
    assert regions["measure"]["name"] == "nb_campus" and regions["measure"]["max"] == max(listed.values())
    # the same figures as the saved query regions_classement (a query of its own)
    table = engine.run_query("regions_classement", store=built[0]).set_index("nom_region")
    for p in by_code(regions).values():
        assert p["nb_poles"] == table.at[p["name"], "nb_poles"]
        assert p["part_excellence_pct"] == (table.at[p["name"], "part_excellence_pct"] if p["nb_campus"] else None)


def test_outlines_are_the_graph_s_lightened_not_moved(cmqgraph_server):
    regions = get_json(cmqgraph_server, "/api/carte/territoires?niveau=region")
    raw = outline_file("regions_geo.json")
    for feature in regions["features"]:
        mine, theirs = positions(feature["geometry"]), positions(raw[feature["properties"]["code"]]["geometry"])
        assert 4 <= len(mine) <= len(theirs)
        for i in (0, 1):  # the bounding box, to the tolerance
            assert abs(min(p[i] for p in mine) - min(p[i] for p in theirs)) < 0.01
            assert abs(max(p[i] for p in mine) - max(p[i] for p in theirs)) < 0.01
        assert all(p == [round(p[0], 3), round(p[1], 3)] for p in mine)
    assert sum(len(positions(f["geometry"])) for f in regions["features"]) < 0.8 * sum(len(positions(f["geometry"])) for f in raw.values())
    assert len(json.dumps(regions)) < 0.25 * (SHIPPED / "regions_geo.json").stat().st_size


def test_academie_figures_count_the_campus_list(cmqgraph_server):
    academies = get_json(cmqgraph_server, "/api/carte/territoires?niveau=academie&mesure=part_excellence_pct")
    raw = outline_file("academies_geo.json")
    assert set(by_code(academies)) == set(raw) and len(raw) == 30
    listed: Counter = Counter()
    for r in rows("cmq_campus_list.csv"):
        for name in filter(None, (n.strip() for n in r["academie"].split("/"))):
            listed[fold(re.sub(r"\s*\(ex-.*\)$", "", name))] += 1
    for p in by_code(academies).values():
        assert p["nb_campus"] == listed[fold(p["name"])], p["name"]
        expected = half_up(100 * p["nb_campus_excellence"], p["nb_campus"]) if p["nb_campus"] else None
        assert p["value"] == p["part_excellence_pct"] == expected and "nb_poles" not in p
    assert by_code(academies)["27"]["value"] is None  # Corse: no campus in the list, no share


def test_overlap_scores_are_means_of_the_pairs(cmqgraph_server):
    academies = by_code(get_json(cmqgraph_server, "/api/carte/territoires?niveau=academie&mesure=score_recouvrement"))
    for p in academies.values():
        assert (p["value"] is None) == (p["paires"] == 0), p["name"]
        assert p["value"] is None or 0 <= p["value"] <= 1
    assert academies["22"]["paires"] == 0 and academies["22"]["value"] is None  # Limoges: one actor, no pair
    assert academies["16"]["value"] > 0.5  # Toulouse: campuses and pôles of the same filières


@pytest.mark.parametrize("query", ["niveau=departement", "niveau=region&mesure=nothing", "niveau=academie&mesure=nb_poles"])
def test_an_unknown_level_or_measure_is_refused(cmqgraph_server, query):
    assert "detail" in get_json(cmqgraph_server, f"/api/carte/territoires?{query}", 422)
    page = requests.get(f"{cmqgraph_server.base}/carte?{query}", timeout=60)
    assert page.status_code == 422 and 'role="alert"' in page.text


def test_mobicampus_points_members_apart_from_the_scope(cmqgraph_server, built):
    listed = [r for r in rows("cmq_membres.csv") if r["campus_nom"] == MOBICAMPUS]
    assert MANDELA in {r["uai"] for r in listed}
    found = get_json(cmqgraph_server, "/api/carte/etablissements?campus=Mobicampus")
    points = [f["properties"] for f in found["features"]]
    members = {p["uai"] for p in points if p["role"] == "membre"}
    scope = {p["uai"] for p in points if p["role"] == "perimetre"}
    assert MANDELA in members and not members & scope
    assert found["missing"]["membre"] >= sum(1 for r in listed if not r["uai"])  # universities, bodies: no point
    expected = engine.run_query("perimetre_du_campus", {"campus": "Mobicampus"}, store=built[0])
    with_point = engine.select("SELECT DISTINCT ?uai WHERE { ?s cmq:uai ?uai ; geo:hasGeometry/geo:asWKT ?w }", store=built[0])["uai"]
    assert scope == set(expected["uai"]) & set(with_point) and "0251994G" in scope  # lycée Germaine Tillion, Montbéliard
    assert all(f["geometry"]["type"] == "Point" for f in found["features"])
    same = get_json(cmqgraph_server, "/api/carte/etablissements?campus=" + quote(MOBICAMPUS))
    assert same["features"] == found["features"]
    wrong = get_json(cmqgraph_server, "/api/carte/etablissements?campus=mobicampsu", 422)
    assert "Mobicampus" in wrong["detail"]


def test_the_focus_of_a_campus_a_pole_and_a_territory(cmqgraph_server, built):
    store = built[0]
    iri = iri_of(store, "Campus", MOBICAMPUS)
    campus = get_json(cmqgraph_server, "/api/carte/focus?iri=" + quote(iri, safe=""))
    outlines = {f["properties"]["code"]: f["properties"]["roles"] for f in campus["features"] if f["geometry"]["type"] != "Point"}
    assert outlines == {"03": ["academie"], "27": ["region"]}  # Besançon, Bourgogne-Franche-Comté (cmq_campus_list.csv)
    members = {f["properties"]["uai"] for f in campus["features"] if f["properties"].get("role") == "membre"}
    assert MANDELA in members and campus["focus"]["label"] == MOBICAMPUS and campus["focus"]["kinds"] == [CMQ + "Campus"]

    pole = next(r for r in rows("poles_competitivite.csv") if r["nom"] == "Aerospace Valley")
    raw = {fold(f["properties"]["libgeo"]): code for code, f in outline_file("regions_geo.json").items()}
    pole_iri = iri_of(store, "Cluster", pole["nom"])
    found = get_json(cmqgraph_server, "/api/carte/focus?iri=" + quote(pole_iri, safe=""))
    roles = {f["properties"]["code"]: set(f["properties"]["roles"]) for f in found["features"] if f["geometry"]["type"] != "Point"}
    assert set(roles) == {raw[fold(pole["region_principale"])], raw[fold(pole["autres_regions"])]}
    assert "region_principale" in roles[raw[fold(pole["region_principale"])]]

    region = get_json(cmqgraph_server, "/api/carte/focus?iri=" + quote("https://w3id.org/cmqgraph/id/region/27", safe=""))
    schools = [f for f in region["features"] if f["geometry"]["type"] == "Point"]
    assert [f["properties"]["roles"] for f in region["features"] if f["geometry"]["type"] != "Point"] == [["focus"]]
    counted = sparql_count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a cmq:School ; cmq:inRegion <https://w3id.org/cmqgraph/id/region/27> ;"
                                  " geo:hasGeometry/geo:asWKT ?w }")
    assert len(schools) == counted > 0 and MANDELA in {f["properties"]["uai"] for f in schools}

    assert "detail" in get_json(cmqgraph_server, "/api/carte/focus?iri=" + quote("https://w3id.org/cmqgraph/id/campus/none", safe=""), 404)
    assert "detail" in get_json(cmqgraph_server, "/api/carte/focus?iri=" + quote("https://example.org/x", safe=""), 404)


def test_the_map_panel_macro_renders_with_and_without_context(built):
    from cmqgraph.server import Settings, create_app  # noqa: I001
    from starlette.requests import Request

    app = create_app(Settings(store=built[0], processes=1, public_url="https://cmq.example.org/graphe"))
    env = app.state.server.templates.env
    bare = env.from_string('{% from "map_panel.html" import map_panel %}{{ map_panel(iri) }}').render(iri="https://w3id.org/cmqgraph/id/region/27")
    assert 'data-focus="https://w3id.org/cmqgraph/id/region/27"' in bare and 'data-base="' not in bare
    request = Request({"type": "http", "app": app, "root_path": "", "path": "/", "headers": [], "query_string": b""})
    told = env.from_string('{% from "map_panel.html" import map_panel with context %}{{ map_panel(iri) }}').render(
        iri="https://w3id.org/cmqgraph/id/region/27", request=request)
    assert 'data-base="https://cmq.example.org/graphe"' in told


# ---------------------------------------------------------------------------------------------- the home page


def test_the_home_page_counts_what_the_store_holds(cmqgraph_server, built):
    store = built[0]
    page = requests.get(cmqgraph_server.base + "/", timeout=60)
    assert page.status_code == 200
    shown = {cls: int(n.replace("\u202f", "").replace(" ", "")) for cls, n in re.findall(r'<li data-class="([^"]+)"><span class="n">([\d  ]+)</span>', page.text)}
    assert len(shown) == 9
    for cls, n in shown.items():
        assert n == sparql_count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s WHERE {{ ?s a <{cls}> }} }}"), cls
    assert shown[CMQ + "Campus"] == len(rows("cmq_campus_list.csv")) == 105
    assert shown[CMQ + "Region"] == 18 and shown[CMQ + "Cluster"] == len(rows("poles_competitivite.csv"))
    from cmqgraph.sources import REGISTRY
    assert set(re.findall(r'<tr data-source="([^"]+)">', page.text)) == set(REGISTRY)
    mobi = iri_of(store, "Campus", MOBICAMPUS)
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page.text)]
    assert mobi.replace("https://w3id.org/cmqgraph", "") in links
    queries: dict[str, list[dict]] = {}
    for h in links:
        queries.setdefault(urlsplit(h).path, []).append(parse_qs(urlsplit(h).query))
    assert {"campus": [MOBICAMPUS]} in queries["/view"] and {"campus": [MOBICAMPUS]} in queries["/carte"]
    assert {"/carte", "/queries", "/sparql", "/queries/perimetre_du_campus", "/queries/sources_et_lacunes"} <= set(queries)
    assert 'id="home-search" type="search" name="q"' in page.text and 'action="/search"' in page.text
    again = requests.get(cmqgraph_server.base + "/", timeout=60)
    assert again.text == page.text


# ---------------------------------------------------------------------------------------------- in Chromium


def labelled(page) -> list[str]:
    """The form fields of the page without a label (``label[for]`` or ``aria-label``)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
        .filter(e => !(e.id && document.querySelector('label[for="' + e.id + '"]')) && !e.getAttribute('aria-label'))
        .map(e => e.outerHTML)""")


def test_the_map_page_in_chromium(tab):
    page = tab.page
    tab.goto("/carte?campus=" + quote(MOBICAMPUS))
    page.wait_for_selector("#carte[data-ready='1']")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert labelled(page) == []
    assert page.locator("#carte-table tbody tr").count() == 18
    assert page.locator("#carte-map canvas").count() >= 1  # Leaflet drew the outlines and points
    status = page.text_content("#carte-status")
    assert "périmètre (déduit) : 7 sur la carte" in status and "membres (déclarés) : 1 sur la carte" in status
    legend = page.text_content(".cmq-legend")
    assert "périmètre (déduit)" in legend and "membres (déclarés)" in legend
    tab.check_html()
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "carte-mobicampus.png"), full_page=True)
    page.select_option("#carte-niveau", "academie")
    page.wait_for_function("document.querySelectorAll('#carte-table tbody tr').length === 30")
    page.wait_for_selector("#carte[data-ready='1']")
    assert "niveau=academie" in page.url
    assert page.locator("#carte-mesure option[value='nb_poles']").is_disabled()
    page.select_option("#carte-mesure", "score_recouvrement")
    page.wait_for_function("document.querySelector('#carte-table th.measure').textContent === 'Score de recouvrement'")
    page.check("#carte-etablissements")
    page.wait_for_function("document.getElementById('carte-status').textContent.includes('établissements avec une position')")
    page.screenshot(path=str(OUTPUT / "carte-academies.png"), full_page=False)
    page.focus("#carte-map")
    page.keyboard.press("+")  # Leaflet's keyboard zoom
    tab.assert_clean()


def test_the_map_panel_in_chromium(tab, cmqgraph_server, built):
    """The macro on a page at the path of an IRI (served here by Playwright, the rest by the server), imported without context."""
    from cmqgraph.server import Settings, create_app

    env = create_app(Settings(store=built[0], processes=1)).state.server.templates.env
    iri = iri_of(built[0], "Campus", MOBICAMPUS)
    html = env.from_string('<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Campus</title></head><body><main><h1>Mobicampus</h1>'
                           '{% from "map_panel.html" import map_panel %}{{ map_panel(iri) }}</main></body></html>').render(iri=iri)
    path = iri.replace("https://w3id.org/cmqgraph", "")
    tab.page.route(cmqgraph_server.base + path, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
    tab.goto(path)
    tab.page.wait_for_selector(".cmq-map[data-ready='1']")
    note = tab.page.text_content(".cmq-map-note")
    assert "périmètre (déduit) : 7 sur la carte" in note and "membres (déclarés) : 1 sur la carte" in note
    assert tab.page.locator(".map-panel h2").text_content().startswith("Carte")
    OUTPUT.mkdir(exist_ok=True)
    tab.page.screenshot(path=str(OUTPUT / "carte-panel.png"), full_page=True)
    assert any(u.startswith(cmqgraph_server.base + "/api/carte/focus?") for u in tab.requests)
    tab.assert_clean()


def test_the_home_page_in_chromium(tab):
    page = tab.page
    tab.goto("/")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert labelled(page) == []
    levels = page.eval_on_selector_all("h1, h2, h3", "hs => hs.map(h => Number(h.tagName[1]))")
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))
    page.fill("#home-search", "mobicampus")
    assert page.locator("#home-search").evaluate("e => e.form.action").endswith("/search")
    page.get_by_role("link", name="La carte de son périmètre").click()
    page.wait_for_selector("#carte[data-ready='1']")
    assert page.eval_on_selector("#carte-campus", "s => s.value") == MOBICAMPUS
    tab.goto("/")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "carte-home.png"), full_page=True)
    tab.check_html()
    tab.assert_clean()
