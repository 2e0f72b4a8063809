"""cmqgraph.maps: outlines and school points read from the graph, choropleths and points drawn offline.

Expected figures are read from the raw files (the GeoJSON outlines, the lycées file, the members file) with
the json and csv modules, not from the code under test.
"""

from __future__ import annotations

import csv
import json
import re
import socket
import warnings
from pathlib import Path

import cmqgraph
import matplotlib
import matplotlib.image
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from cmqgraph import engine, maps
from cmqgraph.errors import FilterError
from conftest import DATA

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "graph" / "data"
MANDELA = "0250001R"  # lycée professionnel Nelson Mandela, Audincourt


def features(folder: Path, name: str, key: str) -> set[str]:
    """The codes of the features of a GeoJSON outline file."""
    return {str(f["properties"][key]) for f in json.loads((folder / name).read_text(encoding="utf-8"))["features"]}


def lycee(folder: Path, uai: str) -> dict:
    """The first record of ``uai`` with coordinates in the lycées file of ``folder``."""
    records = json.loads((folder / "lycees_geolocalisation_ival_2025.json").read_text(encoding="utf-8"))["lycees"]
    return next(r for r in records if r["uai"] == uai and r["lat"] is not None)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """The graph of the tests/data extracts (1 région, 2 académies outlined)."""
    store = tmp_path_factory.mktemp("maps") / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    return store


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def no_network(monkeypatch):
    """Make any attempt to reach the network (name lookup or connection) fail loudly."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    for name in ("create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


# ------------------------------------------------------------------------------------------ small build


def test_outlines_of_the_extracts(small):
    regions, academies = maps.outlines(small, "region"), maps.outlines(small, "academie")
    assert set(regions["code"]) == features(DATA, "regions_geo.json", "reg") == {"27"}
    assert set(academies["code"]) == features(DATA, "academies_geo.json", "code_academie") == {"03", "07"}
    assert set(academies["region"]) == {"27"}
    assert dict(zip(academies["code"], academies["name"])) == {"03": "Besançon", "07": "Dijon"}
    assert all(g.geom_type in ("Polygon", "MultiPolygon") and g.is_valid for g in academies["geometry"])


def test_outline_rows_hold_the_geojson_text_of_the_raw_file(small):
    """The rows the server's map reads (no shapely): the geometry of the file, as text, beside the same columns."""
    rows = maps.outline_rows(small, "academie")
    assert list(rows.columns) == ["iri", "code", "name", "region", "geojson"]
    raw = {str(f["properties"]["code_academie"]): f["geometry"] for f in json.loads((DATA / "academies_geo.json").read_text(encoding="utf-8"))["features"]}
    assert {code: json.loads(text) for code, text in zip(rows["code"], rows["geojson"])} == raw
    with pytest.raises(ValueError, match="departement"):
        maps.outline_rows(small, "departement")


def test_a_known_lycee_has_its_point_from_the_raw_file(small):
    record = lycee(DATA, MANDELA)
    row = maps.school_points(small).set_index("uai").loc[MANDELA]
    assert (row["lon"], row["lat"]) == (record["lng"], record["lat"])
    assert (row["region"], row["academie"]) == ("27", "03")


def test_a_choropleth_is_written_as_png_and_svg_without_network(small, tmp_path, no_network):
    graph = cmqgraph.open_graph(small)  # queried in this process, where the sockets are patched
    counts = pd.DataFrame({"academie": ["Besançon", "Dijon"], "campus": [4, 2]})
    ax = maps.choropleth(counts, "campus", level="academie", on="academie", title="Campus", store=graph)
    maps.points(maps.school_points(graph, academie="03"), ax=ax, label="établissements")
    ax.figure.set_size_inches(5, 4)
    png = maps.write_png(ax, tmp_path / "carte.png", dpi=60)
    assert matplotlib.image.imread(png).shape[:2] == (240, 300)
    svg = maps.write_svg(ax.figure, tmp_path / "carte.svg").read_text(encoding="utf-8")
    references = re.findall(r'href="([^"]*)"', svg)
    assert references and all(r.startswith(("#", "data:")) for r in references) and "@import" not in svg  # self-contained
    assert sorted(p.name for p in tmp_path.iterdir()) == ["carte.png", "carte.svg"]


def test_the_same_map_gives_the_same_svg(small, tmp_path):
    shapes = maps.outlines(small, "academie")
    first = maps.write_svg(maps.draw_outlines(shapes, names=True), tmp_path / "a.svg").read_bytes()
    second = maps.write_svg(maps.draw_outlines(shapes, names=True), tmp_path / "b.svg").read_bytes()
    assert first == second


