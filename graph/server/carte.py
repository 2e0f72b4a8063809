"""The map page ``/carte``, its GeoJSON, the GeoJSON of the map panel of a page, and the static files (Leaflet).

Everything is drawn in the browser by the vendored Leaflet (``static/leaflet``, version and origin in
``static/README.md``) without a tile server, a CDN or a web font: nothing leaves the server. The outlines are
those the graph holds (``geo:hasGeometry/geo:asGeoJSON`` of the régions and académies, source ``territoires``,
read as :func:`cmqgraph.maps.outline_rows` reads them), lightened (:func:`light_geometry`: coordinates to 3
decimals, about 100 m; a position within 0.004° of the one before dropped); the points are the schools' ``geo:asWKT``.

Routes:

* ``GET /carte`` (``map_page``): the map, choropleths per région or académie of a figure (:data:`MEASURES`),
  the schools' points, a campus's members and its sector scope (« périmètre (déduit) », drawn apart);
* ``GET /api/carte/territoires?niveau=region&mesure=nb_campus`` (``map_territories``): the outlines with every
  figure (``properties``; ``value`` is the chosen one);
* ``GET /api/carte/etablissements?campus=…|region=…|academie=…`` (``map_schools``): school points; with a
  campus, its members (``role`` ``membre``) and the schools of its scope (``perimetre``);
* ``GET /api/carte/focus?iri=…`` (``map_focus``): what the map panel of a page (``templates/map_panel.html``)
  shows: a campus's territory, members and scope; a pôle's régions (and scope); a territory's outline and schools;
* ``GET /static/{path}`` (``static``): the files of ``static/``, cached a day, nothing outside that folder.

The reads run in the workers (:func:`figures_job`, :func:`schools_job`, :func:`focus_job`) and are kept per
generation of the graph. Neither matplotlib nor shapely is imported.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from rdflib import URIRef

from ..engine import select
from ..errors import FilterError, ServerLimit
from ..iris import BASE, CMQ, label_type
from ..maps import LEVELS, fold_name, name_error, outline_rows, parse_point, school_points
from ..network import project, territory_scores
from ..resources import internal_query
from ..saved_queries import insert_values
from ..version import __version__
from .pool import worker_graph
from .state import ServerState, State, client_of

__all__ = [
    "router", "Measure", "MEASURES", "LEVEL_NAMES", "ROLES", "GEOJSON", "STATIC", "DIGITS", "TOLERANCE", "light_geometry",
    "static_file",
    "figures_job", "schools_job", "focus_job",
]

#: The media type of the GeoJSON answers (RFC 7946).
GEOJSON = "application/geo+json"
#: The folder of the static files.
STATIC = Path(__file__).parent / "static"
#: The levels of the choropleths, with their French and English names.
LEVEL_NAMES = {"region": ("Régions", "Régions"), "academie": ("Académies", "Académies")}
#: How a school is tied to the thing a map shows (``role`` of a point), with its French and English legend.
ROLES = {
    "membre": ("membres (déclarés)", "members (stated)"),
    "perimetre": ("périmètre (déduit)", "sector scope (derived)"),
    "etablissement": ("établissements", "schools"),
}
#: Digits kept in the outlines' coordinates (3: about 100 m, a tenth of a pixel on a map of France).
DIGITS = 3
#: Degrees within which a position of an outline is dropped after the one kept before it (about 400 m: under a
#: pixel on the map of France, a few pixels on a map of one académie).
TOLERANCE = 0.004
_LINK = {"region": CMQ.inRegion, "academie": CMQ.inAcademie}
_FOCUS_CACHE = 256
_MEMO: dict[tuple, Any] = {}


@dataclass(frozen=True)
class Measure:
    """A figure of the choropleths: its French and English labels, the levels it exists at, and what it counts."""

    fr: str
    en: str
    levels: tuple[str, ...]
    note_fr: str
    note_en: str
    percent: bool = False


#: The figures a choropleth can show, by the name of their ``mesure`` parameter.
MEASURES: dict[str, Measure] = {
    "nb_campus": Measure(
        "Nombre de campus", "Number of campuses", ("region", "academie"),
        "campus rattachés au territoire (comme la requête « Régions classées… » les compte) ; 105 des ~115 à 160 CMQ",
        "campuses tied to the territory (counted as the saved query regions_classement does); 105 of the ~115-160 CMQ"),
    "part_excellence_pct": Measure(
        "Part de campus d'excellence (%)", "Excellence share (%)", ("region", "academie"),
        "campus d'excellence / campus, en %, arrondi comme la requête « Régions classées… » (62,5 → 63) ; sans valeur sans campus",
        "excellence campuses / campuses, in %, rounded half up as regions_classement does; no value without a campus", percent=True),
    "score_recouvrement": Measure(
        "Score de recouvrement", "Overlap score", ("region", "academie"),
        "moyenne de l'overlap des paires campus–pôle, campus–campus, campus–projet du territoire (cmqgraph.network.territory_scores)",
        "mean overlap of the territory's campus–pôle, campus–campus, campus–project pairs (cmqgraph.network.territory_scores)"),
    "nb_poles": Measure(
        "Nombre de pôles de compétitivité", "Number of pôles de compétitivité", ("region",),
        "pôles présents dans la région (région principale ou autre) ; phase V et quelques pôles antérieurs",
        "pôles present in the région (main or other); phase-V pôles and some earlier ones"),
}

router = APIRouter(include_in_schema=False)


# ------------------------------------------------------------------------------------ geometry


def _ring(points: list, digits: int, tolerance: float) -> list:
    """A ring's positions rounded to ``digits``, those within ``tolerance`` (degrees, each axis) of the last kept dropped; closed."""
    out: list = []
    for x, y, *_ in points:
        p = [round(x, digits), round(y, digits)]
        if not out or max(abs(p[0] - out[-1][0]), abs(p[1] - out[-1][1])) > tolerance:
            out.append(p)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def light_geometry(geometry: dict, digits: int = DIGITS, tolerance: float = TOLERANCE) -> dict:
    """A GeoJSON Polygon or MultiPolygon, lighter: coordinates rounded, a position close to the one kept before dropped.

    A ring left with fewer than 4 positions (an islet smaller than the tolerance) is dropped, and a polygon whose
    outer ring is (all of them: the geometry is returned rounded only); a geometry of another type is returned as it is.

    Parameters
    ----------
    geometry : dict
        A GeoJSON geometry (longitude, latitude).
    digits : int
        Decimals kept (3: about 100 m).
    tolerance : float
        A position is dropped when it lies within this many degrees of the last position kept, on both axes.

    Examples
    --------
    >>> light_geometry({"type": "Polygon", "coordinates": [[[6.00001, 47.0], [6.002, 47.001], [7.0, 47.0], [7.0, 48.0], [6.00001, 47.0]]]})
    {'type': 'Polygon', 'coordinates': [[[6.0, 47.0], [7.0, 47.0], [7.0, 48.0], [6.0, 47.0]]]}
    >>> light_geometry({"type": "Point", "coordinates": [6.851839, 47.484404]})
    {'type': 'Point', 'coordinates': [6.851839, 47.484404]}
    """
    def polygon(rings: list, tolerance: float) -> list:
        kept = [_ring(r, digits, tolerance) for r in rings]
        return [r for r in kept if len(r) >= 4] if kept and len(kept[0]) >= 4 else []

    if geometry.get("type") == "Polygon":
        return {"type": "Polygon", "coordinates": polygon(geometry["coordinates"], tolerance) or polygon(geometry["coordinates"], 0)}
    if geometry.get("type") == "MultiPolygon":
        parts = [p for p in (polygon(rings, tolerance) for rings in geometry["coordinates"]) if p]
        return {"type": "MultiPolygon", "coordinates": parts or [polygon(rings, 0) for rings in geometry["coordinates"]]}
    return geometry


