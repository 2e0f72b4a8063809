"""``cmqgraph serve`` under slow clients, a forged ``Host`` header, and the French spreadsheet CSV (issue 11).

The servers run as subprocesses on 127.0.0.1 over a small store built from the extracts of
``tests/data`` (one second), with one campus renamed ``=HYPERLINK(...)``: a formula a spreadsheet would
run. Clients are told apart by their address: each test client binds its own loopback address
(127.0.0.2, 127.0.0.3…: Linux routes all of 127.0.0.0/8 to the loopback). A slow query is a cartesian
product of the graph with itself, three times over (about 10^11 rows): it runs until the server
stops it. Nothing is timed; a wait that must not happen is bounded generously (:data:`PROMPT`), far
below the server's query timeout that it would otherwise take.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
import shlex
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil  # a dependency of ipykernel, which the test extra installs
import pytest
import rdflib
from conftest import build_with_campus_renamed
from servers import Server, start_cmqgraph
from test_server import wait_for

import cmqgraph
from cmqgraph.engine import format_frame, run_query, select
from cmqgraph.saved_queries import CHOICE_LISTS, load_queries
from cmqgraph.server import Settings

pytestmark = pytest.mark.slow  # starts cmqgraph servers and floods them

DATA = Path(__file__).parent / "data"
QUERIES = load_queries()
#: About 10^11 rows on the small store: runs until the server stops it.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: The name given to a campus of the extract: a formula in a spreadsheet.
FORMULA = '=HYPERLINK("https://attaquant.example/";"Territoire intelligent")'
#: Seconds a slow query runs before the servers of these tests stop it (``--timeout``).
TIMEOUT = 20
#: Seconds within which an answer that must not wait for a worker comes (well below :data:`TIMEOUT`).
PROMPT = 10.0
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
EVIL = "evil.example"
BOM = b"\xef\xbb\xbf"


# ------------------------------------------------------------------------------------ helpers


def client(server: Server, address: str = "127.0.0.1", timeout: float = PROMPT) -> httpx.Client:
    """An HTTP client of ``server`` whose connections come from ``address`` (a loopback address)."""
    return httpx.Client(base_url=server.base, timeout=timeout, transport=httpx.HTTPTransport(local_address=address))


def get(server: Server, path: str, address: str = "127.0.0.1", timeout: float = PROMPT, **kwargs) -> httpx.Response:
    with client(server, address, timeout) as http:
        return http.get(path, **kwargs)


def slow(server: Server, address: str, **headers: str) -> httpx.Response:
    """Run :data:`RUNAWAY` from ``address`` (the answer comes at the server's timeout)."""
    return get(server, "/sparql", address, timeout=120, params={"query": RUNAWAY}, headers=headers)


def health(server: Server) -> dict:
    return get(server, "/health").json()


def busy(server: Server, running: int, waiting: int = 0) -> bool:
    """Wait until the server says it runs ``running`` queries and holds ``waiting`` back."""

    def counts() -> tuple[int, int]:
        workers = health(server)["workers"]
        return workers["running"], workers["waiting"]

    return wait_for(lambda: counts() == (running, waiting))


def column(text: str, name: str, delimiter: str = ",") -> list[str]:
    """The cells of column ``name`` of a CSV text."""
    header, *rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [row[header.index(name)] for row in rows]


def retry_after(answer: httpx.Response, timeout: float) -> int:
    """The answer's ``Retry-After``: whole seconds, at least 1, at most the query timeout."""
    seconds = int(answer.headers["Retry-After"])
    assert 1 <= seconds <= math.ceil(timeout), seconds
    return seconds


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The extracts of tests/data built into a store, the campus « Territoire intelligent » renamed :data:`FORMULA`."""
    return build_with_campus_renamed(tmp_path_factory.mktemp("formula"), "Territoire intelligent", FORMULA)


@pytest.fixture(scope="module")
def graph(store):
    return cmqgraph.open_graph(store)


@pytest.fixture(scope="module")
def server(store, tmp_path_factory) -> Iterator[Server]:
    """``cmqgraph serve`` with its default settings on the small store (no slow query is sent to it)."""
    with start_cmqgraph(store, tmp_path_factory.mktemp("plain")) as running:
        yield running


@pytest.fixture
def background() -> Iterator[Callable[..., Future]]:
    """Run a function in a thread; the threads end with the test (their requests fail when its server stops)."""
    with ThreadPoolExecutor(8) as pool:
        yield pool.submit


# ------------------------------------------------------------------------------------ 1. nothing waits behind others


#: What a page or the API gives without running a query: path, and a text the answer holds.
STATIC = [
    ("/health", '"status":"ok"'),
    ("/", "requêtes enregistrées"),
    ("/queries", 'data-query="campus_par_territoire"'),
    ("/favicon.ico", "<svg"),
    ("/openapi.json", '"/api/queries/{name}/results"'),
    ("/api/queries", '"name":"campus_par_territoire"'),
    ("/api/queries/campus_par_territoire", '"sparql"'),
    ("/queries/campus_par_territoire", 'id="p-region"'),  # the form, with the graph's régions
    ("/view", 'id="v-campus"'),  # the network view's form, with the graph's campuses
    ("/carte", 'id="carte-niveau"'),  # the map's form: its figures come from /api/carte/…
    ("/api/choices/region", '"values"'),
]


def test_pages_never_wait_for_a_worker(store, graph, tmp_path, background):
    """Two clients hold both workers with slow queries: a third gets every page that runs no query at once,
    the choice lists of the graph included, and its query a 503 with Retry-After after the queue's 10 s, instead of
    waiting for the slow queries to be stopped."""
    with start_cmqgraph(store, tmp_path, "--timeout", str(TIMEOUT)) as running:  # 2 workers, 1 query per client, 10 s of queue
        settings = health(running)
        for address in ("127.0.0.2", "127.0.0.3"):
            background(slow, running, address)
        assert busy(running, running=2), health(running)
        for path, expected in STATIC:
            answer = get(running, path, "127.0.0.4", headers={"Accept": "text/html"})
            assert answer.status_code == 200, path
            assert expected in answer.text, path
        regions = sorted(select(CHOICE_LISTS["region"].sparql, store=graph)["value"])
        assert get(running, "/api/choices/region", "127.0.0.4").json()["values"] == regions
        editor = get(running, "/sparql", "127.0.0.4", headers={"Accept": "text/html"})
        assert editor.status_code == 200 and "<textarea" in editor.text
        # a query needs a worker: it waits the queue's time (10 s), not until the slow queries are stopped, and says when to come back
        answer = get(running, "/api/queries/campus_par_territoire/results", "127.0.0.4", timeout=settings["timeout"] - 5)
        assert answer.status_code == 503, answer.text
        retry_after(answer, settings["timeout"])
        assert f"{settings['queue_wait']:g} s" in answer.json()["detail"]


def test_a_third_client_is_served_while_two_clients_flood_slow_queries(store, graph, tmp_path, background):
    """Three workers; two clients send two slow queries each. Each client runs one, its second waits: the third
    worker stays free for a third client, whose saved query answers at once; the held-back queries get 429."""
    with start_cmqgraph(store, tmp_path, "--processes", "3", "--timeout", str(TIMEOUT)) as running:
        held = [background(slow, running, address) for address in ("127.0.0.2", "127.0.0.3") for _ in range(2)]
        assert busy(running, running=2, waiting=2), health(running)
        expected = format_frame(run_query("campus_par_territoire", {}, store=graph), "csv")
        answer = get(running, "/api/queries/campus_par_territoire/results", "127.0.0.4")
        assert answer.status_code == 200, answer.text
        assert answer.text == expected
        page = get(running, "/queries/campus_par_territoire", "127.0.0.4", params={"run": "1"})
        assert page.status_code == 200 and re.search(r'id="result">\s*\d+ ligne', page.text)
        # each flooding client's second query, held back by its own first one: 429 when the queue's time ran out
        assert wait_for(lambda: sum(f.done() for f in held) == 2, 30)
        refused = [f.result() for f in held if f.done()]
        assert [a.status_code for a in refused] == [429, 429], [a.text for a in refused]
        for answer in refused:
            retry_after(answer, TIMEOUT)
            assert "1 à la fois" in answer.text and "at most 1 at once" in answer.text
        assert health(running)["workers"] == {"processes": 3, "running": 2, "waiting": 0}  # the first slow ones still run


def test_a_killed_server_leaves_no_worker_running(store, tmp_path, background):
    """A server killed with SIGKILL cannot stop its workers: each ends by itself when it sees its parent gone,
    even in the middle of a runaway query (before, they ran it on for as long as the machine was up)."""
    with start_cmqgraph(store, tmp_path, "--timeout", "600") as running:
        background(slow, running, "127.0.0.2")
        assert busy(running, running=1)
        workers = psutil.Process(running.process.pid).children(recursive=True)
        assert len(workers) >= 2
        running.process.send_signal(signal.SIGKILL)
        running.process.wait()
        _, alive = psutil.wait_procs(workers, timeout=PROMPT)
        assert alive == []


def test_forwarded_for_is_believed_from_a_trusted_proxy_only(store, tmp_path, background):
    """Behind a proxy every client has the proxy's address: the proxy's X-Forwarded-For names the client.
    From any other peer the header is ignored, or a client would escape its limit by naming itself anew."""
    options = ("--trusted-proxy", "127.0.0.1", "--queue-wait", "3", "--timeout", str(TIMEOUT))
    with start_cmqgraph(store, tmp_path, *options) as running:  # 2 workers, 1 query per client
        # an untrusted peer names itself twice: one client all the same, held back by its own slow query (429)
        background(slow, running, "127.0.0.2", **{"X-Forwarded-For": "198.51.100.1"})
        assert busy(running, running=1)
        path = "/api/queries/campus_par_territoire/results"
        again = get(running, path, "127.0.0.2", headers={"X-Forwarded-For": "198.51.100.2"})
        assert again.status_code == 429, again.text
        retry_after(again, TIMEOUT)
        # the trusted proxy's clients are told apart: one is served on the free worker…
        assert get(running, path, "127.0.0.1", headers={"X-Forwarded-For": "198.51.100.3"}).status_code == 200
        background(slow, running, "127.0.0.1", **{"X-Forwarded-For": "198.51.100.4"})
        assert busy(running, running=2)
        # …and when both workers run, a client at its limit gets 429, another one 503 (no worker was free)
        at_limit = get(running, path, "127.0.0.1", headers={"X-Forwarded-For": "198.51.100.4"})
        full = get(running, path, "127.0.0.1", headers={"X-Forwarded-For": "198.51.100.5"})
        assert (at_limit.status_code, full.status_code) == (429, 503), (at_limit.text, full.text)
        retry_after(full, TIMEOUT)


@pytest.mark.parametrize("proxy", ["proxy.example.org", "*", "10.0.0.0/33"])
def test_a_trusted_proxy_must_be_an_address_or_a_network(proxy):
    with pytest.raises(ValueError, match=re.escape(f"trusted proxy {proxy!r}: not an IP address or network")):
        Settings(store=Path("store"), trusted_proxies=("127.0.0.1", proxy))
    Settings(store=Path("store"), trusted_proxies=("127.0.0.1", "10.0.0.0/8", "::1"))  # addresses and networks are taken


# ------------------------------------------------------------------------------------ 2. links do not come from Host


#: Requests whose answers hold links: path, query, Accept.
LINKED = [
    ("/", {}, "text/html"),
    ("/queries", {}, "text/html"),
    ("/queries/campus_par_territoire", {}, "text/html"),
    ("/queries/campus_par_territoire", {"run": "1", "region": "Bourgogne-Franche-Comté"}, "text/html"),
    ("/queries/campus_par_territoire", {"run": "1", "region": "Bourgogne"}, "text/html"),  # 422
    ("/queries/pas_de_requete", {}, "text/html"),  # 404
    ("/view", {}, "text/html"),
    ("/view", {"campus": "Mobicampus"}, "text/html"),  # the view is kept in a cache: the next visitors get it too
    ("/sparql", {}, "text/html"),
    ("/sparql", {}, "text/turtle"),
    ("/sparql", {}, "application/ld+json"),
    ("/api/queries", {}, "application/json"),
    ("/api/queries/campus_par_territoire", {}, "application/json"),
    ("/api/queries/campus_par_territoire/results", {"format": "csv-fr"}, "*/*"),
    ("/openapi.json", {}, "application/json"),
    ("/health", {}, "application/json"),
    ("/queries/", {}, "text/html"),  # a redirect
    ("/api/queries/campus_par_territoire/", {"x": "1"}, "application/json"),  # a redirect
]


def forged(server: Server, path: str, params: dict, accept: str) -> httpx.Response:
    return get(server, path, params=params, headers={"Host": EVIL, "Accept": accept, "X-Forwarded-Host": EVIL})


def assert_no_evil(answer: httpx.Response) -> None:
    where = f"{answer.request.url} ({answer.status_code})"
    assert EVIL not in answer.content.decode("utf-8", "replace").lower(), where
    for name, value in answer.headers.items():
        assert EVIL not in f"{name}: {value}".lower(), where


def test_links_do_not_come_from_the_host_header(server):
    for path, params, accept in LINKED:
        answer = forged(server, path, params, accept)
        assert answer.status_code in (200, 307, 404, 422), (path, answer.status_code)
        assert_no_evil(answer)
    # links are paths on this server: they answer
    listing = get(server, "/queries").text
    links = re.findall(r'href="([^"]*)"', listing)
    assert "/queries/campus_par_territoire" in links and all(link.startswith("/") for link in links)
    assert forged(server, "/queries/", {}, "text/html").headers["Location"] == "/queries"
    assert forged(server, "/api/queries/campus_par_territoire/", {"x": "1"}, "*/*").headers["Location"] == "/api/queries/campus_par_territoire?x=1"
    # the service description, whose IRIs must be absolute, names the address the request arrived at
    description = rdflib.Graph().parse(data=forged(server, "/sparql", {}, "text/turtle").content, format="turtle")
    assert set(description.objects(None, SD.endpoint)) == {rdflib.URIRef(server.endpoint)}
    # the API's links are relative to the API's URL
    info = get(server, "/api/queries/campus_par_territoire").json()
    assert info["links"]["csv-fr"] == "/api/queries/campus_par_territoire/results?format=csv-fr"
    assert get(server, info["links"]["csv-fr"]).status_code == 200


def test_links_are_under_the_public_url(store, tmp_path):
    public = "https://cmq.example.org/graphe"
    with start_cmqgraph(store, tmp_path, "--public-url", public + "/") as running:
        for path, params, accept in LINKED:
            answer = forged(running, path, params, accept)
            assert_no_evil(answer)
        page = forged(running, "/queries", {}, "text/html").text
        links = re.findall(r'href="([^"]*)"', page)
        assert f"{public}/queries/campus_par_territoire" in links
        assert all(link.startswith(public + "/") for link in links), links
        assert forged(running, "/queries/", {}, "text/html").headers["Location"] == f"{public}/queries"
        description = rdflib.Graph().parse(data=forged(running, "/sparql", {}, "text/turtle").content, format="turtle")
        assert set(description.objects(None, SD.endpoint)) == {rdflib.URIRef(f"{public}/sparql")}
        info = forged(running, "/api/queries/campus_par_territoire", {}, "application/json").json()
        assert info["links"]["csv"] == f"{public}/api/queries/campus_par_territoire/results?format=csv"


# ------------------------------------------------------------------------------------ 3. CSV for French spreadsheets


def test_french_spreadsheet_csv_is_offered_by_the_api(server, graph):
    frame = run_query("campus_par_territoire", {}, store=graph)
    assert FORMULA in set(frame["nom_campus"])
    path = "/api/queries/campus_par_territoire/results"
    french = get(server, path, params={"format": "csv-fr"})
    assert french.status_code == 200, french.text
    assert french.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert french.headers["Content-Disposition"] == 'attachment; filename="campus_par_territoire-fr.csv"'
    assert french.content == format_frame(frame, "csv-fr").encode("utf-8")
    # what a French spreadsheet reads: a BOM, ';', CRLF, the columns, the formula made text by an apostrophe
    assert french.content.startswith(BOM)
    lines = french.content[len(BOM):].decode("utf-8").split("\r\n")
    assert lines[-1] == "" and all("\n" not in line for line in lines)
    rows = list(csv.reader(io.StringIO(french.content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == list(QUERIES["campus_par_territoire"].columns)
    names = column(french.content.decode("utf-8-sig"), "nom_campus", ";")
    assert "'" + FORMULA in names and FORMULA not in names and len(names) == len(frame) == len(rows) - 1
    # the standard CSV: commas, no BOM, its own name; the formula neutralised there too
    standard = get(server, path, params={"format": "csv"})
    assert standard.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert standard.headers["Content-Disposition"] == 'attachment; filename="campus_par_territoire.csv"'
    assert standard.content == format_frame(frame, "csv").encode("utf-8") and not standard.content.startswith(BOM)
    assert "'" + FORMULA in column(standard.text, "nom_campus")
    # JSON keeps the name exact; the SPARQL endpoint's CSV (W3C SPARQL results) too
    assert FORMULA in [r["nom_campus"] for r in get(server, path, params={"format": "json"}).json()]
    sparql = get(server, "/sparql", params={"query": "SELECT ?n WHERE { ?c a cmq:Campus ; rdfs:label ?n }", "format": "csv"})
    assert FORMULA in column(sparql.text, "n")
    # the OpenAPI description names the format
    spec = get(server, "/openapi.json").json()
    (field,) = [p for p in spec["paths"]["/api/queries/{name}/results"]["get"]["parameters"] if p["name"] == "format"]
    assert re.fullmatch(field["schema"]["pattern"], "csv-fr") and "csv-fr" in field["description"]


def test_the_query_page_offers_the_french_csv_first(server, graph):
    page = get(server, "/queries/campus_par_territoire", params={"run": "1", "region": "Bourgogne-Franche-Comté"})
    assert page.status_code == 200
    offered = re.findall(r'<a id="download-([a-z-]+)" href="([^"]+)" download>([^<]+)</a>', page.text)
    assert [(name, label) for name, _, label in offered] == [
        ("csv-fr", "CSV (tableur français : Excel, LibreOffice)"), ("csv", "CSV (standard, virgules)"), ("json", "JSON"),
    ]
    frame = run_query("campus_par_territoire", {"region": "Bourgogne-Franche-Comté"}, store=graph)
    for name, link, _ in offered:
        download = get(server, html.unescape(link))
        assert download.content == format_frame(frame, name).encode("utf-8"), name
    assert urlsplit(offered[0][1]).path == "/api/queries/campus_par_territoire/results"


def test_the_command_line_shown_is_quoted_for_the_shell(server):
    value = "Mobi\"campus'; rm -rf ~ $(id)"
    page = get(server, "/queries/metiers_du_campus", params={"campus": value})
    (shown,) = re.findall(r"<code>(cmqgraph query run [^<]*)</code>", page.text)
    assert shlex.split(html.unescape(shown)) == ["cmqgraph", "query", "run", "metiers_du_campus", "-p", f"campus={value}"]
