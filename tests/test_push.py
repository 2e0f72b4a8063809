"""Pushing the built graph to real servers (Oxigraph server, Virtuoso 7) through the Graph Store Protocol."""
# ruff: noqa: F811  (the server fixtures are imported from servers.py, then named as test arguments)

from __future__ import annotations

import cmqgraph
import pyoxigraph as ox
import pytest
import requests
from cmqgraph.engine import select
from cmqgraph.push import DEFAULT_GRAPH, PushError, push
from cmqgraph.sources import REGISTRY
from servers import free_port, oxigraph_server, virtuoso_server  # noqa: F401  (pytest fixtures)

pytestmark = pytest.mark.slow

SERVERS = ["oxigraph_server", "virtuoso_server"]
MOBICAMPUS = """
SELECT ?campus ?aca WHERE {
  ?campus a cmq:Campus ; rdfs:label ?name ; cmq:inAcademie ?aca .
  FILTER(STRSTARTS(?name, "Mobicampus"))
}"""
TEST_NS = "http://example.org/cmqgraph-push-test/"


@pytest.fixture(scope="session")
def expected(built) -> dict[str, int]:
    """Triples per named graph of the built store, counted by walking its quads (not by SPARQL)."""
    store = cmqgraph.open_store(built[0])
    counts = {g.value: sum(1 for _ in store.quads_for_pattern(None, None, None, g)) for g in store.named_graphs()}
    assert sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph())) == 0
    return {g: n for g, n in counts.items() if n}


@pytest.fixture(scope="session", params=SERVERS)
def pushed(request, built):
    """``(server, report)``: the default graph pushed once to each server."""
    server = request.getfixturevalue(request.param)
    report = push(server.graph_store, server.endpoint, built[0], auth=server.auth, auth_kind=server.auth_kind)
    return server, report


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


def test_pushing_again_replaces_instead_of_duplicating(pushed, built, expected):
    server, _ = pushed
    again = push(
        server.graph_store,
        server.endpoint,
        built[0],
        auth=server.auth,
        auth_kind=server.auth_kind,
        chunk_triples=120_000,
    )
    assert again.remote_counts == expected
    frame = select(
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'https://w3id.org/cmqgraph/graph/')) }",
        endpoint=server.endpoint,
    )
    assert frame["n"].tolist() == [sum(expected.values())]


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


def test_push_command(oxigraph_server, built, tmp_path):
    from click.testing import CliRunner
    from cmqgraph.cli import EXIT_ENDPOINT_ERROR, main

    args = ["--store", str(built[0]), "push", "--endpoint", oxigraph_server.endpoint, "--graph-store", oxigraph_server.graph_store]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "triples pushed" in result.output and "faits_bfc" in result.output
    dead = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(main, ["--store", str(built[0]), "push", "--endpoint", f"{dead}/query", "--graph-store", f"{dead}/store"])
    assert result.exit_code == EXIT_ENDPOINT_ERROR and dead in result.output and "Traceback" not in result.output