# ------------------------------------------------------------------------------------ worker jobs


def _memo(key: tuple, make):
    """``make()``, kept in this worker for ``key`` (which starts with the generation); older generations dropped."""
    if key not in _MEMO:
        for old in [k for k in _MEMO if k[0] != key[0]]:
            del _MEMO[old]
        _MEMO[key] = make()
    return _MEMO[key]


def _number(value: Any) -> float | None:
    """A figure as JSON gives it: None for a missing or NaN value."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _scores(generation: int) -> dict[str, tuple[float | None, int]]:
    """Territory IRI → (overlap score, pairs measured) of the whole graph, once per generation in this worker."""
    def make() -> dict[str, tuple[float | None, int]]:
        frame = territory_scores(project(worker_graph(generation)))
        return {str(r.territory): (_number(r.score), int(r.pairs)) for r in frame.itertuples()}
    return _memo((generation, "scores"), make)


def figures_job(generation: int, level: str) -> list[dict]:
    """The outlined territories of ``level`` with every figure of :data:`MEASURES` (in a worker).

    Returns
    -------
    list of dict
        One per outlined territory, by code: ``iri``, ``code``, ``name``, ``region`` (code), ``geometry``
        (lightened GeoJSON), ``nb_campus``, ``nb_campus_excellence``, ``part_excellence_pct`` (None without a
        campus), ``score_recouvrement`` (None without a measured pair), ``paires``, ``nb_poles`` (régions only).
    """
    graph = worker_graph(generation)
    counts = select(insert_values(internal_query("carte_figures"), {
        "type": LEVELS[level], "link": _LINK[level], "excellence": label_type("excellence")}), store=graph).set_index("territory")
    scores = _scores(generation)
    rows = []
    for r in outline_rows(graph, level).itertuples():
        campus = int(counts.at[r.iri, "nb_campus"]) if r.iri in counts.index else 0
        excellence = int(counts.at[r.iri, "nb_campus_excellence"]) if r.iri in counts.index else 0
        score, pairs = scores.get(str(r.iri), (None, 0))
        row = {"iri": str(r.iri), "code": str(r.code), "name": str(r.name), "region": str(r.region),
               "geometry": light_geometry(json.loads(r.geojson)), "nb_campus": campus, "nb_campus_excellence": excellence,
               "part_excellence_pct": (200 * excellence + campus) // (2 * campus) if campus else None, "score_recouvrement": score, "paires": pairs}
        if level == "region":
            row["nb_poles"] = int(counts.at[r.iri, "nb_poles"]) if r.iri in counts.index else 0
        rows.append(row)
    return rows


def _text(value: Any) -> str | None:
    """A cell as text: None when it is unbound (None or NaN in the frame).

    >>> _text("0250001R"), _text(float("nan")), _text(None)
    ('0250001R', None, None)
    """
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _point_rows(frame, role_of) -> list[dict]:
    """Plain rows of the points of ``frame`` (``iri``, ``uai``, ``name``, ``lon``, ``lat``), each with its ``role``."""
    return [{"iri": str(r.iri), "uai": _text(r.uai), "name": _text(r.name), "lon": float(r.lon), "lat": float(r.lat), "role": role_of(r)}
            for r in frame.itertuples()]


def _campus_iri(graph, campus: str) -> str:
    """The IRI of the campus ``campus`` names: its IRI, its exact name, else the one name that contains it (case and accents ignored).

    Raises
    ------
    FilterError
        No campus, or several, have such a name; the message gives up to three close names.
    """
    rows = [(str(r.iri), _text(r.name) or "") for r in select(internal_query("carte_campus"), store=graph).itertuples()]
    wanted = fold_name(campus)
    for test in (lambda iri, name: iri == campus, lambda iri, name: fold_name(name) == wanted):
        found = [iri for iri, name in rows if test(iri, name)]
        if found:
            return found[0]
    found = [iri for iri, name in rows if wanted and wanted in fold_name(name)]
    if len(found) == 1:
        return found[0]
    if found:
        names = sorted(name for iri, name in rows if iri in found)
        raise FilterError(f"{len(found)} campus contiennent {campus!r} : {', '.join(map(repr, names[:3]))}… / {len(found)} campuses contain {campus!r}")
    raise name_error("campus", campus, [name for _, name in rows])


def schools_job(generation: int, region: str | None = None, academie: str | None = None, campus: str | None = None) -> dict:
    """The school points of a région, an académie, a campus (its members and its scope) or of all (in a worker).

    Returns
    -------
    dict
        ``points``: rows ``iri``, ``uai``, ``name``, ``lon``, ``lat``, ``role``; ``missing``: role → the schools
        (or members) tied without a point; ``campus``: the campus's IRI, when one was asked for.

    Raises
    ------
    FilterError
        No région, académie or campus has that code or name.
    """
    graph = worker_graph(generation)
    if campus:
        iri = _campus_iri(graph, campus)
        found = _focus_points(graph, iri)
        return {"points": found["points"], "missing": found["missing"], "campus": iri}
    frame = school_points(graph, region=region or None, academie=academie or None)
    return {"points": _point_rows(frame, lambda r: "etablissement"), "missing": {}, "campus": None}


def _focus_points(graph, iri: str) -> dict:
    """The points tied to ``iri`` by role (a school both member and in the scope is a member), and those without a point."""
    rows = select(insert_values(internal_query("carte_focus_points"), {"focus": URIRef(iri)}), store=graph)
    points: dict[str, dict] = {}
    missing: dict[str, int] = {}
    for r in rows.sort_values("role", key=lambda s: s.map({"membre": 0, "etablissement": 1, "perimetre": 2})).itertuples():
        if _text(r.wkt) is None:
            missing[r.role] = missing.get(r.role, 0) + 1
            continue
        if str(r.school) in points:
            continue
        lon, lat = parse_point(r.wkt)
        points[str(r.school)] = {"iri": str(r.school), "uai": _text(r.uai), "name": _text(r.name), "lon": lon, "lat": lat, "role": r.role}
    return {"points": sorted(points.values(), key=lambda p: (p["role"], p["uai"] or "", p["iri"])), "missing": missing}


def focus_job(generation: int, iri: str) -> dict | None:
    """What the map panel of ``iri``'s page shows (in a worker); None when the graph does not hold ``iri``.

    Returns
    -------
    dict
        ``iri``, ``label``, ``kinds`` (its classes); ``outlines``: rows ``iri``, ``code``, ``name``, ``roles``
        (``focus``, ``academie``, ``region``, ``region_principale``, ``territoire``), ``geometry``; ``points`` and
        ``missing`` as :func:`schools_job` gives them.
    """
    graph = worker_graph(generation)
    about = select(insert_values(internal_query("carte_focus_thing"), {"focus": URIRef(iri)}), store=graph)
    if about.empty:
        return None
    outlines: dict[str, dict] = {}
    for r in select(insert_values(internal_query("carte_focus_outlines"), {"focus": URIRef(iri)}), store=graph).itertuples():
        row = outlines.setdefault(str(r.territory), {"iri": str(r.territory), "code": str(r.code), "name": _text(r.name),
                                                     "roles": [], "geometry": light_geometry(json.loads(r.geojson))})
        row["roles"].append(str(r.role))
    label = next((t for t in map(_text, about["label"]) if t is not None), None)
    return {"iri": iri, "label": label, "kinds": sorted({t for t in map(_text, about["kind"]) if t is not None}),
            "outlines": list(outlines.values()), **_focus_points(graph, iri)}


# ------------------------------------------------------------------------------------ answers


async def _read(state: ServerState, request: Request, key: tuple, function, *args):
    """``function(generation, *args)`` run by a worker, kept for ``key`` while the graph stays the same."""
    cache = state.fresh("carte")
    if key not in cache:
        cache[key] = await state.workers.read(state.settings.timeout, function, *args, client=client_of(request))
        while len(cache) > _FOCUS_CACHE:
            del cache[next(iter(cache))]  # the oldest (a dict keeps its order)
    return cache[key]


def _geojson(state: ServerState, request: Request, key: tuple, make) -> Response:
    """The GeoJSON answer ``make()`` builds (compact), its bytes kept for ``key`` while the graph stays the same."""
    answers = state.fresh("carte_answers")
    full = (*key, state.base(request))  # the links in it start with the base
    if full not in answers:
        answers[full] = json.dumps(make(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        while len(answers) > _FOCUS_CACHE:
            del answers[next(iter(answers))]
    return Response(answers[full], media_type=GEOJSON)


def _problem(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _point_features(state: ServerState, request: Request, points: list[dict]) -> list[dict]:
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
             "properties": {"kind": "etablissement", "role": p["role"], "iri": p["iri"], "href": state.thing_href(request, p["iri"]),
                            "uai": p["uai"], "name": p["name"]}} for p in points]


def _check(niveau: str, mesure: str | None) -> str | None:
    """The refusal of a level or measure the map does not have (None: both are known)."""
    if niveau not in LEVELS:
        return f"niveau inconnu {niveau!r} : region ou academie / unknown level {niveau!r}: region or academie"
    if mesure is not None and mesure not in MEASURES:
        return f"mesure inconnue {mesure!r} : {', '.join(MEASURES)} / unknown measure {mesure!r}"
    if mesure is not None and niveau not in MEASURES[mesure].levels:
        return f"la mesure {mesure!r} n'existe qu'au niveau {', '.join(MEASURES[mesure].levels)} / measure {mesure!r} exists only at level {', '.join(MEASURES[mesure].levels)}"
    return None


@router.get("/api/carte/territoires", name="map_territories")
async def map_territories(request: Request, state: State, niveau: str = "region", mesure: str | None = None) -> Response:
    """The outlines of the régions or académies with their figures (GeoJSON); ``value`` is ``mesure``'s."""
    refused = _check(niveau, mesure)
    if refused:
        return _problem(422, refused)
    try:
        rows = await _read(state, request, ("territoires", niveau), figures_job, niveau)
    except ServerLimit as exc:
        return _problem(exc.status, str(exc), exc.headers)
    return _geojson(state, request, ("territoires", niveau, mesure), lambda: _territories(state, request, rows, niveau, mesure))


