"""The REST API: the saved queries, their results (CSV, JSON…), the choice lists, and the server's health.

Its routes are made by :func:`router`, for the saved queries of one server: the OpenAPI description
lists their names. The route functions have no docstring, which FastAPI would publish as their
description: their summaries are in :func:`router`.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathField
from fastapi.responses import JSONResponse, Response

from ..engine import TABLE_FORMATS, format_frame
from ..errors import ParameterError, ServerLimit
from ..saved_queries import CHOICE_LISTS, Parameter, SavedQuery
from ..version import __version__
from .protocol import TABLE_FILES, TABLE_MEDIA
from .state import BUSY_RESPONSES, ServerState, State, client_of

__all__ = ["router", "health", "list_queries", "describe_query", "query_results", "choices"]

_FORMAT_FIELD = Query(
    "csv", pattern="^(" + "|".join(map(re.escape, TABLE_FORMATS)) + ")$",
    description="csv (comma, for tools), csv-fr (for a French spreadsheet: ';', BOM, decimal comma), tsv or json",
)
_NOT_A_QUERY = {404: {"description": "No saved query has that name"}}
_RESULTS_DOC = (
    "Each parameter of the query (see /api/queries/{name}) is a query-string field. The answer is what "
    f"`cmqgraph query run --format {'|'.join(TABLE_FORMATS)}` writes, cut at the row cap (header X-Cmqgraph-Truncated): "
    "`csv` is comma-separated UTF-8 without BOM (for tools: pandas, R), `csv-fr` is for a French spreadsheet (Excel, "
    "LibreOffice: `;`, UTF-8 with BOM, CRLF, decimal comma); in both, a cell a spreadsheet would read as a formula "
    "starts with an apostrophe. A download is named NAME.csv, NAME-fr.csv, NAME.tsv or NAME.json."
)


def _problem(status: int, message: str, parameter: str | None = None, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """An error answer in FastAPI's shape: a 422 names the field (``loc``), other statuses only say what went wrong."""
    if status == 422:
        detail = [{"loc": ["query", parameter] if parameter else ["query"], "msg": message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _parameter_info(param: Parameter) -> dict:
    choices = param.choices
    return {
        "name": param.name, "type": param.type, "required": param.required, "default": param.default,
        "example": param.example, "description": dict(param.description),
        "choices": list(choices) if isinstance(choices, tuple) else choices, "closed": param.closed,
    }


def _query_info(state: ServerState, request: Request, saved: SavedQuery) -> dict:
    return {
        "name": saved.name, "title": dict(saved.title), "description": dict(saved.description),
        "columns": list(saved.columns), "parameters": [_parameter_info(p) for p in saved.parameters],
        "view": saved.view is not None, "links": state.links(request, saved, {}),
    }


async def health(state: State) -> dict:
    settings, turns = state.settings, state.workers.turns
    return {"status": "ok", "version": __version__, "store": str(settings.store), "generation": state.workers.generation,
            "timeout": settings.timeout, "max_rows": settings.max_rows, "updates": bool(settings.update_token),
            "workers": {"processes": turns.slots, "running": turns.running, "waiting": turns.waiting},
            "queries_per_client": turns.per_client, "queue_wait": settings.queue_wait}


async def list_queries(request: Request, state: State) -> list[dict]:
    return [_query_info(state, request, q) for q in state.by_title]


async def describe_query(request: Request, state: State, name: str = PathField(description="The saved query's name")):
    saved = state.queries.get(name)
    if saved is None:
        return _problem(404, f"no saved query named {name!r}")
    return {**_query_info(state, request, saved), "sparql": saved.sparql}


async def query_results(
    request: Request, state: State, name: str = PathField(description="The saved query's name"), format: str = _FORMAT_FIELD,  # noqa: A002
):
    saved = state.queries.get(name)
    if saved is None:
        return _problem(404, f"no saved query named {name!r}")
    fields = parse_qs(request.url.query, keep_blank_values=True)
    fields.pop("format", None)
    repeated = [k for k, v in fields.items() if len(v) > 1]
    if repeated:
        return _problem(422, f"parameter {repeated[0]!r} is given {len(fields[repeated[0]])} times", repeated[0])
    try:
        frame, truncated = await state.run_saved(saved, {k: v[0] for k, v in fields.items()}, client_of(request))
    except ParameterError as exc:
        return _problem(422, str(exc), exc.parameter)
    except ServerLimit as exc:
        return _problem(exc.status, str(exc), headers=exc.headers)
    headers = {**state.count_headers(len(frame), truncated), "Content-Disposition": f'attachment; filename="{TABLE_FILES[format].format(saved.name)}"'}
    return Response(format_frame(frame, format).encode("utf-8"), media_type=TABLE_MEDIA[format], headers=headers)


async def choices(state: State, name: str = PathField(json_schema_extra={"enum": list(CHOICE_LISTS)})):
    if name not in CHOICE_LISTS:
        return _problem(404, f"no choice list named {name!r}; lists: {', '.join(CHOICE_LISTS)}")
    return {"name": name, "closed": CHOICE_LISTS[name].closed, "values": await state.choice_values(name)}


def _naming(endpoint: Callable[..., Awaitable], names: list[str]) -> Callable[..., Awaitable]:
    """``endpoint``, its ``name`` path parameter described as one of ``names`` (an enum in the OpenAPI description).

    The names are those of one server's saved queries (its query folders add some), so they are known
    when its router is made, not when the function is: FastAPI reads the parameter from the signature.
    """
    field = PathField(json_schema_extra={"enum": names}, description="The saved query's name")
    signature = inspect.signature(endpoint)

    @functools.wraps(endpoint)
    async def described(*args, **kwargs):
        return await endpoint(*args, **kwargs)

    described.__signature__ = signature.replace(
        parameters=[p.replace(default=field) if p.name == "name" else p for p in signature.parameters.values()]
    )
    return described


def router(query_names: Iterable[str]) -> APIRouter:
    """The API's routes, for a server whose saved queries are named ``query_names``."""
    names = sorted(query_names)
    api = APIRouter()
    api.add_api_route("/health", health, methods=["GET"], tags=["server"],
                      summary="Whether the server answers, what it serves, and how busy it is (never waits for a worker)")
    api.add_api_route("/api/queries", list_queries, methods=["GET"], tags=["saved queries"], summary="The saved queries, with their parameters")
    api.add_api_route("/api/queries/{name}", _naming(describe_query, names), methods=["GET"], tags=["saved queries"],
                      summary="One saved query: title, description, parameters, columns, SPARQL", responses=_NOT_A_QUERY)
    api.add_api_route(
        "/api/queries/{name}/results", _naming(query_results, names), methods=["GET"], tags=["saved queries"],
        summary="Run a saved query; its parameters are fields of the query string", description=_RESULTS_DOC,
        responses={
            200: {"content": {m: {} for m in TABLE_MEDIA.values()}, "description": "The rows"},
            **_NOT_A_QUERY,
            422: {"description": "A parameter is unknown, missing, of the wrong type or not among its choices"},
            **BUSY_RESPONSES,
        },
    )
    api.add_api_route("/api/choices/{name}", choices, methods=["GET"], tags=["saved queries"],
                      summary="The values of a choice list of the graph (régions, académies…)", responses={404: {"description": "No such list"}})
    return api
