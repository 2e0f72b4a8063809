"""Maps of the graph, drawn offline: choropleths per région or per académie, and school points.

The outlines are those the graph holds (source ``territoires``: ``geo:hasGeometry/geo:asGeoJSON`` of the 18
régions and the 30 académies that have one), the points those of the schools (``geo:hasGeometry/geo:asWKT``
``"POINT(lon lat)"``, WGS 84, sources ``lycees_ival`` and ``annuaire_education``). Nothing is fetched: no tile
server, no web font, no network access; the drawing is matplotlib's, the geometry shapely's. Both are in the
``notebooks`` (and ``test``) extras, not in cmqgraph's own dependencies, so they are imported by the functions
that need them: ``pip install 'cmqgraph[notebooks]'``.

* :func:`outlines` — a pandas DataFrame of the outlines of one level (``iri``, ``code``, ``name``, ``region``,
  ``geometry`` as shapely shapes); :func:`outline_rows` gives the same rows with the GeoJSON text, without
  shapely (the server's map page, :mod:`cmqgraph.server.carte`, reads them so: it imports neither library);
* :func:`school_points` — the schools with a point (``iri``, ``uai``, ``name``, ``region``, ``academie``, ``lon``,
  ``lat``), filtered by région, académie, a campus's members or a campus's sector scope;
* :func:`choropleth` — fills each territory by a figure of a table (light grey: no value) and adds a colour bar;
  :func:`draw_outlines` draws outlines without a figure; :func:`points` adds school points;
* :func:`write_png`, :func:`write_svg` — write the figure through :func:`cmqgraph.output.atomic_file`.

The outline file places the five régions and académies d'outre-mer as insets at the bottom left of the map
(their position and scale are not real). Their schools' points are real coordinates, so they lie far outside
the map: :func:`points` leaves out, with a warning, the points outside the frame of the map it draws on.
Territories are filled largest first, so that a small one (Paris, between Créteil and Versailles) stays visible.

Examples
--------
A researcher's map (on the built graph)::

    from cmqgraph import engine, maps
    regions = engine.run_query("regions_classement")
    ax = maps.choropleth(regions, "nb_campus", level="region", on="region", title="Campus par région")
    maps.points(maps.school_points(scope="Mobicampus"), ax=ax, label="périmètre (déduit)")
    maps.write_png(ax, "campus.png")

Without a graph, on shapes of one's own:

>>> import pandas as pd
>>> from shapely.geometry import box
>>> frame = pd.DataFrame({"name": ["A", "B"], "n": [3, None], "geometry": [box(0, 45, 2, 47), box(2, 45, 3, 46)]})
>>> ax = choropleth(frame, "n", title="Exemple")
>>> ax.get_title(), len(ax.patches)
('Exemple', 2)
"""

from __future__ import annotations

import difflib
import importlib
import json
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pandas as pd
import rdflib
from rdflib import Literal, URIRef

from .engine import choice_values, select
from .errors import FilterError
from .iris import CMQ
from .output import atomic_file
from .resources import internal_query
from .saved_queries import insert_values

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "LEVELS",
    "NO_VALUE_COLOUR",
    "outlines",
    "outline_rows",
    "school_points",
    "parse_point",
    "fold_name",
    "name_error",
    "choropleth",
    "draw_outlines",
    "points",
    "write_png",
    "write_svg",
]

#: The levels a map can have, with the class of their territories.
LEVELS: Mapping[str, URIRef] = {"region": CMQ.Region, "academie": CMQ.Academie}
#: The fill of a territory without a value (and of :func:`draw_outlines`).
NO_VALUE_COLOUR = "#eeeeee"
_EDGE = "#888888"
_POINT = re.compile(r"\s*POINT\s*\(\s*(\S+)\s+(\S+)\s*\)\s*", re.IGNORECASE)
_LINKS = {"members": "member", "scope": "scope"}

Store = str | os.PathLike | rdflib.Dataset | None