def _territories(state: ServerState, request: Request, rows: list[dict], niveau: str, mesure: str | None) -> dict:
    """The FeatureCollection of the outlines of ``rows`` (:func:`figures_job`), ``value`` being ``mesure``'s."""
    features = []
    for row in rows:
        properties = {k: v for k, v in row.items() if k != "geometry"}
        properties.update(kind="territoire", level=niveau, href=state.thing_href(request, row["iri"]),
                          value=row.get(mesure) if mesure else None)
        features.append({"type": "Feature", "geometry": row["geometry"], "properties": properties})
    values = [f["properties"]["value"] for f in features if f["properties"]["value"] is not None]
    about = None
    if mesure:
        m = MEASURES[mesure]
        about = {"name": mesure, "fr": m.fr, "en": m.en, "note_fr": m.note_fr, "note_en": m.note_en, "percent": m.percent,
                 "min": min(values, default=None), "max": max(values, default=None)}
    return {"type": "FeatureCollection", "level": niveau, "measure": about, "features": features}


@router.get("/api/carte/etablissements", name="map_schools")
async def map_schools(request: Request, state: State, campus: str = "", region: str = "", academie: str = "") -> Response:
    """School points (GeoJSON): every school with a point, or a région's, an académie's, or a campus's members and scope."""
    key = ("etablissements", campus.strip(), region.strip(), academie.strip())
    try:
        found = await _read(state, request, key, schools_job, key[2], key[3], key[1])
    except FilterError as exc:
        return _problem(422, str(exc))
    except ServerLimit as exc:
        return _problem(exc.status, str(exc), exc.headers)
    return _geojson(state, request, key, lambda: {"type": "FeatureCollection", "campus": found["campus"], "missing": found["missing"],
                                                   "features": _point_features(state, request, found["points"])})


