"""The web application: the SPARQL endpoint, the saved-query pages and their REST API, the network views.

Routes
------
``/sparql``
    SPARQL 1.1 Protocol (``GET``, ``POST`` form or direct). Answers in JSON, XML, CSV or TSV (SELECT,
    ASK) and Turtle, JSON-LD, N-Triples or RDF/XML (CONSTRUCT, DESCRIBE), chosen by ``Accept`` or a
    ``format=`` field. Without a query: an HTML editor for browsers, else the service description.
``/queries``, ``/queries/NAME``
    The saved queries as pages: a form for the parameters, the result as a table, CSV and JSON downloads,
    the SPARQL, and a link to the network view when the rows are actors.
``/view``
    The network views (:mod:`cmqgraph.view`), from a form or from filters in the URL.
``/api/queries``, ``/api/queries/NAME``, ``/api/queries/NAME/results``, ``/api/choices/NAME``, ``/health``
    The REST API, described at ``/openapi.json``.

Limits: every query runs in a worker process with a timeout (answer 503 when passed), and an answer
holds at most ``max_rows`` rows or triples (the ``X-Cmqgraph-Truncated`` header says when it was cut).
"""

from __future__ import annotations

import hmac
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pandas as pd
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathField
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from .. import __version__
from ..engine import TABLE_FORMATS, format_frame
from ..network import FilterError
from ..saved_queries import CHOICE_LISTS, VIEW_FILTERS, Parameter, ParameterError, QueryError, SavedQuery, load_queries
from ..view import DEFAULT_MAX_NODES, STYLE
from .pool import GRAPH_FORMATS, NotAcceptable, QueryTimeout, Workers, choices_job, saved_job, sparql_job, view_job
from .protocol import FORMAT_NAMES, ProtocolError, answer_types, negotiate, parse_request, service_description

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
_TABLE_MEDIA = {"csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json"}


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
        The URL the server is reached at (service description); default: the URL of each request.
    query_folders : tuple of paths
        Folders of more saved queries (``.rq``), which override the shipped ones of the same name.
    max_body : int
        Bytes a request body may hold.
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


_GRAPHS = {"type": "array", "items": {"type": "string", "format": "iri"}}
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


