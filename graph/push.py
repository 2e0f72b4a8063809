"""Load the built graph into a remote triple store through the SPARQL 1.1 Graph Store HTTP Protocol.

Each named graph of the local store is sent as N-Triples, in chunks of ``chunk_triples`` lines, to
``<graph store URL>?graph=<graph IRI>``: the first chunk with ``PUT`` (which replaces the remote graph),
the next ones with ``POST`` (which append). The remote server is then asked, with one SPARQL query on
its query endpoint, how many triples each graph holds; any difference with the local count is an error.
The counting queries are ``queries/internal/push_*.rq``.

With credentials, a small ``HEAD`` request first takes the server's authentication challenge, so that
no large body is ever sent unauthenticated: with digest authentication, a server answers 401 to such a
body and may close the connection before the client has finished sending it (Virtuoso does).

Nothing is retried: a server that cannot be reached, that does not answer in time or that answers
anything but 2xx raises :class:`PushError`, naming the URL, the graph and the HTTP status.

Examples
--------
>>> from cmqgraph.push import push
>>> report = push("http://127.0.0.1:7878/store", "http://127.0.0.1:7878/query")  # doctest: +SKIP
>>> report.triples  # doctest: +SKIP
796437

A report keeps, per graph, the local and the remote counts:

>>> report = PushReport("http://h/store", "http://h/query", [GraphPush("https://w3id.org/cmqgraph/graph/cmq", 1839, 1839)])
>>> report.triples, report.remote_counts
(1839, {'https://w3id.org/cmqgraph/graph/cmq': 1839})
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Protocol
from urllib.parse import quote

import pyoxigraph as ox
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from .errors import CmqGraphError, PushError
from .resources import internal_query
from .store import open_store

__all__ = ["GraphPush", "PushError", "PushProgress", "PushReport", "local_counts", "push", "remote_counts"]

#: The pseudo-IRI under which the default graph (when not empty) appears in reports.
DEFAULT_GRAPH = "default"

_CONTENT_TYPE = "application/n-triples"
_BODY_EXCERPT = 300
#: The line of ``push_remote_counts.rq`` where the pushed graphs are bound (alone on its line, as for saved queries).
_VALUES_LINE = re.compile(r"^([ \t]*)#[ \t]*@values[ \t]*$", re.MULTILINE)


class PushProgress(Protocol):
    """What a push reports as it goes (the command line draws a progress bar from it)."""

    def started(self, total_triples: int) -> None: ...

    def advanced(self, n: int) -> None: ...

    def finished(self) -> None: ...


@dataclass
class GraphPush:
    """One graph sent: its IRI (``"default"`` for the default graph), local and remote counts."""

    graph: str
    local: int
    remote: int | None = None
    requests: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the remote count was checked and equals the local count."""
        return self.remote == self.local


@dataclass
class PushReport:
    """What a push did: the URLs, one :class:`GraphPush` per graph, the total and the time it took."""

    graph_store: str
    endpoint: str
    graphs: list[GraphPush] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def triples(self) -> int:
        """Triples sent (the sum of the local counts)."""
        return sum(g.local for g in self.graphs)

    @property
    def local_counts(self) -> dict[str, int]:
        """Local triple count per graph IRI."""
        return {g.graph: g.local for g in self.graphs}

    @property
    def remote_counts(self) -> dict[str, int | None]:
        """Remote triple count per graph IRI (None when it could not be checked: the default graph)."""
        return {g.graph: g.remote for g in self.graphs}


def local_counts(store: ox.Store) -> dict[str, int]:
    """Return the triple count of each non-empty graph of ``store``, counted by Oxigraph.

    Named graphs are keyed by IRI; the default graph, when it holds triples, by ``"default"``.
    """
    counts = {row["g"].value: int(row["n"].value) for row in store.query(internal_query("push_graph_counts"))}
    default = int(next(iter(store.query(internal_query("push_default_count"))))["n"].value)
    if default:
        counts[DEFAULT_GRAPH] = default
    return dict(sorted(counts.items()))


def remote_counts(endpoint: str, graphs: list[str], timeout: float = 120.0) -> dict[str, int]:
    """Return the triple count of each of ``graphs`` (named graph IRIs) on the SPARQL ``endpoint``.

    A graph the server does not hold is counted 0.

    Raises
    ------
    PushError
        The endpoint is unreachable or answered an error.
    """
    from .engine import select  # imported late: engine pulls pandas

    if not graphs:
        return {}
    try:
        frame = select(_remote_count_query(graphs), endpoint=endpoint, timeout=timeout)
    except CmqGraphError as exc:
        raise PushError(f"cannot count the pushed triples on {endpoint}: {exc}", url=endpoint) from exc
    found = {str(g): int(n) for g, n in zip(frame["g"], frame["n"])}
    return {g: found.get(g, 0) for g in graphs}


