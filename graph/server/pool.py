"""Query workers: processes that hold the store open and can be stopped when a query runs too long.

Oxigraph cannot interrupt a query, and a thread cannot be stopped: a runaway query in the server's
own process would keep a core busy after its client has been told it timed out. So every read of the
store runs in a pool of worker processes (:mod:`pebble`), each holding the store open read-only; a job
that passes its timeout has its process ended, and the pool starts a fresh one.

SPARQL Update, allowed only with the server's update token, runs in a pool of one process that opens
the store for writing for that update only, and closes it after. Opening a store read-only while another
process writes it is undefined behaviour in RocksDB (a reader opening it during a compaction fails on a
file just deleted), so an update waits for the reads under way to end and no read starts until it is
done. After an update the *generation* goes up: each reader reopens the store at its next job, and so
sees the change (a read-only RocksDB handle is a snapshot taken when opened).

A rebuild (``cmqgraph build`` on the same store path) puts a new folder in place of the old one. Before
each read the server compares the folder's identity (device and inode) with the one it serves; when it
changed, the generation goes up too, and the readers move to the new graph at their next job.

Every job needs a turn first (:class:`Turns`): at most ``processes`` jobs run at once, and one client
(its address) at most ``per_client`` of them, so that a client cannot hold every worker; a job waits
its turn at most ``wait`` seconds, then is refused (:class:`Busy`: 429 when the client's own jobs held
it back, 503 when no worker was free), with the seconds until one of those jobs must end (each job is
stopped at its timeout). When a worker frees, the waiting client with the fewest jobs running goes
first, in order of arrival among equals.

The choice lists of the pages (régions, académies…) are read in the server's own process, once per
generation (:meth:`Workers.choice_lists`): they are small fixed queries, and a page that only shows a
form must not wait for a worker.

The job functions below run inside the workers; their arguments and answers are plain, picklable data.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import os
import signal
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import rdflib
from pebble import ProcessPool
from rdflib.namespace import XSD

from ..engine import choice_values, run_query
from ..errors import Busy, NotAcceptable, QueryError, QueryTimeout, ServerLimit
from ..iris import PREFIXES
from ..local import end_with_parent
from ..saved_queries import CHOICE_LISTS, SavedQuery
from ..store import open_graph
from .protocol import GRAPH_FORMATS, RESULT_FORMATS

__all__ = ["Answer", "worker_store", "worker_graph", "ServerLimit", "QueryTimeout", "Busy", "NotAcceptable", "Turns", "Workers"]

_XSD_STRING = str(XSD.string)


@dataclass(frozen=True)
class Answer:
    """A SPARQL answer, written: media type, body, rows (or triples) written, and whether the cap cut it."""

    media_type: str
    body: bytes
    rows: int
    truncated: bool


# ------------------------------------------------------------------------------------ inside a worker

_worker: dict = {}


def _start_worker(path: str) -> None:
    # pebble stops a worker with SIGTERM, handled in Python; a query runs in Oxigraph's native code,
    # where no Python handler runs until it returns. The default action ends the process at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    end_with_parent()  # a server killed with SIGKILL must not leave its workers running queries
    _worker.clear()
    _worker.update(path=path, generation=None)


def worker_store(generation: int) -> ox.Store:
    """The reader's store, reopened when the generation changed (an update, a rebuild); for job functions, which run in a worker."""
    if _worker["generation"] != generation:
        _worker["store"] = ox.Store.read_only(_worker["path"])
        _worker["graph"] = open_graph(_worker["store"])
        _worker["generation"] = generation
    return _worker["store"]


def worker_graph(generation: int) -> rdflib.Dataset:
    """The reader's store as an rdflib dataset (:func:`cmqgraph.store.open_graph`), as :func:`worker_store` opens it."""
    worker_store(generation)
    return _worker["graph"]


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        parts = zip(("subject", "predicate", "object"), (term.subject, term.predicate, term.object))
        return {"type": "triple", "value": {k: _json_term(v) for k, v in parts}}
    value = {"type": "literal", "value": term.value}
    if term.language:
        value["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        value["datatype"] = term.datatype.value
    return value


def _results_json(variables: list[str], rows: list[ox.QuerySolution]) -> bytes:
    bindings = [{v: _json_term(t) for v, t in zip(variables, row) if t is not None} for row in rows]
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}, ensure_ascii=False).encode()


