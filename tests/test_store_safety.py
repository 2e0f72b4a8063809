"""A build never deletes what it did not create, never swaps a much smaller graph in, and fails cleanly on a bad disk.

Each case reproduces what a user did by mistake (issue 11): ``--store`` on an ordinary folder or on the
data folder, a build killed with SIGKILL, a full disk, a read-only folder, a damaged store.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from servers import missing

import cmqgraph
from cmqgraph.builder import clear_leftovers
from cmqgraph.errors import ShrinkError, StoreError
from cmqgraph.store import STORE_MARKER, store_kind

DATA = Path(__file__).parent / "data"


def cmqgraph_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cmqgraph", *args], capture_output=True, text=True, env=env, timeout=600)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line_error(result: subprocess.CompletedProcess, code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def thesis(tmp_path) -> Path:
    folder = tmp_path / "thesis"
    (folder / "sub").mkdir(parents=True)
    (folder / "thesis.txt").write_text("chapitre 1", encoding="utf-8")
    (folder / "sub" / "data.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    return folder


def test_an_ordinary_folder_is_never_replaced(thesis):
    before = tree(thesis)
    line = one_line_error(cmqgraph_cli("--store", str(thesis), "build", "--data", str(DATA)), 4)
    assert str(thesis) in line and "is not a cmqgraph store" in line and "sub/, thesis.txt" in line
    assert tree(thesis) == before
    assert [p.name for p in thesis.parent.iterdir()] == ["thesis"]  # no staging folder left beside it


def test_a_mistyped_store_variable_is_refused(thesis):
    before = tree(thesis)
    env = {**os.environ, "CMQGRAPH_STORE": str(thesis)}
    line = one_line_error(cmqgraph_cli("build", "--data", str(DATA), env=env), 4)
    assert "refusing to replace it" in line
    assert tree(thesis) == before


@pytest.mark.parametrize("where", ["the data folder", "inside the data folder", "around the data folder"])
def test_store_and_data_folders_must_not_overlap(tmp_path, where):
    data = tmp_path / "mes-donnees"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("dcat-ap-3.0.1", "README.md"))
    store = {"the data folder": data, "inside the data folder": data / "store", "around the data folder": tmp_path}[where]
    before = tree(data)
    line = one_line_error(cmqgraph_cli("--store", str(store), "build", "--data", str(data)), 4)
    assert f"overlaps the data folder {data}" in line
    assert tree(data) == before


def test_a_store_the_build_made_is_replaced_and_marked(tmp_path):
    store = tmp_path / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    assert store_kind(store) == "cmqgraph"
    assert json.loads((store / STORE_MARKER).read_text())["cmqgraph"] == cmqgraph.__version__
    cmqgraph.build(store=store, data_dir=DATA)
    assert store_kind(store) == "cmqgraph"
    assert [p.name for p in tmp_path.iterdir()] == ["store"]


def oxigraph_store(path: Path, graph: str) -> None:
    """An Oxigraph store without the marker, holding one quad in ``graph``."""
    old = ox.Store(str(path))
    old.add(ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"), ox.Literal("x"), ox.NamedNode(graph)))
    old.flush()
    del old


def test_a_store_of_an_earlier_version_without_marker_is_replaced(tmp_path):
    store = tmp_path / "store"
    oxigraph_store(store, "https://w3id.org/cmqgraph/graph/meta")
    assert store_kind(store) == "oxigraph"
    cmqgraph.build(store=store, data_dir=DATA)
    assert store_kind(store) == "cmqgraph"


def test_an_oxigraph_store_of_someone_else_is_not_replaced(tmp_path):
    store = tmp_path / "their-store"
    oxigraph_store(store, "https://example.org/their-graph")
    before = tree(store)
    line = one_line_error(cmqgraph_cli("--store", str(store), "build", "--data", str(DATA)), 4)
    assert "is an Oxigraph store that cmqgraph did not build" in line
    assert tree(store) == before


def dead_pid() -> int:
    """The PID of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_build_killed_with_sigkill_is_cleaned_up_by_the_next(tmp_path):
    store = tmp_path / "store"
    build = subprocess.Popen([sys.executable, "-m", "cmqgraph", "--store", str(store), "build"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = tmp_path / f".store.building-{build.pid}"
    deadline = time.monotonic() + 120
    while not (staging / "CURRENT").exists() and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    build.send_signal(signal.SIGKILL)
    build.wait()
    assert staging.is_dir(), "the build was not killed while writing its staging folder"
    report = cmqgraph.build(store=store, data_dir=DATA)
    assert report.removed == [staging]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_a_store_moved_aside_by_a_killed_swap_is_put_back(tmp_path):
    store = tmp_path / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    aside = tmp_path / f".store.old-{dead_pid()}"
    store.rename(aside)
    assert clear_leftovers(store) == [aside]
    assert store_kind(store) == "cmqgraph" and not aside.exists()


def test_leftovers_of_a_live_process_or_holding_other_files_are_kept(tmp_path):
    live = tmp_path / f".store.building-{os.getpid()}"
    live.mkdir()
    foreign = tmp_path / f".store.building-{dead_pid()}"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert clear_leftovers(tmp_path / "store") == []
    assert live.is_dir() and (foreign / "notes.txt").exists()


# ----------------------------------------------------------------------------------------------- disks

_ON_TMPFS = textwrap.dedent(
    """
    import json, subprocess, sys
    mount, size, ro = sys.argv[1], sys.argv[2], sys.argv[3] == "ro"
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mount], check=True)
    cli = [sys.executable, "-m", "cmqgraph", "--store", f"{mount}/store"]
    out = {}
    first = subprocess.run([*cli, "build", "--data", sys.argv[4]], capture_output=True, text=True)
    out["first"] = first.returncode
    if ro:
        subprocess.run(["mount", "-o", "remount,ro", mount], check=True)
    else:
        free = int(subprocess.run(["df", "--output=avail", "-B1", mount], capture_output=True, text=True).stdout.split()[-1])
        with open(f"{mount}/filler", "wb") as f:
            f.write(b"0" * max(free - 64 * 1024, 0))
    second = subprocess.run([*cli, "build", "--data", sys.argv[4]], capture_output=True, text=True)
    out.update(code=second.returncode, stderr=second.stderr, left=sorted(__import__("os").listdir(mount)))
    out["stats"] = subprocess.run([*cli, "stats"], capture_output=True, text=True).returncode
    print(json.dumps(out))
    """
)


def on_tmpfs(tmp_path: Path, size: str, mode: str) -> dict:
    """Build twice on a private tmpfs (in a mount namespace): the second build finds the disk full or read-only."""
    if shutil.which("unshare") is None:
        missing("unshare (util-linux) is needed to mount a private tmpfs")
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(
        ["unshare", "--mount", "--map-root-user", sys.executable, "-c", _ON_TMPFS, str(mount), size, mode, str(DATA)],
        capture_output=True, text=True, timeout=600,
    )
    if result.returncode != 0 and "mount" in result.stderr:
        missing(f"cannot mount a private tmpfs here: {result.stderr.strip()[-200:]}")
    return json.loads(result.stdout)


def test_a_full_disk_is_a_clear_error_and_keeps_the_previous_graph(tmp_path):
    out = on_tmpfs(tmp_path, "16m", "full")
    assert out["first"] == 0
    assert out["code"] == 4 and "Traceback" not in out["stderr"]
    assert "cannot write the new graph" in out["stderr"] and "No space left on device" in out["stderr"]
    assert out["left"] == ["filler", "store"]  # the staging folder was removed
    assert out["stats"] == 0  # the previous graph still opens


def test_a_read_only_folder_is_a_clear_error(tmp_path):
    out = on_tmpfs(tmp_path, "16m", "ro")
    assert out["first"] == 0
    assert out["code"] == 4 and "Traceback" not in out["stderr"]
    assert "Read-only file system" in out["stderr"] and len(out["stderr"].strip().splitlines()) == 1
    assert out["stats"] == 0


# ----------------------------------------------------------------------------------------- damaged stores


def _garbage_current(store: Path) -> None:
    (store / "CURRENT").write_bytes(b"garbage\n")


def _zeroed_tables(store: Path) -> None:
    for table in store.glob("*.sst"):
        table.write_bytes(bytes(table.stat().st_size))


def _truncated_tables(store: Path) -> None:
    for table in store.glob("*.sst"):
        os.truncate(table, 100)


@pytest.mark.parametrize("damage", [_garbage_current, _zeroed_tables, _truncated_tables], ids=["CURRENT", "zeroed-sst", "truncated-sst"])
def test_a_damaged_store_exits_4_and_a_build_replaces_it(tmp_path, damage):
    store = tmp_path / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    damage(store)
    line = one_line_error(cmqgraph_cli("--store", str(store), "stats"), 4)
    assert "is damaged" in line and "Corruption" in line and "cmqgraph build" in line
    with pytest.raises(StoreError, match="is damaged"):
        cmqgraph.open_store(store)
    report = cmqgraph.build(store=store, data_dir=DATA)
    assert report.previous is None and "could not be read" in report.previous_note
    assert cmqgraph.open_store(store) is not None


# ------------------------------------------------------------------------------------------ the swap guard


def small_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("dcat-ap-3.0.1", "README.md"))
    return data


def test_a_much_smaller_graph_is_not_swapped_in(tmp_path):
    store, data = tmp_path / "store", small_data(tmp_path)
    cmqgraph.build(store=store, data_dir=data)
    campuses = (data / "cmq_campus_list.csv").read_text(encoding="utf-8").splitlines()
    assert len(campuses) == 15  # the header and 14 campuses (tests/data/README.md)
    (data / "cmq_campus_list.csv").write_text("\n".join(campuses[:4]) + "\n", encoding="utf-8")  # a truncated list: 3 campuses
    before = tree(store)
    with pytest.raises(ShrinkError) as err:
        cmqgraph.build(store=store, data_dir=data)
    assert "cmq (cmq_campus_list.csv): cmq:Campus 14 → 3 (-79%)" in str(err.value)
    assert tree(store) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "store"]
    report = cmqgraph.build(store=store, data_dir=data, accept_shrink=True)
    assert next(s for s in report.sources if s.name == "cmq").previous_rows == 14
    assert next(s for s in report.sources if s.name == "cmq").rows == 3