def _extra(name: str) -> ModuleType:
    """Import ``name`` (matplotlib.pyplot, shapely.geometry), or say which extra provides it."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"cmqgraph.maps a besoin de {name.split('.')[0]} : pip install 'cmqgraph[notebooks]' / "
            f"cmqgraph.maps needs {name.split('.')[0]}: pip install 'cmqgraph[notebooks]'"
        ) from exc


def _level(level: str) -> URIRef:
    if level not in LEVELS:
        raise ValueError(f"niveau inconnu {level!r} : choisir parmi {sorted(LEVELS)} / unknown level {level!r}: choose among {sorted(LEVELS)}")
    return LEVELS[level]


def outlines(store: Store = None, level: str = "region") -> pd.DataFrame:
    """Return the outlines of the régions or of the académies held by the graph, one row per territory.

    Parameters
    ----------
    store : path or rdflib.Dataset, optional
        The built graph (default: as :func:`cmqgraph.open_graph`), as :func:`cmqgraph.engine.select` takes it.
    level : {"region", "academie"}
        Which territories. The replaced académies (Caen, Rouen) have no outline and no row.

    Returns
    -------
    pandas.DataFrame
        ``iri``, ``code`` (``skos:notation``), ``name`` (French), ``region`` (the code of the région it lies in;
        a région's own code) and ``geometry`` (a shapely Polygon or MultiPolygon, longitude and latitude), by code.
    """
    geometry = _extra("shapely.geometry")
    frame = outline_rows(store, level)
    frame["geometry"] = [geometry.shape(json.loads(text)) for text in frame.pop("geojson")]
    return frame


def outline_rows(store: Store = None, level: str = "region") -> pd.DataFrame:
    """Return the outlines of :func:`outlines` as the graph holds them: ``geojson`` is the GeoJSON geometry's text.

    Neither shapely nor matplotlib is needed: the server's map page reads the outlines so.

    Parameters
    ----------
    store : path or rdflib.Dataset, optional
        The built graph, as :func:`outlines` takes it.
    level : {"region", "academie"}
        Which territories.

    Returns
    -------
    pandas.DataFrame
        ``iri``, ``code``, ``name``, ``region`` and ``geojson`` (text: a ``Polygon`` or ``MultiPolygon``), by code.

    Raises
    ------
    ValueError
        ``level`` is unknown.
    """
    return select(insert_values(internal_query("maps_outlines"), {"type": _level(level)}), store=store)


def parse_point(wkt: str) -> tuple[float, float]:
    """Return ``(longitude, latitude)`` of a WKT point as the graph writes it (GeoSPARQL: longitude first).

    >>> parse_point("POINT(6.851839399677355 47.48440477835469)")
    (6.851839399677355, 47.48440477835469)

    Raises
    ------
    ValueError
        ``wkt`` is not a 2-D ``POINT``.
    """
    match = _POINT.fullmatch(str(wkt))
    if match is None:
        raise ValueError(f"pas un point WKT / not a WKT point: {wkt!r}")
    return float(match.group(1)), float(match.group(2))


def fold_name(text: str) -> str:
    """Return ``text`` without accents, in lower case, to compare names as people type them.

    >>> fold_name(" Besançon "), fold_name("Île-de-France")
    ('besancon', 'ile-de-france')
    """
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().strip().lower()


def name_error(kind: str, value: str, known: list[str]) -> FilterError:
    """Return the error for a ``kind`` named ``value`` that the graph lacks, with up to three ``known`` names close to it."""
    wanted = fold_name(value)

    def score(name: str) -> float:
        folded = fold_name(name)
        return max(difflib.SequenceMatcher(None, wanted, piece).ratio() for piece in (folded, folded[: len(wanted)], *folded.split()))

    close = [name for name in sorted(set(known), key=lambda n: (-score(n), n)) if score(name) >= 0.6][:3]
    hint = f" ; proches / close: {', '.join(map(repr, close))}" if close else ""
    return FilterError(f"aucun(e) {kind} {value!r} dans le graphe / no {kind} {value!r} in the graph{hint}")


def _territory_code(level: str, value: str, store: Store) -> str:
    """Return the code of the région or académie whose code or French name is ``value`` (case and accents ignored)."""
    territories = select(insert_values(internal_query("maps_territories"), {"type": _level(level)}), store=store)
    for row in territories.itertuples():
        if fold_name(value) in (fold_name(str(row.code)), fold_name(str(row.name))):
            return str(row.code)
    raise name_error("région" if level == "region" else "académie", value, [*territories["name"].astype(str), *territories["code"]])


def _campus_schools(campus: str, link: str, store: Store) -> set[str]:
    """Return the IRIs of the schools tied (``member`` or ``scope``) to the campuses whose name contains ``campus``."""
    names = choice_values("campus", store=store)
    if not any(campus.lower() in name.lower() for name in names):
        raise name_error("campus", campus, names)
    rows = select(insert_values(internal_query("maps_campus_schools"), {"campus": Literal(campus)}), store=store)
    return set(rows.loc[rows["link"] == link, "iri"])


def school_points(
    store: Store = None, *, region: str | None = None, academie: str | None = None, members: str | None = None, scope: str | None = None
) -> pd.DataFrame:
    """Return the schools that have a point, with their coordinates; each filter given narrows the rows.

    Parameters
    ----------
    store : path or rdflib.Dataset, optional
        The built graph, as :func:`outlines` takes it.
    region, academie : str, optional
        The code (``"27"``, ``"03"``) or French name (``"Bourgogne-Franche-Comté"``, case and accents ignored) of the
        school's région / académie.
    members : str, optional
        A campus name or part of it (case ignored, as the saved queries read it): its members (an
        ``org:Membership``, a stated fact).
    scope : str, optional
        A campus name or part of it: the schools of its sector scope (``cmq:SectorScope``, ``cmq:scopeSchool``:
        derived from its filière and territory, never a membership).

    Returns
    -------
    pandas.DataFrame
        ``iri``, ``uai``, ``name``, ``region`` and ``academie`` (codes), ``lon``, ``lat`` (WGS 84), by UAI.
        A school without a point is not a row (of Mobicampus's known members, only the lycée Nelson Mandela
        has one: the others are universities and bodies).

    Raises
    ------
    FilterError
        No région, académie or campus has that code or name; the message gives the closest names.
    """
    frame = select(internal_query("maps_schools"), store=store)
    lonlat = [parse_point(wkt) for wkt in frame.pop("wkt")]
    frame["lon"] = [lon for lon, _ in lonlat]
    frame["lat"] = [lat for _, lat in lonlat]
    keep = pd.Series(True, index=frame.index)
    for level, value in (("region", region), ("academie", academie)):
        if value is not None:
            keep &= frame[level] == _territory_code(level, value, store)
    for argument, campus in (("members", members), ("scope", scope)):
        if campus is not None:
            keep &= frame["iri"].isin(_campus_schools(campus, _LINKS[argument], store))
    return frame[keep].reset_index(drop=True)


def _values(frame: pd.DataFrame, column: str, on: str | None) -> pd.Series:
    """Return ``frame[column]`` indexed by each row's territory as text (column ``on``, else the index), rows without one dropped."""
    keys = pd.Series(frame.index if on is None else frame[on].to_numpy())
    values = pd.Series(frame[column].to_numpy())[keys.notna().to_numpy()]
    return values.set_axis(keys[keys.notna()].astype(str).to_numpy())


def _join(frame: pd.DataFrame, column: str, on: str | None, shapes: pd.DataFrame, level: str) -> pd.DataFrame:
    """Return ``shapes`` with ``column`` of ``frame``, matched on the outline's IRI, code or name (whichever matches most)."""
    values = _values(frame, column, on)
    repeated = sorted(set(values.index[values.index.duplicated()]))
    if repeated:
        raise ValueError(f"territoire(s) répété(s) / repeated territories {repeated[:3]}: aggregate first (groupby) so that each has one value")
    best = max(("iri", "code", "name"), key=lambda c: int(shapes[c].astype(str).isin(values.index).sum()))
    if not shapes[best].astype(str).isin(values.index).any():
        where = "l'index" if on is None else f"la colonne {on!r}"
        raise FilterError(f"aucune valeur de {where} ne nomme un contour ({level} : IRI, code ou nom) / no value of {on or 'the index'} names a {level} outline")
    return shapes.assign(**{column: shapes[best].astype(str).map(values)})


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (7, 6)) -> Axes:
    if ax is not None:
        return ax
    plt = _extra("matplotlib.pyplot")
    return plt.subplots(figsize=figsize)[1]


