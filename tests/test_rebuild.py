"""A build over a store an earlier build made reruns only the sources a changed file touches (cmqgraph.buildstate).

Each test takes its own copy of the store built from the extracts of tests/data (some 6,800 triples), changes one
file of a copy of the data the way a newer official file would (a campus fewer in the CMQ list), and compares the rebuilt store
with a full build of the same files, quad for quad.
"""

from __future__ import annotations

import pickle
import shutil
import sqlite3
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

import cmqgraph
from cmqgraph.cli import main
from cmqgraph.store import BUILD_STATE, SEARCH_INDEX

DATA = Path(__file__).parent / "data"

#: The sources that read nothing the CMQ list's source publishes (campuses), directly or through another
#: source: read off the `reads` of each source in cmqgraph.sources.REGISTRY.
NOT_FROM_THE_CAMPUS_LIST = {
    "territoires", "filieres", "rome", "onisep", "bcn_formations", "bcn_mef", "familles_metiers", "diplomes_pro",
    "kit_apprentissage", "certifinfo", "actions_prioritaires", "inserjeunes", "acce", "affelnet", "poles",
    "territoires_innovation", "pia3",
}


def quads(store: Path) -> set[bytes]:
    return set(ox.Store.read_only(str(store)).dump(format=ox.RdfFormat.N_QUADS).splitlines())


def index_rows(store: Path) -> list[str]:
    with sqlite3.connect(store / SEARCH_INDEX) as db:
        return sorted(db.iterdump())


@pytest.fixture
def data(tmp_path) -> Path:
    """A copy of tests/data: the files a user drops in."""
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("dcat-ap-*", "README.md"))
    return folder


def drop_last_campus(data: Path) -> None:
    """Remove the last row of the CMQ list in ``data``."""
    path = data / "cmq_campus_list.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")


@pytest.fixture
def previous(tmp_path, small_built) -> Path:
    """A store of its own, as a build of tests/data left it (a copy of the session's build of the same files)."""
    return Path(shutil.copytree(small_built, tmp_path / "store"))


def campuses(store: Path) -> int:
    rows = ox.Store.read_only(str(store)).query(
        "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a <https://w3id.org/cmqgraph/ontology#Campus> }", use_default_graph_as_union=True
    )
    return int(next(iter(rows))["n"].value)


def test_a_changed_campus_list_reruns_only_what_reads_it_and_gives_the_full_build_quads(tmp_path, data, previous):
    before = campuses(previous)
    drop_last_campus(data)
    report = cmqgraph.build(store=previous, data_dir=data)
    assert {s.name for s in report.sources if s.kept} == NOT_FROM_THE_CAMPUS_LIST
    assert "cmq" in {s.name for s in report.sources if not s.kept}
    full = cmqgraph.build(store=tmp_path / "full", data_dir=data, full=True)
    assert not any(s.kept for s in full.sources)
    assert quads(previous) == quads(tmp_path / "full")
    assert index_rows(previous) == index_rows(tmp_path / "full")
    assert [(s.name, s.rows, s.triples, len(s.issues)) for s in report.sources] == [
        (s.name, s.rows, s.triples, len(s.issues)) for s in full.sources
    ]
    assert campuses(previous) == before - 1


def test_unchanged_files_keep_every_graph(previous, data):
    before = quads(previous)
    report = cmqgraph.build(store=previous, data_dir=data)
    assert all(s.kept for s in report.sources)
    assert quads(previous) == before


def test_a_failed_rebuild_leaves_the_previous_store_as_it_was(tmp_path, data, previous, monkeypatch):
    before, state = quads(previous), (previous / BUILD_STATE).read_bytes()
    drop_last_campus(data)

    def broken(self):
        yield from ()
        raise OSError(28, "No space left on device (simulated)")

    monkeypatch.setattr("cmqgraph.sources.cmq_membres.CampusMembers.triples", broken)
    with pytest.raises(cmqgraph.errors.StoreError, match="No space left"):
        cmqgraph.build(store=previous, data_dir=data)
    assert quads(previous) == before and (previous / BUILD_STATE).read_bytes() == state
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "store"]


def test_full_reruns_every_source(previous, data):
    report = cmqgraph.build(store=previous, data_dir=data, full=True)
    assert not any(s.kept for s in report.sources)


class _Exploit:
    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


def test_a_state_file_that_would_run_code_is_refused_and_the_build_is_full(tmp_path, previous, data):
    exploit = _Exploit()
    exploit.target = str(tmp_path / "ran")
    (previous / BUILD_STATE).write_bytes(pickle.dumps({"fingerprint": "x", "sources": exploit}))
    report = cmqgraph.build(store=previous, data_dir=data)
    assert not (tmp_path / "ran").exists()
    assert not any(s.kept for s in report.sources)


def test_a_state_left_by_other_code_is_not_reused(previous, data, monkeypatch):
    monkeypatch.setattr("cmqgraph.buildstate.code_fingerprint", lambda: "another version of the code")
    report = cmqgraph.build(store=previous, data_dir=data)
    assert not any(s.kept for s in report.sources)


def test_the_cli_says_which_sources_kept_their_graph(previous, data, monkeypatch):
    monkeypatch.setattr("cmqgraph.cli.console.width", 200)  # the table's full cells, as a wide terminal shows them
    drop_last_campus(data)
    result = CliRunner().invoke(main, ["--store", str(previous), "build", "--data", str(data)])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 5}
    assert "gardé / kept" in rows["rome"] and "gardé / kept" not in rows["cmq"]
    result = CliRunner().invoke(main, ["--store", str(previous), "build", "--data", str(data), "--full"])
    assert result.exit_code == 0 and "gardé" not in result.output