def test_a_small_change_is_swapped_in_with_the_previous_counts(tmp_path):
    store, data = tmp_path / "store", small_data(tmp_path)
    cmqgraph.build(store=store, data_dir=data)
    campuses = (data / "cmq_campus_list.csv").read_text(encoding="utf-8").splitlines()
    (data / "cmq_campus_list.csv").write_text("\n".join(campuses[:-1]) + "\n", encoding="utf-8")  # one campus fewer
    report = cmqgraph.build(store=store, data_dir=data)
    cmq = next(s for s in report.sources if s.name == "cmq")
    assert (cmq.previous_rows, cmq.rows) == (14, 13)


def test_the_command_line_stops_a_shrinking_build_with_exit_7_and_shows_the_change(tmp_path):
    store, data = tmp_path / "store", small_data(tmp_path)
    assert cmqgraph_cli("--store", str(store), "build", "--data", str(data)).returncode == 0
    campuses = (data / "cmq_campus_list.csv").read_text(encoding="utf-8").splitlines()
    (data / "cmq_campus_list.csv").write_text("\n".join(campuses[:4]) + "\n", encoding="utf-8")
    line = one_line_error(cmqgraph_cli("--store", str(store), "build", "--data", str(data)), 7)
    assert "cmq:Campus 14 → 3" in line and "--accept-shrink" in line
    accepted = cmqgraph_cli("--store", str(store), "build", "--data", str(data), "--accept-shrink", env={**os.environ, "COLUMNS": "200"})
    assert accepted.returncode == 0, accepted.stderr
    [cmq] = [row for row in accepted.stdout.splitlines() if row.startswith("│ cmq ")]
    cells = [c.strip() for c in cmq.strip("│").split("│")]
    assert cells[:4] == ["cmq", "vôtre / yours", "3", "-11"]