@router.get("/api/carte/focus", name="map_focus")
async def map_focus(request: Request, state: State, iri: str) -> Response:
    """The map of one thing (GeoJSON): a campus's territory, members and scope; a pôle's régions; a territory and its schools."""
    if not iri.startswith(BASE) or len(iri) > 400:
        return _problem(404, f"aucune carte pour {iri!r} : une IRI du graphe ({BASE}…) / no map for {iri!r}: an IRI of the graph")
    try:
        found = await _read(state, request, ("focus", iri), focus_job, iri)
    except ServerLimit as exc:
        return _problem(exc.status, str(exc), exc.headers)
    if found is None:
        return _problem(404, f"le graphe ne décrit pas {iri!r} / the graph does not describe {iri!r}")
    return _geojson(state, request, ("focus", iri), lambda: _focus(state, request, found))


def _focus(state: ServerState, request: Request, found: dict) -> dict:
    """The FeatureCollection of :func:`focus_job`'s answer: the outlines, then the points."""
    outlines = [{"type": "Feature", "geometry": o["geometry"],
                 "properties": {"kind": "territoire", "roles": o["roles"], "iri": o["iri"], "href": state.thing_href(request, o["iri"]),
                                "code": o["code"], "name": o["name"]}} for o in found["outlines"]]
    return {"type": "FeatureCollection", "focus": {"iri": found["iri"], "label": found["label"], "kinds": found["kinds"],
                                                   "href": state.thing_href(request, found["iri"])},
            "missing": found["missing"], "features": outlines + _point_features(state, request, found["points"])}


