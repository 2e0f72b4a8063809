"""Load generator for ``cmqgraph serve``: a fixed mix of requests for a fixed time, every answer checked.

It runs as its own process (so that its CPU is not the server's), with :class:`httpx.AsyncClient` and
``--concurrency`` requests in flight, sent by ``--clients`` clients: the server runs a limited number of
queries per client at once (``Settings.queries_per_client``), so that the requests of one client queue
behind each other. On a server of 127.0.0.0/8, client *k* connects from 127.0.0.*k* (Linux routes all
of 127.0.0.0/8 to the loopback); by default each request in flight is its own client there, like as
many users, and there is one client elsewhere. The mix (:data:`MIX`) cycles through saved-query results in CSV
and JSON (``/api/queries/NAME/results`` with parameters), SPARQL SELECT on ``/sparql`` by ``GET``, by
``POST`` of a form and by ``POST`` of the query itself (JSON and CSV answers), a CONSTRUCT answered in
Turtle, and saved-query pages (``/queries/NAME?run=1&…``).

An answer counts as correct only when its status is 200, its media type and row-count header are
the expected ones and its body holds the expected result:

- with ``--store`` (the store the server serves), the expected results come from the local engine,
  computed before the load starts: the bytes of :func:`cmqgraph.engine.run_query` +
  :func:`cmqgraph.engine.format_frame` for saved-query results; for SPARQL, the solutions of
  pyoxigraph on the store, compared term by term (type, value, language, datatype) with the parsed
  JSON and cell by cell with the parsed CSV (SPARQL 1.1 CSV rules); for the CONSTRUCT, the set of
  triples of the parsed Turtle; for the pages, the row count and every header and cell of the HTML
  table. A body already found correct is recognised by its bytes, so checking costs little under load.
- without ``--store``, each request of the mix is sent once before the timed phase and its answer
  (which must be a 200 of the right media type) is the reference: later answers must be identical bytes.

Notes
-----
The JSON report (printed, and written to ``--json``) holds ``requests``, ``errors`` (transport errors
and statuses other than 200), ``wrong`` (200 with a wrong answer), ``problems`` (the first few of both,
described: request, status, body), ``requests_per_s`` (requests completed over the elapsed time, the
requests in flight at the end included), ``latency_ms`` (p50, p90, p99, max, mean) overall and per
request kind in ``kinds``, ``load_cpu_s`` (the CPU time this process used in the timed phase: the load
generator takes its share of a small machine's cores) and the server's ``/health``. The exit code is 0 when every answer was
correct, 1 when any request failed or any answer was wrong, 2 when the run could not start (server
unreachable, a request of the mix that the local engine cannot answer or that has no rows).

``--baseline`` measures the same mix with no server: the local equivalent of each request (the saved
query through :func:`~cmqgraph.engine.run_query` and :func:`~cmqgraph.engine.format_frame`, the SPARQL
query through pyoxigraph and its serializer; for a page, the saved query without the HTML), one after
the other in this process, for ``--seconds``. ``tests/bench.py`` uses it as the ratio's baseline.

Examples
--------
Against a running server, checked against its store (from the project folder)::

    cmqgraph --store var/store serve --port 8767 &
    .venv/bin/python tests/load.py --base http://127.0.0.1:8767 --store var/store \\
        --seconds 20 --concurrency 16 --json load.json

Against any server, checked against its own first answers::

    .venv/bin/python tests/load.py --base http://127.0.0.1:8767 --seconds 20 --concurrency 16

The same mix in-process, sequentially (the baseline)::

    .venv/bin/python tests/load.py --baseline --store var/store --seconds 10 --json baseline.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import ipaddress
import itertools
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import httpx

from cmqgraph.server.app import ROWS_HEADER, TRUNCATED_HEADER, Settings

__all__ = ["Request", "MIX", "KINDS", "Oracle", "Checker", "Run", "client_addresses", "run_load", "run_baseline", "main"]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
#: Rows a saved-query page shows by default (the server does not publish it).
PAGE_ROWS = Settings.page_rows
#: How many problems the report describes.
MAX_PROBLEMS = 10
#: Distinct bodies remembered per request of the mix (found correct or wrong).
_MEMORY = 32


@dataclass(frozen=True)
class Request:
    """One request of the mix, and what its answer must be.

    ``kind`` groups requests in the report; ``saved`` and ``params`` name a saved query and its
    parameters, ``sparql`` is the text of a raw query; ``fmt`` is the answer's format
    (``csv``, ``json``, ``turtle`` or ``html``); ``media`` is the expected media type.
    """

    kind: str
    label: str
    method: str
    url: str
    media: str
    fmt: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    saved: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    sparql: str | None = None


def saved_results(name: str, fmt: str = "csv", **params: str) -> Request:
    """``GET /api/queries/NAME/results?format=FMT&PARAMS``."""
    media = {"csv": "text/csv", "json": "application/json"}[fmt]
    url = f"/api/queries/{name}/results?" + urlencode({**params, "format": fmt})
    return Request(f"saved_{fmt}", f"{name} ({fmt})", "GET", url, media, fmt, saved=name, params=params)


def saved_page(name: str, **params: str) -> Request:
    """``GET /queries/NAME?run=1&PARAMS``: the page with the result table."""
    url = f"/queries/{name}?" + urlencode({"run": "1", **params})
    return Request("html_page", f"page {name}", "GET", url, "text/html", "html", saved=name, params=params)


def sparql_select(how: str, fmt: str, label: str, text: str) -> Request:
    """A SELECT on ``/sparql``: ``how`` is ``get`` (Accept or ``format=``), ``form`` (POST of a form) or ``direct`` (POST of the query)."""
    media = {"json": "application/sparql-results+json", "csv": "text/csv"}[fmt]
    if how == "get":
        url, body, headers = "/sparql?" + urlencode({"query": text, "format": fmt}), None, {}
        kind = f"sparql_get_{fmt}"
    elif how == "form":
        url, body = "/sparql", urlencode({"query": text}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": media}
        kind = f"sparql_post_form_{fmt}"
    else:
        url, body, headers = "/sparql", text.encode(), {"Content-Type": "application/sparql-query", "Accept": media}
        kind = f"sparql_post_direct_{fmt}"
    return Request(kind, f"{label} ({how}, {fmt})", "GET" if how == "get" else "POST", url, media, fmt, headers, body, sparql=text)


def sparql_construct(label: str, text: str) -> Request:
    """A CONSTRUCT on ``/sparql`` by ``POST`` of the query, answered in Turtle (by ``Accept``)."""
    headers = {"Content-Type": "application/sparql-query", "Accept": "text/turtle"}
    return Request("construct_turtle", label, "POST", "/sparql", "text/turtle", "turtle", headers, text.encode(), sparql=text)


CAMPUSES = """SELECT ?campus ?nom ?region ?ville ?ligne WHERE {
  ?campus a cmq:Campus ; rdfs:label ?nom ; cmq:sourceRowNumber ?ligne .
  OPTIONAL { ?campus cmq:inRegion/rdfs:label ?region }
  OPTIONAL { ?campus cmq:city ?ville }
}
ORDER BY ?campus ?region ?ville"""

REGIONS = """SELECT ?region (COUNT(DISTINCT ?campus) AS ?campus_count) (COUNT(DISTINCT ?label) AS ?labellisations) WHERE {
  ?campus a cmq:Campus ; cmq:inRegion/rdfs:label ?region .
  OPTIONAL { ?campus cmq:labelling ?label }
}
GROUP BY ?region
ORDER BY ?region"""

LABELLINGS = """SELECT ?campus ?annee ?date WHERE {
  ?campus a cmq:Campus ; cmq:labelling ?l .
  OPTIONAL { ?l cmq:labelYear ?annee }
  OPTIONAL { ?l cmq:labelDate ?date }
}
ORDER BY ?campus ?annee ?date"""

SCHOOLS = """SELECT ?ecole ?uai ?nom ?ouverture ?statut WHERE {
  ?ecole a cmq:School ; cmq:inDepartement <https://w3id.org/cmqgraph/id/departement/31> ; cmq:uai ?uai .
  OPTIONAL { ?ecole rdfs:label ?nom }
  OPTIONAL { ?ecole cmq:openingDate ?ouverture }
  OPTIONAL { ?ecole cmq:publicPrivate ?statut }
}
ORDER BY ?uai ?nom ?ouverture ?statut"""

CAMPUS_GRAPH = """CONSTRUCT {
  ?campus a cmq:Campus ; rdfs:label ?nom ; cmq:inRegion ?r .
  ?r rdfs:label ?region .
} WHERE {
  ?campus a cmq:Campus ; rdfs:label ?nom .
  OPTIONAL { ?campus cmq:inRegion ?r . ?r rdfs:label ?region }
}"""

BFC = "Bourgogne-Franche-Comté"

#: The requests, sent in this order, again and again (each of the ``--concurrency`` clients takes the next one).
MIX: tuple[Request, ...] = (
    saved_results("campus_excellence", region=BFC),
    sparql_select("get", "json", "campuses", CAMPUSES),
    saved_results("formations_du_campus", campus="Plasticampus"),
    saved_page("campus_excellence", region=BFC),
    saved_results("metiers_non_couverts", region=BFC),
    sparql_select("form", "json", "labellings", LABELLINGS),
    saved_results("territoire_du_projet", projet="Transformation d'un territoire industriel"),
    sparql_construct("campuses and régions (turtle)", CAMPUS_GRAPH),
    saved_results("offre_etablissement", uai="0011119L"),
    sparql_select("get", "csv", "régions", REGIONS),
    saved_results("poles_et_campus", "json", campus="Mobicampus"),
    saved_page("metiers_du_campus", campus="Plasticampus"),
    saved_results("campus_par_territoire", academie="Besançon"),
    sparql_select("direct", "csv", "schools of Haute-Garonne", SCHOOLS),
    saved_results("insertion_du_campus", campus="Plasticampus"),
    saved_results("poles_par_region"),
    sparql_select("form", "json", "schools of Haute-Garonne", SCHOOLS),
    saved_results("metiers_communs_aux_campus", region="Auvergne-Rhône-Alpes"),
    saved_page("sources_et_lacunes"),
    saved_results("regions_classement"),
    sparql_select("direct", "csv", "campuses", CAMPUSES),
    saved_results("projets_regionaux", "json", programme="ti"),
)
#: Every kind of request of the mix.
KINDS: tuple[str, ...] = tuple(dict.fromkeys(r.kind for r in MIX))


# ------------------------------------------------------------------------------------ the expected answers


def _json_cell(binding: dict | None) -> tuple | None:
    """A SPARQL JSON term as (type, value, language, datatype), the same for every way of writing it."""
    if binding is None:
        return None
    kind = "literal" if binding["type"] == "typed-literal" else binding["type"]
    if kind != "literal":
        return (kind, binding["value"], None, None)
    lang = binding.get("xml:lang")
    return ("literal", binding["value"], lang and lang.lower(), None if lang else binding.get("datatype", XSD_STRING))


def _term_cell(term) -> tuple | None:
    """A pyoxigraph term as :func:`_json_cell` writes a SPARQL JSON term."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value, None, None)
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value, None, None)
    lang = term.language
    return ("literal", term.value, lang and lang.lower(), None if lang else term.datatype.value)


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


