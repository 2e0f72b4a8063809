"""Shared fixtures: small real extracts in tests/data (origins in tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cmqgraph
from cmqgraph.sources import BuildContext

DATA = Path(__file__).parent / "data"


def pytest_addoption(parser):
    parser.addoption(
        "--update-snapshots", action="store_true",
        help="Rewrite tests/snapshots from the current outputs (make snapshots) instead of comparing with them.",
    )


def build_with_campus_renamed(folder: Path, old: str, new: str) -> Path:
    """Build the extracts of tests/data into ``folder/store``, the campus named ``old`` renamed ``new``; return the store.

    ``new`` is written as a quoted CSV field when it holds ``;`` or ``"``.
    """
    data = folder / "data"
    data.mkdir()
    for path in DATA.iterdir():
        if path.is_file() and path.suffix in (".csv", ".json"):
            (data / path.name).write_bytes(path.read_bytes())
    campuses = data / "cmq_campus_list.csv"
    text = campuses.read_text(encoding="utf-8")
    assert text.count(f"\n{old};") == 1
    field = '"' + new.replace('"', '""') + '"' if any(c in new for c in ';"') else new
    campuses.write_text(text.replace(f"\n{old};", f"\n{field};"), encoding="utf-8")
    cmqgraph.build(store=folder / "store", data_dir=data)
    return folder / "store"


def fixture_context(*names: str, folder: Path = DATA) -> BuildContext:
    """Return a BuildContext whose files are the extracts ``names`` in ``folder``."""
    return BuildContext(files={name: folder / name for name in names})


@pytest.fixture
def make_context():
    """Build a BuildContext over real extracts: ``make_context("file.csv", ...)``."""
    return fixture_context


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The full default graph, built once per test session: ``(store path, BuildReport)``."""
    store = tmp_path_factory.mktemp("default") / "store"
    report = cmqgraph.build(store=store)
    return store, report
