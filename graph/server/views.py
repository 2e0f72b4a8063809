"""The network views, ``/view``: a form, or the view (:mod:`cmqgraph.view`) of the filters in the URL.

``scope=1`` also draws the schools of each campus's sector scope that are not its members, lighter (derived,
never members; an aggregated view leaves them out).

A view is made by a worker (:func:`view_job`) and kept while the graph stays the same: the last
:data:`_VIEW_CACHE` views are answered without running again. Its tooltips link each node to its page on this
server (``/id/…``, under the public URL when it is set; a view written by ``cmqgraph view`` links to the IRIs).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..errors import FilterError, ServerLimit
from ..network import project
from ..saved_queries import CHOICE_LISTS, VIEW_FILTERS
from ..view import DEFAULT_MAX_NODES, STYLE, displayed_graph, render_html
from .pool import worker_graph
from .state import ServerState, State, client_of

__all__ = ["router", "view_job"]

#: Network views kept per generation of the graph.
_VIEW_CACHE = 16
#: Filter of the network view → the choice list that offers its values.
_VIEW_LISTS = {name: f.choices for name, f in VIEW_FILTERS.items()}

router = APIRouter(include_in_schema=False)


def view_job(
    generation: int, filters: dict[str, str], max_nodes: int, links: list[tuple[str, str]], scope: bool = False, pages: str = "",
) -> str:
    """Return the network view of ``filters`` (with the scopes' schools when ``scope``) as a self-contained HTML page, with
    ``links`` to the site and each node's tooltip linking to its page under ``pages`` (in a worker)."""
    G = project(worker_graph(generation), scope=scope, **filters)
    return render_html(displayed_graph(G, max_nodes=max_nodes), links=links, pages=pages)


async def _form(
    state: ServerState, request: Request, filters: Mapping[str, str], status: int = 200, error: str | None = None,
    headers: Mapping[str, str] | None = None, scope: bool = False,
) -> HTMLResponse:
    """The form of the network views, its lists from the graph, filled with ``filters`` and ``scope`` (and ``error``, when they were refused)."""
    lists = {f: await state.choice_values(name) for f, name in _VIEW_LISTS.items()}
    closed = {f: CHOICE_LISTS[name].closed for f, name in _VIEW_LISTS.items()}
    return state.page(request, "view_form", status, headers, form=lists, closed=closed, filters=VIEW_FILTERS, values=filters, error=error, style=STYLE,
                      scope=scope)


@router.get("/view")
async def view_page(
    request: Request, state: State, all: bool = False, max_nodes: int = DEFAULT_MAX_NODES, scope: bool = False,  # noqa: A002
) -> HTMLResponse:
    """The view of the filters in the URL (``all``: the whole of France; ``scope``: with the scopes' schools), else the form."""
    filters = {k: v for k, v in request.query_params.items() if k in VIEW_FILTERS and v}
    if not filters and not all:
        return await _form(state, request, filters, scope=scope)
    key = (tuple(sorted(filters.items())), max_nodes, scope)
    views = state.fresh("views")
    if key not in views:
        try:
            site = [(state.href(request, "home"), "cmqgraph"), (state.href(request, "view_page"), "Autre vue / Other view"),
                    (state.href(request, "queries_page"), "Requêtes / Queries")]
            views[key] = await state.workers.read(state.settings.timeout, view_job, filters, max_nodes, site, scope, state.base(request),
                                                  client=client_of(request))
        except FilterError as exc:
            return await _form(state, request, filters, 422, str(exc), scope=scope)
        except ServerLimit as exc:
            return await _form(state, request, filters, exc.status, str(exc), exc.headers, scope=scope)
        while len(views) > _VIEW_CACHE:
            views.popitem(last=False)
    views.move_to_end(key)
    return HTMLResponse(views[key])