def _problem(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    if status == 422:
        detail = [{"loc": ["query", parameter] if parameter else ["query"], "msg": message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)
    return JSONResponse({"detail": message}, status_code=status)


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
    #: Answers kept while the graph stays the same (the generation they were made for).
    cache: dict = {"generation": None, "choices": {}, "views": OrderedDict()}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        cache["workers"] = Workers(settings.store, settings.processes, writable=bool(settings.update_token))
        try:
            yield
        finally:
            cache["workers"].close()

    app = FastAPI(
        title="cmqgraph",
        version=__version__,
        summary="Campus des métiers et des qualifications: SPARQL endpoint and saved queries",
        description="The knowledge graph of France's CMQ, their schools, trainings, trades, pôles and regional projects. "
        "Every answer is cut at the server's row cap (header X-Cmqgraph-Truncated) and every query stopped at its timeout (503).",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Accept"])

    def workers() -> Workers:
        return cache["workers"]

    def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        context.update(request=request, version=__version__, nav=name)
        return templates.TemplateResponse(request, f"{name}.html", context, status_code=status)

    def fresh(kind: str) -> dict:
        """The cache of ``kind``, emptied first when the graph changed (an update, a rebuild)."""
        if cache["generation"] != workers().generation:
            cache.update(generation=workers().generation, choices={}, views=OrderedDict())
        return cache[kind]

    async def choice_values(name: str) -> list[str]:
        choices = fresh("choices")
        if name not in choices:
            choices[name] = await workers().read(settings.timeout, choices_job, name)
        return choices[name]

    async def form_choices(saved: SavedQuery) -> dict[str, list[str]]:
        return {
            p.name: list(p.choices) if isinstance(p.choices, tuple) else await choice_values(p.choices)
            for p in saved.parameters if p.choices is not None
        }

    async def run_saved(saved: SavedQuery, values: Mapping[str, str]) -> tuple[pd.DataFrame, bool]:
        """Check the values (types, then the closed lists of the graph), then run the query."""
        saved.bind(values)
        for param in saved.parameters:
            raw = values.get(param.name)
            if raw and isinstance(param.choices, str) and param.closed:
                param.check_choice(raw, await choice_values(param.choices), saved.name)
        return await workers().read(settings.timeout, saved_job, saved, dict(values), settings.max_rows)

    def count_headers(rows: int, truncated: bool) -> dict[str, str]:
        """The headers that give an answer's row count and, when it was cut, the cap."""
        return {ROWS_HEADER: str(rows), **({TRUNCATED_HEADER: str(settings.max_rows)} if truncated else {})}

    def links(request: Request, saved: SavedQuery, values: Mapping[str, str]) -> dict[str, str | None]:
        given = {k: v for k, v in values.items() if v}
        result = {
            fmt: str(request.url_for("query_results", name=saved.name)) + "?" + urlencode({**given, "format": fmt})
            for fmt in TABLE_FORMATS
        }
        result["page"] = str(request.url_for("query_page", name=saved.name))
        result["view"] = None
        if saved.view is not None:
            filters = {f: given[p] for f, p in saved.view.items() if p in given}
            result["view"] = str(request.url_for("view_page")) + "?" + urlencode(filters or {"all": "1"})
        return result

    def query_info(request: Request, saved: SavedQuery) -> dict:
        return {
            "name": saved.name, "title": dict(saved.title), "description": dict(saved.description),
            "columns": list(saved.columns), "parameters": [_parameter_info(p) for p in saved.parameters],
            "view": saved.view is not None, "links": links(request, saved, {}),
        }

    # ------------------------------------------------------------------------------------ REST API

    query_name = PathField(json_schema_extra={"enum": sorted(queries)}, description="The saved query's name")

    @app.get("/health", tags=["server"], summary="Whether the server answers, and what it serves")
    async def health() -> dict:
        return {"status": "ok", "version": __version__, "store": str(settings.store), "generation": workers().generation,
                "timeout": settings.timeout, "max_rows": settings.max_rows, "updates": bool(settings.update_token)}

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
        "`cmqgraph query run --format csv|tsv|json` writes, cut at the row cap (header X-Cmqgraph-Truncated).",
        responses={
            200: {"content": {m: {} for m in _TABLE_MEDIA.values()}, "description": "The rows"},
            404: {"description": "No saved query has that name"},
            422: {"description": "A parameter is unknown, missing, of the wrong type or not among its choices"},
            503: {"description": "The query ran past the server's timeout"},
        },
    )
    async def query_results(request: Request, name: str = query_name, format: str = Query("csv", pattern="^(csv|tsv|json)$")):  # noqa: A002
        saved = queries.get(name)
        if saved is None:
            return _problem(404, f"no saved query named {name!r}")
        fields = parse_qs(request.url.query, keep_blank_values=True)
        fields.pop("format", None)
        repeated = [k for k, v in fields.items() if len(v) > 1]
        if repeated:
            return _problem(422, f"parameter {repeated[0]!r} is given {len(fields[repeated[0]])} times", repeated[0])
        try:
            frame, truncated = await run_saved(saved, {k: v[0] for k, v in fields.items()})
        except ParameterError as exc:
            return _problem(422, str(exc), exc.parameter)
        except QueryTimeout as exc:
            return _problem(503, str(exc))
        headers = {**count_headers(len(frame), truncated), "Content-Disposition": f'attachment; filename="{saved.name}.{format}"'}
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
            503: {"description": "The query ran past the server's timeout"},
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
                settings.max_rows,
            )
        except NotAcceptable as exc:
            return PlainTextResponse(str(exc), 406)
        except QueryTimeout as exc:
            return PlainTextResponse(str(exc), 503)
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
        return settings.public_url.rstrip("/") + "/sparql" if settings.public_url else str(request.url_for("sparql"))

    def describe_service(request: Request, accept: str | None) -> Response:
        if request.method == "GET" and negotiate(accept, ["text/turtle", "text/html"]) == "text/html":
            editor = page(request, "sparql", example="SELECT ?campus ?nom WHERE {\n  ?campus a cmq:Campus ; rdfs:label ?nom .\n}\nORDER BY ?nom\nLIMIT 20")
            editor.headers["Vary"] = "Accept"  # the same URL answers Turtle to other clients: caches must tell them apart
            return editor
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
        except QueryTimeout as exc:
            return PlainTextResponse(str(exc), 503)
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
                         "max_rows": settings.max_rows}
        status = 200
        if "run" in request.query_params:
            try:
                context["frame"], context["truncated"] = await run_saved(saved, values)
                context["sparql"] = saved.with_values(values)
                context["links"] = links(request, saved, values)
            except ParameterError as exc:
                context["error"], status = str(exc), 422
            except QueryTimeout as exc:
                context["error"], status = str(exc), 503
        return page(request, "query", status, **context)

    @app.get("/view", include_in_schema=False)
    async def view_page(request: Request, all: bool = False, max_nodes: int = DEFAULT_MAX_NODES):  # noqa: A002
        filters = {k: v for k, v in request.query_params.items() if k in VIEW_FILTERS and v}

        async def form(status: int = 200, error: str | None = None) -> HTMLResponse:
            lists = {f: await choice_values(name) for f, name in _VIEW_LISTS.items()}
            closed = {f: CHOICE_LISTS[name].closed for f, name in _VIEW_LISTS.items()}
            return page(request, "view_form", status, form=lists, closed=closed, values=filters, error=error, style=STYLE)

        if not filters and not all:
            return await form()
        key = (tuple(sorted(filters.items())), max_nodes)
        views = fresh("views")
        if key not in views:
            try:
                site = [(str(request.url_for("home")), "cmqgraph"), (str(request.url_for("view_page")), "Autre vue / Other view"),
                        (str(request.url_for("queries_page")), "Requêtes / Queries")]
                views[key] = await workers().read(settings.timeout, view_job, filters, max_nodes, site)
            except FilterError as exc:
                return await form(422, str(exc))
            except QueryTimeout as exc:
                return await form(503, str(exc))
            while len(views) > _VIEW_CACHE:
                views.popitem(last=False)
        views.move_to_end(key)
        return HTMLResponse(views[key])

    return app
