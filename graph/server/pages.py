"""The HTML pages: the home page, the list of saved queries, and each query's form, table and downloads.

The templates are in ``templates/``; :meth:`cmqgraph.server.state.ServerState.page` renders them.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..errors import ParameterError, ServerLimit
from ..saved_queries import SavedQuery
from .state import ServerState, State, client_of

__all__ = ["router"]

#: The site's icon: a star, the campus shape of the network views, in their campus colour.
_ICON = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20"><path fill="#d62728" '
         b'd="M10 1l2.6 5.9 6.4.6-4.8 4.3 1.4 6.3L10 14.8 4.4 18.1l1.4-6.3L1 7.5l6.4-.6z"/></svg>')

router = APIRouter(include_in_schema=False)


def _command(name: str, values: Mapping[str, str]) -> str:
    """The command line that gives the same rows, each value quoted for the shell.

    >>> _command("campus_excellence", {"region": "Bourgogne-Franche-Comté", "annee": ""})
    "cmqgraph query run campus_excellence -p 'region=Bourgogne-Franche-Comté'"
    """
    return shlex.join(["cmqgraph", "query", "run", name, *(item for k, v in values.items() if v for item in ("-p", f"{k}={v}"))])


async def _form_choices(state: ServerState, saved: SavedQuery) -> dict[str, list[str]]:
    """The values each parameter with choices offers in the form: its own, or its choice list's in the graph."""
    return {
        p.name: list(p.choices) if isinstance(p.choices, tuple) else await state.choice_values(p.choices)
        for p in saved.parameters if p.choices is not None
    }


@router.get("/favicon.ico")
async def favicon() -> Response:
    """The site's icon (cached a day)."""
    # the network views (cmqgraph.view's pages, which open offline too) declare no icon: browsers ask here
    return Response(_ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@router.get("/")
async def home(request: Request, state: State) -> HTMLResponse:
    """The home page."""
    return state.page(request, "home", count=len(state.queries), settings=state.settings)


@router.get("/queries")
async def queries_page(request: Request, state: State) -> HTMLResponse:
    """The saved queries, by title."""
    return state.page(request, "queries", queries=state.by_title)


@router.get("/queries/{name}")
async def query_page(request: Request, name: str, state: State) -> HTMLResponse:
    """A saved query's page: its form, and with ``run`` in the URL its rows, downloads and SPARQL."""
    saved = state.queries.get(name)
    if saved is None:
        return state.page(request, "error", 404, title="Requête inconnue / Unknown query",
                          message=f"Aucune requête enregistrée ne s'appelle « {name} ». / No saved query is named {name!r}.")
    settings = state.settings
    values = {k: v for k, v in request.query_params.items() if k != "run"}
    context: dict = {"saved": saved, "values": values, "choices": await _form_choices(state, saved), "error": None, "frame": None,
                     "truncated": False, "sparql": saved.sparql, "links": None, "page_rows": settings.page_rows,
                     "max_rows": settings.max_rows, "command": _command(saved.name, values)}
    status, headers = 200, {}
    if "run" in request.query_params:
        try:
            context["frame"], context["truncated"] = await state.run_saved(saved, values, client_of(request))
            context["sparql"] = saved.with_values(values)
            context["links"] = state.links(request, saved, values)
        except ParameterError as exc:
            context["error"], status = str(exc), 422
        except ServerLimit as exc:
            context["error"], status, headers = str(exc), exc.status, exc.headers
    return state.page(request, "query", status, headers, **context)