def _fill(ax: Axes, shapes: pd.DataFrame, colours: list[Any], texts: list[str | None]) -> None:
    """Fill each geometry of ``shapes`` with its colour, largest first, and write its text at a point inside it."""
    order = sorted(range(len(shapes)), key=lambda i: -shapes["geometry"].iloc[i].area)
    for i in order:
        geometry = shapes["geometry"].iloc[i]
        for polygon in getattr(geometry, "geoms", [geometry]):
            ax.fill(*polygon.exterior.xy, facecolor=colours[i], edgecolor=_EDGE, linewidth=0.4)
        if texts[i]:
            inside = geometry.representative_point()
            ax.annotate(texts[i], (inside.x, inside.y), ha="center", va="center", fontsize=7)


def _frame_map(ax: Axes, title: str | None) -> None:
    """Give ``ax`` the aspect of a map at its mean latitude (a degree of longitude is shorter than one of latitude), no axes."""
    low, high = ax.get_ylim()
    ax.set_aspect(1 / max(math.cos(math.radians((low + high) / 2)), 0.1))
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title, fontsize=10)


def _number(value: float) -> str:
    """Return a figure as a map writes it: a whole number plainly, else two significant digits.

    >>> _number(12.0), _number(0.4267), _number(33.33)
    ('12', '0.43', '33')
    """
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2g}"


