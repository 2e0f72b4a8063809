"""Local queries in a worker process, so that a timeout or Ctrl-C can stop them.

Oxigraph cannot interrupt a query, and while it evaluates one, the Python code of the thread that asked
does not run: no signal handler, so neither a timer nor Ctrl-C can stop it in that process. So the local
queries of :mod:`cmqgraph.engine` (``cmqgraph sparql``, ``cmqgraph query run``, ``engine.select`` in a
notebook) run in one worker process per Python process, started at the first query and reused by the
next ones. The caller waits for the answer at most its timeout; past it, or when the caller is
interrupted (Ctrl-C, ``KeyboardInterrupt``), the worker is killed and waited for, and the next query
starts a new one. The timeout does not count the start of a worker (Python and cmqgraph's imports,
about half a second), so that a short limit does not stop the first query of a session.

The timeout is, in order: the ``timeout`` argument (``--timeout`` on the command line), the
environment variable :data:`TIMEOUT_ENV` (``CMQGRAPH_QUERY_TIMEOUT``), else :data:`DEFAULT_TIMEOUT`
seconds; ``None`` (``0`` in the variable and on the command line) sets no limit.

The worker is ``python -c`` started with :mod:`subprocess`, in its own process group (a Ctrl-C typed in
the terminal reaches the caller only, which stops it); it dies at once on SIGTERM (the default action: a
Python handler would wait for the query to end) and ends itself when its caller is gone. It is not a
:mod:`multiprocessing` process: that would run the caller's script again in the worker (its ``__main__``),
and a script without ``if __name__ == "__main__":`` would start its own queries there. One query runs at
a time per process; threads take turns, each within its own timeout. On systems other than POSIX the
queries run in the caller's process, without a limit.

Examples
--------
>>> from cmqgraph.local import resolve_timeout
>>> resolve_timeout(30), resolve_timeout(None)
(30.0, None)
"""

from __future__ import annotations

import atexit
import enum
import math
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Literal, TypeVar

import rdflib
from rdflib.namespace import XSD
from rdflib.term import Identifier

from .errors import TIMEOUT_ENV, QueryError, QueryTimeoutError, WorkerError
from .iris import PREFIXES
from .store import open_graph, resolve_store_path

__all__ = [
    "DEFAULT_TIMEOUT", "TIMEOUT_ENV", "DEFAULT", "Timeout", "QueryTimeoutError", "WorkerError", "resolve_timeout",
    "prefixed", "to_python", "table_job", "graph_job", "local_query", "run", "stop", "serve",
    "end_with_parent",
]

#: Seconds a local or remote query may run when neither the caller nor :data:`TIMEOUT_ENV` says.
DEFAULT_TIMEOUT = 60.0


class _Default(enum.Enum):
    TIMEOUT = "default"

    def __repr__(self) -> str:
        return f"<${TIMEOUT_ENV}, else {DEFAULT_TIMEOUT:g} s>"


#: The ``timeout`` that means: :data:`TIMEOUT_ENV` if set, else :data:`DEFAULT_TIMEOUT`.
DEFAULT = _Default.TIMEOUT
#: A timeout as the functions of :mod:`cmqgraph.engine` take it: seconds, None for no limit, or :data:`DEFAULT`.
Timeout = float | None | Literal[_Default.TIMEOUT]

T = TypeVar("T")


def resolve_timeout(timeout: Timeout = DEFAULT) -> float | None:
    """Return the timeout in seconds (None: no limit): ``timeout``, else :data:`TIMEOUT_ENV`, else :data:`DEFAULT_TIMEOUT`.

    Raises
    ------
    ValueError
        ``timeout`` is not a positive number, or :data:`TIMEOUT_ENV` is not a number of seconds.
    """
    if timeout is DEFAULT:
        raw = os.environ.get(TIMEOUT_ENV, "").strip()
        if not raw:
            return DEFAULT_TIMEOUT
        try:
            seconds = float(raw)
        except ValueError:
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"{TIMEOUT_ENV} must be a number of seconds (0: no limit), not {raw!r}")
        return seconds or None
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds or None (no limit), not {timeout!r}")
    return float(timeout)


# ------------------------------------------------------------------------------------ queries on the local store

_NUMERIC = {
    str(XSD[name])
    for name in (
        "integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte",
    )
}


def prefixed(sparql: str) -> str:
    """Return ``sparql`` preceded by the PREFIX lines of :data:`cmqgraph.iris.PREFIXES` it does not declare."""
    lower = sparql.lower()
    missing = [f"PREFIX {p}: <{iri}>" for p, iri in PREFIXES.items() if f"prefix {p}:" not in lower]
    return "\n".join([*missing, sparql])


