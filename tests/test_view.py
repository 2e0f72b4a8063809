"""The HTML views, opened in real headless Chromium (Debian package ``chromium``) through Playwright.

Install: ``tests/install-system-deps.sh`` (chromium) and ``pip install playwright`` — no
``playwright install``: the system Chromium is used through ``executable_path``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import runpy
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from servers import cmqgraph_server, missing  # noqa: F401  (pytest fixture)

from cmqgraph import network as net
from cmqgraph import view as v
from cmqgraph.cli import main

OUTPUT = Path(__file__).parent / "output"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: The script of the README's first picture (``make picture``), and the filters of its view.
TOOL = Path(__file__).resolve().parents[1] / "tools" / "readme_picture.py"
MOBICAMPUS = runpy.run_path(str(TOOL))["MOBICAMPUS"]


def _no_cdn(page: str) -> None:
    tags = re.findall(r"<(?:script|link)\b[^>]*>", page)
    assert not [t for t in tags if re.search(r"\b(?:src|href)\s*=", t)], "the page loads an external script or stylesheet"


@pytest.fixture(scope="module")
def browser():
    try:
        playwright = importlib.import_module("playwright.sync_api")
    except ImportError:
        missing("no Playwright for Python (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        missing("no chromium: run tests/install-system-deps.sh")
    with playwright.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=v.CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, html: Path, png: Path) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    start = time.perf_counter()
    page.goto(html.resolve().as_uri())
    page.wait_for_function("window.cmqStabilized === true", timeout=60_000)
    wall = time.perf_counter() - start
    result = {
        "nodes": page.evaluate("window.nodes.length"),
        "drawn": page.evaluate("Object.keys(window.network.getPositions()).length"),
        "settle_ms": page.evaluate("window.cmqSettleMs"),
        "wall_s": wall,
        "errors": errors,
    }
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(png))
    page.close()
    return result


def test_mobicampus_view_in_chromium(built, browser):
    store, _ = built
    html = v.view(store, out=OUTPUT / "mobicampus.html", **MOBICAMPUS)
    _no_cdn(html.read_text(encoding="utf-8"))
    expected = v.displayed_graph(net.project(store, **MOBICAMPUS))
    seen = _open(browser, html, OUTPUT / "mobicampus.png")
    assert seen["errors"] == []
    assert seen["nodes"] == seen["drawn"] == expected.number_of_nodes()
    assert (OUTPUT / "mobicampus.png").stat().st_size > 10_000
    print(f"mobicampus view: {seen['nodes']} nodes, settled in {seen['settle_ms']:.0f} ms")


def test_national_view_is_aggregated_and_settles(built, browser):
    store, _ = built
    html = v.view(store, out=OUTPUT / "national.html")
    text = html.read_text(encoding="utf-8")
    _no_cdn(text)
    assert "Vue agrégée" in text
    expected = v.displayed_graph(net.project(store))
    assert expected.graph.get("aggregated")
    seen = _open(browser, html, OUTPUT / "national.png")
    assert seen["errors"] == []
    assert seen["nodes"] == seen["drawn"] == expected.number_of_nodes()
    assert seen["settle_ms"] < 15_000, f"the national view took {seen['settle_ms']:.0f} ms to settle"
    print(f"national view: {seen['nodes']} nodes, settled in {seen['settle_ms']:.0f} ms ({seen['wall_s']:.1f} s wall)")


def test_region_drill_down_is_detailed(built):
    store, _ = built
    D = v.displayed_graph(net.project(store, region="Nouvelle-Aquitaine"))
    assert D.graph.get("aggregated") is None
    assert any(d["kind"] == "school" for _, d in D.nodes(data=True))


def test_bad_campus_name_suggests(built, tmp_path):
    store, _ = built
    with pytest.raises(net.FilterError, match="Mobicampus"):
        v.view(store, campus="Mobicampuss", out=tmp_path / "x.html")



def test_the_readme_picture_tool_writes_a_png(built, tmp_path):
    """``make picture`` (tools/readme_picture.py) photographs the Mobicampus view and removes the HTML it wrote."""
    if importlib.util.find_spec("playwright") is None or not Path(CHROMIUM).exists():
        missing("no Playwright for Python or no chromium: run tests/install-system-deps.sh")
    store, _ = built
    png = tmp_path / "mobicampus.png"
    # in its own process, as make runs it (and apart from the Playwright session of this module's browser fixture)
    done = subprocess.run([sys.executable, str(TOOL), str(png), "--store", str(store)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0 and done.stdout == f"wrote {png}\n", done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mobicampus.png"]


# ------------------------------------------------------------------------------------- the sector scope, on demand

ID = "https://w3id.org/cmqgraph/id/"
#: The 7 schools of Mobicampus's sector scope (graph sector_scope), none of them a member; its member lycée.
SCOPE_SCHOOLS = {ID + f"etablissement/{uai}" for uai in ("0251371E", "0251994G", "0390055Y", "0390914G", "0700011G", "0700038L", "0900236T")}
MANDELA = ID + "etablissement/0250001R"
NOT_A_MEMBER = "dans le périmètre sectoriel (déduit), pas membre"


def _drawn(page: str) -> tuple[dict, list]:
    """The nodes (by id) and edges a page hands vis-network."""
    data = json.loads(re.search(r"const data = (\{.*?\});\n", page).group(1))
    return {n["id"]: n for n in data["nodes"]}, data["edges"]


def _assert_scope_drawn_apart(page: str) -> None:
    nodes, edges = _drawn(page)
    scope = {n for n, d in nodes.items() if d["color"] == v.STYLE["scope_school"]["color"]}
    assert scope == SCOPE_SCHOOLS
    assert all(NOT_A_MEMBER in nodes[n]["title"] and nodes[n]["shapeProperties"]["borderDashes"] for n in scope)
    assert nodes[MANDELA]["color"] == v.STYLE["school"]["color"] and NOT_A_MEMBER not in nodes[MANDELA]["title"]
    ties = [e for e in edges if {e["from"], e["to"]} & scope]
    assert len(ties) == 7 and all(e["dashes"] == [2, 6] and e["title"].startswith(NOT_A_MEMBER) for e in ties)
    assert re.search(r'<ul class="legend">.*périmètre \(déduit\).*</ul>', page)


def test_the_scope_schools_are_drawn_lighter_on_demand(built, tmp_path):
    store, _ = built
    page = v.view(store, campus="Mobicampus", scope=True, out=tmp_path / "scope.html").read_text(encoding="utf-8")
    _assert_scope_drawn_apart(page)
    plain = v.view(store, campus="Mobicampus", out=tmp_path / "plain.html").read_text(encoding="utf-8")
    nodes, _ = _drawn(plain)
    assert not SCOPE_SCHOOLS & set(nodes) and MANDELA in nodes and "périmètre (déduit)" not in plain


def test_the_national_view_never_shows_scope_schools(built):
    store, _ = built
    D = v.displayed_graph(net.project(store, scope=True))
    assert D.graph["aggregated"]["scope_school"] > 1000
    assert not [n for n, d in D.nodes(data=True) if d["kind"] == "scope_school"]
    assert "établissements du périmètre (déduit) omis" in v.render_html(D)


def test_the_scope_option_of_the_command(built, tmp_path):
    store, _ = built
    out = tmp_path / "mobicampus.html"
    done = CliRunner().invoke(main, ["--store", str(store), "view", "--campus", "Mobicampus", "--scope", "--out", str(out)])
    assert done.exit_code == 0, done.output
    _assert_scope_drawn_apart(out.read_text(encoding="utf-8"))


def test_the_scope_view_of_the_server(cmqgraph_server):  # noqa: F811  (the fixture imported from servers.py)
    page = requests.get(cmqgraph_server.base + "/view", params={"campus": "Mobicampus", "scope": "1"}, timeout=120)
    assert page.status_code == 200
    _assert_scope_drawn_apart(page.text)
    plain = requests.get(cmqgraph_server.base + "/view", params={"campus": "Mobicampus"}, timeout=120).text
    assert not SCOPE_SCHOOLS & set(_drawn(plain)[0])
    form = requests.get(cmqgraph_server.base + "/view", params={"scope": "1"}, timeout=60).text
    assert re.search(r'<input type="checkbox" id="v-scope" name="scope" value="1" checked>', form)


def test_the_scope_view_in_chromium(built, browser, tmp_path):
    store, _ = built
    html = v.view(store, campus="Mobicampus", scope=True, out=tmp_path / "scope.html")
    seen = _open(browser, html, OUTPUT / "mobicampus-scope.png")
    assert seen["errors"] == []
    assert seen["nodes"] == seen["drawn"] == v.displayed_graph(net.project(store, campus="Mobicampus", scope=True)).number_of_nodes()
