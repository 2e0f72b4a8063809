"""The SPARQL 1.1 Protocol endpoint, ``/sparql``: queries, updates (with the server's token), the service description.

A request is read by :func:`cmqgraph.server.protocol.parse_request` and its answer's format chosen by
:func:`~cmqgraph.server.protocol.answer_types`; the query runs in a worker
(:func:`cmqgraph.server.pool.sparql_job`). Without a query, a browser gets an HTML editor and other
clients the service description.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from ..engine import endpoint_of
from ..errors import NotAcceptable, ProtocolError, QueryError, ServerLimit
from .pool import sparql_job
from .protocol import DESCRIPTION_FORMATS, FORMAT_NAMES, GRAPH_FORMATS, RESULT_FORMATS, answer_types, negotiate, parse_request, service_description
from .state import BUSY_RESPONSES, ServerState, State, client_of

__all__ = ["router", "sparql"]

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
_SPARQL_DOC = dict(
    tags=["SPARQL"],
    summary="SPARQL 1.1 Protocol endpoint (query; update only with the server's token)",
    description="GET with `query`, POST as a form (`query` or `update`) or with the query itself "
    "(application/sparql-query, application/sparql-update). `default-graph-uri` and `named-graph-uri` choose the "
    "dataset; by default the default graph is the union of the named graphs. Formats by Accept or `format`.",
    responses={
        200: {"content": {m: {} for m in (*RESULT_FORMATS, *GRAPH_FORMATS)}, "description": "The answer"},
        204: {"description": "The update was applied"},
        400: {"description": "Malformed query or request (the parser's message), or a query calling SERVICE"},
        401: {"description": "An update without the right token"},
        403: {"description": "An update on a read-only server"},
        406: {"description": "No acceptable format for this kind of answer"},
        413: {"description": "Request body too large"},
        415: {"description": "POST of another content type"},
        **BUSY_RESPONSES,
    },
)
_EXAMPLE = "SELECT ?campus ?nom WHERE {\n  ?campus a cmq:Campus ; rdfs:label ?nom .\n}\nORDER BY ?nom\nLIMIT 20"


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


async def sparql(request: Request, state: State) -> Response:
    """Answer a SPARQL Protocol request: a query, an update, or (neither) the service description."""
    settings = state.settings
    try:
        body = await _body(request, settings.max_body) if request.method == "POST" else b""
        parsed = parse_request(request.method, parse_qs(request.url.query, keep_blank_values=True), request.headers.get("content-type"), body)
    except ProtocolError as exc:
        return PlainTextResponse(str(exc), exc.status, headers={"Allow": "GET, POST"} if exc.status == 405 else None)
    if parsed.update is not None:
        return await _update(state, request, parsed.update)
    accept = request.headers.get("accept")
    if parsed.query is None:
        return _describe_service(state, request, accept)
    result_type, graph_type = answer_types(accept, parsed.format)
    try:
        answer = await state.workers.read(
            settings.timeout, sparql_job, parsed.query, result_type, graph_type, parsed.default_graphs, parsed.named_graphs,
            settings.max_rows, client=client_of(request),
        )
    except NotAcceptable as exc:
        return PlainTextResponse(str(exc), 406)
    except ServerLimit as exc:
        return PlainTextResponse(str(exc), exc.status, headers=exc.headers)
    except QueryError as exc:
        return PlainTextResponse(str(exc), 400)
    headers = {**state.count_headers(answer.rows, answer.truncated), "Vary": "Accept"}
    return Response(answer.body, media_type=answer.media_type, headers=headers)


def _endpoint_url(state: ServerState, request: Request) -> str:
    """The endpoint's IRI (absolute, as RDF needs): the public URL's (the rule ``cmqgraph export`` uses too), else at the address the request arrived at."""
    if state.settings.public_url:
        return endpoint_of(state.settings.public_url)
    return _arrival(request) + state.href(request, "sparql")


def _describe_service(state: ServerState, request: Request, accept: str | None) -> Response:
    """The SPARQL editor for a browser's ``GET``, else the service description in the format ``accept`` prefers."""
    if request.method == "GET" and negotiate(accept, ["text/turtle", "text/html"]) == "text/html":
        # the same URL answers Turtle to other clients: caches must tell them apart (Vary)
        return state.page(request, "sparql", 200, {"Vary": "Accept"}, example=_EXAMPLE)
    media = negotiate(accept, list(DESCRIPTION_FORMATS), {"application/json": "application/ld+json"})
    if media is None:
        return PlainTextResponse("the service description can be written as " + ", ".join(DESCRIPTION_FORMATS), 406)
    graph = service_description(_endpoint_url(state, request), updates=bool(state.settings.update_token))
    return Response(graph.serialize(format=DESCRIPTION_FORMATS[media]), media_type=media, headers={"Vary": "Accept"})


async def _update(state: ServerState, request: Request, text: str) -> Response:
    """Run a SPARQL Update for a request that carries the server's token (``Authorization: Bearer``)."""
    token = state.settings.update_token
    if not token:
        return PlainTextResponse("this server is read-only: SPARQL Update is refused (it was started without an update token)", 403)
    given = request.headers.get("authorization", "")
    if not (given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())):
        return PlainTextResponse("SPARQL Update needs the header 'Authorization: Bearer <the server's update token>'", 401,
                                 headers={"WWW-Authenticate": 'Bearer realm="cmqgraph"'})
    try:
        await state.workers.update(state.settings.timeout, text)
    except ServerLimit as exc:
        return PlainTextResponse(str(exc), exc.status, headers=exc.headers)
    except QueryError as exc:
        return PlainTextResponse(str(exc), 400)
    return Response(status_code=204)


router = APIRouter()
router.add_api_route("/sparql", sparql, methods=["GET"], name="sparql", openapi_extra={"parameters": _SPARQL_FIELDS}, **_SPARQL_DOC)
router.add_api_route("/sparql", sparql, methods=["POST"], name="sparql_post",
                     openapi_extra={"parameters": _SPARQL_FIELDS[1:], "requestBody": _SPARQL_BODY}, **_SPARQL_DOC)
# one route per method, each with its own description; the others reach the handler, which answers 405
router.add_api_route("/sparql", sparql, methods=["PUT", "DELETE", "PATCH"], name="sparql_other", include_in_schema=False)