def choropleth(
    frame: pd.DataFrame,
    column: str,
    level: str = "region",
    *,
    on: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str = "Blues",
    annotate: bool = True,
    store: Store = None,
) -> Axes:
    """Fill each région or académie by its value in ``frame[column]``, with a colour bar; return the axes.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per territory. With a ``geometry`` column (shapely shapes, such as :func:`outlines` returns,
        merged with figures), it is drawn as it is; otherwise it is joined with ``outlines(store, level)``.
    column : str
        The figure to map (numbers; a missing value is drawn in :data:`NO_VALUE_COLOUR`).
    level : {"region", "academie"}
        The outlines to join with (without a ``geometry`` column).
    on : str, optional
        The column of ``frame`` naming each territory by IRI, code or French name (default: the index); the
        outlines' column that matches most values is used. A territory of ``frame`` without an outline (a
        replaced académie) is not drawn; an outline without a row is drawn without a value.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    title : str, optional
        The title above the map.
    cmap : str
        A matplotlib colour map; its scale runs from 0 (or the smallest value, if negative) to the largest value.
    annotate : bool
        Write each value on its territory.
    store : path or rdflib.Dataset, optional
        The built graph the outlines are read from.

    Raises
    ------
    FilterError
        No value of ``on`` names an outline of the level.
    ValueError
        ``frame`` names a territory twice (aggregate first), or ``level`` is unknown.
    """
    plt = _extra("matplotlib.pyplot")
    colors = _extra("matplotlib.colors")
    shapes = frame if "geometry" in frame.columns else _join(frame, column, on, outlines(store, level), level)
    values = pd.to_numeric(shapes[column]).astype(float)
    known = values.dropna()
    norm = colors.Normalize(vmin=min(known.min(), 0) if len(known) else 0, vmax=max(known.max() if len(known) else 0, 1e-9))
    palette = plt.get_cmap(cmap)
    ax = _new_axes(ax)
    colours = [NO_VALUE_COLOUR if math.isnan(v) else palette(norm(v)) for v in values]
    texts = [None if math.isnan(v) or not annotate else _number(v) for v in values]
    _fill(ax, shapes, colours, texts)
    ax.figure.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=palette), ax=ax, shrink=0.6)
    _frame_map(ax, title)
    return ax


def draw_outlines(shapes: pd.DataFrame, ax: Axes | None = None, *, names: bool = False, title: str | None = None) -> Axes:
    """Draw outlines (a frame of :func:`outlines`, or part of it) without a figure, as a background; return the axes.

    ``names``: write each territory's ``name`` on it.

    >>> from shapely.geometry import box
    >>> ax = draw_outlines(pd.DataFrame({"name": ["Dijon"], "geometry": [box(2.8, 46.1, 5.5, 48.4)]}), names=True)
    >>> [t.get_text() for t in ax.texts]
    ['Dijon']
    """
    ax = _new_axes(ax)
    texts = list(shapes["name"].astype(str)) if names else [None] * len(shapes)
    _fill(ax, shapes, [NO_VALUE_COLOUR] * len(shapes), texts)
    _frame_map(ax, title)
    return ax


