"""The HTML pages: the home page, the list of saved queries, and each query's form, table and downloads.

The templates are in ``templates/``; :meth:`cmqgraph.server.state.ServerState.page` renders them.

The home page says what the graph holds (:func:`home_facts`: counts per kind, the sources with their period,
rows and gaps, the Mobicampus case), read in the server's own process once per generation of the graph, as the
choice lists are (small fixed queries: the home page never waits for a worker).
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from rdflib import Literal

from ..engine import select
from ..errors import ParameterError, ServerLimit
from ..iris import CMQ
from ..resources import internal_query
from ..saved_queries import SavedQuery, insert_values
from ..stats import source_table
from ..store import open_graph
from .state import ServerState, State, client_of

__all__ = ["router", "Kind", "HOME_KINDS", "CASE", "home_facts"]


@dataclass(frozen=True)
class Kind:
    """A kind of thing the home page counts: its class, French and English names, and the saved query that lists them."""

    cls: str
    fr: str
    en: str
    query: str | None = None


#: The kinds the home page counts, in its order (``queries/internal/home_counts.rq`` counts them).
HOME_KINDS: tuple[Kind, ...] = (
    Kind(str(CMQ.Campus), "campus des métiers et des qualifications", "campuses", "campus_par_territoire"),
    Kind(str(CMQ.School), "établissements (UAI)", "schools"),
    Kind(str(CMQ.Training), "formations (CFD, RNCP)", "trainings"),
    Kind(str(CMQ.Trade), "métiers (fiches ROME)", "trades (ROME)"),
    Kind(str(CMQ.Cluster), "pôles de compétitivité", "pôles de compétitivité", "poles_et_campus"),
    Kind(str(CMQ.RegionalProject), "projets régionaux (PIA3, Territoires d'innovation)", "regional projects", "projets_regionaux"),
    Kind(str(CMQ.TrainingOffer), "offres de formation (un établissement, une formation)", "training offers"),
    Kind(str(CMQ.Region), "régions", "régions", "regions_classement"),
    Kind(str(CMQ.Academie), "académies", "académies"),
)
#: The start of the French name of the campus the home page takes as its worked case.
CASE = "Mobicampus"

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


def _plain(value: Any) -> Any:
    """A cell as the page shows it: None for an unbound value (None, NaN), a whole number as an int.

    >>> _plain(float("nan")), _plain(12.0), _plain("oui")
    (None, 12, 'oui')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def home_facts(path: str) -> dict[str, Any]:
    """What the home page says of the graph at ``path``: counts per kind, sources, the worked case.

    Read in the server's process (a thread), the store opened read-only and closed before this returns.

    Returns
    -------
    dict
        ``counts``: class IRI → instances; ``sources``: :func:`cmqgraph.stats.source_table` (in build order);
        ``triples``: their sum; ``case``: ``campus`` (IRI), ``label``, ``excellence``, ``members``, ``scope_schools``, or None.
    """
    graph = open_graph(ox.Store.read_only(path))
    try:
        counts = select(internal_query("home_counts"), store=graph)
        sources = source_table(graph)
        case = select(insert_values(internal_query("home_case"), {"name": Literal(CASE)}), store=graph)
    finally:
        graph.close()
    return {
        "counts": {str(r["class"]): int(r["n"]) for r in counts.to_dict("records")},
        "sources": sources,
        "triples": sum(r["triples"] for r in sources),
        "case": {k: _plain(v) for k, v in case.iloc[0].items()} if len(case) else None,
    }


async def _home_facts(state: ServerState) -> dict[str, Any]:
    """:func:`home_facts`, read once per generation; after an update under way, never waiting for a worker."""
    cache = state.fresh("home")
    if "facts" not in cache:
        cache["facts"] = await state.workers.in_server(home_facts)
    return cache["facts"]


@router.get("/")
async def home(request: Request, state: State) -> HTMLResponse:
    """The home page: what the graph holds, the search box, the Mobicampus case, the ways in."""
    facts = await _home_facts(state)
    case = facts["case"]
    links = None
    if case is not None:
        links = {"page": state.thing_href(request, case["campus"]),
                 "view": state.href(request, "view_page", {"campus": case["label"]}),
                 "map": state.href(request, "map_page", {"campus": case["label"]}),
                 "scope": state.href(request, "query_page", {"campus": CASE, "run": "1"}, name="perimetre_du_campus"),
                 "members": state.href(request, "query_page", {"campus": CASE, "run": "1"}, name="etablissements_du_campus")}
    kinds = [(kind, facts["counts"].get(kind.cls, 0)) for kind in HOME_KINDS]
    return state.page(request, "home", count=len(state.queries), settings=state.settings, kinds=kinds, facts=facts, case=case,
                      case_links=links, queries={q.name for q in state.by_title})


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
