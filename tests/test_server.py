"""``cmqgraph serve`` over real HTTP, on the full default graph: every answer is checked against the local engine.

The servers run as subprocesses on 127.0.0.1 (:mod:`servers`): the shared read-only one with default limits
(``cmqgraph_server``), one with ``--max-rows 7`` and a folder of more saved queries, one with ``--timeout 1``,
and one with an update token over a copy of the store. Expected values come from the built store itself
(:func:`cmqgraph.engine.select`, :func:`~cmqgraph.engine.run_query`, :func:`~cmqgraph.engine.construct`) or
from the shipped saved queries, never typed in.
"""
# ruff: noqa: F811  (the server fixture is imported from servers.py, then named as a test argument)

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin

import markupsafe
import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib
import requests
from click.testing import CliRunner
from rdflib.compare import isomorphic
from rdflib.query import Result
from servers import cmqgraph_server, free_port, start_cmqgraph  # noqa: F401  (pytest fixture)
from SPARQLWrapper import GET, JSON, POST, SPARQLWrapper
from test_engines import cases, parameters

import cmqgraph
from cmqgraph.cli import main
from cmqgraph.engine import construct, format_frame, run_query, select
from cmqgraph.saved_queries import CHOICE_LISTS, ParameterError, load_queries, parse_query
from cmqgraph.server import Settings

pytestmark = pytest.mark.slow

QUERIES = load_queries()
TOKEN = "s3cret-token-for-the-tests"
CMQ_GRAPH = "https://w3id.org/cmqgraph/graph/cmq"
POLES_GRAPH = "https://w3id.org/cmqgraph/graph/poles"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
XSD_STRING = rdflib.XSD.string
JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
#: What a browser sends.
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

#: Every campus with its name and région (unbound for some): IRIs, language-tagged names, unbound values.
CAMPUSES = """SELECT ?campus ?nom ?region WHERE {
  ?campus a cmq:Campus ; rdfs:label ?nom .
  OPTIONAL { ?campus cmq:inRegion/rdfs:label ?region }
} ORDER BY ?nom ?campus ?region"""
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CONSTRUCT_CAMPUSES = """CONSTRUCT { ?campus a cmq:Campus ; rdfs:label ?nom ; cmq:inRegion ?r }
WHERE { ?campus a cmq:Campus ; rdfs:label ?nom . OPTIONAL { ?campus cmq:inRegion ?r } }"""
#: A cross product of the whole graph with itself: runs for hours.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
#: A saved query of the extra folder, with a parameter of type year.
YEAR_QUERY = """#+ title.fr = "Campus labellisés « excellence » une année"
#+ title.en = "Campuses labelled 'excellence' in a year"
#+ description.fr = "Les campus dont le label d'excellence est de l'année choisie."
#+ description.en = "The campuses whose excellence label is of the chosen year."
#+ columns = ["campus", "nom"]
#+ [params.annee]
#+ type = "year"
#+ example = "2020"
SELECT ?campus ?nom WHERE {
  ?campus a cmq:Campus ; rdfs:label ?nom ; cmq:labelling ?l .
  ?l cmq:labelType <https://w3id.org/cmqgraph/id/label/excellence> ; cmq:labelYear ?y .
  FILTER(STR(?y) = STR(?annee))
} ORDER BY ?nom ?campus
"""


# ------------------------------------------------------------------------------------ helpers


def text(values) -> tuple:
    """A row as text: each value's lexical form, None where unbound."""
    return tuple(None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in values)


def local_rows(sparql: str, graph) -> list[tuple]:
    """The rows the local engine gives, as text."""
    return [text(row) for row in select(sparql, store=graph).astype(object).itertuples(index=False, name=None)]


def same_graph(got: rdflib.Graph, expected: rdflib.Graph) -> bool:
    """Whether the graphs are isomorphic, ``"x"^^xsd:string`` and ``"x"`` being the same literal (RDF 1.1)."""

    def plain(g: rdflib.Graph) -> rdflib.Graph:
        out = rdflib.Graph()
        for triple in g:
            out.add(tuple(rdflib.Literal(str(t)) if isinstance(t, rdflib.Literal) and t.datatype == XSD_STRING else t for t in triple))
        return out

    return isomorphic(plain(got), plain(expected))


def local_count(sparql: str, graph) -> int:
    return int(select(sparql, store=graph).iloc[0, 0])


def json_rows(document: dict) -> list[tuple]:
    names = document["head"]["vars"]
    return [tuple(b[n]["value"] if n in b else None for n in names) for b in document["results"]["bindings"]]


def ask(server, sparql: str, accept: str = JSON_RESULTS, **fields) -> requests.Response:
    """GET the SPARQL endpoint of ``server`` with ``query`` and more ``fields``."""
    return requests.get(server.endpoint, params={"query": sparql, **fields}, headers={"Accept": accept}, timeout=60)


def remote_count(server, sparql: str = COUNT, **fields) -> int:
    answer = ask(server, sparql, **fields)
    assert answer.status_code == 200, answer.text
    (row,) = json_rows(answer.json())
    return int(row[0])


def api(server, path: str, **params) -> requests.Response:
    return requests.get(server.base + path, params=params, timeout=60)


def example(name: str) -> dict[str, str]:
    return {p.name: p.example for p in QUERIES[name].parameters}


