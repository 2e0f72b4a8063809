"""Pushing the built graph to real servers (Oxigraph server, Virtuoso 7) through the Graph Store Protocol.

The session's servers (``pytest_plugins = ["servers"]``, shared with tests/test_engines.py) receive the full
default graph once (``oxigraph_pushed``, ``virtuoso_pushed``), and only tiny pushes of this module's own
graphs outside https://w3id.org/cmqgraph/graph/ after that. The tests that push again or change what the
cmqgraph graphs hold run against servers of this module's own, with the graph built from tests/data
(``small``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import cmqgraph
import pyoxigraph as ox
import pytest
import requests
from cmqgraph.engine import select
from cmqgraph.push import DEFAULT_GRAPH, PushError, PushReport, push, remote_counts
from cmqgraph.push import _auth as push_auth
from cmqgraph.sources import REGISTRY
from servers import Server, free_port, push_to, start_oxigraph, start_virtuoso

pytest_plugins = ["servers"]  # the session's oxigraph_server, virtuoso_server and their one push of the default graph
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("servers")]

SERVERS = ["oxigraph_server", "virtuoso_server"]
MOBICAMPUS = """
SELECT ?campus ?aca WHERE {
  ?campus a cmq:Campus ; rdfs:label ?name ; cmq:inAcademie ?aca .
  FILTER(STRSTARTS(?name, "Mobicampus"))
}"""
TEST_NS = "http://example.org/cmqgraph-push-test/"
DATA = Path(__file__).parent / "data"
CMQGRAPH_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'https://w3id.org/cmqgraph/graph/')) }"


def walked_counts(path: Path) -> dict[str, int]:
    """Triples per named graph of the store at ``path``, counted by walking its quads (not by SPARQL)."""
    store = cmqgraph.open_store(path)
    counts = {g.value: sum(1 for _ in store.quads_for_pattern(None, None, None, g)) for g in store.named_graphs()}
    assert sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph())) == 0
    return {g: n for g, n in counts.items() if n}


@pytest.fixture(scope="session")
def expected(built) -> dict[str, int]:
    """Triples per named graph of the built store."""
    return walked_counts(built[0])


@pytest.fixture(scope="session", params=SERVERS)
def pushed(request) -> tuple[Server, PushReport]:
    """``(server, report)``: each session server and the report of the one push of the default graph to it."""
    return request.getfixturevalue(request.param), request.getfixturevalue(request.param.replace("_server", "_pushed"))


@pytest.fixture(scope="module")
def small(small_built) -> Path:
    """The store built from the extracts of tests/data (25 named graphs, some 6,800 triples)."""
    return small_built


@pytest.fixture(scope="module")
def small_expected(small) -> dict[str, int]:
    """Triples per named graph of the ``small`` store (graph/meta and every source's graph but affelnet's: no extract of it in tests/data)."""
    return walked_counts(small)


@pytest.fixture(scope="module")
def own_oxigraph(tmp_path_factory) -> Iterator[Server]:
    """An Oxigraph server of this module's own, for the pushes that change what a server holds."""
    with start_oxigraph(tmp_path_factory.mktemp("push-own-oxigraph")) as server:
        yield server


@pytest.fixture(scope="module")
def own_virtuoso(tmp_path_factory) -> Iterator[Server]:
    """A Virtuoso 7 of this module's own, for the pushes that change what a server holds."""
    with start_virtuoso(tmp_path_factory.mktemp("push-own-virtuoso")) as server:
        yield server


@pytest.fixture(scope="module", params=["own_oxigraph", "own_virtuoso"])
def own_server(request) -> Server:
    return request.getfixturevalue(request.param)


def test_report_counts_equal_local_counts(pushed, expected):
    _, report = pushed
    assert report.local_counts == expected
    assert report.remote_counts == expected
    assert report.triples == sum(expected.values())
    assert all(g.ok and g.requests >= 1 for g in report.graphs)
    assert len(expected) == len(REGISTRY) + 1  # every source's graph and graph/meta


