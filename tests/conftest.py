"""Shared fixtures: small real extracts in tests/data (origins in tests/data/README.md)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from filelock import FileLock

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


def pytest_collection_modifyitems(items):
    """Mark ``slow`` every test that needs the full default graph (``make check`` leaves slow tests out), and keep each
    module's tests in one pytest-xdist worker (``--dist loadgroup``), so that its fixtures are set up once.

    A module marked ``xdist_group(name)`` joins that group instead: the modules sharing the session's servers
    run in the same worker.
    """
    for item in items:
        if "built" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.fixture(scope="session")
def small_built(tmp_path_factory) -> Path:
    """The store built from the extracts of tests/data (some 6,800 triples, a few seconds), once per worker: read it only."""
    store = tmp_path_factory.mktemp("small") / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    return store


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The full default graph, built once per test run: ``(store path, BuildReport)``.

    Under pytest-xdist the workers share it: the first to ask builds it into the run's temporary folder,
    under a file lock, and the others read the report it pickled beside the store.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        store = tmp_path_factory.mktemp("default") / "store"
        return store, cmqgraph.build(store=store)
    shared = tmp_path_factory.getbasetemp().parent / "default"  # the run's folder, above each worker's
    shared.mkdir(exist_ok=True)
    saved = shared / "report.pickle"
    with FileLock(shared / "build.lock"):
        if not saved.exists():
            report = cmqgraph.build(store=shared / "store")
            saved.write_bytes(pickle.dumps(report))
    return shared / "store", pickle.loads(saved.read_bytes())