def to_python(term: Identifier | None) -> object:
    """Return the Python value of a result term (None when unbound)."""
    if term is None:
        return None
    if isinstance(term, rdflib.Literal) and term.datatype is not None:
        datatype = str(term.datatype)
        if datatype in _NUMERIC:
            value = term.toPython()
            return value if not isinstance(value, rdflib.Literal) else str(term)
        if datatype == str(XSD.boolean):
            return bool(term.toPython())
    return str(term)


def _syntax_error(exc: SyntaxError, sparql: str) -> QueryError:
    """Return a QueryError whose positions are those of the user's text (before the added PREFIX lines), on one line."""
    added = len(prefixed(sparql).splitlines()) - len(sparql.splitlines())
    message = re.sub(r"(\d+):(\d+)", lambda m: f"line {max(int(m[1]) - added, 1)}, column {m[2]}", str(exc))
    return QueryError("SPARQL syntax error: " + re.sub(r"\s*\n\s*", " ", message.strip()))


def _result(sparql: str, store: str | rdflib.Dataset) -> rdflib.query.Result:
    graph = store if isinstance(store, rdflib.Dataset) else open_graph(store)
    try:
        return graph.query(prefixed(sparql))
    except SyntaxError as exc:
        raise _syntax_error(exc, sparql) from exc
    except OSError as exc:
        raise QueryError(f"the store refused the query: {exc}") from exc


def table_job(sparql: str, store: str | rdflib.Dataset) -> tuple[list[str], list[list[object]]]:
    """The columns and rows (values of :func:`to_python`) of a SELECT or ASK query on ``store``.

    With a store path, this runs in the worker process (:func:`local_query`); the rows are plain Python
    values, so the worker needs no pandas.
    """
    result = _result(sparql, store)
    if result.type == "ASK":
        return ["ask"], [[bool(result.askAnswer)]]
    if result.type != "SELECT":
        raise QueryError("only SELECT and ASK queries give a table; CONSTRUCT and DESCRIBE give triples (engine.construct)")
    return [str(v) for v in result.vars], [[to_python(v) for v in row] for row in result]


def graph_job(sparql: str, store: str | rdflib.Dataset) -> rdflib.Graph:
    """The triples of a CONSTRUCT or DESCRIBE query on ``store`` (with a store path, in the worker process)."""
    result = _result(sparql, store)
    if result.type != "CONSTRUCT":
        raise QueryError("expected a CONSTRUCT or DESCRIBE query")
    return result.graph


def local_query(job: Callable[[str, str | rdflib.Dataset], T], sparql: str, store: str | os.PathLike | rdflib.Dataset | None,
                timeout: Timeout = DEFAULT) -> T:
    """Return ``job(sparql, store)``: in the worker process, stopped at ``timeout``; in this process for a graph already open.

    ``store`` is the store's folder (default: as :func:`cmqgraph.store.resolve_store_path`), or an rdflib
    ``Dataset`` (:func:`cmqgraph.open_graph`): this process has no way to stop a query on it, so it takes
    no timeout.

    Raises
    ------
    ValueError
        A timeout was given with an open graph.
    QueryTimeoutError, WorkerError, KeyboardInterrupt
        As :func:`run`.
    """
    if isinstance(store, rdflib.Dataset):
        if timeout is not DEFAULT and timeout is not None:
            raise ValueError(
                "a timeout needs the store's path: an open graph is queried in this process, which cannot stop "
                "an Oxigraph query; pass store=PATH (or nothing, for the default store)"
            )
        return job(sparql, store)
    return run(job, sparql, os.path.abspath(resolve_store_path(store)), timeout=resolve_timeout(timeout))


# ------------------------------------------------------------------------------------ inside the worker

#: What the worker process runs (``python -c``): it takes the caller's ``sys.path`` first, so that it imports
#: the same cmqgraph, then serves the jobs. ``{jobs}``, ``{answers}``: its ends of the two pipes.
_BOOT = (
    "import sys\n"
    "from multiprocessing.connection import Connection\n"
    "jobs, answers = Connection({jobs}, writable=False), Connection({answers}, readable=False)\n"
    "sys.path[:] = jobs.recv()\n"
    "from cmqgraph.local import serve\n"
    "serve(jobs, answers, {parent})\n"
)


#: What the worker says once it has started (imported cmqgraph): from then on, the caller's timeout runs.
_READY = "ready"
#: Seconds a worker may take to start (Python and cmqgraph's imports: under a second on an idle machine).
_START_BOUND = 120.0


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def end_with_parent(parent: int | None = None) -> None:
    """End this (worker) process as soon as its parent (``parent``, default: the current one) is gone.

    A worker whose parent was killed would otherwise keep a runaway query on a core for ever. A thread
    checks the parent every second; pyoxigraph releases the GIL while it evaluates, so the check runs
    even while a query is in native code.
    """
    parent = os.getppid() if parent is None else parent
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="cmqgraph-parent-watch").start()