def _remote_count_query(graphs: list[str]) -> str:
    """Return ``push_remote_counts.rq`` with ``?g`` bound to ``graphs``, one ``VALUES`` row each.

    Each IRI is checked and written by Oxigraph (:class:`pyoxigraph.NamedNode`), as a term, never pasted
    as text. (:func:`cmqgraph.saved_queries.insert_values` binds one row; this query needs one per graph.)

    >>> print(_remote_count_query(["https://w3id.org/cmqgraph/graph/rome"]).splitlines()[-3])
      VALUES ?g { <https://w3id.org/cmqgraph/graph/rome> }
    """
    rows = " ".join(str(ox.NamedNode(g)) for g in graphs)
    return _VALUES_LINE.sub(lambda m: f"{m.group(1)}VALUES ?g {{ {rows} }}", internal_query("push_remote_counts"))


def _graph_url(graph_store: str, graph: str) -> str:
    if graph == DEFAULT_GRAPH:
        return f"{graph_store}{'&' if '?' in graph_store else '?'}default"
    return f"{graph_store}{'&' if '?' in graph_store else '?'}graph={quote(graph, safe='')}"


def _chunks(store: ox.Store, graph: str, size: int, spool: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    """Yield ``(N-Triples bytes, triple count)`` chunks of at most ``size`` triples of one graph.

    The graph is dumped by Oxigraph into the ``spool`` file, then read back line by line (canonical
    N-Triples: one triple per line), so that only one chunk is held in memory at a time.
    """
    spool.seek(0)
    spool.truncate()
    source = ox.DefaultGraph() if graph == DEFAULT_GRAPH else ox.NamedNode(graph)
    store.dump(spool, format=ox.RdfFormat.N_TRIPLES, from_graph=source)
    spool.seek(0)
    lines: list[bytes] = []
    for line in spool:
        if not line.strip():
            continue
        lines.append(line)
        if len(lines) >= size:
            yield b"".join(lines), len(lines)
            lines = []
    if lines:
        yield b"".join(lines), len(lines)


def _send(session: requests.Session, method: str, url: str, graph: str, body: bytes, timeout: float) -> None:
    try:
        response = session.request(method, url, data=body, headers={"Content-Type": _CONTENT_TYPE}, timeout=timeout)
    except requests.Timeout as exc:
        raise PushError(f"{url} did not answer within {timeout:g} s ({method} of graph <{graph}>)", url, graph) from exc
    except requests.ConnectionError as exc:
        raise PushError(f"cannot reach {url} ({method} of graph <{graph}>): {exc}", url, graph) from exc
    except requests.RequestException as exc:
        raise PushError(f"{method} {url} failed (graph <{graph}>): {exc}", url, graph) from exc
    if not 200 <= response.status_code < 300:
        excerpt = " ".join(response.text[:_BODY_EXCERPT].split())
        raise PushError(
            f"{url} answered HTTP {response.status_code} {response.reason} to {method} of graph <{graph}>: {excerpt}",
            url,
            graph,
            response.status_code,
        )


def _authenticate(session: requests.Session, url: str, timeout: float) -> None:
    """Take the server's authentication challenge with a bodiless ``HEAD``; refused credentials raise."""
    try:
        response = session.head(url, timeout=timeout)
    except requests.RequestException as exc:
        raise PushError(f"cannot reach {url} to authenticate: {exc}", url) from exc
    if response.status_code in (401, 403):
        raise PushError(f"{url} refused the credentials: HTTP {response.status_code} {response.reason}", url, status=response.status_code)


def _auth(auth: tuple[str, str] | None, auth_kind: str) -> AuthBase | None:
    if auth is None:
        return None
    if auth_kind == "basic":
        return HTTPBasicAuth(*auth)
    if auth_kind == "digest":
        return HTTPDigestAuth(*auth)
    raise ValueError(f"auth_kind must be 'basic' or 'digest', not {auth_kind!r}")


def _send_graph(
    session: requests.Session, store: ox.Store, graph: str, count: int, url: str, spool: IO[bytes],
    chunk_triples: int, replace: bool, timeout: float, progress: PushProgress | None,
) -> GraphPush:
    """Send one graph to ``url`` in chunks (the first with ``PUT`` when ``replace``, the others with ``POST``)."""
    start = time.perf_counter()
    entry = GraphPush(graph=graph, local=count)
    for body, n in _chunks(store, graph, chunk_triples, spool):
        method = "PUT" if replace and entry.requests == 0 else "POST"
        _send(session, method, url, graph, body, timeout)
        entry.requests += 1
        if progress is not None:
            progress.advanced(n)
    entry.seconds = time.perf_counter() - start
    return entry


def _check_remote(report: PushReport, timeout: float, start: float) -> None:
    """Fill in the remote counts of ``report`` and its time since ``start``; raise where a named graph's counts differ.

    Raises
    ------
    PushError
        The endpoint does not hold what was pushed (the error carries the report as ``report``).
    """
    named = [g.graph for g in report.graphs if g.graph != DEFAULT_GRAPH]
    remote = remote_counts(report.endpoint, named, timeout)
    for entry in report.graphs:
        entry.remote = remote.get(entry.graph)
    report.seconds = time.perf_counter() - start
    wrong = [g for g in report.graphs if g.graph != DEFAULT_GRAPH and not g.ok]
    if wrong:
        detail = "; ".join(f"<{g.graph}>: {g.local} local, {g.remote} remote" for g in wrong)
        error = PushError(f"{report.endpoint} does not hold what was pushed to {report.graph_store}: {detail}", url=report.endpoint)
        error.report = report
        raise error


def push(
    graph_store: str,
    endpoint: str,
    store: str | os.PathLike | ox.Store | None = None,
    *,
    chunk_triples: int = 50_000,
    auth: tuple[str, str] | None = None,
    auth_kind: str = "basic",
    replace: bool = True,
    timeout: float = 120,
    progress: PushProgress | None = None,
) -> PushReport:
    """Send every graph of the built store to a remote Graph Store, then check the remote counts.

    Parameters
    ----------
    graph_store : str
        The SPARQL 1.1 Graph Store HTTP Protocol URL (for example ``http://host:7878/store`` for
        Oxigraph server, ``http://host:8890/sparql-graph-crud-auth`` for Virtuoso).
    endpoint : str
        The SPARQL query URL of the same server, used to count what it holds after the push.
    store : path, pyoxigraph.Store or None
        The local store (path, or an open store); None uses ``--store`` / ``$CMQGRAPH_STORE`` / default.
    chunk_triples : int
        Triples per HTTP request.
    auth : (user, password), optional
        Credentials for the Graph Store (not for the query endpoint, which is read anonymously).
    auth_kind : {"basic", "digest"}
        HTTP authentication scheme (Virtuoso's ``/sparql-graph-crud-auth`` wants ``"digest"``).
    replace : bool
        True: the first chunk of each graph is a ``PUT``, which replaces the remote graph. False: every
        chunk is a ``POST``, added to what the remote graph holds (the count check then fails if the
        remote graph held other triples).
    timeout : float
        Seconds to wait for each HTTP answer (and for the count query).
    progress : PushProgress, optional
        Receives ``started(total)``, ``advanced(n)`` after each chunk, and ``finished()`` (also on error).

    Returns
    -------
    PushReport
        Per graph, the local and remote counts; the total; the seconds taken.

    Raises
    ------
    PushError
        A request failed (unreachable, timeout, non-2xx answer) or the remote counts differ.
    StoreError
        No built graph at the store path.
    """
    if chunk_triples < 1:
        raise ValueError(f"chunk_triples must be at least 1, not {chunk_triples}")
    start = time.perf_counter()
    local = store if isinstance(store, ox.Store) else open_store(store)
    counts = local_counts(local)
    report = PushReport(graph_store=graph_store, endpoint=endpoint)
    session = requests.Session()
    from .engine import USER_AGENT

    session.headers["User-Agent"] = USER_AGENT
    session.auth = _auth(auth, auth_kind)
    if progress is not None:
        progress.started(sum(counts.values()))
    try:
        with session, tempfile.TemporaryFile(prefix="cmqgraph-push-") as spool:
            if session.auth is not None:
                _authenticate(session, graph_store, timeout)
            for graph, count in counts.items():
                url = _graph_url(graph_store, graph)
                report.graphs.append(_send_graph(session, local, graph, count, url, spool, chunk_triples, replace, timeout, progress))
    finally:
        if progress is not None:
            progress.finished()
    _check_remote(report, timeout, start)
    return report