class _Table(HTMLParser):
    """The result count (``<h2 id="result">``) and the cells of ``<table class="results">`` of a saved-query page."""

    def __init__(self):
        super().__init__()
        self.count: str | None = None
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self.error = False
        self._in: str | None = None
        self._text: list[str] = []
        self._table = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2" and attrs.get("id") == "result":
            self._in, self._text = "count", []
        elif tag == "div" and attrs.get("id") == "error":
            self.error = True
        elif tag == "table" and "results" in (attrs.get("class") or "").split():
            self._table = True
        elif self._table and tag == "tr":
            self.rows.append([])
        elif self._table and tag in ("th", "td"):
            self._in, self._text = tag, []

    def handle_endtag(self, tag):
        if tag == "h2" and self._in == "count":
            self.count, self._in = "".join(self._text).strip(), None
        elif tag == "table":
            self._table = False
        elif self._table and tag in ("th", "td") and self._in == tag:
            (self.header if tag == "th" else self.rows[-1]).append("".join(self._text))
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._text.append(data)


def parse_page(body: bytes) -> tuple[str | None, list[str], list[list[str]], bool]:
    """Return a page's row-count line, table header, table rows (without the header row) and whether it shows an error."""
    table = _Table()
    table.feed(body.decode("utf-8"))
    table.close()
    return table.count, table.header, [r for r in table.rows if r], table.error


