"""Every output format of a small build, pinned by a snapshot in ``tests/snapshots``: a changed shape fails here.

The build is of the real extracts of ``tests/data`` (two fixed dates: ``SOURCE_DATE_EPOCH``). RDF is compared as
RDF, as linkml's snapshot tests do: the N-Quads dump as a set of quads against ``cmqgraph.nq.gz`` (the data mint
no blank nodes), the Turtle, N-Triples and JSON-LD dumps as graphs against that snapshot's union, and the
catalogue (which has blank nodes) by isomorphism against ``catalog.ttl``, the Turtle and the JSON-LD files
alike. Everything else (each CSV table, ``datapackage.json``, the network's CSV, GEXF and GraphML, a saved
query's CSV, French CSV and JSON) is compared as text.

After a change meant to alter an output, ``make snapshots`` (``pytest tests/test_snapshots.py
--update-snapshots``) rewrites the files; the diff then shows what users get that is new.
"""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from conftest import DATA
from rdflib.compare import isomorphic

import cmqgraph
from cmqgraph import export, network
from cmqgraph.engine import format_frame, run_query
from cmqgraph.tables import TABLES

SNAPSHOTS = Path(__file__).parent / "snapshots"
EPOCH = "1700000000"
BASE_URL = "https://example.org/cmqgraph"
ENDPOINT = "https://example.org/cmqgraph/sparql"
#: The saved query whose answers are pinned, and its parameters.
QUERY, PARAMS = "campus_par_territoire", {"region": "Bourgogne-Franche-Comté"}
TEXT_FILES = [
    *(f"{t.name}.csv" for t in TABLES), "datapackage.json",
    *(f"network/{name}.csv" for name in ("pairs", "centrality", "communities", "territories")), "network/overlap.gexf", "network/overlap.graphml",
    f"query/{QUERY}.csv", f"query/{QUERY}-fr.csv", f"query/{QUERY}.json",
]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    """Every output of the small build, in one folder (the layout of ``tests/snapshots``)."""
    root = tmp_path_factory.mktemp("outputs")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
    try:
        store = root / "store"
        cmqgraph.build(store=store, data_dir=DATA)
        out = root / "out"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # with a base URL, the export must not warn
            export.export(store, out, ["ttl", "nt", "nq", "jsonld", "csv", "dcat"], base_url=BASE_URL, sparql_endpoint=ENDPOINT)
        G = network.project(store)
        network.write_csv(network.metrics(G), out / "network")
        network.write_gexf(G, out / "network" / "overlap.gexf")
        network.write_graphml(G, out / "network" / "overlap.graphml")
        frame = run_query(QUERY, PARAMS, store=store)
        (out / "query").mkdir()
        for fmt, name in (("csv", f"{QUERY}.csv"), ("csv-fr", f"{QUERY}-fr.csv"), ("json", f"{QUERY}.json")):
            (out / "query" / name).write_bytes(format_frame(frame, fmt).encode("utf-8"))
    finally:
        mp.undo()
    return out


@pytest.fixture(scope="module")
def update(request) -> bool:
    return request.config.getoption("--update-snapshots")


def _snapshot(name: str, data: bytes, update: bool) -> bytes:
    """The snapshot ``name`` (rewritten with ``data`` first under ``--update-snapshots``)."""
    path = SNAPSHOTS / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if not path.exists():
        pytest.fail(f"no snapshot {path}: run 'make snapshots' and review the new file")
    return path.read_bytes()


def _quads(data: bytes) -> set[str]:
    return {str(q) for q in ox.parse(data, ox.RdfFormat.N_QUADS)}


def test_the_nquads_dump_holds_the_snapshot_quads(outputs, update):
    dumped = (outputs / "cmqgraph.nq").read_bytes()
    pinned = gzip.decompress(_snapshot("cmqgraph.nq.gz", gzip.compress(dumped, mtime=0), update))
    assert _quads(dumped) == _quads(pinned)


@pytest.mark.parametrize("name, fmt", [("cmqgraph.ttl", "turtle"), ("cmqgraph.nt", "nt"), ("cmqgraph.jsonld", "json-ld")])
def test_each_rdf_dump_is_the_snapshot_graph(outputs, name, fmt):
    pinned = rdflib.Graph()
    for q in ox.parse(gzip.decompress((SNAPSHOTS / "cmqgraph.nq.gz").read_bytes()), ox.RdfFormat.N_QUADS):
        pinned.parse(data=f"{q.triple} .", format="nt")
    dumped = rdflib.Graph().parse(outputs / name, format=fmt)
    assert len(dumped) == len(pinned) and isomorphic(dumped, pinned)


@pytest.mark.parametrize("name, fmt", [("catalog.ttl", "turtle"), ("catalog.jsonld", "json-ld")])
def test_the_catalogue_is_the_snapshot_catalogue(outputs, update, name, fmt):
    if name == "catalog.ttl":
        _snapshot(name, (outputs / name).read_bytes(), update)
    pinned = rdflib.Graph().parse(SNAPSHOTS / "catalog.ttl", format="turtle")
    written = rdflib.Graph().parse(outputs / name, format=fmt)
    assert isomorphic(written, pinned)


@pytest.mark.parametrize("name", TEXT_FILES)
def test_each_text_output_is_its_snapshot(outputs, update, name):
    written = (outputs / name).read_bytes()
    assert written.decode("utf-8") == _snapshot(name, written, update).decode("utf-8")
