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
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import shlex
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pandas as pd
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathField
from fastapi.exception_handlers import http_exception_handler
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from starlette.routing import Match
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .. import __version__
from ..engine import TABLE_FORMATS, format_frame
from ..errors import FilterError, NotAcceptable, ParameterError, ProtocolError, QueryError, ServerLimit
from ..saved_queries import CHOICE_LISTS, VIEW_FILTERS, Parameter, SavedQuery, load_queries
from ..view import DEFAULT_MAX_NODES, STYLE
from .pool import GRAPH_FORMATS, Workers, saved_job, sparql_job, view_job
from .protocol import FORMAT_NAMES, answer_types, negotiate, parse_request, service_description

__all__ = ["Settings", "create_app", "TRUNCATED_HEADER", "ROWS_HEADER"]

#: Response header set to the row cap when an answer was cut at it.
TRUNCATED_HEADER = "X-Cmqgraph-Truncated"
#: Response header with the number of rows (or triples) in the answer.
ROWS_HEADER = "X-Cmqgraph-Rows"
_VIEW_CACHE = 16
#: Filter of the network view → the choice list that offers its values.
_VIEW_LISTS = {"region": "region", "academie": "academie", "campus": "campus", "cluster": "pole", "project": "projet"}
#: The site's icon: a star, the campus shape of the network views, in their campus colour.
_ICON = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20"><path fill="#d62728" '
         b'd="M10 1l2.6 5.9 6.4.6-4.8 4.3 1.4 6.3L10 14.8 4.4 18.1l1.4-6.3L1 7.5l6.4-.6z"/></svg>')
_CSV = "text/csv; charset=utf-8; header=present"
#: ``format`` of a saved query's results → media type, and the name of the downloaded file.
_TABLE_MEDIA = {"csv": _CSV, "csv-fr": _CSV, "tsv": "text/tab-separated-values; charset=utf-8", "json": "application/json"}
_TABLE_FILES = {"csv": "{}.csv", "csv-fr": "{}-fr.csv", "tsv": "{}.tsv", "json": "{}.json"}


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


_GRAPHS = {"type": "array", "items": {"type": "string", "format": "iri"}}
#: The answers of a request whose query did not run to its end, for the OpenAPI description.
_BUSY_RESPONSES = {
    429: {"description": "This client ran as many queries as the server allows at once, and none ended in time (Retry-After)"},
    503: {"description": "The query ran past the server's timeout, or no worker was free in time (then with Retry-After)"},
}
_FORMAT_FIELD = Query(
    "csv", pattern="^(" + "|".join(map(re.escape, TABLE_FORMATS)) + ")$",
    description="csv (comma, for tools), csv-fr (for a French spreadsheet: ';', BOM, decimal comma), tsv or json",
)
#: The SPARQL Protocol's fields, for the OpenAPI description (the handler reads them itself: they repeat, and come in three forms).
_SPARQL_FIELDS = [
    {"name": "query", "in": "query", "schema": {"type": "string"}, "description": "The SPARQL query",
     "example": "SELECT ?campus ?nom WHERE { ?campus a cmq:Campus ; rdfs:label ?nom } LIMIT 10"},
    {"name": "default-graph-uri", "in": "query", "schema": _GRAPHS, "style": "form", "explode": True,
     "description": "Graphs whose union is the default graph (default: all the named graphs)"},
    {"name": "named-graph-uri", "in": "query", "schema": _GRAPHS, "style": "form", "explode": True,
     "description": "The named graphs GRAPH may reach (default: all)"},
    {"name": "format", "in": "query", "schema": {"type": "string", "enum": list(FORMAT_NAMES)},
     "description": "The answer's format, for clients that cannot set Accept"},
]
_SPARQL_BODY = {
    "content": {
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
            "query": {"type": "string"}, "update": {"type": "string"}, "default-graph-uri": _GRAPHS, "named-graph-uri": _GRAPHS}}},
        "application/sparql-query": {"schema": {"type": "string"}},
        "application/sparql-update": {"schema": {"type": "string"}},
    },
}