def test_values_are_joined_by_iri_code_or_name(small):
    shapes = maps.outlines(small, "academie")
    by = {
        "iri": pd.DataFrame({"t": shapes["iri"], "n": [1, 5]}),
        "code": pd.DataFrame({"t": ["03", "07"], "n": [1, 5]}),
        "name": pd.DataFrame({"t": ["Besançon", "Dijon"], "n": [1, 5]}).set_index("t"),
    }
    colours = []
    for key, frame in by.items():
        ax = maps.choropleth(frame, "n", level="academie", on=None if key == "name" else "t", store=small)
        colours.append([tuple(p.get_facecolor()) for p in ax.patches])
    assert colours[0] == colours[1] == colours[2]
    assert sorted(t.get_text() for t in ax.texts) == ["1", "5"]


def test_a_territory_without_value_is_grey_and_a_repeat_is_refused(small):
    ax = maps.choropleth(pd.DataFrame({"t": ["03"], "n": [2]}), "n", level="academie", on="t", store=small)
    grey = matplotlib.colors.to_rgba(maps.NO_VALUE_COLOUR)
    assert sum(tuple(p.get_facecolor()) == grey for p in ax.patches) >= 1
    with pytest.raises(ValueError, match="aggregate first"):
        maps.choropleth(pd.DataFrame({"t": ["03", "03"], "n": [1, 2]}), "n", level="academie", on="t", store=small)
    with pytest.raises(FilterError):
        maps.choropleth(pd.DataFrame({"t": ["Lyon"], "n": [1]}), "n", level="academie", on="t", store=small)
    with pytest.raises(ValueError, match="unknown level"):
        maps.outlines(small, "departement")


def test_unknown_filters_name_the_closest(small):
    with pytest.raises(FilterError, match="Besançon"):
        maps.school_points(small, academie="Besanco")
    with pytest.raises(FilterError, match="Mobicampus"):
        maps.school_points(small, members="Mobicampsu")
    assert len(maps.school_points(small, academie="besancon")) == len(maps.school_points(small, academie="03"))


# ------------------------------------------------------------------------------------------ default graph


@pytest.mark.slow
def test_outline_count_per_level(built):
    store = built[0]
    regions, academies = maps.outlines(store, "region"), maps.outlines(store, "academie")
    assert len(regions) == 18 == len(features(SHIPPED, "regions_geo.json", "reg"))
    assert set(academies["code"]) == features(SHIPPED, "academies_geo.json", "code_academie")
    assert len(academies) == 30


@pytest.mark.slow
def test_school_points_of_the_default_graph(built):
    store = built[0]
    record = lycee(SHIPPED, MANDELA)
    every = maps.school_points(store)
    assert every["uai"].is_unique
    row = every.set_index("uai").loc[MANDELA]
    assert (row["lon"], row["lat"]) == (record["lng"], record["lat"])
    region = maps.school_points(store, region="Bourgogne-Franche-Comté")
    assert set(region["region"]) == {"27"} and region.equals(maps.school_points(store, region="27"))
    assert MANDELA in set(region["uai"])


@pytest.mark.slow
def test_members_and_scope_points_of_mobicampus(built):
    store = built[0]
    with open(SHIPPED / "cmq_membres.csv", encoding="utf-8", newline="") as f:
        listed = {r["uai"] for r in csv.DictReader(f, delimiter=";") if r["campus_nom"].startswith("Mobicampus") and r["uai"]}
    assert listed == {MANDELA}  # the other members listed are universities and bodies, without a UAI
    assert MANDELA in set(maps.school_points(store, members="Mobicampus")["uai"])
    scope = maps.school_points(store, scope="Mobicampus")
    assert "0251994G" in set(scope["uai"])  # lycée Germaine Tillion, Montbéliard: BAC PRO maintenance des véhicules
    assert set(scope["academie"]) == {"03"}
    assert len(scope) == engine.run_query("perimetre_du_campus", {"campus": "Mobicampus"}, store=store)["uai"].nunique()


@pytest.mark.slow
def test_paris_is_drawn_after_the_academies_around_it(built):
    ax = maps.draw_outlines(maps.outlines(built[0], "academie"), names=True)
    order = [t.get_text() for t in ax.texts]
    assert order.index("Paris") > order.index("Créteil") and order.index("Paris") > order.index("Versailles")


@pytest.mark.slow
def test_overseas_points_are_left_out_of_a_national_map(built):
    store = built[0]
    records = json.loads((SHIPPED / "lycees_geolocalisation_ival_2025.json").read_text(encoding="utf-8"))["lycees"]
    overseas = {r["uai"] for r in records if str(r["codeDept"]).startswith("97") and r["lat"] is not None}
    regions = engine.run_query("regions_classement", store=store)
    ax = maps.choropleth(regions, "nb_campus", level="region", on="region", store=store)
    limits = ax.get_xlim(), ax.get_ylim()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        maps.points(maps.school_points(store), ax=ax, size=1)
    assert [str(w.message).split(" ")[0] for w in caught] == [str(len(overseas))]
    assert (ax.get_xlim(), ax.get_ylim()) == limits