def points(
    frame: pd.DataFrame,
    ax: Axes | None = None,
    *,
    label: str | None = None,
    colour: str = "black",
    marker: str = "o",
    size: float = 18,
    **style: Any,
) -> Axes:
    """Draw the schools of ``frame`` (columns ``lon``, ``lat``, as :func:`school_points` returns) as points; return the axes.

    On axes that already hold a map, the map's frame is kept: a point outside it is left out with a warning
    (a school d'outre-mer, whose outline is an inset away from its real place). ``label`` names the points in
    the legend (redrawn at each call, so that successive calls add their entry); ``colour``, ``marker``,
    ``size`` and ``style`` (``edgecolors``, ``alpha``…) go to :meth:`matplotlib.axes.Axes.scatter`.

    >>> from shapely.geometry import box
    >>> ax = draw_outlines(pd.DataFrame({"name": ["A"], "geometry": [box(5, 46, 7, 48)]}))
    >>> ax = points(pd.DataFrame({"lon": [6.85], "lat": [47.48]}), ax=ax, label="membres")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['membres']
    """
    framed = ax is not None and ax.has_data()
    ax = _new_axes(ax)
    limits = ax.get_xlim(), ax.get_ylim()
    if framed:
        (x0, x1), (y0, y1) = limits
        inside = frame["lon"].between(min(x0, x1), max(x0, x1)) & frame["lat"].between(min(y0, y1), max(y0, y1))
        if not inside.all():
            left = int((~inside).sum())
            warnings.warn(
                f"{left} établissement(s) hors du cadre de la carte non dessiné(s) (outre-mer : les encarts ne sont pas à leur place réelle) / "
                f"{left} school(s) outside the map's frame not drawn (overseas: the insets are not at their real place)",
                UserWarning,
                stacklevel=2,
            )
        frame = frame[inside]
    ax.scatter(frame["lon"], frame["lat"], s=size, c=colour, marker=marker, label=label, zorder=3, **style)
    if framed:
        ax.set_xlim(limits[0])
        ax.set_ylim(limits[1])
    if label is not None:
        ax.legend(loc="best", fontsize=8)
    _frame_map(ax, None)
    return ax


def _figure(target: Axes | Figure) -> Figure:
    return target if hasattr(target, "savefig") else target.figure


def write_png(target: Axes | Figure, path: str | os.PathLike, dpi: float = 100) -> Path:
    """Write the figure of ``target`` (axes or figure) as a PNG of its size (inches × ``dpi``); return the path.

    The file is written through :func:`cmqgraph.output.atomic_file` (beside, then renamed).

    >>> import tempfile, pathlib, matplotlib.image
    >>> from shapely.geometry import box
    >>> ax = draw_outlines(pd.DataFrame({"name": ["A"], "geometry": [box(5, 46, 7, 48)]}))
    >>> ax.figure.set_size_inches(4, 3)
    >>> path = write_png(ax, pathlib.Path(tempfile.mkdtemp()) / "carte.png", dpi=50)
    >>> matplotlib.image.imread(path).shape[:2]
    (150, 200)
    """
    path = Path(path)
    with atomic_file(path) as out:
        _figure(target).savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return path


def write_svg(target: Axes | Figure, path: str | os.PathLike) -> Path:
    """Write the figure of ``target`` as a self-contained SVG (text drawn as paths, no date, stable ids); return the path.

    The same figure gives the same bytes. The file is written through :func:`cmqgraph.output.atomic_file`.
    """
    matplotlib = _extra("matplotlib")
    path = Path(path)
    with matplotlib.rc_context({"svg.hashsalt": "cmqgraph", "svg.fonttype": "path"}), atomic_file(path) as out:
        _figure(target).savefig(out, format="svg", metadata={"Date": None})
    return path