def sparql_job(
    generation: int, text: str, result_type: str | None, graph_type: str | None,
    default_graphs: list[str], named_graphs: list[str], max_rows: int,
) -> Answer:
    """Run a SPARQL query; write its answer in the negotiated media type, cut at ``max_rows``.

    Without ``default_graphs``, the default graph is the union of the named graphs (as everywhere in
    cmqgraph). The cmqgraph prefixes are known without being declared.
    """
    options: dict = {"prefixes": PREFIXES, "use_default_graph_as_union": not default_graphs}
    if default_graphs:
        options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    if named_graphs:
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    try:
        result = worker_store(generation).query(text, **options)
        if isinstance(result, ox.QueryTriples):
            if graph_type is None:
                raise NotAcceptable("a CONSTRUCT or DESCRIBE answer can be written as " + ", ".join(GRAPH_FORMATS))
            triples = list(islice(result, max_rows + 1))
            body = ox.serialize(triples[:max_rows], format=GRAPH_FORMATS[graph_type], prefixes=PREFIXES)
            return Answer(graph_type, body, min(len(triples), max_rows), len(triples) > max_rows)
        if result_type is None:
            raise NotAcceptable("a SELECT or ASK answer can be written as " + ", ".join(RESULT_FORMATS))
        if isinstance(result, ox.QueryBoolean):
            document, rows, truncated = json.dumps({"head": {}, "boolean": bool(result)}).encode(), 1, False
        else:
            variables = [v.value for v in result.variables]
            solutions = list(islice(result, max_rows + 1))
            rows, truncated = min(len(solutions), max_rows), len(solutions) > max_rows
            document = _results_json(variables, solutions[:max_rows])
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    except OSError as exc:
        raise QueryError(f"the store could not answer: {exc}") from None
    fmt = RESULT_FORMATS[result_type]
    if fmt != ox.QueryResultsFormat.JSON:
        document = ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON).serialize(format=fmt)
    return Answer(result_type, document, rows, truncated)


def update_job(text: str) -> None:
    """Run a SPARQL Update in the writer process, on the store opened for it and closed after it.

    Closed, the store runs no compaction in the background while the readers reopen it.
    """
    store = ox.Store(_worker["path"])
    try:
        store.update(text, prefixes=PREFIXES)
        store.flush()
    except SyntaxError as exc:
        raise QueryError(f"SPARQL Update syntax error: {exc}") from None
    except OSError as exc:
        raise QueryError(f"the store refused the update: {exc}") from None
    finally:
        del store  # the last reference: RocksDB closes now, not when the exception is let go


def saved_job(
    generation: int, saved: SavedQuery, params: dict[str, str], max_rows: int, lists: dict[str, list[str]]
) -> tuple[pd.DataFrame, bool]:
    """Run a saved query, its values checked against the choice ``lists`` the server holds; return its first
    ``max_rows`` rows and whether there were more."""
    frame = run_query(saved, params, store=worker_graph(generation), lists=lists)
    return frame.head(max_rows), len(frame) > max_rows


# ------------------------------------------------------------------------------------ in the server


def _choice_lists(path: str) -> dict[str, list[str]]:
    """The values of every list of :data:`cmqgraph.saved_queries.CHOICE_LISTS`, read from the store at ``path``.

    The store is closed before this returns: the server process holds no handle between generations.
    """
    graph = open_graph(ox.Store.read_only(path))
    try:
        return {name: choice_values(name, store=graph) for name in CHOICE_LISTS}
    finally:
        graph.close()


@dataclass(eq=False)
class _Turn:
    client: str
    timeout: float
    started: asyncio.Future
    deadline: float = 0.0


@dataclass
class Turns:
    """Which job runs next: at most ``slots`` at once, at most ``per_client`` for one client.

    A waiting job is started as soon as a slot is free and its client is under its limit; among those,
    the client with the fewest jobs running goes first, then the job that came first.

    Examples
    --------
    >>> import asyncio
    >>> async def demo():
    ...     turns = Turns(slots=2, per_client=1)
    ...     mine = await turns.take("192.0.2.1", timeout=30, wait=5)
    ...     other = await turns.take("192.0.2.2", timeout=30, wait=5)
    ...     try:
    ...         await turns.take("192.0.2.3", timeout=30, wait=0.01)
    ...     except Busy as exc:
    ...         refused = exc.status
    ...     turns.give_back(mine)
    ...     turns.give_back(other)
    ...     return refused, turns.running, turns.waiting
    >>> asyncio.run(demo())
    (503, 0, 0)
    """

    slots: int
    per_client: int
    _running: list[_Turn] = field(default_factory=list)
    _waiting: list[_Turn] = field(default_factory=list)

    @property
    def running(self) -> int:
        """Jobs running."""
        return len(self._running)

    @property
    def waiting(self) -> int:
        """Jobs waiting for their turn."""
        return len(self._waiting)

    def _count(self, client: str) -> int:
        return sum(1 for t in self._running if t.client == client)

    def _dispatch(self) -> None:
        while len(self._running) < self.slots:
            ready = [t for t in self._waiting if self._count(t.client) < self.per_client]
            if not ready:
                return
            turn = min(ready, key=lambda t: self._count(t.client))  # the first of the least served
            self._waiting.remove(turn)
            turn.deadline = asyncio.get_running_loop().time() + turn.timeout
            self._running.append(turn)
            turn.started.set_result(None)

    def _refusal(self, turn: _Turn, wait: float) -> Busy:
        now = asyncio.get_running_loop().time()
        own = [t.deadline for t in self._running if t.client == turn.client]
        if len(own) >= self.per_client:
            seconds = max(1, math.ceil(min(own) - now))
            return Busy(
                f"Trop de requêtes de ce client : {self.per_client} à la fois au plus ; réessayez dans {seconds} s. / "
                f"Too many queries from this client: at most {self.per_client} at once; retry in {seconds} s.", 429, seconds,
            )
        seconds = max(1, math.ceil(min((t.deadline for t in self._running), default=now) - now))
        return Busy(
            f"Serveur occupé : aucun processus libre en {wait:g} s ; réessayez dans {seconds} s. / "
            f"Server busy: no worker was free within {wait:g} s; retry in {seconds} s.", 503, seconds,
        )

    async def take(self, client: str, timeout: float, wait: float) -> _Turn:
        """Wait (at most ``wait`` seconds) for a turn of ``client`` for a job stopped after ``timeout`` seconds.

        Raises :class:`Busy` when none came in time; the turn must be given back (:meth:`give_back`).
        """
        turn = _Turn(client, timeout, asyncio.get_running_loop().create_future())
        self._waiting.append(turn)
        self._dispatch()
        try:
            async with asyncio.timeout(wait):
                await asyncio.shield(turn.started)
        except TimeoutError:
            if turn.started.done():  # started in the same instant
                return turn
            self._waiting.remove(turn)
            raise self._refusal(turn, wait) from None
        except asyncio.CancelledError:
            if turn.started.done():
                self.give_back(turn)
            else:
                self._waiting.remove(turn)
            raise
        return turn

    def give_back(self, turn: _Turn) -> None:
        """The job of ``turn`` ended: start the next ones."""
        self._running.remove(turn)
        self._dispatch()


