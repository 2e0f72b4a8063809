"""Shared fixtures: small real extracts in tests/data (origins in tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cmqgraph
from cmqgraph.sources import BuildContext

DATA = Path(__file__).parent / "data"


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