def test_known_fact_is_queryable_on_the_server(pushed):
    server, _ = pushed
    frame = select(MOBICAMPUS, endpoint=server.endpoint)
    assert frame["aca"].tolist() == ["https://w3id.org/cmqgraph/id/academie/03"]


def test_queries_give_the_same_rows_as_the_local_store(pushed, built):
    server, _ = pushed
    for sparql in (
        MOBICAMPUS,
        "SELECT ?c ?l WHERE { ?c a cmq:Campus ; rdfs:label ?l } ",
        "SELECT ?s ?y WHERE { ?s cmq:firstSession ?y } ORDER BY ?s ?y LIMIT 50",
        "SELECT ?s ?v WHERE { ?s cmq:matchScore ?v } ORDER BY ?s ?v LIMIT 50",
        "SELECT (COUNT(*) AS ?n) (SUM(?v) AS ?t) WHERE { ?s cmq:yearOfCourse ?v }",
    ):
        local = select(sparql, store=built[0])
        remote = select(sparql, endpoint=server.endpoint)
        assert list(remote.columns) == list(local.columns)
        assert sorted(map(tuple, remote.astype(str).values)) == sorted(map(tuple, local.astype(str).values)), sparql


def test_pushing_again_replaces_instead_of_duplicating(own_server, small, small_expected):
    server = own_server
    assert push_to(server, small).remote_counts == small_expected
    # A triple the local store lacks, added to the largest graph: a push that appended would leave it there.
    largest = max(small_expected, key=small_expected.get)
    stale = f"<{TEST_NS}stale> <{TEST_NS}p> <{TEST_NS}o> .\n".encode()
    auth = push_auth(server.auth, server.auth_kind)
    url = f"{server.graph_store}?graph={requests.utils.quote(largest, safe='')}"
    requests.post(url, data=stale, headers={"Content-Type": "application/n-triples"}, auth=auth, timeout=30).raise_for_status()
    assert remote_counts(server.endpoint, [largest]) == {largest: small_expected[largest] + 1}

    chunk = max(small_expected.values()) // 3  # the largest graph takes at least 3 requests: a PUT, then POSTs
    again = push_to(server, small, chunk_triples=chunk)
    requests_per_graph = {g.graph: g.requests for g in again.graphs}
    assert requests_per_graph == {g: math.ceil(n / chunk) for g, n in small_expected.items()}
    assert requests_per_graph[largest] >= 3
    assert again.remote_counts == small_expected
    left = select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{largest}> {{ <{TEST_NS}stale> ?p ?o }} }}", endpoint=server.endpoint)
    assert left["n"].tolist() == [0]
    frame = select(CMQGRAPH_COUNT, endpoint=server.endpoint)
    assert frame["n"].tolist() == [sum(small_expected.values())]


def test_nothing_listening_raises_push_error_naming_the_url(built):
    port = free_port()
    url = f"http://127.0.0.1:{port}/store"
    with pytest.raises(PushError) as info:
        push(url, f"http://127.0.0.1:{port}/query", built[0], timeout=5)
    assert url in str(info.value)
    assert info.value.status is None
    assert info.value.graph.startswith("https://w3id.org/cmqgraph/graph/")
    assert isinstance(info.value.__cause__, requests.ConnectionError)


def test_wrong_credentials_raise_push_error_with_the_status(virtuoso_server, built):
    server = virtuoso_server
    with pytest.raises(PushError) as info:
        push(server.graph_store, server.endpoint, built[0], auth=("dba", "wrong"), auth_kind="digest")
    assert info.value.status == 401
    assert "HTTP 401" in str(info.value) and server.graph_store in str(info.value)


def test_error_answer_raises_push_error_with_the_status(oxigraph_server, built):
    url = oxigraph_server.graph_store.replace("/store", "/no-such-service")
    with pytest.raises(PushError) as info:
        push(url, oxigraph_server.endpoint, built[0])
    assert info.value.status == 404
    assert "HTTP 404" in str(info.value) and url in str(info.value)


