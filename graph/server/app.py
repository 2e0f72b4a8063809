"""The web application: the SPARQL endpoint, the saved-query pages and their REST API, the network views.

Routes
------
``/sparql``
    SPARQL 1.1 Protocol (``GET``, ``POST`` form or direct). Answers in JSON, XML, CSV or TSV (SELECT,
    ASK) and Turtle, JSON-LD, N-Triples or RDF/XML (CONSTRUCT, DESCRIBE), chosen by ``Accept`` or a
    ``format=`` field. Without a query: an HTML editor for browsers, else the service description.
``/queries``, ``/queries/NAME``
    The saved queries as pages: a form for the parameters, the result as a table, CSV downloads (for a
    French spreadsheet, ``csv-fr``, and standard) and JSON, the SPARQL, and a link to the network view
    when the rows are actors.
``/view``
    The network views (:mod:`cmqgraph.view`), from a form or from filters in the URL.
``/api/queries``, ``/api/queries/NAME``, ``/api/queries/NAME/results``, ``/api/choices/NAME``, ``/health``
    The REST API, described at ``/openapi.json``.

Limits: every query runs in a worker process with a timeout (answer 503 when passed), and an answer
holds at most ``max_rows`` rows or triples (the ``X-Cmqgraph-Truncated`` header says when it was cut).
One client (its address, or the one a trusted proxy forwards) runs at most ``queries_per_client``
queries at once, and a query waits at most ``queue_wait`` seconds for a worker (then 429 or 503, with
``Retry-After``). The pages that run nothing (the home page, the query list and forms, the SPARQL
editor, the OpenAPI description, ``/health``) never wait for a worker.

Links never come from the request's ``Host`` header: they are paths (``/queries/NAME``), or URLs under
``public_url`` when it is set; without it, the service description names the address the request
arrived at.

Code
----
:func:`create_app` makes the application's :class:`~cmqgraph.server.state.ServerState` (settings,
saved queries, workers, cached answers, links and pages) and includes one router per area:
:mod:`~cmqgraph.server.api` (the REST API), :mod:`~cmqgraph.server.sparql` (the SPARQL Protocol),
:mod:`~cmqgraph.server.pages` (the HTML pages) and :mod:`~cmqgraph.server.views` (the network views).
The format tables are in :mod:`~cmqgraph.server.protocol`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse, Response
from starlette.routing import Match
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..version import __version__
from . import api, carte, pages, search, sparql, things, views
from .state import ROWS_HEADER, TRUNCATED_HEADER, ServerState, Settings

__all__ = ["Settings", "create_app", "TRUNCATED_HEADER", "ROWS_HEADER"]

_DESCRIPTION = (
    "The knowledge graph of France's CMQ, their schools, trainings, trades, pôles and regional projects. "
    "Every answer is cut at the server's row cap (header X-Cmqgraph-Truncated) and every query stopped at its timeout (503). "
    "A client runs a limited number of queries at once; a query that waits too long for a worker gets 429 or 503 with Retry-After."
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The workers of the application's state run while the application does."""
    state: ServerState = app.state.server
    state.start()
    try:
        yield
    finally:
        state.close()


async def _not_found(request: Request, exc: Exception) -> Response:
    """A path with a slash too many is sent to the route without it; anything else is a 404."""
    path = request.scope["path"]
    probe = {**request.scope, "path": path.rstrip("/")}
    if path != "/" and path.endswith("/") and any(route.matches(probe)[0] is not Match.NONE for route in request.app.router.routes):
        query = request.scope.get("query_string", b"").decode("latin-1")
        state: ServerState = request.app.state.server
        return RedirectResponse(state.base(request) + probe["path"] + ("?" + query if query else ""), status_code=307)
    return await http_exception_handler(request, exc)


def create_app(settings: Settings) -> FastAPI:
    """Return the ASGI application serving the store of ``settings`` (its workers start with it).

    Examples
    --------
    >>> from cmqgraph.server import Settings, create_app
    >>> app = create_app(Settings(store="var/store"))  # doctest: +SKIP
    >>> import uvicorn; uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP
    """
    state = ServerState(settings)
    app = FastAPI(
        title="cmqgraph",
        version=__version__,
        summary="Campus des métiers et des qualifications: SPARQL endpoint and saved queries",
        description=_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
        redirect_slashes=False,  # Starlette's redirect names the Host header's host: not_found redirects with a path
    )
    app.state.server = state
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Accept"])
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    app.add_exception_handler(404, _not_found)
    app.include_router(api.router(state.queries))
    app.include_router(sparql.router)
    app.include_router(pages.router)
    app.include_router(views.router)
    app.include_router(search.router)
    app.include_router(carte.router)
    app.include_router(things.router)  # last: its paths (/id/…, /ontology) take what no other route does
    return app
