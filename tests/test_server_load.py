"""``cmqgraph serve`` under a bounded load: many requests in flight, every answer checked.

The load comes from ``tests/load.py`` in a second process (so that the server and the load do not
share an interpreter), for a few seconds at 16 requests in flight, on the full default graph served
with the default settings (2 worker processes, one query at a time per client): from 16 clients (each
its own loopback address), and from a single one, whose requests wait their turn instead of failing. Every answer must be a 200 holding what the local
engine gives on the same store. Nothing here is timed: speed is measured by ``tests/bench.py``.

The checks of ``load.py`` are themselves tested: answers changed by one character, a wrong row-count
header or a 500 must be caught.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from load import KINDS, MIX, Checker, Oracle
from servers import cmqgraph_server  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.slow

LOAD = Path(__file__).with_name("load.py")
SECONDS, CONCURRENCY = 8, 16


@pytest.mark.parametrize("clients", [CONCURRENCY, 1])
def test_every_answer_under_load_is_correct(cmqgraph_server, built, tmp_path, clients):  # noqa: F811
    out = tmp_path / "load.json"
    command = [
        sys.executable, str(LOAD), "--base", cmqgraph_server.base, "--store", str(built[0]),
        "--seconds", str(SECONDS), "--concurrency", str(CONCURRENCY), "--clients", str(clients), "--json", str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    context = f"load.py exit {done.returncode}\n{done.stderr[-3000:]}\n--- server log ---\n{cmqgraph_server.log_tail(40)}"
    assert out.exists(), context
    report = json.loads(out.read_text())
    assert report["errors"] == 0, context
    assert report["wrong"] == 0, context
    assert report["checked_against"].startswith("local engine"), context
    assert report["concurrency"] == CONCURRENCY and report["clients"] == clients
    exercised = {kind for kind, row in report["kinds"].items() if row["requests"] > 0}
    assert exercised == set(KINDS), context
    assert done.returncode == 0, context


def _changed(body: bytes, fmt: str) -> bytes:
    """``body`` with one value changed, still well-formed."""
    if fmt in ("csv", "html"):  # an x at the end of the last cell
        end = len(body.rstrip()) if fmt == "csv" else body.rfind(b"</td>")
        return body[:end] + b"x" + body[end:]
    if fmt == "turtle":
        import pyoxigraph as ox

        triples = list(dict.fromkeys(q.triple for q in ox.parse(body, format=ox.RdfFormat.TURTLE)))
        return ox.serialize(triples[:-1], format=ox.RdfFormat.TURTLE)  # one triple fewer
    document = json.loads(body)
    if isinstance(document, list):  # saved-query records
        first = next(k for k, v in document[-1].items() if isinstance(v, str))
        document[-1][first] += "x"
    else:  # SPARQL results
        binding = document["results"]["bindings"][-1]
        binding[next(iter(binding))]["value"] += "x"
    return json.dumps(document).encode()


def _like(response: httpx.Response, content: bytes | None = None, status: int | None = None, **headers: str) -> httpx.Response:
    kept = {k: v for k, v in response.headers.items() if k != "content-length"}
    return httpx.Response(status or response.status_code, headers={**kept, **headers}, content=response.content if content is None else content)


def test_the_load_checks_catch_wrong_answers(cmqgraph_server, built):  # noqa: F811
    with httpx.Client(base_url=cmqgraph_server.base, timeout=60) as client:
        max_rows = client.get("/health").json()["max_rows"]
        checker = Checker(MIX, Oracle(str(built[0]), max_rows))
        checker.prepare()
        for i, request in enumerate(MIX):
            answer = client.request(request.method, request.url, headers=request.headers, content=request.body)
            assert checker.check(i, answer) is None, (request.label, answer.status_code, answer.text[:500])
            changed = _like(answer, _changed(answer.content, request.fmt))
            assert changed.content != answer.content
            verdict = checker.check(i, changed)
            assert verdict is not None and verdict[0] == "wrong", (request.label, verdict)
            assert checker.check(i, _like(answer, status=500))[0] == "error"
            assert checker.check(i, _like(answer, **{"content-type": "text/plain"}))[0] == "wrong"
            if request.kind != "html_page":
                rows = int(answer.headers["x-cmqgraph-rows"])
                assert checker.check(i, _like(answer, **{"x-cmqgraph-rows": str(rows + 1)}))[0] == "wrong"
            assert checker.check(i, answer) is None, request.label  # the right answer again, from memory
