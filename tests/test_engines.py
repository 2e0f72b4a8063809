"""Every saved query gives the same rows (order aside) on the local store, the Oxigraph server and Virtuoso 7.

The built default graph is pushed once per test session to each server, by the session fixtures
``oxigraph_pushed`` and ``virtuoso_pushed`` of tests/servers.py (``pytest_plugins = ["servers"]``), which
tests/test_push.py shares: whichever module runs first pushes it, the other reuses that push; ``endpoints``
checks that each server's graphs under https://w3id.org/cmqgraph/graph/ hold as many triples as were
pushed. Each saved query runs with its example parameters and, when it has only optional parameters, with
none; the rows are compared as sets of tuples of normalised values
(``engine.to_python`` output; NaN/None as None; floats and decimals rounded to 6 digits; the parts of a
``GROUP_CONCAT(…; separator=" | ")`` sorted, since SPARQL leaves their order to the engine).
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from cmqgraph.engine import run_query, select
from cmqgraph.saved_queries import load_queries

pytest_plugins = ["servers"]  # the session's oxigraph_server, virtuoso_server and their one push of the default graph
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("servers")]

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
def endpoints(oxigraph_server, virtuoso_server, oxigraph_pushed, virtuoso_pushed) -> dict[str, str]:
    """``{"oxigraph": query URL, "virtuoso": query URL}``, both holding the built default graph (and no other cmqgraph triple)."""
    for server, report in ((oxigraph_server, oxigraph_pushed), (virtuoso_server, virtuoso_pushed)):
        held = select(COUNT, endpoint=server.endpoint)["n"].tolist()
        assert held == [report.triples], f"{server.name} holds {held} triples in the cmqgraph graphs, not the {report.triples} pushed"
    return {"oxigraph": oxigraph_server.endpoint, "virtuoso": virtuoso_server.endpoint}


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