def _tiny_store(n: int) -> ox.Store:
    store = ox.Store()
    graph = ox.NamedNode(TEST_NS + "graph")
    for i in range(n):
        s = ox.NamedNode(f"{TEST_NS}s{i}")
        store.add(ox.Quad(s, ox.NamedNode(TEST_NS + "label"), ox.Literal(f"étiquette\n« {i} »", language="fr"), graph))
        store.add(
            ox.Quad(
                s,
                ox.NamedNode(TEST_NS + "year"),
                ox.Literal("2020", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")),
                graph,
            )
        )
    store.add(
        ox.Quad(ox.NamedNode(TEST_NS + "d"), ox.NamedNode(TEST_NS + "p"), ox.Literal("default"), ox.DefaultGraph())
    )
    return store


class Recorder:
    def __init__(self):
        self.events = []

    def started(self, total):
        self.events.append(("started", total))

    def advanced(self, n):
        self.events.append(("advanced", n))

    def finished(self):
        self.events.append(("finished", None))


def test_small_chunks_progress_and_default_graph(oxigraph_server):
    server = oxigraph_server
    recorder = Recorder()
    report = push(server.graph_store, server.endpoint, _tiny_store(7), chunk_triples=3, progress=recorder)
    assert report.local_counts == {DEFAULT_GRAPH: 1, TEST_NS + "graph": 14}
    assert report.remote_counts == {DEFAULT_GRAPH: None, TEST_NS + "graph": 14}
    assert [g.requests for g in report.graphs] == [1, 5]
    assert recorder.events[0] == ("started", 15) and recorder.events[-1] == ("finished", None)
    assert sum(n for kind, n in recorder.events if kind == "advanced") == 15
    labels = select(f"SELECT ?l WHERE {{ <{TEST_NS}s3> <{TEST_NS}label> ?l }}", endpoint=server.endpoint)
    assert labels["l"].tolist() == ["étiquette\n« 3 »"]


def test_count_mismatch_raises_push_error_with_both_counts(oxigraph_server):
    server = oxigraph_server
    extra = f"<{TEST_NS}extra> <{TEST_NS}p> <{TEST_NS}o> .\n".encode()
    url = f"{server.graph_store}?graph={requests.utils.quote(TEST_NS + 'mismatch', safe='')}"
    requests.put(url, data=extra, headers={"Content-Type": "application/n-triples"}, timeout=30).raise_for_status()
    store = ox.Store()
    store.add(
        ox.Quad(
            ox.NamedNode(TEST_NS + "a"),
            ox.NamedNode(TEST_NS + "p"),
            ox.NamedNode(TEST_NS + "b"),
            ox.NamedNode(TEST_NS + "mismatch"),
        )
    )
    with pytest.raises(PushError) as info:
        push(server.graph_store, server.endpoint, store, replace=False)
    assert f"<{TEST_NS}mismatch>: 1 local, 2 remote" in str(info.value)
    assert info.value.report is not None and info.value.report.remote_counts == {TEST_NS + "mismatch": 2}
    push(server.graph_store, server.endpoint, store)  # replace=True: the PUT clears the extra triple


def test_bad_arguments(built):
    with pytest.raises(ValueError):
        push("http://127.0.0.1:9/store", "http://127.0.0.1:9/query", built[0], chunk_triples=0)
    with pytest.raises(ValueError, match="auth_kind"):
        push("http://127.0.0.1:9/store", "http://127.0.0.1:9/query", built[0], auth=("a", "b"), auth_kind="ntlm")


def test_push_command(own_oxigraph, small, small_expected):
    from click.testing import CliRunner
    from cmqgraph.cli import EXIT_ENDPOINT_ERROR, main

    assert "https://w3id.org/cmqgraph/graph/faits_bfc" in small_expected
    args = ["--store", str(small), "push", "--endpoint", own_oxigraph.endpoint, "--graph-store", own_oxigraph.graph_store]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "triples pushed" in result.output and "faits_bfc" in result.output
    assert remote_counts(own_oxigraph.endpoint, list(small_expected)) == small_expected
    dead = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(main, ["--store", str(small), "push", "--endpoint", f"{dead}/query", "--graph-store", f"{dead}/store"])
    assert result.exit_code == EXIT_ENDPOINT_ERROR and dead in result.output and "Traceback" not in result.output
