"""The research notebooks (notebooks/*.ipynb): each runs top to bottom on the default graph, and is committed clean.

Every notebook is executed with nbclient in a fresh kernel, with ``CMQGRAPH_STORE`` pointing at the default
graph built for the session; a cell that raises, or runs longer than ``CELL_TIMEOUT`` seconds, fails the test.
Notebook 5 also gets ``CMQGRAPH_ENDPOINT``: the query URL of a real Oxigraph server to which the built graph
was pushed; the notebook itself asserts that the remote results equal the local ones. The executed copies
are written to ``tests/output/notebooks/`` (git-ignored) for inspection.
"""
# ruff: noqa: F811  (the server fixture is imported from servers.py, then named as a test argument)

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from servers import oxigraph_server  # noqa: F401  (pytest fixture)

from cmqgraph.push import push

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
OUTPUT = Path(__file__).resolve().parent / "output" / "notebooks"
#: Seconds one cell may run (the slowest cell, the national projection in notebook 3, takes a few seconds).
CELL_TIMEOUT = 300
REMOTE = "05_moteur_distant.ipynb"
ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
LOCAL = [name for name in ALL if name != REMOTE]


def execute(name: str) -> nbformat.NotebookNode:
    """Run notebook ``name`` top to bottom in a new kernel (cwd: notebooks/); write the executed copy."""
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        book, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    start = time.monotonic()
    try:
        client.execute()
    finally:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        nbformat.write(book, OUTPUT / name)
    print(f"{name}: {time.monotonic() - start:.1f} s")
    return book


def text_of(book: nbformat.NotebookNode) -> str:
    """Everything the notebook printed (streams and plain-text results)."""
    parts = []
    for cell in book.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif "data" in out:
                parts.append(out["data"].get("text/plain", ""))
    return "\n".join(parts)


def test_the_five_notebooks_are_there():
    assert ALL == [
        "01_prise_en_main.ipynb",
        "02_recouvrements_bfc.ipynb",
        "03_panorama_national.ipynb",
        "04_couverture_metiers.ipynb",
        "05_moteur_distant.ipynb",
    ]


@pytest.mark.parametrize("name", ALL)
def test_committed_notebooks_carry_no_outputs(name):
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(book)
    dirty = [
        i for i, cell in enumerate(book.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{name}: cells {dirty} carry outputs or execution counts; strip them before committing"
    assert book.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.slow
@pytest.mark.parametrize("name", LOCAL)
def test_notebook_runs_on_the_default_graph(name, built, monkeypatch):
    monkeypatch.setenv("CMQGRAPH_STORE", str(built[0]))
    monkeypatch.delenv("CMQGRAPH_ENDPOINT", raising=False)
    try:
        book = execute(name)
    except CellExecutionError as exc:
        pytest.fail(f"{name} raised:\n{exc}")
    assert all(
        out.get("output_type") != "error" for cell in book.cells for out in cell.get("outputs", [])
    )


@pytest.mark.slow
def test_remote_notebook_matches_the_local_store(built, oxigraph_server, monkeypatch):
    server = oxigraph_server
    push(server.graph_store, server.endpoint, built[0], auth=server.auth, auth_kind=server.auth_kind)
    monkeypatch.setenv("CMQGRAPH_STORE", str(built[0]))
    monkeypatch.setenv("CMQGRAPH_ENDPOINT", server.endpoint)
    try:
        book = execute(REMOTE)
    except CellExecutionError as exc:
        pytest.fail(f"{REMOTE} raised against {server.endpoint}:\n{exc}")
    printed = text_of(book)
    assert f"donnent les mêmes résultats en local et sur {server.endpoint}" in printed
