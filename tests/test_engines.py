"""Every saved query gives the same rows (order aside) on the local store, the Oxigraph server and Virtuoso 7.

The built default graph is pushed once per test session to each server (skipped when the server already
holds it, e.g. after tests/test_push.py). Each saved query runs with its example parameters and, when it
has only optional parameters, with none; the rows are compared as sets of tuples of normalised values
(``engine.to_python`` output; NaN/None as None; floats and decimals rounded to 6 digits; the parts of a
``GROUP_CONCAT(…; separator=" | ")`` sorted, since SPARQL leaves their order to the engine).
"""
# ruff: noqa: F811  (the server fixtures are imported from servers.py, then named as test arguments)

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from servers import oxigraph_server, virtuoso_server  # noqa: F401  (pytest fixtures)

import cmqgraph
from cmqgraph.engine import run_query, select
from cmqgraph.push import push
from cmqgraph.saved_queries import load_queries

pytestmark = pytest.mark.slow

QUERIES = load_queries()
COUNT = (
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
    "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/cmqgraph/graph/')) }"
)


def cases() -> list[tuple[str, str]]:
    """``(query name, "example" | "none")``: the example parameters, and no parameters when all are optional."""
    found = []
    for name, q in sorted(QUERIES.items()):
        found.append((name, "example"))
        if q.parameters and not any(p.required for p in q.parameters):
            found.append((name, "none"))
    return found


def parameters(name: str, case: str) -> dict[str, str]:
    return {p.name: p.example for p in QUERIES[name].parameters} if case == "example" else {}


def normalised(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (float, Decimal)):
        return round(float(value), 6)
    if isinstance(value, str) and " | " in value:
        return " | ".join(sorted(value.split(" | ")))
    return value


def rows(frame) -> set[tuple]:
    return {tuple(normalised(v) for v in row) for row in frame.astype(object).itertuples(index=False, name=None)}


@pytest.fixture(scope="session")
def local_triples(built) -> int:
    store = cmqgraph.open_store(built[0])
    return sum(1 for _ in store.quads_for_pattern(None, None, None, None))


def _loaded(server, built, local_triples):
    """Push the built graph to ``server`` unless it already holds exactly the same number of triples."""
    held = select(COUNT, endpoint=server.endpoint)["n"].tolist()
    if held != [local_triples]:
        push(server.graph_store, server.endpoint, built[0], auth=server.auth, auth_kind=server.auth_kind)
    return server.endpoint


@pytest.fixture(scope="session")
def endpoints(built, local_triples, oxigraph_server, virtuoso_server) -> dict[str, str]:
    """``{"oxigraph": query URL, "virtuoso": query URL}``, both holding the built default graph."""
    return {
        "oxigraph": _loaded(oxigraph_server, built, local_triples),
        "virtuoso": _loaded(virtuoso_server, built, local_triples),
    }


@pytest.mark.parametrize(("name", "case"), cases())
def test_same_rows_on_every_engine(endpoints, built, name, case):
    params = parameters(name, case)
    local = run_query(name, params, store=built[0])
    expected = rows(local)
    assert expected, f"{name} ({case}) returns no row on the local store: nothing to compare"
    for engine, endpoint in endpoints.items():
        remote = run_query(name, params, endpoint=endpoint, timeout=300)
        assert list(remote.columns) == list(local.columns)
        got = rows(remote)
        missing, extra = sorted(expected - got, key=str)[:3], sorted(got - expected, key=str)[:3]
        assert got == expected, f"{name} ({case}) on {engine}: {len(got)} rows, {len(expected)} local; only local {missing}; only {engine} {extra}"