def serve(jobs: Connection, answers: Connection, parent: int) -> None:
    """The worker's loop: say it is ready, then run each ``(function, args)`` received; answer ``(True, result)`` or ``(False, error)``.

    It runs in the worker process (:data:`_BOOT`), until the caller closes the pipe.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    end_with_parent(parent)
    answers.send(_READY)
    while True:
        try:
            function, args = jobs.recv()
        except EOFError:
            return
        try:
            answer = (True, function(*args))
        except Exception as exc:  # raised again by the caller
            answer = (False, exc if _picklable(exc) else RuntimeError(f"the query's process failed:\n{traceback.format_exc()}"))
        answers.send(answer)


def _picklable(exc: Exception) -> bool:
    try:
        pickle.loads(pickle.dumps(exc))
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


# ------------------------------------------------------------------------------------ in the caller


class _Worker:
    """The worker process and the two pipes to it."""

    def __init__(self) -> None:
        theirs_jobs, ours_jobs = os.pipe()
        ours_answers, theirs_answers = os.pipe()
        self.owner = os.getpid()
        boot = _BOOT.format(jobs=theirs_jobs, answers=theirs_answers, parent=self.owner)
        try:
            # its own process group: a Ctrl-C in the terminal reaches the caller only, which stops the worker
            self.process = subprocess.Popen(
                [sys.executable, "-c", boot], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                pass_fds=(theirs_jobs, theirs_answers), process_group=0,
            )
        except BaseException:
            for fd in (ours_jobs, ours_answers):
                os.close(fd)
            raise
        finally:
            for fd in (theirs_jobs, theirs_answers):
                os.close(fd)
        self.jobs = Connection(ours_jobs, readable=False)
        self.answers = Connection(ours_answers, writable=False)
        self.jobs.send(sys.path)
        self.ready = False

    def ask(self, function: Callable[..., T], args: tuple, wait: float | None, limit: float | None) -> tuple[bool, object]:
        """Send the job; return the worker's answer within ``wait`` seconds, or raise (``limit``: the caller's timeout).

        A new worker's start is not counted in ``wait``: it is bounded by :data:`_START_BOUND`; the first message
        of a worker is :data:`_READY`.
        """
        try:
            if not self.ready:
                if not self.answers.poll(_START_BOUND):
                    self.kill()
                    raise WorkerError(
                        f"le processus de la requête n'a pas démarré en {_START_BOUND:g} s / the query's process did not start "
                        f"within {_START_BOUND:g} s"
                    )
                self.ready = self.answers.recv() == _READY
            self.jobs.send((function, args))
            if not self.answers.poll(wait):
                raise QueryTimeoutError(limit)
            return self.answers.recv()
        except (EOFError, OSError):
            self.kill()
            raise WorkerError(
                f"le processus de la requête s'est arrêté avant de répondre / the query's process ended before it answered "
                f"(exit code {self.process.returncode})"
            ) from None

    def kill(self) -> None:
        """Kill the process (SIGKILL: it may be deep in Oxigraph's native code), wait until it is gone, close the pipes."""
        self.process.kill()
        self.process.wait()
        self.jobs.close()
        self.answers.close()


_lock = threading.Lock()
_current: _Worker | None = None


def run(function: Callable[..., T], *args: object, timeout: float | None) -> T:
    """Return ``function(*args)``, computed in the worker process, which is killed after ``timeout`` seconds (None: never).

    ``function`` must be a module-level function of an importable module, and its arguments and result
    picklable. What it raises is raised here. The timeout counts the wait for another thread's query, not
    the start of a new worker (bounded apart). Outside POSIX systems it runs in this process, without limit.

    Raises
    ------
    QueryTimeoutError
        No answer within ``timeout`` seconds (waiting for the query of another thread included); the worker was killed.
    WorkerError
        The worker process ended before it answered.
    KeyboardInterrupt
        The caller was interrupted while it waited (Ctrl-C); the worker was killed first.
    """
    global _current
    if os.name != "posix":
        return function(*args)
    started = time.monotonic()
    if not _lock.acquire(timeout=-1 if timeout is None else timeout):
        raise QueryTimeoutError(timeout)
    try:
        if _current is not None and (_current.owner != os.getpid() or _current.process.poll() is not None):
            _current = None  # inherited through a fork (it is the parent's), or ended
        left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))  # after waiting for the lock
        worker = _current = _current or _Worker()
        try:
            ok, value = worker.ask(function, args, left, timeout)
        except BaseException:  # timed out, interrupted, or ended: kill it, whatever state it is in
            worker.kill()
            _current = None
            raise
    finally:
        _lock.release()
    if not ok:
        raise value
    return value


def stop() -> None:
    """Stop this process's worker, if it runs (the next query starts a new one)."""
    global _current
    with _lock:
        if _current is not None and _current.owner == os.getpid():
            _current.kill()
        _current = None


atexit.register(stop)
