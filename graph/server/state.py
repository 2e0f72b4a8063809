"""What the web application holds while it runs: its settings, saved queries, workers and cached answers.

The route modules (:mod:`~cmqgraph.server.api`, :mod:`~cmqgraph.server.sparql`,
:mod:`~cmqgraph.server.pages`, :mod:`~cmqgraph.server.views`) reach the one :class:`ServerState` of
their application through the :data:`State` dependency; :func:`cmqgraph.server.app.create_app` makes it,
and starts its workers with the application.

Links never come from the request's ``Host`` header (:meth:`ServerState.href`): they are paths, or
URLs under ``public_url`` when it is set.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import pandas as pd
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape

from ..engine import TABLE_FORMATS
from ..iris import BASE
from ..saved_queries import SavedQuery, load_queries
from ..version import __version__
from .pool import Workers, saved_job

__all__ = [
    "Settings", "ServerState", "GenerationCache", "State", "server_state", "client_of", "TRUNCATED_HEADER", "ROWS_HEADER",
    "BUSY_RESPONSES",
]

#: Response header set to the row cap when an answer was cut at it.
TRUNCATED_HEADER = "X-Cmqgraph-Truncated"
#: Response header with the number of rows (or triples) in the answer.
ROWS_HEADER = "X-Cmqgraph-Rows"
#: The answers of a request whose query did not run to its end, for the OpenAPI description.
BUSY_RESPONSES = {
    429: {"description": "This client ran as many queries as the server allows at once, and none ended in time (Retry-After)"},
    503: {"description": "The query ran past the server's timeout, or no worker was free in time (then with Retry-After)"},
}


@dataclass(frozen=True)
class Settings:
    """How the server runs.

    Parameters
    ----------
    store : path
        The built store.
    timeout : float
        Seconds a query (or a view, or an update) may run before its process is stopped.
    max_rows : int
        Rows (SELECT) or triples (CONSTRUCT) an answer holds at most.
    page_rows : int
        Rows a saved-query page shows (the downloads hold up to ``max_rows``).
    processes : int
        Worker processes that answer queries in parallel.
    update_token : str, optional
        Allow SPARQL Update from requests that carry ``Authorization: Bearer <token>``; None: read-only.
    public_url : str, optional
        The URL the server is reached at (``https://cmq.example.org``, or with a path behind a proxy that
        serves it there). The links of the pages and the API are under it, and the service description
        names its ``/sparql``. None: links are paths (``/queries/NAME``), and the service description
        names the address the request arrived at (``http://127.0.0.1:8000/sparql``) — never the
        request's ``Host`` header, which the client chooses.
    query_folders : tuple of paths
        Folders of more saved queries (``.rq``), which override the shipped ones of the same name.
    max_body : int
        Bytes a request body may hold.
    queries_per_client : int
        Queries (SPARQL, saved queries, network views) one client may have running at once; its other
        ones wait their turn. Below ``processes``, one client cannot hold every worker. A client is
        its IP address (IPv6: its /64 network).
    queue_wait : float
        Seconds a query may wait for a worker; then it is refused, with ``Retry-After`` (the seconds
        until a query that held it back must end: every query is stopped at ``timeout``): 429 when the
        client's own queries held it back (it was at its limit), 503 when no worker was free.
    trusted_proxies : tuple of str
        Addresses or networks (``127.0.0.1``, ``10.0.0.0/8``) of reverse proxies whose
        ``X-Forwarded-For`` (the client) and ``X-Forwarded-Proto`` are believed. From any other peer
        those headers are ignored: a client could name itself anyone. Anything else (a host name,
        ``*``) raises ValueError.
    """

    store: Path
    timeout: float = 30.0
    max_rows: int = 50_000
    page_rows: int = 1_000
    processes: int = 2
    update_token: str | None = None
    public_url: str | None = None
    query_folders: tuple[Path, ...] = ()
    max_body: int = 10 * 1024 * 1024
    queries_per_client: int = 1
    queue_wait: float = 10.0
    trusted_proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as exc:
                raise ValueError(f"trusted proxy {proxy!r}: not an IP address or network (10.0.0.0/8) — {exc}") from exc


def client_of(request: Request) -> str:
    """Who sent ``request``, for the per-client limit: its IP address (IPv6: its /64 network, which one user holds)."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class GenerationCache:
    """Answers kept while the graph stays the same (the generation they were made for).

    A kind is any name a page chooses (``choices``: choice list → its values, ``views``: the last network views,
    oldest first…); each is an ordered dict, so that a page may drop its oldest answers.

    Examples
    --------
    >>> cache = GenerationCache()
    >>> cache.fresh(0, "choices")["region"] = ["Bretagne"]
    >>> dict(cache.fresh(0, "choices")), dict(cache.fresh(1, "choices"))
    ({'region': ['Bretagne']}, {})
    """

    def __init__(self) -> None:
        self.generation: int | None = None
        self._kinds: dict[str, dict] = {}

    def fresh(self, generation: int, kind: str) -> dict:
        """The answers of ``kind`` for ``generation``; every kind is emptied first when the generation changed."""
        if self.generation != generation:  # None at first
            self.generation, self._kinds = generation, {}
        return self._kinds.setdefault(kind, OrderedDict())


class ServerState:
    """One application's state: its settings, saved queries, templates, workers and cached answers.

    The workers run between :meth:`start` and :meth:`close` (the application's lifespan).

    Parameters
    ----------
    settings : Settings
        How the server runs; its ``query_folders`` are read here.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.queries: dict[str, SavedQuery] = load_queries(settings.query_folders)
        #: The saved queries in the order of their French titles, as the pages and the API list them.
        self.by_title: list[SavedQuery] = sorted(self.queries.values(), key=lambda q: q.title["fr"].casefold())
        self.cache = GenerationCache()
        self._workers: Workers | None = None
        env = Environment(loader=PackageLoader("cmqgraph.server", "templates"), autoescape=select_autoescape())
        self.templates = Jinja2Templates(env=env)
        # Starlette's url_for builds absolute URLs from the request's Host header: the templates use href
        del env.globals["url_for"]
        env.globals["href"] = pass_context(lambda context, route, /, **params: self.href(context["request"], route, **params))
        env.globals["thing_href"] = pass_context(lambda context, iri: self.thing_href(context["request"], iri))

    # ------------------------------------------------------------------------------------ workers

    def start(self) -> None:
        """Start the worker processes."""
        s = self.settings
        self._workers = Workers(s.store, s.processes, writable=bool(s.update_token), per_client=s.queries_per_client, wait=s.queue_wait)

    def close(self) -> None:
        """Stop the worker processes."""
        if self._workers is not None:
            self._workers.close()

    @property
    def workers(self) -> Workers:
        """The worker processes (:class:`~cmqgraph.server.pool.Workers`), once :meth:`start` ran."""
        if self._workers is None:
            raise RuntimeError("the server's workers run only while its application does (its lifespan)")
        return self._workers

    def fresh(self, kind: str) -> dict:
        """The cache of ``kind`` (:class:`GenerationCache`), emptied first when the graph changed (an update, a rebuild)."""
        return self.cache.fresh(self.workers.generation, kind)

    async def choice_values(self, name: str) -> list[str]:
        """The values of a choice list: read in this process once per generation, never waiting for a worker."""
        choices = self.fresh("choices")
        if not choices:
            choices.update(await self.workers.choice_lists())
        return choices[name]

    async def run_saved(self, saved: SavedQuery, values: Mapping[str, str], client: str) -> tuple[pd.DataFrame, bool]:
        """Check the values (types, then the closed lists of the graph), then run the query in ``client``'s turn."""
        saved.bind(values)
        lists = {name: await self.choice_values(name) for name in saved.graph_lists(values)}
        saved.check_choices(values, lists)  # here, not only in the worker: a wrong value never waits for a turn
        s = self.settings
        return await self.workers.read(s.timeout, saved_job, saved, dict(values), s.max_rows, lists, client=client)

    def count_headers(self, rows: int, truncated: bool) -> dict[str, str]:
        """The headers that give an answer's row count and, when it was cut, the cap."""
        return {ROWS_HEADER: str(rows), **({TRUNCATED_HEADER: str(self.settings.max_rows)} if truncated else {})}

    # ------------------------------------------------------------------------------------ links and pages

    def base(self, request: Request) -> str:
        """What every link starts with: the public URL, else the path the application is mounted at (not from a header)."""
        return self.settings.public_url.rstrip("/") if self.settings.public_url else request.scope.get("root_path", "")

    def href(self, request: Request, route: str, query: Mapping[str, str] | None = None, /, **params: str) -> str:
        """The link to ``route`` with its path ``params``: a path, or a URL under the public URL; ``query`` is its query string."""
        return self.base(request) + request.app.url_path_for(route, **params) + ("?" + urlencode(query) if query else "")

    def thing_href(self, request: Request, iri: str) -> str | None:
        """The link to the page of ``iri`` on this server when the graph mints it (under :data:`cmqgraph.iris.BASE`), else None.

        ``https://w3id.org/cmqgraph/id/etablissement/0250001R`` is served at ``/id/etablissement/0250001R``
        (under the public URL when it is set); a fragment (``ontology#Campus``) stays in the link.
        """
        if not iri.startswith(BASE):
            return None
        return self.base(request) + "/" + iri[len(BASE):]

    def links(self, request: Request, saved: SavedQuery, values: Mapping[str, str]) -> dict[str, str | None]:
        """The links of a saved query run with ``values``: each download format, its page, and its network view (or None)."""
        given = {k: v for k, v in values.items() if v}
        result = {fmt: self.href(request, "query_results", {**given, "format": fmt}, name=saved.name) for fmt in TABLE_FORMATS}
        result["page"] = self.href(request, "query_page", name=saved.name)
        result["view"] = None
        if saved.view is not None:
            filters = {f: given[p] for f, p in saved.view.items() if p in given}
            result["view"] = self.href(request, "view_page", filters or {"all": "1"})
        return result

    def page(self, request: Request, name: str, status: int = 200, headers: Mapping[str, str] | None = None, **context) -> HTMLResponse:
        """The HTML page of template ``name`` (``templates/NAME.html``), with ``context`` and the site's navigation."""
        context.update(request=request, version=__version__, nav=name)
        return self.templates.TemplateResponse(request, f"{name}.html", context, status_code=status, headers=headers)


async def server_state(request: Request) -> ServerState:
    """The state of the application that received ``request`` (a dependency: async, it runs in no thread)."""
    return request.app.state.server


#: A route's parameter that receives its application's :class:`ServerState`.
State = Annotated[ServerState, Depends(server_state)]