def test_a_staging_folder_of_this_pid_holding_other_files_is_left_alone(tmp_path):
    """An earlier process with the same PID left a staging folder in which someone put a file: it is not removed."""
    staging = tmp_path / f".store.building-{os.getpid()}"
    staging.mkdir()
    (staging / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="holds files that are not a graph store's"):
        cmqgraph.build(store=tmp_path / "store", data_dir=DATA)
    assert (staging / "notes.txt").read_text() == "mine"


def test_commands_run_in_a_checkout_find_the_graph_make_demo_built_there(tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "notebooks").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text('[project]\nname = "cmqgraph"\n', encoding="utf-8")
    cmqgraph.build(store=checkout / "var" / "store", data_dir=DATA)
    env = {k: v for k, v in os.environ.items() if k != "CMQGRAPH_STORE"} | {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "home")}
    found = subprocess.run([sys.executable, "-m", "cmqgraph", "sources"], capture_output=True, text=True, env=env, timeout=600,
                           cwd=checkout / "notebooks")
    assert found.returncode == 0, found.stderr
    assert "cmq_membres" in found.stdout
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    missing_graph = subprocess.run([sys.executable, "-m", "cmqgraph", "sources"], capture_output=True, text=True, env=env, timeout=600,
                                   cwd=outside)
    assert missing_graph.returncode != 0
    assert str(tmp_path / "home") in one_line_error(missing_graph, missing_graph.returncode)
