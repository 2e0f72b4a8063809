"""The policy-staff flow of ``cmqgraph serve``, in real headless Chromium (Debian package ``chromium``) through Playwright.

A saved query is found in the list by its French title, its form filled (a closed list is a
``<select>`` of the graph's values), the table read and compared with the local engine, the CSV
downloaded, the SPARQL read, the network view opened; a wrong value gives a 422 page with a suggestion;
the SPARQL editor answers a CSV. The pages of the things are walked: a search for « mobicampus », the campus
page, a member school, one of its trainings, a trade and back, each page in French with its headings in
order, labelled fields and links the keyboard reaches. Every page is checked for console errors and for
requests that leave the server (the machine is offline: no CDN). Screenshots: ``tests/output/server-*.png``.

Install: ``tests/install-system-deps.sh`` (chromium) and ``pip install playwright`` — no
``playwright install``: the system Chromium is used through ``executable_path``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from cmqgraph import engine
from cmqgraph import network as net
from cmqgraph import view as v
from cmqgraph.saved_queries import load_queries
from servers import cmqgraph_server  # noqa: F401  (a fixture)
from test_view import OUTPUT, browser  # noqa: F401  (browser: the Chromium fixture of the view tests; it skips without Playwright or chromium)

VIEWPORT = {"width": 1400, "height": 900}
#: Milliseconds Playwright waits for a page, an element or a download.
TIMEOUT_MS = 30_000
QUERIES = load_queries()
REGIONS_SPARQL = "SELECT DISTINCT ?n WHERE { ?r a cmq:Region ; rdfs:label ?n }"
CAMPUSES_SPARQL = "SELECT DISTINCT ?n WHERE { ?c a cmq:Campus ; rdfs:label ?n }"


@dataclass
class Tab:
    """A browser page with what it logged: console errors and every URL it requested."""

    page: object
    base: str
    errors: list[tuple[str, str, str]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def goto(self, path: str):
        return self.page.goto(self.base + path)

    def shot(self, name: str, full_page: bool = True) -> Path:
        OUTPUT.mkdir(exist_ok=True)
        png = OUTPUT / f"server-{name}.png"
        self.page.screenshot(path=str(png), full_page=full_page)
        assert png.stat().st_size > 5_000
        return png

    def check_html(self) -> None:
        """The page loads no script or stylesheet from elsewhere (the same check as the network requests, on the HTML)."""
        tags = re.findall(r"<(?:script|link)\b[^>]*>", self.page.content())
        for tag in tags:
            url = re.search(r"\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]*)", tag)
            if url:
                assert _local_url(url.group(1), self.base), f"{self.page.url} loads {tag}"

    def assert_clean(self, allowed: tuple[str, ...] = ()) -> None:
        """No console error (but those whose resource URL is in ``allowed``), no request outside the server."""
        outside = [u for u in self.requests if not _local_url(u, self.base)]
        assert outside == [], f"requests that leave the server: {outside}"
        unexpected = [e for e in self.errors if e[1] not in allowed]
        assert unexpected == [], f"console errors (message, resource, page): {unexpected}"


def _local_url(url: str, base: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    parts = urlsplit(url)
    return (not parts.scheme and not parts.netloc) or url == base or url.startswith(base + "/")


@pytest.fixture
def tab(browser, cmqgraph_server):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    t = Tab(page, cmqgraph_server.base)
    page.on("console", lambda m: t.errors.append((m.text, m.location.get("url", ""), page.url)) if m.type == "error" else None)
    page.on("pageerror", lambda e: t.errors.append((str(e), "", page.url)))
    page.on("request", lambda r: t.requests.append(r.url))
    try:
        yield t
    finally:
        context.close()


def _cell(value: object) -> str:
    """A value as the result table shows it: empty when unbound."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _table(page) -> tuple[list[str], list[list[str]]]:
    header = page.eval_on_selector_all("table.results thead th", "ths => ths.map(th => th.textContent)")
    rows = page.eval_on_selector_all("table.results tbody tr", "trs => trs.map(tr => Array.from(tr.cells, td => td.textContent))")
    return header, rows


