"""Search pages: ``/search`` (HTML, the box in every page's header) and ``/api/search`` (JSON, in the OpenAPI description).

Both read the search index of the store (:mod:`cmqgraph.search`) in the server's own process, in a thread (a
search takes about a millisecond and never waits for a worker). The index is kept open for the generation of the
graph (:meth:`~cmqgraph.server.state.ServerState.fresh`) and opened again after a rebuild, which writes a new one
into the new store folder. A store built before the index existed gets it from a worker at the first search (a
few seconds; it reads the store). After a SPARQL Update the index still holds the graph as it was built, until
the next build.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ..errors import OutputError, ParameterError, ServerLimit, StoreError
from ..search import KINDS, MAX_LIMIT, MAX_TEXT, SearchIndex, SearchResult, build_index, open_index
from ..store import SEARCH_INDEX
from .pool import worker_store
from .state import BUSY_RESPONSES, ServerState, State, client_of

__all__ = ["router", "index_job", "EXAMPLES"]

router = APIRouter()

_Q = Query("", max_length=MAX_TEXT, description="What to look for: a name or its start, several words, or a code (UAI, CFD, RNCP, ROME)")
_KIND = Query(None, description="Only things of this kind (the facets still count every kind)", json_schema_extra={"enum": list(KINDS)})
_LIMIT = Query(10, ge=1, le=MAX_LIMIT, description="How many things at most")
#: What the search page offers to try before anything is typed.
EXAMPLES = ("mobicampus", "0250001R", "H2209", "nelson mandela audincourt", "pôle véhicule du futur")


def index_job(generation: int, store: str) -> str:
    """Write the search index of the worker's store into the store folder ``store`` (for a store built before it existed)."""
    return str(build_index(worker_store(generation), f"{store}/{SEARCH_INDEX}"))


async def _index(state: ServerState, request: Request) -> SearchIndex:
    """The search index of the served graph, for its generation; written by a worker first when the store has none."""
    cache = state.fresh("search")
    if "index" not in cache:
        store = state.settings.store
        try:
            cache["index"] = await asyncio.to_thread(open_index, store, False)
        except StoreError:
            await state.workers.read(state.settings.timeout, index_job, str(store), client=client_of(request))
            cache["index"] = await asyncio.to_thread(open_index, store, False)
    return cache["index"]


async def _search(state: ServerState, request: Request, q: str, kind: str | None, limit: int) -> SearchResult:
    index = await _index(state, request)
    return await asyncio.to_thread(index.query, q, kind or None, limit)


def _unprocessable(message: str, parameter: str | None) -> JSONResponse:
    """A 422 answer in FastAPI's shape, naming the field."""
    return JSONResponse({"detail": [{"loc": ["query", parameter or "q"], "msg": message, "type": "value_error"}]}, status_code=422)


@router.get("/search", name="search_page", include_in_schema=False)
async def search_page(request: Request, state: State, q: str = "", kind: str = "", limit: str = "20") -> HTMLResponse:
    """The search page: the results of ``q`` with links to their pages, and a link per kind that has some (its facet)."""
    context = {"title": "Recherche", "q": q, "kind": kind, "kinds": KINDS, "result": None, "facet_links": {}}
    if not q.strip():
        examples = {example: state.href(request, "search_page", {"q": example}) for example in EXAMPLES}
        return state.page(request, "search", **context, examples=examples)
    try:
        number = int(limit) if limit.strip().isdigit() else -1
        result = await _search(state, request, q, kind, number)
    except ParameterError as exc:
        return state.page(request, "search", 422, **context, error=str(exc))
    except (ServerLimit, StoreError, OutputError) as exc:
        status = getattr(exc, "status", 503)
        return state.page(request, "search", status, headers=getattr(exc, "headers", None), **context, error=str(exc))
    context["result"] = result
    context["facet_links"] = {k: state.href(request, "search_page", {"q": q, "kind": k}) for k in result.facets}
    context["all_link"] = state.href(request, "search_page", {"q": q})
    return state.page(request, "search", **context)


@router.get(
    "/api/search", name="api_search", tags=["search"],
    summary="Find campuses, schools, trainings, trades, pôles, projects and territories by name or code",
    description=(
        "Accents, case and punctuation do not count; each word may be the start of one (`mobi`), a typo is forgiven "
        "(`mobicampsu`), several words narrow (`nelson mandela audincourt`), and a code typed alone (UAI `0250001R`, "
        "ROME `H2209`, CFD `40025510`, `RNCP25353`) comes first. `results` are the best things first; `facets` count "
        "the things of each kind that match, whatever `kind` asks."
    ),
    responses={
        200: {"description": "The things found, best first, and the number that match per kind"},
        422: {"description": "No text to search, a text too long, an unknown kind or a limit out of range"},
        **BUSY_RESPONSES,
    },
)
async def api_search(request: Request, state: State, q: str = _Q, kind: str | None = _KIND, limit: int = _LIMIT):
    if not q.strip():
        return _unprocessable("nothing to search: give q, a name or a code", "q")
    try:
        result = await _search(state, request, q, kind, limit)
    except ParameterError as exc:
        return _unprocessable(str(exc), exc.parameter)
    except ServerLimit as exc:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status, headers=exc.headers)
    except (StoreError, OutputError) as exc:
        return JSONResponse({"detail": str(exc)}, status_code=503)
    return {"results": [hit.as_dict() for hit in result.hits], "facets": result.facets}