def worker_pids(pid: int) -> set[int]:
    """The live worker processes (multiprocessing ``spawn`` children) of the process ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if int(parent) == pid and state != "Z" and b"spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


def wait_for(condition, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cmqgraph", *args], capture_output=True, text=True, timeout=timeout, check=False)


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def graph(built):
    """The built store, open locally (read-only) once for the module."""
    return cmqgraph.open_graph(built[0])


@pytest.fixture(scope="module")
def server(cmqgraph_server):
    return cmqgraph_server


@pytest.fixture(scope="module")
def capped(built, tmp_path_factory):
    """A server with ``--max-rows 7``, a folder of more saved queries and a public URL."""
    folder = tmp_path_factory.mktemp("capped")
    extra = folder / "queries"
    extra.mkdir()
    (extra / "campus_excellence_annee.rq").write_text(YEAR_QUERY, encoding="utf-8")
    with start_cmqgraph(built[0], folder, "--max-rows", "7", "--queries", str(extra), "--public-url", "https://example.org/cmq/") as running:
        yield running


@pytest.fixture(scope="module")
def hasty(built, tmp_path_factory):
    """A server whose queries may run 1 s."""
    with start_cmqgraph(built[0], tmp_path_factory.mktemp("hasty"), "--timeout", "1") as running:
        yield running


@pytest.fixture(scope="module")
def writable(built, tmp_path_factory):
    """A server with an update token, over a copy of the built store (the shared one is never written)."""
    folder = tmp_path_factory.mktemp("writable")
    store = folder / "store"
    shutil.copytree(built[0], store)
    with start_cmqgraph(store, folder, env={"CMQGRAPH_UPDATE_TOKEN": TOKEN}) as running:
        yield running


# ------------------------------------------------------------------------------------ 1. SPARQL 1.1 Protocol


def test_get_post_form_and_post_direct_give_the_local_rows(server, graph):
    expected = local_rows(CAMPUSES, graph)
    assert len(expected) > 100 and any(row[2] is None for row in expected)  # some unbound values
    answers = [
        requests.get(server.endpoint, params={"query": CAMPUSES}, headers={"Accept": JSON_RESULTS}, timeout=60),
        requests.post(server.endpoint, data={"query": CAMPUSES}, headers={"Accept": JSON_RESULTS}, timeout=60),
        requests.post(server.endpoint, data=CAMPUSES.encode(), timeout=60,
                      headers={"Accept": JSON_RESULTS, "Content-Type": "application/sparql-query; charset=utf-8"}),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"].startswith(JSON_RESULTS)
        assert answer.headers["X-Cmqgraph-Rows"] == str(len(expected))
        assert "X-Cmqgraph-Truncated" not in answer.headers
        assert json_rows(answer.json()) == expected


def test_default_graph_uri_restricts_the_dataset(server, graph):
    union = remote_count(server)
    assert union == local_count(COUNT, graph)
    only_cmq = remote_count(server, **{"default-graph-uri": CMQ_GRAPH})
    assert only_cmq == local_count(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{CMQ_GRAPH}> {{ ?s ?p ?o }} }}", graph)
    assert 0 < only_cmq < union
    # two graphs: their merge; in the URL of a direct POST as well
    merged = local_count(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?g {{ <{CMQ_GRAPH}> <{POLES_GRAPH}> }} GRAPH ?g {{ ?s ?p ?o }} }} }}",
        graph,
    )
    assert merged > only_cmq
    answer = requests.post(
        server.endpoint, params={"default-graph-uri": [CMQ_GRAPH, POLES_GRAPH]}, data=COUNT.encode(), timeout=60,
        headers={"Accept": JSON_RESULTS, "Content-Type": "application/sparql-query"},
    )
    assert answer.status_code == 200, answer.text
    assert json_rows(answer.json()) == [(str(merged),)]


def test_named_graph_uri_restricts_graph_patterns(server, graph):
    per_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    everything = local_rows(per_graph, graph)
    assert len(everything) > 2 and CMQ_GRAPH in {g for g, _ in everything}
    answer = ask(server, per_graph)
    assert json_rows(answer.json()) == everything
    answer = ask(server, per_graph, **{"named-graph-uri": CMQ_GRAPH})
    assert json_rows(answer.json()) == [row for row in everything if row[0] == CMQ_GRAPH]


def test_graph_names_must_be_iris(server):
    for field in ("default-graph-uri", "named-graph-uri"):
        answer = ask(server, COUNT, **{field: "pas une IRI"})
        assert answer.status_code == 400, answer.text
        assert field in answer.text and "pas une IRI" in answer.text


@pytest.mark.parametrize(
    "media, fmt", [(JSON_RESULTS, "json"), (XML_RESULTS, "xml"), ("text/csv", "csv"), ("text/tab-separated-values", "tsv")]
)
def test_select_results_in_each_format_parse_back_to_the_local_rows(server, graph, media, fmt):
    answer = ask(server, CAMPUSES, accept=media)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].split(";")[0] == media
    assert "Accept" in answer.headers["Vary"]
    parsed = Result.parse(io.BytesIO(answer.content), format=fmt)
    assert [str(v) for v in parsed.vars] == ["campus", "nom", "region"]
    assert [text(row) for row in parsed] == local_rows(CAMPUSES, graph)


@pytest.mark.parametrize("media, fmt", [(JSON_RESULTS, "json"), (XML_RESULTS, "xml")])
def test_ask_in_json_and_xml(server, graph, media, fmt):
    found = []
    for sparql in ("ASK { ?c a cmq:Campus ; cmq:inRegion ?r }", "ASK { ?c a cmq:Campus ; cmq:inRegion ?c }"):
        found.append(bool(select(sparql, store=graph)["ask"].iloc[0]))
        answer = ask(server, sparql, accept=media)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"].split(";")[0] == media
        assert Result.parse(io.BytesIO(answer.content), format=fmt).askAnswer is found[-1]
    assert found == [True, False]


@pytest.fixture(scope="module")
def mobicampus(graph) -> str:
    """The IRI of Mobicampus (the example of the saved query 'provenance')."""
    iri = example("provenance")["iri"]
    assert select(f"ASK {{ <{iri}> a cmq:Campus }}", store=graph)["ask"].iloc[0]
    return iri


@pytest.mark.parametrize(
    "media, fmt",
    [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt"), ("application/rdf+xml", "xml")],
)
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_construct_and_describe_are_isomorphic_to_the_local_graph(server, built, mobicampus, media, fmt, form):
    sparql = CONSTRUCT_CAMPUSES if form == "CONSTRUCT" else f"DESCRIBE <{mobicampus}>"
    expected = construct(sparql, store=built[0])
    assert len(expected) > 5
    answer = ask(server, sparql, accept=media)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].split(";")[0] == media
    assert answer.headers["X-Cmqgraph-Rows"] == str(len(expected))
    got = rdflib.Graph().parse(data=answer.content, format=fmt)
    assert len(got) == len(expected)
    assert same_graph(got, expected)


@pytest.mark.parametrize(
    "form, accept, media",
    [
        ("SELECT", "text/csv;q=0.5, application/sparql-results+xml", XML_RESULTS),
        ("SELECT", "application/sparql-results+json;q=0.9, text/csv", "text/csv"),
        ("SELECT", "text/*", "text/csv"),
        ("SELECT", "text/*;q=0.3, text/tab-separated-values;q=0.6", "text/tab-separated-values"),
        ("SELECT", "application/json", JSON_RESULTS),
        ("SELECT", "*/*", JSON_RESULTS),
        ("SELECT", "", JSON_RESULTS),
        ("CONSTRUCT", "application/sparql-results+json, text/turtle;q=0.5", "text/turtle"),
        ("CONSTRUCT", "text/turtle;q=0.2, application/ld+json;q=0.4", "application/ld+json"),
        ("CONSTRUCT", "application/json", "application/ld+json"),
        ("CONSTRUCT", "text/plain", "application/n-triples"),
    ],
)
def test_accept_and_its_q_values_choose_the_format(server, built, graph, form, accept, media):
    sparql = CAMPUSES if form == "SELECT" else CONSTRUCT_CAMPUSES
    answer = ask(server, sparql, accept=accept)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].split(";")[0] == media
    if form == "SELECT":
        fmt = {JSON_RESULTS: "json", XML_RESULTS: "xml", "text/csv": "csv", "text/tab-separated-values": "tsv"}[media]
        assert [text(r) for r in Result.parse(io.BytesIO(answer.content), format=fmt)] == local_rows(CAMPUSES, graph)
    else:
        fmt = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt"}[media]
        assert same_graph(rdflib.Graph().parse(data=answer.content, format=fmt), construct(sparql, store=built[0]))


def test_format_field_wins_over_accept(server, built, graph):
    answer = ask(server, CAMPUSES, accept=JSON_RESULTS, format="csv")
    assert answer.headers["Content-Type"].split(";")[0] == "text/csv"
    assert [text(r) for r in Result.parse(io.BytesIO(answer.content), format="csv")] == local_rows(CAMPUSES, graph)
    answer = requests.post(server.endpoint, data={"query": CAMPUSES, "format": "tsv"}, headers={"Accept": XML_RESULTS}, timeout=60)
    assert answer.headers["Content-Type"].split(";")[0] == "text/tab-separated-values"
    assert [text(r) for r in Result.parse(io.BytesIO(answer.content), format="tsv")] == local_rows(CAMPUSES, graph)
    answer = ask(server, CONSTRUCT_CAMPUSES, accept="application/rdf+xml", format="jsonld")
    assert answer.headers["Content-Type"].split(";")[0] == "application/ld+json"
    assert same_graph(rdflib.Graph().parse(data=answer.content, format="json-ld"), construct(CONSTRUCT_CAMPUSES, store=built[0]))
    # a graph format for a table, a table format for a graph: nothing acceptable
    assert ask(server, CAMPUSES, format="turtle").status_code == 406
    assert ask(server, CONSTRUCT_CAMPUSES, format="csv").status_code == 406
    # a name the server does not know (SPARQLWrapper sends format=n3 beside its Accept) leaves the choice to Accept
    answer = ask(server, CAMPUSES, accept="text/csv", format="n3")
    assert answer.status_code == 200 and answer.headers["Content-Type"].split(";")[0] == "text/csv"


def test_no_acceptable_format_is_406(server):
    for sparql in (CAMPUSES, CONSTRUCT_CAMPUSES, "ASK {}"):
        answer = ask(server, sparql, accept="image/png")
        assert answer.status_code == 406, (sparql, answer.text)
    assert "text/csv" in ask(server, CAMPUSES, accept="image/png").text
    assert "text/turtle" in ask(server, CONSTRUCT_CAMPUSES, accept="image/png").text
    answer = requests.get(server.endpoint, headers={"Accept": "image/png"}, timeout=60)
    assert answer.status_code == 406 and "text/turtle" in answer.text


def test_service_description_and_html_editor(server):
    answer = requests.get(server.endpoint, headers={"Accept": "text/turtle"}, timeout=60)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0] == "text/turtle"
    assert "Accept" in answer.headers["Vary"]
    description = rdflib.Graph().parse(data=answer.content, format="turtle")
    (service,) = description.subjects(rdflib.RDF.type, SD.Service)
    assert list(description.objects(service, SD.endpoint)) == [rdflib.URIRef(server.endpoint)]
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in description
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in description  # read-only
    assert (service, SD.feature, SD.UnionDefaultGraph) in description
    as_jsonld = requests.get(server.endpoint, headers={"Accept": "application/ld+json"}, timeout=60)
    assert same_graph(rdflib.Graph().parse(data=as_jsonld.content, format="json-ld"), description)
    editor = requests.get(server.endpoint, headers={"Accept": BROWSER}, timeout=60)
    assert editor.status_code == 200
    assert editor.headers["Content-Type"].split(";")[0] == "text/html"
    assert "Accept" in editor.headers["Vary"]  # the same URL answers Turtle to other clients
    assert re.search(r'<textarea[^>]*name="query"', editor.text)
    # the editor's example query runs
    example_query = markupsafe.Markup(re.search(r"<textarea[^>]*>(.*?)</textarea>", editor.text, re.DOTALL).group(1)).unescape()
    assert ask(server, example_query).status_code == 200


def test_service_description_names_the_public_url(capped):
    answer = requests.get(capped.endpoint, headers={"Accept": "text/turtle"}, timeout=60)
    description = rdflib.Graph().parse(data=answer.content, format="turtle")
    assert set(description.objects(None, SD.endpoint)) == {rdflib.URIRef("https://example.org/cmq/sparql")}


def test_service_queries_are_refused(server, graph):
    """A SERVICE clause would make the server send requests to other hosts (here: to itself, on 127.0.0.1)."""
    for sparql in (
        f"SELECT * WHERE {{ SERVICE <{server.endpoint}> {{ ?s ?p ?o }} }} LIMIT 1",
        f"SELECT * WHERE {{ service silent<{server.endpoint}>{{ ?s ?p ?o }} }} LIMIT 1",
        f"ASK {{ ?c a cmq:Campus . SERVICE <{server.endpoint}> {{ ?c ?p ?o }} }}",
        f"ASK {{ ?c a cmq:Campus .SERVICE <{server.endpoint}> {{ ?c ?p ?o }} }}",
    ):
        answer = ask(server, sparql)
        assert answer.status_code == 400, answer.text
        assert "SERVICE" in answer.text
    # the word alone, in names, strings, IRIs and comments, is no SERVICE clause
    harmless = (
        'PREFIX service: <https://w3id.org/cmqgraph/ontology#> SELECT ?service WHERE { ?service a service:Campus ; rdfs:label ?n '
        'FILTER(?n != "SERVICE <http://example.org/>"@fr && ?service != <http://example.org/SERVICE>) } # SERVICE <x>\n'
    )
    answer = ask(server, harmless)
    assert answer.status_code == 200, answer.text
    assert len(json_rows(answer.json())) == local_count("SELECT (COUNT(*) AS ?n) WHERE { ?c a cmq:Campus }", graph)


# ------------------------------------------------------------------------------------ 2. errors


def test_malformed_query_is_400_with_the_parser_message(server):
    bad = "SELECT ?x WHERE { ?x"
    with pytest.raises(SyntaxError) as parser:
        ox.Store().query(bad)
    for answer in (
        ask(server, bad),
        requests.post(server.endpoint, data={"query": bad}, timeout=60),
        requests.post(server.endpoint, data=bad.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=60),
    ):
        assert answer.status_code == 400
        assert str(parser.value) in answer.text


def test_requests_the_protocol_forbids(server):
    both = requests.post(server.endpoint, data={"query": "ASK {}", "update": "INSERT DATA {}"}, timeout=60)
    assert both.status_code == 400 and "not both" in both.text
    twice = requests.get(server.endpoint, params=[("query", "ASK {}"), ("query", "ASK {}")], timeout=60)
    assert twice.status_code == 400 and "2 'query' fields" in twice.text
    url_and_body = requests.post(server.endpoint, params={"query": "ASK {}"}, data={"query": "ASK {}"}, timeout=60)
    assert url_and_body.status_code == 400
    plain = requests.post(server.endpoint, data=b"ASK {}", headers={"Content-Type": "text/plain"}, timeout=60)
    assert plain.status_code == 415 and "text/plain" in plain.text
    not_utf8 = requests.post(server.endpoint, data="ASK { ?s ?p 'é' }".encode("latin-1"), headers={"Content-Type": "application/sparql-query"}, timeout=60)
    assert not_utf8.status_code == 400 and "UTF-8" in not_utf8.text
    put = requests.put(server.endpoint, data=b"ASK {}", headers={"Content-Type": "application/sparql-query"}, timeout=60)
    assert put.status_code == 405
    assert {m.strip() for m in put.headers["Allow"].split(",")} == {"GET", "POST"}
    update_by_get = requests.get(server.endpoint, params={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, timeout=60)
    assert update_by_get.status_code == 405 and "POST" in update_by_get.text


def test_oversized_bodies_are_413(server):
    limit = Settings(store=Path(".")).max_body
    body = b"query=" + b"a" * (limit + 1024 * 1024)
    announced = requests.post(server.endpoint, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=60)
    assert announced.status_code == 413 and str(limit) in announced.text

    def chunks():  # no Content-Length: requests sends the body chunked
        for start in range(0, len(body), 1024 * 1024):
            yield body[start:start + 1024 * 1024]

    chunked = requests.post(server.endpoint, data=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=60)
    assert chunked.status_code == 413 and str(limit) in chunked.text
    # the server goes on answering
    assert ask(server, "ASK {}").status_code == 200


def test_unknown_saved_query_is_404(server):
    for path in ("/api/queries/pas_de_requete", "/api/queries/pas_de_requete/results"):
        answer = api(server, path)
        assert answer.status_code == 404
        assert "pas_de_requete" in answer.json()["detail"]
    page = api(server, "/queries/pas_de_requete")
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert "pas_de_requete" in page.text
    assert api(server, "/api/choices/pas_de_liste").status_code == 404


PARAMETER_ERRORS = [
    ("campus_excellence", {"regoin": "Bretagne"}, "regoin"),  # unknown name
    ("metiers_du_campus", {}, "campus"),  # missing required
    ("provenance", {"iri": "pas une IRI"}, "iri"),  # wrong type
    ("projets_regionaux", {"programme": "tip"}, "programme"),  # not among the values the query lists
]


@pytest.mark.parametrize("name, params, parameter", PARAMETER_ERRORS, ids=[c[0] for c in PARAMETER_ERRORS])
def test_wrong_parameters_are_422_naming_the_parameter(server, name, params, parameter):
    with pytest.raises(ParameterError) as local:
        QUERIES[name].bind(params)
    assert local.value.parameter == parameter
    answer = api(server, f"/api/queries/{name}/results", **params)
    assert answer.status_code == 422
    assert answer.json() == {"detail": [{"loc": ["query", parameter], "msg": str(local.value), "type": "value_error"}]}
    page = api(server, f"/queries/{name}", run="1", **params)
    assert page.status_code == 422
    assert str(markupsafe.escape(str(local.value))) in page.text


def test_a_value_outside_a_closed_list_of_the_graph_is_422_with_a_suggestion(server, graph):
    regions = [r for (r,) in local_rows(CHOICE_LISTS["region"].sparql, graph)]
    close = [r for r in regions if r.startswith("Bourgogne")]
    assert close and "Bourgogne" not in regions
    answer = api(server, "/api/queries/campus_excellence/results", region="Bourgogne")
    assert answer.status_code == 422
    (detail,) = answer.json()["detail"]
    assert detail["loc"] == ["query", "region"] and detail["type"] == "value_error"
    assert all(repr(r) in detail["msg"] for r in close)
    # case is ignored
    exact = api(server, "/api/queries/campus_excellence/results", region=close[0].upper())
    assert exact.status_code == 200


def test_other_malformed_api_calls_are_422(server):
    repeated = requests.get(server.base + "/api/queries/campus_excellence/results", params=[("region", "Bretagne"), ("region", "Corse")], timeout=60)
    assert repeated.status_code == 422
    assert repeated.json()["detail"][0]["loc"] == ["query", "region"]
    bad_format = api(server, "/api/queries/campus_excellence/results", format="xml")
    assert bad_format.status_code == 422
    assert bad_format.json()["detail"][0]["loc"] == ["query", "format"]


def test_a_year_parameter_is_checked(capped, graph):
    saved = parse_query("campus_excellence_annee", YEAR_QUERY)
    with pytest.raises(ParameterError) as local:
        saved.bind({"annee": "20x"})
    answer = api(capped, "/api/queries/campus_excellence_annee/results", annee="20x")
    assert answer.status_code == 422
    assert answer.json()["detail"] == [{"loc": ["query", "annee"], "msg": str(local.value), "type": "value_error"}]
    assert "annee" in answer.json()["detail"][0]["msg"] and "year" in answer.json()["detail"][0]["msg"]
    frame = run_query(saved, {"annee": "2020"}, store=graph)
    assert len(frame) > 0
    answer = api(capped, "/api/queries/campus_excellence_annee/results", annee="2020", format="csv")
    assert answer.status_code == 200
    assert answer.text == format_frame(frame.head(7), "csv")
    listed = {q["name"] for q in api(capped, "/api/queries").json()}
    assert listed == set(QUERIES) | {"campus_excellence_annee"}


# ------------------------------------------------------------------------------------ 3. limits


def test_max_rows_cuts_select_answers(capped, graph):
    every = "SELECT ?c WHERE { ?c a cmq:Campus }"
    campuses = {row[0] for row in local_rows(every, graph)}
    assert len(campuses) > 7
    for media, fmt in ((JSON_RESULTS, "json"), ("text/csv", "csv")):
        answer = ask(capped, every, accept=media)
        assert answer.status_code == 200
        assert answer.headers["X-Cmqgraph-Truncated"] == "7"
        assert answer.headers["X-Cmqgraph-Rows"] == "7"
        rows = [text(r) for r in Result.parse(io.BytesIO(answer.content), format=fmt)]
        assert len(rows) == 7 and {r[0] for r in rows} <= campuses
    exactly = ask(capped, every + " LIMIT 7")
    assert "X-Cmqgraph-Truncated" not in exactly.headers and exactly.headers["X-Cmqgraph-Rows"] == "7"
    assert len(json_rows(exactly.json())) == 7
    assert ask(capped, every + " LIMIT 8").headers["X-Cmqgraph-Truncated"] == "7"


def test_max_rows_cuts_construct_answers(capped, built):
    expected = construct(CONSTRUCT_CAMPUSES, store=built[0])
    answer = ask(capped, CONSTRUCT_CAMPUSES, accept="text/turtle")
    assert answer.status_code == 200
    assert answer.headers["X-Cmqgraph-Truncated"] == "7" and answer.headers["X-Cmqgraph-Rows"] == "7"
    got = rdflib.Graph().parse(data=answer.content, format="turtle")
    assert len(got) == 7 and set(got) <= set(expected)


def test_max_rows_cuts_saved_query_downloads_and_pages(capped, graph):
    frame = run_query("campus_excellence", {}, store=graph)
    assert len(frame) > 7
    answer = api(capped, "/api/queries/campus_excellence/results", format="csv")
    assert answer.status_code == 200
    assert answer.headers["X-Cmqgraph-Truncated"] == "7" and answer.headers["X-Cmqgraph-Rows"] == "7"
    assert answer.text == format_frame(frame.head(7), "csv")
    page = api(capped, "/queries/campus_excellence", run="1")
    assert page.status_code == 200
    assert re.search(r'id="result">\s*7 lignes', page.text)
    assert page.text.count("<tr>") == 8  # the header and 7 rows


def test_a_runaway_query_is_stopped_and_its_worker_replaced(hasty, graph):
    before = worker_pids(hasty.process.pid)
    assert len(before) == 2  # --processes defaults to 2
    start = time.monotonic()
    answer = ask(hasty, RUNAWAY)
    seconds = time.monotonic() - start
    assert answer.status_code == 503, answer.text
    assert seconds < 15
    assert "1 s" in answer.text
    assert wait_for(lambda: before - worker_pids(hasty.process.pid)), "the process of the stopped query still runs"
    # the server answers right after, correctly (on either worker: ask more than once), and gets its 2 workers back
    campuses = "SELECT (COUNT(*) AS ?n) WHERE { ?c a cmq:Campus }"
    for _ in range(4):
        assert remote_count(hasty, campuses) == local_count(campuses, graph)
    assert api(hasty, "/health").json()["status"] == "ok"
    assert wait_for(lambda: len(worker_pids(hasty.process.pid)) == 2)


# ------------------------------------------------------------------------------------ 4. read-only, or updates with a token

INSERT = "INSERT DATA { GRAPH <urn:cmqgraph-test:graph> { <urn:cmqgraph-test:region> a cmq:Region ; rdfs:label \"Zzz région de test\" } }"
INSERTED = "ASK { <urn:cmqgraph-test:region> a cmq:Region }"


def test_a_server_without_token_refuses_updates(server, graph):
    before = remote_count(server)
    attempts = [
        requests.post(server.endpoint, data={"update": INSERT}, timeout=60),
        requests.post(server.endpoint, data=INSERT.encode(), headers={"Content-Type": "application/sparql-update"}, timeout=60),
        requests.post(server.endpoint, data={"update": INSERT}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60),
    ]
    for answer in attempts:
        assert answer.status_code == 403, answer.text
        assert "read-only" in answer.text
    assert remote_count(server) == before == local_count(COUNT, graph)
    assert ask(server, INSERTED).json()["boolean"] is False
    assert api(server, "/health").json()["updates"] is False


def test_updates_need_the_token(writable):
    before = remote_count(writable)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": f"Bearer {TOKEN}x"}):
        answer = requests.post(writable.endpoint, data={"update": INSERT}, headers=headers, timeout=60)
        assert answer.status_code == 401, (headers, answer.text)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert remote_count(writable) == before
    description = rdflib.Graph().parse(data=requests.get(writable.endpoint, headers={"Accept": "text/turtle"}, timeout=60).content)
    assert (None, SD.supportedLanguage, SD.SPARQL11Update) in description


def test_an_update_with_the_token_is_seen_by_the_next_queries(writable, built, graph):
    before = remote_count(writable)
    regions = api(writable, "/api/choices/region").json()["values"]
    generation = api(writable, "/health").json()["generation"]
    assert "Zzz région de test" not in regions
    answer = requests.post(writable.endpoint, data={"update": INSERT}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert answer.status_code == 204, answer.text
    # every reader (two processes) reopens the store: ask more than once
    for _ in range(4):
        assert remote_count(writable) == before + 2  # the type and the label
        assert ask(writable, INSERTED).json()["boolean"] is True
    assert api(writable, "/health").json()["generation"] == generation + 1
    assert api(writable, "/api/choices/region").json()["values"] == sorted([*regions, "Zzz région de test"])
    accepted = api(writable, "/api/queries/campus_excellence/results", region="Zzz région de test")
    assert accepted.status_code == 200
    served = cmqgraph.open_graph(writable.folder / "store")  # read-only, with the update: the région is one of its régions
    assert accepted.text == format_frame(run_query("campus_excellence", {"region": "Zzz région de test"}, store=served), "csv")
    # a direct POST works too; the shared store was never written
    direct = requests.post(writable.endpoint, data=b"DELETE DATA { GRAPH <urn:cmqgraph-test:graph> { <urn:cmqgraph-test:region> a cmq:Region } }",
                           headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}, timeout=60)
    assert direct.status_code == 204, direct.text
    assert remote_count(writable) == before + 1
    fresh = cmqgraph.open_graph(built[0])
    assert not select(INSERTED, store=fresh)["ask"].iloc[0]
    assert local_count(COUNT, fresh) == before


def test_updates_amid_concurrent_reads(writable):
    """Each update waits for the reads under way and the readers reopen the store after it: no read fails."""
    many = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:cmqgraph-test:many> { ?s ?p ?o } }"
    assert remote_count(writable, many) == 0
    with ThreadPoolExecutor(4) as pool:
        for k in range(1, 21):
            during = [pool.submit(remote_count, writable, many) for _ in range(4)]
            update = f'INSERT DATA {{ GRAPH <urn:cmqgraph-test:many> {{ <urn:cmqgraph-test:s{k}> <urn:cmqgraph-test:p> "{k}" }} }}'
            answer = requests.post(writable.endpoint, data={"update": update}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
            assert answer.status_code == 204, answer.text
            assert {f.result() for f in during} <= {k - 1, k}
            assert [remote_count(writable, many) for _ in range(3)] == [k] * 3
    assert "Traceback" not in writable.log_tail(200)


def test_a_malformed_update_is_400(writable):
    bad = "INSERT DATA { <urn:a> "
    with pytest.raises(SyntaxError) as parser:
        ox.Store().update(bad)
    before = remote_count(writable)
    answer = requests.post(writable.endpoint, data={"update": bad}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert answer.status_code == 400
    assert str(parser.value) in answer.text
    assert remote_count(writable) == before


def test_a_rebuild_with_a_newer_file_is_served_without_a_restart(built, tmp_path):
    """A user drops a newer CMQ list (here: the shipped one less its last campus) and rebuilds the served store."""
    store = tmp_path / "store"
    shutil.copytree(built[0], store)
    newer = tmp_path / "newer"
    newer.mkdir()
    lines = (cmqgraph.builder.default_data_dir() / "cmq_campus_list.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (newer / "cmq_campus_list.csv").write_text("".join(lines[:-1]), encoding="utf-8")
    in_cmq_graph = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/cmqgraph/graph/cmq> { ?s ?p ?o } }"
    with start_cmqgraph(store, tmp_path) as rebuilt:
        before = remote_count(rebuilt, in_cmq_graph)
        generation = api(rebuilt, "/health").json()["generation"]
        cmqgraph.build(store=store, data_dir=newer, with_defaults=True)
        after = remote_count(rebuilt, in_cmq_graph)
        assert after == local_count(in_cmq_graph, cmqgraph.open_graph(store)) < before
        assert api(rebuilt, "/health").json()["generation"] > generation


# ------------------------------------------------------------------------------------ 5. clients


@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_gets_the_local_rows(server, graph, method):
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(CAMPUSES)
    client.setMethod(method)
    client.setReturnFormat(JSON)
    assert json_rows(client.queryAndConvert()) == local_rows(CAMPUSES, graph)


def test_the_engine_runs_on_the_server(server, built, graph, mobicampus):
    remote = select(CAMPUSES, endpoint=server.endpoint)
    assert [text(r) for r in remote.astype(object).itertuples(index=False, name=None)] == local_rows(CAMPUSES, graph)
    sparql = f"DESCRIBE <{mobicampus}>"
    assert same_graph(construct(sparql, endpoint=server.endpoint), construct(sparql, store=built[0]))


CLI_CASES = [
    ("campus_excellence", {"region": "Bourgogne-Franche-Comté"}),
    ("etablissements_du_campus", {"campus": "Mobicampus"}),
    ("metiers_du_campus", example("metiers_du_campus")),
    ("projets_regionaux", {"programme": "ti"}),
]


@pytest.mark.parametrize("name, params", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_query_run_with_endpoint_gives_the_local_csv(server, graph, name, params):
    expected = format_frame(run_query(name, params, store=graph), "csv")
    assert expected.count("\n") > 1
    options = [item for k, v in params.items() for item in ("-p", f"{k}={v}")]
    done = cli("query", "run", name, *options, "--endpoint", server.endpoint, "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected


# ------------------------------------------------------------------------------------ 6. REST API


def test_api_lists_every_saved_query(server):
    answer = api(server, "/api/queries")
    listed = answer.json()
    assert [q["name"] for q in listed] == sorted(QUERIES, key=lambda n: QUERIES[n].title["fr"].casefold())
    for info in listed:
        saved = QUERIES[info["name"]]
        assert info["title"] == dict(saved.title) and info["columns"] == list(saved.columns)
        assert [p["name"] for p in info["parameters"]] == [p.name for p in saved.parameters]
        assert info["links"]["csv"].startswith("/api/queries/")  # a path, relative to this server (no public URL)
        assert requests.get(urljoin(answer.url, info["links"]["csv"]), timeout=60).status_code in (200, 422)  # 422: a required parameter


def test_api_describes_a_query_with_its_choices(server):
    described = api(server, "/api/queries/projets_regionaux").json()
    saved = QUERIES["projets_regionaux"]
    assert described["sparql"] == saved.sparql
    params = {p["name"]: p for p in described["parameters"]}
    assert set(params) == {p.name for p in saved.parameters}
    programme = next(p for p in saved.parameters if p.name == "programme")
    assert params["programme"]["choices"] == list(programme.choices) and params["programme"]["closed"] is True
    assert params["region"]["choices"] == "region" and params["region"]["closed"] is True
    campus = api(server, "/api/queries/metiers_du_campus").json()["parameters"][0]
    assert campus["name"] == "campus" and campus["choices"] == "campus" and campus["closed"] is False
    assert campus["required"] is True and campus["example"] == example("metiers_du_campus")["campus"]


@pytest.mark.parametrize("name, case", cases())
def test_api_results_are_the_local_results(server, graph, name, case):
    params = parameters(name, case)
    frame = run_query(name, params, store=graph)
    answer = api(server, f"/api/queries/{name}/results", format="csv", **params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["X-Cmqgraph-Rows"] == str(len(frame))
    assert answer.text == format_frame(frame, "csv")
    records = api(server, f"/api/queries/{name}/results", format="json", **params).json()
    assert records == json.loads(format_frame(frame, "json"))
    assert all(list(r) == list(frame.columns) for r in records)
    tsv = api(server, f"/api/queries/{name}/results", format="tsv", **params)
    assert tsv.text == format_frame(frame, "tsv")
    french = api(server, f"/api/queries/{name}/results", format="csv-fr", **params)
    assert french.content == format_frame(frame, "csv-fr").encode("utf-8") and french.content.startswith(b"\xef\xbb\xbf")


def test_api_choices_are_the_labels_of_the_graph(server, graph):
    labels = sorted({label for (label,) in local_rows("SELECT ?label WHERE { ?r a cmq:Region ; rdfs:label ?label }", graph)})
    assert len(labels) > 10
    answer = api(server, "/api/choices/region").json()
    assert answer == {"name": "region", "closed": True, "values": labels}
    assert api(server, "/api/choices/campus").json()["closed"] is False


def test_health(server):
    health = api(server, "/health").json()
    defaults = Settings(store=Path("."))
    assert health["status"] == "ok" and health["updates"] is False
    assert health["max_rows"] == defaults.max_rows
    assert health["workers"]["processes"] == defaults.processes and health["queries_per_client"] == defaults.queries_per_client
    assert health["version"] == cmqgraph.__version__


def test_openapi_describes_the_api_and_not_the_pages(server):
    spec = api(server, "/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"] == cmqgraph.__version__
    paths = spec["paths"]
    assert {"/sparql", "/api/queries", "/api/queries/{name}", "/api/queries/{name}/results", "/api/choices/{name}", "/health"} <= set(paths)
    assert not {"/", "/queries", "/queries/{name}", "/view"} & set(paths)
    assert set(paths["/sparql"]) == {"get", "post"}
    results = paths["/api/queries/{name}/results"]["get"]
    assert {p["name"] for p in results["parameters"]} >= {"name", "format"}
    assert {"200", "404", "422", "503"} <= set(results["responses"])
    for path, item in paths.items():
        for method, operation in item.items():
            assert method in ("get", "post", "put", "delete", "patch", "head", "options")
            assert operation["responses"], (path, method)
            assert operation.get("summary"), (path, method)
            for param in operation.get("parameters", []):
                assert param["in"] in ("query", "path", "header", "cookie") and "schema" in param
                if param["in"] == "path":
                    assert param["required"] is True and "{" + param["name"] + "}" in path
    # every $ref resolves
    refs = re.findall(r'"\$ref":\s*"#/([^"]+)"', json.dumps(spec))
    for ref in refs:
        node = spec
        for part in ref.split("/"):
            node = node[part]


def test_openapi_names_the_saved_queries_of_each_server(server, capped):
    """A saved query's ``name`` is one of that server's queries: the shipped files, and those of its --queries folder."""
    shipped = sorted(path.stem for path in (Path(__file__).parents[1] / "queries").glob("*.rq"))
    for running, names in ((server, shipped), (capped, sorted([*shipped, "campus_excellence_annee"]))):
        paths = api(running, "/openapi.json").json()["paths"]
        for path in ("/api/queries/{name}", "/api/queries/{name}/results"):
            (field,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == "name"]
            assert field["schema"]["enum"] == names, (running.base, path)


def test_schemathesis_finds_no_server_error_nor_undocumented_answer(server, tmp_path):
    """Requests generated from /openapi.json (schemathesis: examples, boundary cases, fuzzing, sequences) get
    documented statuses and content types, answers matching their schemas, and never a 500."""
    st = Path(sys.executable).with_name("st")
    checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
    done = subprocess.run(
        [str(st), "run", f"{server.base}/openapi.json", "--checks", checks, "--max-examples", "30", "--seed", "20261127",
         "--generation-deterministic", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    generated = int(re.search(r"(\d+) generated", done.stdout).group(1))
    assert generated > 100 and "No issues found" in done.stdout


# ------------------------------------------------------------------------------------ 7. pages


def test_pages_answer(server):
    for path in ("/", "/queries", "/view", *(f"/queries/{name}" for name in QUERIES)):
        answer = api(server, path)
        assert answer.status_code == 200, path
        assert answer.headers["Content-Type"].startswith("text/html"), path
    listing = api(server, "/queries").text
    assert all(f"/queries/{name}" in listing for name in QUERIES)
    form = api(server, "/view").text
    assert "<form" in form


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_a_saved_query_page_shows_its_rows(server, graph, name):
    params = example(name)
    frame = run_query(name, params, store=graph)
    page = api(server, f"/queries/{name}", run="1", **params)
    assert page.status_code == 200
    shown = re.search(r'id="result">\s*(\d+) ligne', page.text)
    assert shown and int(shown.group(1)) == len(frame)
    assert page.text.count("<tr>") == 1 + len(frame)


def test_the_network_view_of_a_campus(server, graph):
    page = api(server, "/view", campus="Mobicampus")
    assert page.status_code == 200
    assert "window.cmqStabilized" in page.text
    tags = re.findall(r"<(?:script|link)\b[^>]*>", page.text)
    assert not [t for t in tags if re.search(r"\b(?:src|href)\s*=", t)], "the page loads an external script or stylesheet"
    (name,) = [n for (n,) in local_rows("SELECT ?n WHERE { ?c a cmq:Campus ; rdfs:label ?n FILTER(CONTAINS(LCASE(?n), 'mobicampus')) }", graph)]
    assert "Mobicampus" in name and "Mobicampus" in page.text


def test_user_input_is_escaped(server):
    attack = "<script>alert(1)</script>"
    escaped = str(markupsafe.escape(attack))
    for path, params in (
        ("/queries/metiers_du_campus", {"run": "1", "campus": attack}),  # runs: no campus matches
        ("/queries/campus_excellence", {"run": "1", "region": attack}),  # 422: not a région
        ("/queries/provenance", {"run": "1", "iri": attack}),  # 422: not an IRI
        ("/view", {"campus": attack}),  # 422: no such campus
    ):
        page = api(server, path, **params)
        assert page.status_code in (200, 422), path
        assert attack not in page.text, path
        assert escaped in page.text, path
    name = "<img src=x onerror=alert(1)>"  # no slash: a path segment
    page = api(server, f"/queries/{name}")
    assert page.status_code == 404
    assert name not in page.text and str(markupsafe.escape(name)) in page.text


# ------------------------------------------------------------------------------------ 8. the command


def test_serve_help_names_its_options():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    options = ("--host", "--port", "--timeout", "--max-rows", "--processes", "--update-token", "--public-url", "--queries",
               "--queries-per-client", "--queue-wait", "--trusted-proxy")
    for option in options:
        assert option in result.output
    assert "CMQGRAPH_UPDATE_TOKEN" in " ".join(result.output.split())


def test_serve_without_a_graph_exits_4(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for store, message in ((empty, "cannot open the graph store"), (tmp_path / "none", "run 'cmqgraph build' first")):
        done = cli("--store", str(store), "serve", "--port", str(free_port()), timeout=60)
        assert done.returncode == 4, done.stderr
        assert message in done.stderr and str(store) in " ".join(done.stderr.split())
        assert "Traceback" not in done.stderr + done.stdout


def test_serve_with_a_malformed_saved_query_exits_5_naming_the_file(built, tmp_path):
    folder = tmp_path / "queries"
    folder.mkdir()
    bad = folder / "bad.rq"
    bad.write_text('#+ title.fr = "sans fin\nSELECT ?x WHERE { ?x ?p ?o }\n', encoding="utf-8")
    done = cli("--store", str(built[0]), "serve", "--port", str(free_port()), "--queries", str(folder), timeout=60)
    assert done.returncode == 5, done.stderr
    assert str(bad) in " ".join(done.stderr.split()) and "not valid TOML" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_serving_beyond_this_machine_warns(built, tmp_path, server):
    with start_cmqgraph(built[0], tmp_path, "--host", "0.0.0.0") as wide:
        assert remote_count(wide, "SELECT (COUNT(*) AS ?n) WHERE { ?c a cmq:Campus }") > 0
    log = " ".join(wide.log.read_text().split())
    assert "warning: listening on 0.0.0.0" in log
    assert "listening on" not in server.log.read_text()


# ------------------------------------------------------------------------------------ 9. the catalogue names the endpoint


def catalogue_services(folder: Path) -> dict[rdflib.URIRef, set[rdflib.URIRef]]:
    g = rdflib.Graph().parse(folder / "catalog.ttl", format="turtle")
    return {s: set(g.objects(s, DCAT.endpointURL)) for s in g.subjects(rdflib.RDF.type, DCAT.DataService)}


def test_export_describes_the_public_endpoint(built, tmp_path, server):
    runner = CliRunner()
    for folder, args, env, endpoint in (
        ("option", ["--public-url", "https://example.org/cmq"], {}, "https://example.org/cmq/sparql"),
        ("env", [], {"CMQGRAPH_PUBLIC_URL": "https://example.org/cmq/"}, "https://example.org/cmq/sparql"),
        ("both", ["--public-url", "https://example.org/cmq", "--sparql-endpoint", "https://other.example.org/q"], {}, "https://other.example.org/q"),
        ("live", ["--public-url", server.base], {}, server.endpoint),
    ):
        out = tmp_path / folder
        result = runner.invoke(main, ["--store", str(built[0]), "export", "--format", "dcat", "--out", str(out), *args], env=env)
        assert result.exit_code == 0, result.output
        assert list(catalogue_services(out).values()) == [{rdflib.URIRef(endpoint)}], folder
    # the live one answers its service description at that URL
    description = rdflib.Graph().parse(data=requests.get(server.endpoint, headers={"Accept": "text/turtle"}, timeout=60).content)
    assert set(description.objects(None, SD.endpoint)) == {rdflib.URIRef(server.endpoint)}
    result = runner.invoke(main, ["--store", str(built[0]), "export", "--format", "dcat", "--out", str(tmp_path / "none")], env={"CMQGRAPH_PUBLIC_URL": ""})
    assert result.exit_code == 0 and catalogue_services(tmp_path / "none") == {}