def _assert_table_is(page, frame) -> None:
    """The page's table has the frame's columns, rows and cells; its heading counts the rows."""
    header, rows = _table(page)
    assert header == list(frame.columns)
    assert len(rows) == len(frame) > 0
    expected = [[_cell(x) for x in row] for row in frame.itertuples(index=False)]
    for column in range(len(header)):  # column by column, for a readable failure
        assert [r[column] for r in rows] == [r[column] for r in expected], f"column {header[column]}"
    count = page.text_content("#result")
    assert count.split()[0] == str(len(frame))


def _options(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "os => os.map(o => o.value)")


def _download(page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    download = info.value
    assert download.failure() is None
    return Path(download.path()).read_bytes()


def _broken_links(tab: Tab) -> list[str]:
    """The page's links to the server that do not answer 200 (fetched from the page itself)."""
    hrefs = tab.page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    local = sorted({h for h in hrefs if h.startswith(tab.base + "/")})
    statuses = tab.page.evaluate("urls => Promise.all(urls.map(u => fetch(u).then(r => r.status)))", local)
    return [f"{u}: {s}" for u, s in zip(local, statuses, strict=True) if s != 200]


# ---------------------------------------------------------------------------------------------- tests


def test_saved_query_flow_region_select_table_csv_sparql(tab, built):
    """Steps 1-5: list → form (région select) → table = engine → CSV download = engine → SPARQL with VALUES."""
    store = built[0]
    page = tab.page
    name = "campus_par_territoire"
    saved = QUERIES[name]

    # 1. The list: every saved query by its French title, with the English one.
    tab.goto("/queries")
    tab.shot("queries")
    for q in QUERIES.values():
        link = page.locator(f"a[data-query='{q.name}']")
        assert link.text_content() == q.title["fr"]
        item = page.locator("ul.queries li", has=link)
        assert q.title["en"] in item.text_content()
    page.get_by_role("link", name=saved.title["fr"], exact=True).click()
    page.wait_for_url(f"{tab.base}/queries/{name}")

    # 2. The form: each parameter with its example; the closed lists are selects of the graph's values.
    assert page.text_content("h1") == saved.title["fr"]
    for p in saved.parameters:
        label = page.text_content(f"label[for='p-{p.name}']")
        assert p.example in label and p.description["fr"] in label and p.description["en"] in label
        assert page.eval_on_selector(f"#p-{p.name}", "e => e.tagName") == "SELECT"
    regions = engine.select(REGIONS_SPARQL, store=store)["n"].tolist()
    offered = _options(page, "#p-region option")
    assert offered[0] == ""  # the parameter is optional: "— tous / all —"
    assert sorted(offered[1:]) == sorted(regions) and len(offered) == len(regions) + 1
    assert len(_options(page, "#p-filiere option")) > 1 and len(_options(page, "#p-academie option")) > 1
    region = next(p.example for p in saved.parameters if p.name == "region")
    assert region in regions
    page.select_option("#p-region", region)
    tab.shot("form")
    page.get_by_role("button", name="Exécuter / Run").click()
    page.wait_for_selector("#result")

    # 3. The table: what the local engine returns.
    frame = engine.run_query(name, {"region": region}, store=store)
    assert set(frame["nom_region"]) == {region}
    _assert_table_is(page, frame)
    assert page.eval_on_selector("#p-region", "s => s.value") == region  # the form keeps the choice
    tab.shot("result")

    # 4. The CSV downloads: what `cmqgraph query run --format csv-fr` (offered first: French Excel opens it as is)
    # and `--format csv` write. The French one starts with the UTF-8 BOM and is ';'-separated.
    links = page.eval_on_selector_all("p.actions a[download]", "as => as.map(a => a.id)")
    assert links == ["download-csv-fr", "download-csv", "download-json"]
    french = _download(page, "#download-csv-fr")
    assert french.startswith(b"\xef\xbb\xbf" + ";".join(frame.columns).encode() + b"\r\n")
    assert french == engine.format_frame(frame, "csv-fr").encode("utf-8")
    assert _download(page, "#download-csv") == engine.format_frame(frame, "csv").encode("utf-8")

    # 5. The SPARQL that ran: the saved query with the chosen value in a VALUES block.
    details = page.locator("details#sparql-shown")
    details.locator("summary").click()
    sparql = details.locator("pre").text_content()
    assert sparql.strip() == saved.with_values({"region": region}).strip()
    assert f'VALUES (?region) {{ ("{region}") }}' in sparql
    assert f"-p 'region={region}'" in details.text_content()  # quoted for the shell
    details.scroll_into_view_if_needed()
    tab.shot("sparql-shown")

    # The view link carries the filter (followed in the next test).
    view = page.get_attribute("#view-link", "href")
    assert view.endswith("/view?" + urlencode({"region": region}))
    tab.check_html()
    tab.assert_clean()


def test_campus_datalist_table_and_network_view(tab, built):
    """Step 6: a free-text parameter with suggestions (datalist), then the "Vue réseau" link: the layout settles."""
    store = built[0]
    page = tab.page
    name, campus = "etablissements_du_campus", "Mobicampus"
    tab.goto(f"/queries/{name}")
    assert page.eval_on_selector("#p-campus", "e => e.tagName") == "INPUT"
    assert page.get_attribute("#p-campus", "list") == "list-campus"
    suggested = _options(page, "#list-campus option")
    campuses = engine.select(CAMPUSES_SPARQL, store=store)["n"].tolist()
    assert sorted(suggested) == sorted(campuses)
    assert any(campus in s for s in suggested)
    page.fill("#p-campus", campus)
    page.get_by_role("button", name="Exécuter / Run").click()
    page.wait_for_selector("#result")
    frame = engine.run_query(name, {"campus": campus}, store=store)
    _assert_table_is(page, frame)
    tab.shot("campus-members")
    tab.check_html()

    page.click("#view-link")
    page.wait_for_url(f"{tab.base}/view?campus={campus}")
    page.wait_for_function("window.cmqStabilized === true", timeout=60_000)
    nodes = page.evaluate("window.nodes.length")
    assert nodes > 0
    assert nodes == page.evaluate("Object.keys(window.network.getPositions()).length")
    assert nodes == v.displayed_graph(net.project(store, campus=campus)).number_of_nodes()
    tab.shot("view", full_page=False)
    tab.check_html()
    tab.assert_clean()
    page.click("#site >> text=Requêtes / Queries")  # the view links back to the site
    page.wait_for_url(f"{tab.base}/queries")


def test_value_outside_closed_list_is_422_with_suggestion(tab):
    """Step 7: a région that is not one (typed in the URL: a select cannot hold it): 422, the error and the closest names."""
    page = tab.page
    path = "/queries/campus_excellence?" + urlencode({"region": "Bourgogne", "run": "1"})
    response = tab.goto(path)
    assert response.status == 422
    error = page.locator("#error")
    assert error.is_visible() and error.get_attribute("role") == "alert"
    message = error.text_content()
    assert "'Bourgogne' is not one of the accepted values" in message
    assert "Bourgogne-Franche-Comté" in message  # the suggestion
    assert page.locator("#result").count() == 0 and page.locator("table.results").count() == 0
    assert page.locator("details#sparql-shown").count() == 0
    # the form keeps what was asked, marked unknown, so that it can be corrected
    assert page.locator("#p-region").input_value() == "Bourgogne"
    assert "inconnu" in page.locator("#p-region option:checked").text_content()
    tab.shot("error-422")
    tab.check_html()
    # Chromium logs the page's own 422 as "Failed to load resource"; that one is the point of the test.
    tab.assert_clean(allowed=(tab.base + path,))


def test_sparql_editor_answers_csv(tab, built):
    """Step 8: the /sparql HTML editor: a query typed in, format CSV, submitted: the CSV comes back."""
    store = built[0]
    page = tab.page
    query = "SELECT ?region WHERE {\n  ?r a cmq:Region ; rdfs:label ?region .\n}\nORDER BY ?region"
    tab.goto("/sparql")
    assert "SELECT" in page.input_value("#query")  # an example is there to start from
    page.fill("#query", query)
    page.select_option("#format", "csv")
    tab.shot("sparql-editor")
    tab.check_html()
    body = _download(page, "form.params button[type=submit]").decode("utf-8")  # text/csv: Chromium saves it (not the header's search button)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["region"]
    expected = engine.select(query, store=store)["region"].tolist()
    assert [r[0] for r in rows[1:]] == expected and len(rows) == len(expected) + 1
    tab.assert_clean()


@pytest.mark.parametrize("path", ["/", "/view"])
def test_other_pages_are_offline_and_clean(tab, path):
    """The home page and the network-view form: no external resource, no console error."""
    response = tab.goto(path)
    assert response.status == 200
    assert _broken_links(tab) == []
    tab.shot("home" if path == "/" else "view-form")
    tab.check_html()
    tab.assert_clean()


# ---------------------------------------------------------------------------------------------- a page for every thing

MOBICAMPUS_PAGE = "/id/campus/besancon/mobicampus-automobile-et-mobilites-du-futur-nord-franche-comte"
#: A member school of Mobicampus (graph/data/cmq_membres.csv), one of its trainings (its Affelnet offer, MEF 23820031213)
#: and a trade that training leads to (certifinfo_diplomes_rome_rncp.csv: Code_Scolarité 40031213, Code_Rome_1 D1403).
SCHOOL_PAGE, TRAINING_PAGE, TRADE_PAGE = "/id/etablissement/0250001R", "/id/formation/40031213", "/id/rome/D1403"


def _accessible(tab: Tab) -> None:
    """The page is in French, its headings go down one level at a time, every form field has a label, every link takes the focus."""
    page = tab.page
    assert page.get_attribute("html", "lang") == "fr"
    levels = page.eval_on_selector_all("h1, h2, h3, h4, h5, h6", "hs => hs.map(h => Number(h.tagName[1]))")
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    assert all(after <= before + 1 for before, after in zip(levels, levels[1:])), levels
    unlabelled = page.evaluate("""() => Array.from(document.querySelectorAll("input, select, textarea"))
        .filter(e => e.type !== "hidden" && !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby"))
        .map(e => e.outerHTML)""")
    assert unlabelled == []
    assert page.eval_on_selector_all("a[href]", "as => as.filter(a => a.tabIndex < 0).length") == 0
    page.keyboard.press("Tab")  # the first stop of the keyboard is a link of the site's header
    assert page.evaluate("document.activeElement.tagName") == "A"


def _follow_with_keyboard(tab: Tab, selector: str, path: str) -> None:
    """Give the link the focus and press Enter: the page it leads to opens."""
    link = tab.page.locator(selector).first
    link.focus()
    assert tab.page.evaluate("document.activeElement.getAttribute('href')") == path
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_url(tab.base + path)


def test_walk_from_a_search_to_a_campus_a_school_a_training_a_trade_and_back(tab):
    """Search « mobicampus » → the campus page → a member school → one of its trainings → a trade → back, by mouse and keyboard."""
    page = tab.page
    found = tab.goto("/search?q=mobicampus")
    assert found.status == 200
    _accessible(tab)
    tab.shot("thing-search")
    page.locator(f"main a[href='{MOBICAMPUS_PAGE}']").first.click()
    page.wait_for_url(tab.base + MOBICAMPUS_PAGE)
    page.wait_for_load_state("networkidle")
    assert page.text_content("h1").startswith("Mobicampus")
    assert page.locator("#members-table a[href='/id/etablissement/0250001R']").count() == 1
    assert page.locator("#scope-schools a[href='/id/etablissement/0250001R']").count() == 0  # members and scope apart
    assert page.locator("section.map-panel").count() == 1
    _accessible(tab)
    tab.shot("thing-campus")
    tab.check_html()

    _follow_with_keyboard(tab, f"#members-table a[href='{SCHOOL_PAGE}']", SCHOOL_PAGE)
    assert page.text_content("h1").startswith("Lycée professionnel Nelson Mandela")
    campuses = page.text_content("#campus-table")
    assert all(name in campuses for name in ("Mobicampus", "(M&SI)", "(AGT)"))
    _accessible(tab)
    tab.shot("thing-school")

    page.locator(f"#offers-table a[href='{TRAINING_PAGE}']").first.click()
    page.wait_for_url(tab.base + TRAINING_PAGE)
    training = page.text_content("h1")
    assert "METIERS DU COMMERCE ET DE LA VENTE OPTION A" in training
    _accessible(tab)
    tab.shot("thing-training")

    _follow_with_keyboard(tab, f"#facts-table a[href='{TRADE_PAGE}']", TRADE_PAGE)
    assert page.text_content("h1") == "Commercial / Commerciale auprès des particuliers"  # orion_rome_fiches.csv
    assert page.locator(f"#trainings-table a[href='{TRAINING_PAGE}']").count() == 1
    _accessible(tab)
    tab.shot("thing-trade")
    tab.check_html()

    page.go_back()
    page.wait_for_url(tab.base + TRAINING_PAGE)
    assert page.text_content("h1") == training
    page.go_back()
    page.wait_for_url(tab.base + SCHOOL_PAGE)
    tab.assert_clean()