# ------------------------------------------------------------------------------------ the page


@router.get("/carte", name="map_page")
async def map_page(request: Request, state: State, niveau: str = "region", mesure: str = "nb_campus", campus: str = "",
                   etablissements: bool = False) -> HTMLResponse:
    """The map page: a choropleth of ``mesure`` per ``niveau``, the schools' points, a campus's members and scope."""
    refused = _check(niveau, mesure)
    campuses = await state.choice_values("campus")
    context = {"levels": LEVEL_NAMES, "measures": MEASURES, "roles": ROLES, "campuses": campuses, "error": refused,
               "values": {"niveau": niveau, "mesure": mesure, "campus": campus, "etablissements": etablissements},
               "static_version": __version__}
    if refused:
        context["values"].update(niveau="region", mesure="nb_campus")
    return state.page(request, "carte", 422 if refused else 200, **context)


# ------------------------------------------------------------------------------------ static files


def static_file(path: str) -> Path | None:
    """The file of ``static/`` at ``path``, or None: a path that leaves the folder (``..``, absolute, a link out) or no file.

    >>> static_file("leaflet/leaflet.js").name, static_file("../state.py"), static_file("/etc/passwd")
    ('leaflet.js', None, None)
    """
    parts = path.split("/")
    if not path or "\\" in path or "\x00" in path or any(p in ("", ".", "..") for p in parts):
        return None
    root = STATIC.resolve()
    file = (root / path).resolve()
    if not file.is_relative_to(root) or not file.is_file():
        return None
    return file


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"], name="static")
async def static(path: str) -> Response:
    """A file of ``static/`` (Leaflet, the map's script and style), cached a day; 404 for anything else."""
    file = static_file(path)
    if file is None:
        return Response("Fichier inconnu / No such file\n", status_code=404, media_type="text/plain; charset=utf-8")
    media = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}
    return FileResponse(file, media_type=media.get(file.suffix, "text/plain; charset=utf-8"),
                        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})
