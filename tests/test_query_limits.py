"""Local queries never hang (issue 11): a timeout and Ctrl-C stop them, and nothing is left running.

The store is built from the extracts of ``tests/data`` (a few seconds). The slow query is a cartesian
product of the graph with itself, three times over (about 10^11 rows): it runs for many minutes unless
something stops it. Nothing is timed; a wait that must end is bounded generously (:data:`BOUND`), far
below the time the slow query would take, so that a query that is not stopped fails the test instead
of hanging it.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import psutil  # a dependency of ipykernel, which the test extra installs
import pytest

import cmqgraph
from cmqgraph.cli import EXIT_INTERRUPTED, EXIT_QUERY_ERROR
from cmqgraph.engine import EndpointError, QueryTimeoutError, construct, run_query, select
from cmqgraph.local import DEFAULT_TIMEOUT, TIMEOUT_ENV, WorkerError, resolve_timeout
from cmqgraph.saved_queries import QueryError, load_queries

pytestmark = pytest.mark.slow  # runs queries into their timeouts and kills workers

DATA = Path(__file__).parent / "data"
#: About 10^11 rows on the small store: runs for many minutes unless stopped.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
REGIONS = "SELECT ?nom WHERE { ?r a cmq:Region ; rdfs:label ?nom } ORDER BY ?nom"
#: Seconds within which what must end ends (the slow query alone would take many minutes).
BOUND = 60.0
#: The command line of the worker processes (:data:`cmqgraph.local._BOOT`), to find them among the processes.
WORKER_MARK = "from cmqgraph.local import serve"


@pytest.fixture(scope="module")
def store(small_built) -> Path:
    return small_built


@pytest.fixture(scope="module")
def runaway(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("queries") / "runaway.rq"
    path.write_text(RUNAWAY, encoding="utf-8")
    return path


def finishes(function: Callable, *args, **kwargs):
    """Return ``function(*args, **kwargs)``, or raise what it raised; fail if it is still running after :data:`BOUND` s.

    It runs in a daemon thread: a query that nothing stops fails the test, instead of hanging it.
    """
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - raised again below, in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(BOUND)
    if thread.is_alive():
        pytest.fail(f"still running after {BOUND:g} s: nothing stopped it")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def workers(pid: int) -> list[psutil.Process]:
    """The query worker processes among the descendants of ``pid``."""
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if WORKER_MARK in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def gone(process: psutil.Process) -> bool:
    """True when ``process`` no longer runs (ended; a zombie left to a parent that does not reap counts as ended)."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def tree_cpu(process: psutil.Process) -> float:
    """CPU seconds spent so far by ``process`` and its live descendants."""
    total = 0.0
    for p in (process, *process.children(recursive=True)):
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def cli(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "cmqgraph", "--store", str(store), *args]


def start_runaway(store: Path, runaway: Path, **popen) -> subprocess.Popen:
    """Start ``cmqgraph sparql`` on the slow query with no time limit; return once the query is surely running.

    Surely running: its processes have spent 2 s of CPU more than a whole quick query costs (start, imports,
    worker and answer included), measured first on this machine.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    quick = subprocess.run(cli(store, "sparql", "-", "--format", "csv"), input=b"ASK { ?s ?p ?o }", capture_output=True, timeout=BOUND)
    assert quick.returncode == 0, quick.stderr
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    startup = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    process = subprocess.Popen(cli(store, "sparql", str(runaway), "--timeout", "0"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)
    watched = psutil.Process(process.pid)
    deadline = time.monotonic() + BOUND
    while tree_cpu(watched) < startup + 2.0:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the slow query did not start: {process.communicate()[1].decode()}")
        time.sleep(0.2)
    return process


# ------------------------------------------------------------------------------------ the timeout


def test_a_runaway_query_is_stopped_at_its_timeout_and_the_next_query_answers(store):
    expected = select(REGIONS, store=cmqgraph.open_graph(store))  # in this process, as before the worker existed
    assert "Bourgogne-Franche-Comté" in set(expected["nom"])
    assert select(REGIONS, store=store).equals(expected)
    (first,) = workers(os.getpid())
    with pytest.raises(QueryTimeoutError) as stopped:
        finishes(select, RUNAWAY, store=store, timeout=2)
    assert isinstance(stopped.value, QueryError) and stopped.value.seconds == 2
    message = str(stopped.value)
    assert "2 s" in message and "--timeout" in message and TIMEOUT_ENV in message and "\n" not in message
    assert gone(first)  # killed and waited for: not left running
    assert finishes(select, REGIONS, store=store).equals(expected)  # a new worker answers the same rows
    (second,) = workers(os.getpid())
    assert second.pid != first.pid


def test_a_worker_killed_from_outside_is_a_clear_error_and_is_replaced(store):
    """What the out-of-memory killer would do: the query fails with the worker's end, the next one gets a new worker."""
    select(REGIONS, store=store)
    (first,) = workers(os.getpid())
    start = sum(first.cpu_times()[:2])

    def kill_when_busy() -> None:
        while sum(first.cpu_times()[:2]) < start + 1.0:  # the query surely runs
            time.sleep(0.1)
        first.kill()

    threading.Thread(target=kill_when_busy, daemon=True).start()
    with pytest.raises(WorkerError, match=r"the query's process ended before it answered \(exit code -9\)"):
        finishes(select, RUNAWAY, store=store, timeout=None)
    assert len(finishes(select, REGIONS, store=store)) == 18
    (second,) = workers(os.getpid())
    assert second.pid != first.pid