def _identity(path: str) -> tuple[int, int] | None:
    """The folder's (device, inode), which a rebuild changes; None while a rebuild swaps it in."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


class Workers:
    """The server's side of the pools: run a job with a timeout, from async code, each client in its turn.

    Parameters
    ----------
    store : path
        The built store.
    processes : int
        Reader processes (at least 1).
    writable : bool
        Also start the writer process (the server has an update token).
    per_client : int
        Jobs one client may have running at once (:class:`Turns`).
    wait : float
        Seconds a job may wait for its turn before it is refused (:class:`Busy`).
    """

    def __init__(self, store: str | os.PathLike, processes: int, writable: bool = False, per_client: int = 1, wait: float = 10.0):
        self.store = str(Path(store))
        self._generation = 0
        context = multiprocessing.get_context("spawn")
        self._readers = ProcessPool(max_workers=max(1, processes), initializer=_start_worker, initargs=(self.store,), context=context)
        self._writer = ProcessPool(max_workers=1, initializer=_start_worker, initargs=(self.store,), context=context) if writable else None
        self._folder = _identity(self.store)
        self._gate = asyncio.Lock()  # held by an update; a read passes it to start
        self._reading = 0
        self._no_reads = asyncio.Event()
        self._no_reads.set()
        self.turns = Turns(max(1, processes), max(1, per_client))
        self.wait = wait

    async def _run(self, pool: ProcessPool, timeout: float, function, *args):
        future = pool.schedule(function, args=args, timeout=timeout)
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout:
            raise QueryTimeout(f"the query ran longer than the server's limit of {timeout:g} s and was stopped") from None

    async def read(self, timeout: float, function, *args, client: str = ""):
        """Run ``function(generation, *args)`` in a reader for ``client``; raise :class:`QueryTimeout` past ``timeout``.

        The job first waits for its turn (:class:`Turns`; :class:`Busy` when it does not come within
        :attr:`wait` seconds), then while an update runs; it follows a rebuild of the store.
        """
        turn = await self.turns.take(client, timeout, self.wait)
        try:
            async with self._gate:
                self._reading += 1
                self._no_reads.clear()
            try:
                return await self._run(self._readers, timeout, function, self.generation, *args)
            finally:
                self._reading -= 1
                if not self._reading:
                    self._no_reads.set()
        finally:
            self.turns.give_back(turn)

    async def in_server(self, function, *args):
        """Run ``function(store_path, *args)`` in this process (in a thread), not by a worker, after an update under way.

        For small fixed reads a page must not wait a worker's turn for (the choice lists, the home page's
        figures): ``function`` opens the store read-only and closes it before it returns (a store must not
        be opened while it is written).
        """
        async with self._gate:
            return await asyncio.to_thread(function, self.store, *args)

    async def choice_lists(self) -> dict[str, list[str]]:
        """The values of every choice list, read in this process (:meth:`in_server`)."""
        return await self.in_server(_choice_lists)

    @property
    def generation(self) -> int:
        """What the readers must have open: it goes up after each update, and when a rebuild swapped the store folder."""
        folder = _identity(self.store)
        if folder is not None and folder != self._folder:
            self._folder = folder
            self._generation += 1
        return self._generation

    async def update(self, timeout: float, text: str) -> None:
        """Run a SPARQL Update in the writer, alone: after the reads under way, before the next ones, which see it."""
        if self._writer is None:
            raise RuntimeError("this server was started without an update token")
        async with self._gate:
            await self._no_reads.wait()
            try:
                await self._run(self._writer, timeout, update_job, text)
            finally:
                self._generation += 1  # the writer had the store open: the readers reopen it, whatever came of the update

    def close(self) -> None:
        """Stop every worker process."""
        for pool in (self._readers, self._writer):
            if pool is not None:
                pool.stop()
                pool.join()
