"""Bad input gets a clear error naming the file, line and value, and never harms the built graph."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from cmqgraph import build
from cmqgraph.errors import SourceFileError
from cmqgraph.sources import BuildContext
from cmqgraph.sources.filieres import Filieres
from cmqgraph.sources.territoires import Territoires

DATA = Path(__file__).parent / "data"
TERRITOIRES = ("orion_departements_academies_regions.csv", "academies_geo.json", "regions_geo.json")


def context_with(tmp_path: Path, name: str, content: bytes) -> BuildContext:
    (tmp_path / name).write_bytes(content)
    files = {n: DATA / n for n in TERRITOIRES + ("cmq_filieres_12.csv",)}
    files[name] = tmp_path / name
    return BuildContext(files=files)


def real(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_missing_file(tmp_path):
    ctx = BuildContext(files={"cmq_filieres_12.csv": tmp_path / "cmq_filieres_12.csv"})
    with pytest.raises(SourceFileError, match="file not found") as err:
        list(Filieres(ctx).triples())
    assert err.value.path.name == "cmq_filieres_12.csv"


def test_missing_column(tmp_path):
    content = real("cmq_filieres_12.csv").replace(b"filiere_cmq", b"filiere", 1)
    with pytest.raises(SourceFileError, match="missing column.*'filiere_cmq'") as err:
        list(Filieres(context_with(tmp_path, "cmq_filieres_12.csv", content)).triples())
    assert err.value.line == 1


def test_wrong_separator(tmp_path):
    content = real("cmq_filieres_12.csv").replace(b";", b",")
    with pytest.raises(SourceFileError, match="wrong separator: expected ';'; it seems to use ','") as err:
        list(Filieres(context_with(tmp_path, "cmq_filieres_12.csv", content)).triples())
    assert "cmq_filieres_12.csv, line 1" in str(err.value)


def test_wrong_encoding_names_the_line(tmp_path):
    content = real("cmq_filieres_12.csv").decode("utf-8").encode("cp1252")
    with pytest.raises(SourceFileError, match="not valid UTF-8") as err:
        list(Filieres(context_with(tmp_path, "cmq_filieres_12.csv", content)).triples())
    assert err.value.line == 2  # "Mobilité, …" is the first value with an accent


def test_duplicated_key_is_warned_and_first_kept(tmp_path):
    lines = real("cmq_filieres_12.csv").decode("utf-8").splitlines()
    content = "\n".join(lines + [lines[3]]).encode("utf-8")
    ctx = context_with(tmp_path, "cmq_filieres_12.csv", content)
    triples = list(Filieres(ctx).triples())
    assert len({s for s, p, o in triples if str(o).endswith("#Sector")}) == 12
    [issue] = ctx.issues
    assert (issue.line, issue.severity, issue.value) == (len(lines) + 1, "warning", "Création, design, audiovisuel")


def test_territoire_feature_with_unknown_code(tmp_path):
    content = real("regions_geo.json").replace(b'"reg": "27"', b'"reg": "X7"')
    ctx = context_with(tmp_path, "regions_geo.json", content)
    with pytest.raises(SourceFileError, match="unknown code in property 'reg'") as err:
        list(Territoires(ctx).triples())
    assert err.value.value == "X7"


def test_failed_build_leaves_previous_store_and_exits_3(tmp_path):
    store = tmp_path / "store"
    previous = ox.Store(str(store))
    marker = ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"), ox.Literal("before"))
    previous.add(marker)
    previous.flush()
    del previous
    data = tmp_path / "data"
    data.mkdir()
    bad = real("orion_departements_academies_regions.csv").replace(b";", b"\t")
    (data / "orion_departements_academies_regions.csv").write_bytes(bad)
    with pytest.raises(SourceFileError):
        build(store=store, data_dir=data, with_defaults=True)
    result = subprocess.run(
        [sys.executable, "-m", "cmqgraph", "--store", str(store), "build", "--data", str(data), "--with-defaults"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "orion_departements_academies_regions.csv, line 1: wrong separator" in result.stderr
    assert list(ox.Store.read_only(str(store)).quads_for_pattern(None, None, None)) == [marker]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".store")] == []


def test_missing_file_in_data_folder_exits_3(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "cmq_filieres_12.csv", data)
    result = subprocess.run(
        [sys.executable, "-m", "cmqgraph", "--store", str(tmp_path / "store"), "build", "--data", str(data)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 3
    assert "orion_departements_academies_regions.csv: file not found" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "store").exists()