def _problem(status: int, message: str, parameter: str | None = None, headers: Mapping[str, str] | None = None) -> JSONResponse:
    if status == 422:
        detail = [{"loc": ["query", parameter] if parameter else ["query"], "msg": message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _command(name: str, values: Mapping[str, str]) -> str:
    """The command line that gives the same rows, each value quoted for the shell.

    >>> _command("campus_excellence", {"region": "Bourgogne-Franche-Comté", "annee": ""})
    "cmqgraph query run campus_excellence -p 'region=Bourgogne-Franche-Comté'"
    """
    return shlex.join(["cmqgraph", "query", "run", name, *(item for k, v in values.items() if v for item in ("-p", f"{k}={v}"))])


def _client(request: Request) -> str:
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


def _arrival(request: Request) -> str:
    """``scheme://host:port`` of the socket the request arrived at (the ASGI ``server``): never a header."""
    scheme = request.scope.get("scheme", "http")
    host, port = request.scope.get("server") or ("localhost", None)
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + ("" if port in (None, {"http": 80, "https": 443}.get(scheme)) else f":{port}")


async def _body(request: Request, limit: int) -> bytes:
    """Return the request's body; raise :class:`ProtocolError` (413) past ``limit`` bytes, announced or sent (chunked)."""
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise ProtocolError(f"the request body holds {announced} bytes; this server takes at most {limit}", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ProtocolError(f"the request body holds more than {limit} bytes; this server takes at most {limit}", 413)
    return bytes(body)


def _parameter_info(param: Parameter) -> dict:
    choices = param.choices
    return {
        "name": param.name, "type": param.type, "required": param.required, "default": param.default,
        "example": param.example, "description": dict(param.description),
        "choices": list(choices) if isinstance(choices, tuple) else choices, "closed": param.closed,
    }


def create_app(settings: Settings) -> FastAPI:
    """Return the ASGI application serving the store of ``settings`` (its workers start with it).

    Examples
    --------
    >>> from cmqgraph.server import Settings, create_app
    >>> app = create_app(Settings(store="var/store"))  # doctest: +SKIP
    >>> import uvicorn; uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP
    """
    queries = load_queries(settings.query_folders)
    by_title = sorted(queries.values(), key=lambda q: q.title["fr"].casefold())
    templates = Jinja2Templates(env=Environment(loader=PackageLoader("cmqgraph.server", "templates"), autoescape=select_autoescape()))
    # Starlette's url_for builds absolute URLs from the request's Host header: the templates use href
    del templates.env.globals["url_for"]
    templates.env.globals["href"] = pass_context(lambda context, route, /, **params: href(context["request"], route, **params))
    #: Answers kept while the graph stays the same (the generation they were made for).
    cache: dict = {"generation": None, "choices": {}, "views": OrderedDict()}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        cache["workers"] = Workers(settings.store, settings.processes, writable=bool(settings.update_token),
                                   per_client=settings.queries_per_client, wait=settings.queue_wait)
        try:
            yield
        finally:
            cache["workers"].close()

    app = FastAPI(
        title="cmqgraph",
        version=__version__,
        summary="Campus des métiers et des qualifications: SPARQL endpoint and saved queries",
        description="The knowledge graph of France's CMQ, their schools, trainings, trades, pôles and regional projects. "
        "Every answer is cut at the server's row cap (header X-Cmqgraph-Truncated) and every query stopped at its timeout (503). "
        "A client runs a limited number of queries at once; a query that waits too long for a worker gets 429 or 503 with Retry-After.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        redirect_slashes=False,  # Starlette's redirect names the Host header's host: not_found redirects with a path
    )
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Accept"])
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))

    def workers() -> Workers:
        return cache["workers"]

    def base(request: Request) -> str:
        """What every link starts with: the public URL, else the path the application is mounted at (not from a header)."""
        return settings.public_url.rstrip("/") if settings.public_url else request.scope.get("root_path", "")

    def href(request: Request, route: str, query: Mapping[str, str] | None = None, /, **params: str) -> str:
        """The link to ``route`` with its path ``params``: a path, or a URL under the public URL; ``query`` is its query string."""
        return base(request) + app.url_path_for(route, **params) + ("?" + urlencode(query) if query else "")

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        """A path with a slash too many is sent to the route without it; anything else is a 404."""
        path = request.scope["path"]
        probe = {**request.scope, "path": path.rstrip("/")}
        if path != "/" and path.endswith("/") and any(route.matches(probe)[0] is not Match.NONE for route in app.router.routes):
            query = request.scope.get("query_string", b"").decode("latin-1")
            return RedirectResponse(base(request) + probe["path"] + ("?" + query if query else ""), status_code=307)
        return await http_exception_handler(request, exc)

    def page(request: Request, name: str, status: int = 200, headers: Mapping[str, str] | None = None, **context) -> HTMLResponse:
        context.update(request=request, version=__version__, nav=name)
        return templates.TemplateResponse(request, f"{name}.html", context, status_code=status, headers=headers)

    def fresh(kind: str) -> dict:
        """The cache of ``kind``, emptied first when the graph changed (an update, a rebuild)."""
        if cache["generation"] != workers().generation:
            cache.update(generation=workers().generation, choices={}, views=OrderedDict())
        return cache[kind]

    async def choice_values(name: str) -> list[str]:
        """The values of a choice list: read in this process once per generation, never waiting for a worker."""
        choices = fresh("choices")
        if not choices:
            choices.update(await workers().choice_lists())
        return choices[name]

    async def form_choices(saved: SavedQuery) -> dict[str, list[str]]:
        return {
            p.name: list(p.choices) if isinstance(p.choices, tuple) else await choice_values(p.choices)
            for p in saved.parameters if p.choices is not None
        }

    async def run_saved(saved: SavedQuery, values: Mapping[str, str], client: str) -> tuple[pd.DataFrame, bool]:
        """Check the values (types, then the closed lists of the graph), then run the query in ``client``'s turn."""
        saved.bind(values)
        lists = {name: await choice_values(name) for name in saved.graph_lists(values)}
        saved.check_choices(values, lists)  # here, not only in the worker: a wrong value never waits for a turn
        return await workers().read(settings.timeout, saved_job, saved, dict(values), settings.max_rows, lists, client=client)

    def count_headers(rows: int, truncated: bool) -> dict[str, str]:
        """The headers that give an answer's row count and, when it was cut, the cap."""
        return {ROWS_HEADER: str(rows), **({TRUNCATED_HEADER: str(settings.max_rows)} if truncated else {})}

    def links(request: Request, saved: SavedQuery, values: Mapping[str, str]) -> dict[str, str | None]:
        given = {k: v for k, v in values.items() if v}
        result = {fmt: href(request, "query_results", {**given, "format": fmt}, name=saved.name) for fmt in TABLE_FORMATS}
        result["page"] = href(request, "query_page", name=saved.name)
        result["view"] = None
        if saved.view is not None:
            filters = {f: given[p] for f, p in saved.view.items() if p in given}
            result["view"] = href(request, "view_page", filters or {"all": "1"})
        return result

    def query_info(request: Request, saved: SavedQuery) -> dict:
        return {
            "name": saved.name, "title": dict(saved.title), "description": dict(saved.description),
            "columns": list(saved.columns), "parameters": [_parameter_info(p) for p in saved.parameters],
            "view": saved.view is not None, "links": links(request, saved, {}),
        }

    # ------------------------------------------------------------------------------------ REST API

    query_name = PathField(json_schema_extra={"enum": sorted(queries)}, description="The saved query's name")

    @app.get("/health", tags=["server"], summary="Whether the server answers, what it serves, and how busy it is (never waits for a worker)")
    async def health() -> dict:
        turns = workers().turns
        return {"status": "ok", "version": __version__, "store": str(settings.store), "generation": workers().generation,
                "timeout": settings.timeout, "max_rows": settings.max_rows, "updates": bool(settings.update_token),
                "workers": {"processes": turns.slots, "running": turns.running, "waiting": turns.waiting},
                "queries_per_client": turns.per_client, "queue_wait": settings.queue_wait}

    @app.get("/api/queries", tags=["saved queries"], summary="The saved queries, with their parameters")
    async def list_queries(request: Request) -> list[dict]:
        return [query_info(request, q) for q in by_title]

    @app.get("/api/queries/{name}", tags=["saved queries"], summary="One saved query: title, description, parameters, columns, SPARQL",
             responses={404: {"description": "No saved query has that name"}})
    async def describe_query(request: Request, name: str = query_name):
        saved = queries.get(name)
        if saved is None:
            return _problem(404, f"no saved query named {name!r}")
        return {**query_info(request, saved), "sparql": saved.sparql}

    @app.get(
        "/api/queries/{name}/results",
        tags=["saved queries"],
        summary="Run a saved query; its parameters are fields of the query string",
        description="Each parameter of the query (see /api/queries/{name}) is a query-string field. The answer is what "
        f"`cmqgraph query run --format {'|'.join(TABLE_FORMATS)}` writes, cut at the row cap (header X-Cmqgraph-Truncated): "
        "`csv` is comma-separated UTF-8 without BOM (for tools: pandas, R), `csv-fr` is for a French spreadsheet (Excel, "
        "LibreOffice: `;`, UTF-8 with BOM, CRLF, decimal comma); in both, a cell a spreadsheet would read as a formula "
        "starts with an apostrophe. A download is named NAME.csv, NAME-fr.csv, NAME.tsv or NAME.json.",
        responses={
            200: {"content": {m: {} for m in _TABLE_MEDIA.values()}, "description": "The rows"},
            404: {"description": "No saved query has that name"},
            422: {"description": "A parameter is unknown, missing, of the wrong type or not among its choices"},
            **_BUSY_RESPONSES,
        },
    )
    async def query_results(request: Request, name: str = query_name, format: str = _FORMAT_FIELD):  # noqa: A002
        saved = queries.get(name)
        if saved is None:
            return _problem(404, f"no saved query named {name!r}")
        fields = parse_qs(request.url.query, keep_blank_values=True)
        fields.pop("format", None)
        repeated = [k for k, v in fields.items() if len(v) > 1]
        if repeated:
            return _problem(422, f"parameter {repeated[0]!r} is given {len(fields[repeated[0]])} times", repeated[0])
        try:
            frame, truncated = await run_saved(saved, {k: v[0] for k, v in fields.items()}, _client(request))
        except ParameterError as exc:
            return _problem(422, str(exc), exc.parameter)
        except ServerLimit as exc:
            return _problem(exc.status, str(exc), headers=exc.headers)
        headers = {**count_headers(len(frame), truncated), "Content-Disposition": f'attachment; filename="{_TABLE_FILES[format].format(saved.name)}"'}
        return Response(format_frame(frame, format).encode("utf-8"), media_type=_TABLE_MEDIA[format], headers=headers)

    @app.get("/api/choices/{name}", tags=["saved queries"], summary="The values of a choice list of the graph (régions, académies…)",
             responses={404: {"description": "No such list"}})
    async def choices(name: str = PathField(json_schema_extra={"enum": list(CHOICE_LISTS)})):
        if name not in CHOICE_LISTS:
            return _problem(404, f"no choice list named {name!r}; lists: {', '.join(CHOICE_LISTS)}")
        return {"name": name, "closed": CHOICE_LISTS[name].closed, "values": await choice_values(name)}

    # ------------------------------------------------------------------------------------ SPARQL

    sparql_doc = dict(
        tags=["SPARQL"],
        summary="SPARQL 1.1 Protocol endpoint (query; update only with the server's token)",
        description="GET with `query`, POST as a form (`query` or `update`) or with the query itself "
        "(application/sparql-query, application/sparql-update). `default-graph-uri` and `named-graph-uri` choose the "
        "dataset; by default the default graph is the union of the named graphs. Formats by Accept or `format`.",
        responses={
            200: {"content": {m: {} for m in ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                                              "text/tab-separated-values", *GRAPH_FORMATS)}, "description": "The answer"},
            204: {"description": "The update was applied"},
            400: {"description": "Malformed query or request (the parser's message), or a query calling SERVICE"},
            401: {"description": "An update without the right token"},
            403: {"description": "An update on a read-only server"},
            406: {"description": "No acceptable format for this kind of answer"},
            413: {"description": "Request body too large"},
            415: {"description": "POST of another content type"},
            **_BUSY_RESPONSES,
        },
    )

    async def sparql(request: Request):
        try:
            body = await _body(request, settings.max_body) if request.method == "POST" else b""
            parsed = parse_request(request.method, parse_qs(request.url.query, keep_blank_values=True), request.headers.get("content-type"), body)
        except ProtocolError as exc:
            return PlainTextResponse(str(exc), exc.status, headers={"Allow": "GET, POST"} if exc.status == 405 else None)
        if parsed.update is not None:
            return await update(request, parsed.update)
        accept = request.headers.get("accept")
        if parsed.query is None:
            return describe_service(request, accept)
        result_type, graph_type = answer_types(accept, parsed.format)
        try:
            answer = await workers().read(
                settings.timeout, sparql_job, parsed.query, result_type, graph_type, parsed.default_graphs, parsed.named_graphs,
                settings.max_rows, client=_client(request),
            )
        except NotAcceptable as exc:
            return PlainTextResponse(str(exc), 406)
        except ServerLimit as exc:
            return PlainTextResponse(str(exc), exc.status, headers=exc.headers)
        except QueryError as exc:
            return PlainTextResponse(str(exc), 400)
        headers = {**count_headers(answer.rows, answer.truncated), "Vary": "Accept"}
        return Response(answer.body, media_type=answer.media_type, headers=headers)

    app.add_api_route("/sparql", sparql, methods=["GET"], name="sparql", openapi_extra={"parameters": _SPARQL_FIELDS}, **sparql_doc)
    app.add_api_route("/sparql", sparql, methods=["POST"], name="sparql_post",
                      openapi_extra={"parameters": _SPARQL_FIELDS[1:], "requestBody": _SPARQL_BODY}, **sparql_doc)
    # one route per method, each with its own description; the others reach the handler, which answers 405
    app.add_api_route("/sparql", sparql, methods=["PUT", "DELETE", "PATCH"], name="sparql_other", include_in_schema=False)

    def endpoint_url(request: Request) -> str:
        """The endpoint's IRI (absolute, as RDF needs): under the public URL, else at the address the request arrived at."""
        return href(request, "sparql") if settings.public_url else _arrival(request) + href(request, "sparql")

    def describe_service(request: Request, accept: str | None) -> Response:
        if request.method == "GET" and negotiate(accept, ["text/turtle", "text/html"]) == "text/html":
            # the same URL answers Turtle to other clients: caches must tell them apart (Vary)
            return page(request, "sparql", 200, {"Vary": "Accept"},
                        example="SELECT ?campus ?nom WHERE {\n  ?campus a cmq:Campus ; rdfs:label ?nom .\n}\nORDER BY ?nom\nLIMIT 20")
        media = negotiate(accept, list(GRAPH_FORMATS), {"application/json": "application/ld+json"})
        if media is None:
            return PlainTextResponse("the service description can be written as " + ", ".join(GRAPH_FORMATS), 406)
        names = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt", "application/rdf+xml": "xml"}
        graph = service_description(endpoint_url(request), updates=bool(settings.update_token))
        return Response(graph.serialize(format=names[media]), media_type=media, headers={"Vary": "Accept"})

    async def update(request: Request, text: str) -> Response:
        token = settings.update_token
        if not token:
            return PlainTextResponse("this server is read-only: SPARQL Update is refused (it was started without an update token)", 403)
        given = request.headers.get("authorization", "")
        if not (given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())):
            return PlainTextResponse("SPARQL Update needs the header 'Authorization: Bearer <the server's update token>'", 401,
                                     headers={"WWW-Authenticate": 'Bearer realm="cmqgraph"'})
        try:
            await workers().update(settings.timeout, text)
        except ServerLimit as exc:
            return PlainTextResponse(str(exc), exc.status, headers=exc.headers)
        except QueryError as exc:
            return PlainTextResponse(str(exc), 400)
        return Response(status_code=204)

    # ------------------------------------------------------------------------------------ pages

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        # the network views (cmqgraph.view's pages, which open offline too) declare no icon: browsers ask here
        return Response(_ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})

    @app.get("/", include_in_schema=False)
    async def home(request: Request):
        return page(request, "home", count=len(queries), settings=settings)

    @app.get("/queries", include_in_schema=False)
    async def queries_page(request: Request):
        return page(request, "queries", queries=by_title)

    @app.get("/queries/{name}", include_in_schema=False)
    async def query_page(request: Request, name: str):
        saved = queries.get(name)
        if saved is None:
            return page(request, "error", 404, title="Requête inconnue / Unknown query",
                        message=f"Aucune requête enregistrée ne s'appelle « {name} ». / No saved query is named {name!r}.")
        values = {k: v for k, v in request.query_params.items() if k != "run"}
        context: dict = {"saved": saved, "values": values, "choices": await form_choices(saved), "error": None, "frame": None,
                         "truncated": False, "sparql": saved.sparql, "links": None, "page_rows": settings.page_rows,
                         "max_rows": settings.max_rows, "command": _command(saved.name, values)}
        status, headers = 200, {}
        if "run" in request.query_params:
            try:
                context["frame"], context["truncated"] = await run_saved(saved, values, _client(request))
                context["sparql"] = saved.with_values(values)
                context["links"] = links(request, saved, values)
            except ParameterError as exc:
                context["error"], status = str(exc), 422
            except ServerLimit as exc:
                context["error"], status, headers = str(exc), exc.status, exc.headers
        return page(request, "query", status, headers, **context)

    @app.get("/view", include_in_schema=False)
    async def view_page(request: Request, all: bool = False, max_nodes: int = DEFAULT_MAX_NODES):  # noqa: A002
        filters = {k: v for k, v in request.query_params.items() if k in VIEW_FILTERS and v}

        async def form(status: int = 200, error: str | None = None, headers: Mapping[str, str] | None = None) -> HTMLResponse:
            lists = {f: await choice_values(name) for f, name in _VIEW_LISTS.items()}
            closed = {f: CHOICE_LISTS[name].closed for f, name in _VIEW_LISTS.items()}
            return page(request, "view_form", status, headers, form=lists, closed=closed, values=filters, error=error, style=STYLE)

        if not filters and not all:
            return await form()
        key = (tuple(sorted(filters.items())), max_nodes)
        views = fresh("views")
        if key not in views:
            try:
                site = [(href(request, "home"), "cmqgraph"), (href(request, "view_page"), "Autre vue / Other view"),
                        (href(request, "queries_page"), "Requêtes / Queries")]
                views[key] = await workers().read(settings.timeout, view_job, filters, max_nodes, site, client=_client(request))
            except FilterError as exc:
                return await form(422, str(exc))
            except ServerLimit as exc:
                return await form(exc.status, str(exc), exc.headers)
            while len(views) > _VIEW_CACHE:
                views.popitem(last=False)
        views.move_to_end(key)
        return HTMLResponse(views[key])

    return app