def _cell(value) -> str:
    """A value as the page's template writes it in a cell (nothing for None and NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _first_difference(expected: list, got: list) -> str:
    if len(expected) != len(got):
        return f"{len(got)} rows instead of {len(expected)}"
    for i, (a, b) in enumerate(zip(expected, got)):
        if a != b:
            return f"row {i + 1}: {str(b)[:200]} instead of {str(a)[:200]}"
    return "same rows"


@dataclass
class Expected:
    """The expected answer to a request: its rows (or triples) and the form its body is compared in."""

    rows: int
    truncated: bool
    value: object


class Oracle:
    """The expected answers, from the local engine on the store the server serves.

    Parameters
    ----------
    store : path
        The built store (opened read-only, as the server's workers do).
    max_rows, page_rows : int
        The server's row cap (``/health``) and the rows its pages show.
    """

    def __init__(self, store: str, max_rows: int, page_rows: int = PAGE_ROWS):
        import pyoxigraph as ox

        from cmqgraph.store import open_graph, open_store

        self.store = open_store(store)
        self.graph = open_graph(self.store)
        self.max_rows, self.page_rows = max_rows, page_rows
        self._ox = ox

    def _query(self, text: str):
        from cmqgraph.iris import PREFIXES

        return self.store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)

    def _frame(self, request: Request):
        from cmqgraph.engine import run_query

        return run_query(request.saved, request.params, store=self.graph)

    def produce(self, request: Request) -> object:
        """Do in-process what the server does for ``request`` (the baseline's work); return the answer."""
        from cmqgraph.engine import format_frame
        from cmqgraph.iris import PREFIXES

        ox = self._ox
        if request.kind == "html_page":
            return self._frame(request).head(self.max_rows)
        if request.saved:
            return format_frame(self._frame(request).head(self.max_rows), request.fmt).encode("utf-8")
        result = self._query(request.sparql)
        if request.fmt == "turtle":
            return ox.serialize(list(itertools.islice(result, self.max_rows)), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        return result.serialize(format=ox.QueryResultsFormat.JSON if request.fmt == "json" else ox.QueryResultsFormat.CSV)

    def expect(self, request: Request) -> Expected:
        """The expected answer to ``request``."""
        from cmqgraph.engine import format_frame

        cap = self.max_rows
        if request.saved:
            frame = self._frame(request)
            cut = frame.head(cap)
            if request.kind == "html_page":
                shown = [[_cell(v) for v in row] for row in cut.head(self.page_rows).itertuples(index=False)]
                count = f"{len(cut)} ligne{'s' if len(cut) != 1 else ''}"
                return Expected(len(cut), len(frame) > cap, (count, [str(c) for c in cut.columns], shown))
            return Expected(len(cut), len(frame) > cap, format_frame(cut, request.fmt).encode("utf-8"))
        result = self._query(request.sparql)
        if request.fmt == "turtle":
            triples = list(itertools.islice(result, cap + 1))
            return Expected(min(len(triples), cap), len(triples) > cap, {(t.subject, t.predicate, t.object) for t in triples[:cap]})
        variables = [v.value for v in result.variables]
        solutions = list(itertools.islice(result, cap + 1))
        rows = [[_term_cell(s[v]) for v in variables] for s in solutions[:cap]]
        if request.fmt == "csv":  # SPARQL 1.1 CSV: the IRI, the literal's lexical form, _:id, nothing when unbound
            cells = [[("" if c is None else ("_:" + c[1] if c[0] == "bnode" else c[1])) for c in row] for row in rows]
            return Expected(len(rows), len(solutions) > cap, [variables, *cells])
        return Expected(len(rows), len(solutions) > cap, (variables, rows))

    def difference(self, request: Request, expected: Expected, body: bytes) -> str | None:
        """What is wrong with ``body`` as the answer to ``request`` (None: it is correct)."""
        try:
            if request.saved and request.kind != "html_page":
                if body == expected.value:
                    return None
                want, got = expected.value.decode().splitlines(), body.decode("utf-8", "replace").splitlines()
                return "body differs from the local engine's: " + _first_difference(want, got)
            if request.kind == "html_page":
                count, header, rows, error = parse_page(body)
                want_count, want_header, want_rows = expected.value
                if error:
                    return "the page shows an error"
                if count != want_count:
                    return f"the page says {count!r}, the local engine gives {want_count!r}"
                if header != want_header:
                    return f"table header {header} instead of {want_header}"
                return None if rows == want_rows else "table differs from the local engine's: " + _first_difference(want_rows, rows)
            if request.fmt == "turtle":
                got = {(q.subject, q.predicate, q.object) for q in self._ox.parse(body, format=self._ox.RdfFormat.TURTLE)}
                if got == expected.value:
                    return None
                missing, extra = expected.value - got, got - expected.value
                return f"{len(missing)} triples missing (e.g. {next(iter(missing), None)}), {len(extra)} extra (e.g. {next(iter(extra), None)})"
            if request.fmt == "csv":
                got = _csv_rows(body)
                return None if got == expected.value else "CSV differs from the local engine's: " + _first_difference(expected.value, got)
            document = json.loads(body)
            variables = document["head"]["vars"]
            got = [[_json_cell(b.get(v)) for v in variables] for b in document["results"]["bindings"]]
            want_vars, want = expected.value
            if variables != want_vars:
                return f"variables {variables} instead of {want_vars}"
            return None if got == want else "solutions differ from the local engine's: " + _first_difference(want, got)
        except Exception as exc:  # an answer that cannot even be parsed is a wrong answer
            return f"the body cannot be read as {request.fmt}: {type(exc).__name__}: {exc}"


# ------------------------------------------------------------------------------------ the run


def percentiles(seconds: list[float]) -> dict[str, float | None]:
    """p50, p90, p99 (nearest rank), max and mean of latencies, in milliseconds."""
    if not seconds:
        return {"p50": None, "p90": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(seconds)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    return {"p50": rank(50), "p90": rank(90), "p99": rank(99), "max": ordered[-1] * 1000, "mean": statistics.fmean(ordered) * 1000}


@dataclass
class Run:
    """What a run measured: latencies per kind, and the problems seen."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    wrong: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    problems: list[str] = field(default_factory=list)

    def problem(self, counts: dict[str, int], request: Request, text: str) -> None:
        counts[request.kind] += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{request.kind} {request.label}: {request.method} {request.url[:300]}: {text}")

    def report(self, elapsed: float) -> dict:
        every = [s for v in self.latencies.values() for s in v]
        kinds = {
            k: {"requests": len(self.latencies[k]), "errors": self.errors[k], "wrong": self.wrong[k], "latency_ms": percentiles(self.latencies[k])}
            for k in KINDS
        }
        return {
            "elapsed_s": elapsed,
            "requests": len(every),
            "errors": sum(self.errors.values()),
            "wrong": sum(self.wrong.values()),
            "requests_per_s": len(every) / elapsed if elapsed > 0 else None,
            "latency_ms": percentiles(every),
            "kinds": kinds,
            "problems": self.problems,
        }


class Checker:
    """Whether an answer is correct: against the oracle's expectations, or against the first answers (``oracle`` None)."""

    def __init__(self, mix: tuple[Request, ...], oracle: Oracle | None):
        self.mix, self.oracle = mix, oracle
        self.expected: list[Expected | None] = [None] * len(mix)
        self.reference: list[httpx.Response | None] = [None] * len(mix)
        self._seen: list[dict[bytes, str | None]] = [{} for _ in mix]

    def prepare(self) -> None:
        """Compute the expected answers (with an oracle); raise ValueError for a request the engine cannot answer or without rows."""
        if self.oracle is None:
            return
        for i, request in enumerate(self.mix):
            try:
                self.expected[i] = self.oracle.expect(request)
            except Exception as exc:
                raise ValueError(f"the local engine cannot answer {request.label}: {type(exc).__name__}: {exc}") from exc
            if self.expected[i].rows == 0:
                raise ValueError(f"{request.label} has no rows on this store: the check would prove little")

    def keep_reference(self, i: int, response: httpx.Response) -> str | None:
        """Keep the first answer to request ``i`` (without an oracle); say what is wrong with it, if anything."""
        problem = self._status(self.mix[i], response)
        if problem is None and self.oracle is None:
            self.reference[i] = response
        return problem

    def _status(self, request: Request, response: httpx.Response) -> str | None:
        if response.status_code != 200:
            return f"status {response.status_code}: {response.text[:300]!r}"
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media != request.media:
            return f"media type {media!r} instead of {request.media!r}"
        return None

    def check(self, i: int, response: httpx.Response) -> tuple[str, str] | None:
        """Return None for a correct answer, else ``("error", text)`` (not a 200) or ``("wrong", text)``."""
        request = self.mix[i]
        problem = self._status(request, response)
        if problem is not None:
            return ("error" if response.status_code != 200 else "wrong"), problem
        if self.oracle is None:
            reference = self.reference[i]
            if response.content == reference.content:
                return None
            want, got = reference.content.decode("utf-8", "replace").splitlines(), response.content.decode("utf-8", "replace").splitlines()
            return "wrong", "body differs from the first answer: " + _first_difference(want, got)
        expected = self.expected[i]
        if request.kind != "html_page":
            rows, truncated = response.headers.get(ROWS_HEADER), response.headers.get(TRUNCATED_HEADER)
            if rows != str(expected.rows):
                return "wrong", f"header {ROWS_HEADER}: {rows!r} instead of {expected.rows}"
            if (truncated is not None) != expected.truncated:
                return "wrong", f"header {TRUNCATED_HEADER}: {truncated!r}, but the answer {'is' if expected.truncated else 'is not'} cut"
        seen = self._seen[i]
        body = response.content
        if body in seen:
            problem = seen[body]
        else:
            problem = self.oracle.difference(request, expected, body)
            if len(seen) < _MEMORY:
                seen[body] = problem
        return None if problem is None else ("wrong", problem)


async def _send(client: httpx.AsyncClient, request: Request) -> httpx.Response:
    return await client.request(request.method, request.url, headers=request.headers, content=request.body)


async def _health(client: httpx.AsyncClient, wait: float) -> dict:
    start = time.monotonic()
    while True:
        try:
            answer = await client.get("/health")
            if answer.status_code == 200:
                return answer.json()
        except httpx.HTTPError:
            pass
        if time.monotonic() - start > wait:
            raise ConnectionError(f"{client.base_url}/health did not answer 200 within {wait:g} s")
        await asyncio.sleep(0.25)


def client_addresses(base: str, clients: int | None, concurrency: int) -> list[str | None]:
    """The local address of each client (None: the system's choice): 127.0.0.1, 127.0.0.2… on a loopback server.

    ``clients`` None: one per request in flight on a server of 127.0.0.0/8, else one. Raises ValueError
    for more than one client of another server, or more than 254.
    """
    try:
        loopback = ipaddress.ip_address(urlsplit(base).hostname or "") in ipaddress.ip_network("127.0.0.0/8")
    except ValueError:
        loopback = False
    count = clients if clients is not None else (concurrency if loopback else 1)
    if count == 1:
        return [None]
    if not loopback or not 1 <= count <= 254:
        raise ValueError(f"{count} clients need a server on 127.0.0.0/8 (one loopback address each, 254 at most); {base} is not")
    return [f"127.0.0.{k}" for k in range(1, count + 1)]


async def run_load(
    base: str, seconds: float, concurrency: int, store: str | None = None, timeout: float = 60.0, wait: float = 30.0,
    page_rows: int = PAGE_ROWS, mix: tuple[Request, ...] = MIX, clients: int | None = None,
) -> dict:
    """Send ``mix`` to the server at ``base`` for ``seconds`` with ``concurrency`` requests in flight from
    ``clients`` clients (:func:`client_addresses`); return the report.

    Raises ConnectionError (no server) or ValueError (a request of the mix without a checkable answer,
    clients the server cannot tell apart) before the timed phase.
    """
    addresses = client_addresses(base, clients, concurrency)
    per_client = math.ceil(concurrency / len(addresses))
    limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
    async with contextlib.AsyncExitStack() as stack:
        senders = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=base, timeout=timeout, transport=httpx.AsyncHTTPTransport(local_address=address, limits=limits))
            )
            for address in addresses
        ]
        client = senders[0]
        health = await _health(client, wait)
        oracle = Oracle(store, int(health["max_rows"]), page_rows) if store else None
        checker = Checker(mix, oracle)
        checker.prepare()
        warmup = Run()
        for i, request in enumerate(mix):  # once each, untimed: references, worker and cache warm-up
            try:
                response = await _send(client, request)
            except httpx.HTTPError as exc:
                warmup.problem(warmup.errors, request, f"{type(exc).__name__}: {exc}")
                continue
            problem = checker.keep_reference(i, response) or (checker.check(i, response) or (None, None))[1]
            if problem:
                warmup.problem(warmup.errors if response.status_code != 200 else warmup.wrong, request, problem)
        if oracle is None and warmup.problems:
            raise ValueError("no reference answers: " + "; ".join(warmup.problems))

        run = Run()
        counter = itertools.count()
        start, cpu = time.perf_counter(), time.process_time()
        deadline = start + seconds

        async def client_loop(client: httpx.AsyncClient) -> None:
            while time.perf_counter() < deadline:
                i = next(counter) % len(mix)
                request = mix[i]
                t0 = time.perf_counter()
                try:
                    response = await _send(client, request)
                except httpx.HTTPError as exc:
                    run.latencies[request.kind].append(time.perf_counter() - t0)
                    run.problem(run.errors, request, f"{type(exc).__name__}: {exc!s}"[:300])
                    continue
                run.latencies[request.kind].append(time.perf_counter() - t0)
                verdict = checker.check(i, response)
                if verdict is not None:
                    run.problem(run.errors if verdict[0] == "error" else run.wrong, request, verdict[1])

        await asyncio.gather(*(client_loop(senders[j % len(senders)]) for j in range(concurrency)))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    report = run.report(elapsed)
    report["load_cpu_s"] = cpu
    report["errors"] += sum(warmup.errors.values())
    report["wrong"] += sum(warmup.wrong.values())
    report["problems"] = (warmup.problems + report["problems"])[:MAX_PROBLEMS]
    return {
        "mode": "server", "base": base, "checked_against": f"local engine on {store}" if store else "the first answer to each request",
        "seconds": seconds, "concurrency": concurrency, "clients": len(addresses), "warmup": {"errors": sum(warmup.errors.values()), "wrong": sum(warmup.wrong.values())},
        **report, "server": health, "mix": [f"{r.kind}: {r.label}" for r in mix],
    }


def run_baseline(store: str, seconds: float, max_rows: int = 50_000, mix: tuple[Request, ...] = MIX) -> dict:
    """Do the local equivalent of the mix's requests, one after the other, for ``seconds``; return the report."""
    oracle = Oracle(store, max_rows)
    for request in mix:  # warm-up
        oracle.produce(request)
    run = Run()
    start = time.perf_counter()
    for i in itertools.count():
        if time.perf_counter() - start >= seconds:
            break
        request = mix[i % len(mix)]
        t0 = time.perf_counter()
        oracle.produce(request)
        run.latencies[request.kind].append(time.perf_counter() - t0)
    report = run.report(time.perf_counter() - start)
    return {"mode": "in-process", "store": store, "seconds": seconds, "concurrency": 1, **report, "mix": [f"{r.kind}: {r.label}" for r in mix]}


def _summary(report: dict, out: Callable[[str], None]) -> None:
    def ms(value):
        return "–" if value is None else f"{value:.1f}"

    out(f"{report['mode']}: {report['requests']} requests in {report['elapsed_s']:.1f} s = {report['requests_per_s']:.1f}/s, "
        f"concurrency {report['concurrency']}, clients {report.get('clients', 1)}, errors {report['errors']}, wrong answers {report['wrong']}")
    out(f"{'kind':<24} {'requests':>8} {'errors':>6} {'wrong':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind, row in [*report["kinds"].items(), ("all", {**report, "latency_ms": report["latency_ms"]})]:
        lat = row["latency_ms"]
        out(f"{kind:<24} {row['requests']:>8} {row['errors']:>6} {row['wrong']:>6} "
            f"{ms(lat['p50']):>8} {ms(lat['p90']):>8} {ms(lat['p99']):>8} {ms(lat['max']):>8}")
    for problem in report["problems"]:
        out("problem: " + problem)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="the server's root URL, e.g. http://127.0.0.1:8767")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the timed phase (default 20)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--clients", type=int, help="clients sending them, each from its own loopback address "
                        "(default: one per request in flight on a server of 127.0.0.0/8, else one)")
    parser.add_argument("--json", type=str, help="also write the report to this file")
    parser.add_argument("--store", help="the store the server serves: check every answer against the local engine on it")
    parser.add_argument("--baseline", action="store_true", help="no server: do the mix in-process, sequentially, on --store")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a request may take before it counts as an error (default 60)")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the server's /health (default 30)")
    parser.add_argument("--page-rows", type=int, default=PAGE_ROWS, help=f"rows a saved-query page shows (default {PAGE_ROWS})")
    args = parser.parse_args(argv)
    if args.baseline:
        if not args.store:
            parser.error("--baseline needs --store")
        report = run_baseline(args.store, args.seconds)
    else:
        if not args.base:
            parser.error("--base is required (or --baseline)")
        try:
            report = asyncio.run(run_load(args.base.rstrip("/"), args.seconds, args.concurrency, args.store, args.timeout, args.wait,
                                          args.page_rows, clients=args.clients))
        except (ConnectionError, ValueError) as exc:
            print(f"load: cannot start: {exc}", file=sys.stderr)
            return 2
    _summary(report, lambda line: print(line, file=sys.stderr))
    text = json.dumps(report, indent=1, ensure_ascii=False)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    return 1 if report["errors"] or report["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