def test_the_cli_stops_a_runaway_query_at_its_timeout_with_exit_code_5(store, runaway):
    for args, env, limit in ((["--timeout", "2"], {}, "2 s"), ([], {TIMEOUT_ENV: "1.5"}, "1.5 s")):
        result = subprocess.run(
            cli(store, "sparql", str(runaway), *args), capture_output=True, text=True, timeout=BOUND, env={**os.environ, **env}
        )
        assert result.returncode == EXIT_QUERY_ERROR, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
        assert f"la limite de {limit}" in result.stderr and f"the limit of {limit}" in result.stderr
        assert result.stdout == ""


def test_the_timeout_comes_from_the_argument_then_the_environment_then_60_s(monkeypatch):
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert resolve_timeout() == DEFAULT_TIMEOUT == 60.0
    assert resolve_timeout(12) == 12.0 and resolve_timeout(None) is None
    monkeypatch.setenv(TIMEOUT_ENV, "15")
    assert resolve_timeout() == 15.0 and resolve_timeout(3) == 3.0
    monkeypatch.setenv(TIMEOUT_ENV, "0")
    assert resolve_timeout() is None
    monkeypatch.setenv(TIMEOUT_ENV, "une minute")
    with pytest.raises(ValueError, match=f"{TIMEOUT_ENV} must be a number of seconds"):
        resolve_timeout()
    for wrong in (0, -1, float("nan"), "60"):
        with pytest.raises(ValueError, match="timeout must be a positive number"):
            resolve_timeout(wrong)


def test_an_open_graph_is_queried_in_this_process_and_takes_no_timeout(store):
    graph = cmqgraph.open_graph(store)
    assert select(REGIONS, store=graph).equals(select(REGIONS, store=store))
    with pytest.raises(ValueError, match="a timeout needs the store's path"):
        select(REGIONS, store=graph, timeout=5)


# ------------------------------------------------------------------------------------ Ctrl-C


@pytest.mark.parametrize("to_group", [False, True], ids=["SIGINT to the process", "Ctrl-C in a terminal (SIGINT to its group)"])
def test_sigint_stops_cmqgraph_sparql_promptly_and_leaves_no_worker(store, runaway, to_group):
    process = start_runaway(store, runaway, start_new_session=to_group)
    running = workers(process.pid)
    assert len(running) == 1
    if to_group:
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("cmqgraph sparql did not stop within 20 s of SIGINT")
    assert process.returncode == EXIT_INTERRUPTED == 130
    assert stderr.decode() == "error: interrompu / interrupted (Ctrl-C)\n"
    assert all(gone(w) for w in running)


def test_a_worker_whose_caller_was_killed_ends_by_itself(store, runaway):
    process = start_runaway(store, runaway)
    (worker,) = workers(process.pid)
    process.kill()
    process.wait()
    _, alive = psutil.wait_procs([worker], timeout=20)
    assert all(gone(w) for w in alive), "the worker kept running the query after its caller died"


def test_ctrl_c_in_a_notebook_stops_the_query_and_the_next_one_answers(store):
    """A notebook's kernel gets SIGINT when the user interrupts it: KeyboardInterrupt, the worker killed, then a new one."""
    script = textwrap.dedent(f"""
        import json, os, signal, threading, time
        import psutil
        from cmqgraph.engine import select
        store = {str(store)!r}
        regions = select({REGIONS!r}, store=store)["nom"].tolist()
        me = psutil.Process()
        (first,) = [c for c in me.children() if {WORKER_MARK!r} in " ".join(c.cmdline())]
        start = sum(first.cpu_times()[:2])
        def interrupt():
            while sum(first.cpu_times()[:2]) < start + 2.0:  # the query surely runs
                time.sleep(0.2)
            os.kill(os.getpid(), signal.SIGINT)
        threading.Thread(target=interrupt, daemon=True).start()
        try:
            select({RUNAWAY!r}, store=store, timeout=None)
            outcome = "answered"
        except KeyboardInterrupt:
            outcome = "KeyboardInterrupt"
        print(json.dumps({{"outcome": outcome, "first_gone": not psutil.pid_exists(first.pid),
                          "same": select({REGIONS!r}, store=store)["nom"].tolist() == regions, "regions": len(regions)}}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=BOUND)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"outcome": "KeyboardInterrupt", "first_gone": True, "same": True, "regions": 18}


# ------------------------------------------------------------------------------------ the same answers as in-process


def test_the_worker_answers_exactly_what_this_process_answers(store):
    """Every saved query (with its example) and a CONSTRUCT give the same frames and triples, types included."""
    graph = cmqgraph.open_graph(store)
    for name, saved in load_queries().items():
        params = {p.name: p.example for p in saved.parameters}
        pd.testing.assert_frame_equal(run_query(saved, params, store=store), run_query(saved, params, store=graph), check_exact=True, obj=name)
    ask = select("ASK { ?c a cmq:Campus }", store=store)
    assert ask.to_dict("list") == {"ask": [True]} and ask["ask"].dtype == bool
    count = select("SELECT (COUNT(*) AS ?n) WHERE { ?r a cmq:Region }", store=store)["n"].tolist()
    assert count == [18] and type(count[0]) is int
    described = "CONSTRUCT { ?r rdfs:label ?n ; skos:notation ?c } WHERE { ?r a cmq:Region ; rdfs:label ?n ; skos:notation ?c }"
    here, there = construct(described, store=graph), construct(described, store=store)
    assert len(there) == 36 and set(there) == set(here)
    assert there.serialize(format="turtle") == here.serialize(format="turtle")


def test_a_remote_query_is_stopped_at_a_timeout_under_a_second():
    """A server that takes the request and never answers: a timeout of 0.5 s is kept (whole seconds, rounded up), not dropped."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel accepts the connection; nothing ever answers
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}/sparql"
        with pytest.raises(EndpointError, match=f"^{endpoint} did not answer within 1 s"):
            finishes(select, "ASK { ?s ?p ?o }", endpoint=endpoint, timeout=0.5)
