"""The synthetic data of the scaling run (tests/scale.py): k× the schools of the real files, and nothing else changed."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyoxigraph
from scale import SCALED, scaled_data

import cmqgraph
from cmqgraph.sources.base import uai_is_valid

DATA = Path(__file__).parent / "data"
UAI = re.compile(r"\b[0-9]{7}[A-Z]\b")
SCHOOLS = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a <https://w3id.org/cmqgraph/ontology#School> ; <https://w3id.org/cmqgraph/ontology#uai> ?u }"


def uai_rows(path: Path) -> list[str]:
    """The UAI-bearing records of a scaled file, each as text: a CSV's rows, the IVAL file's ``lycees`` records."""
    if path.suffix == ".json":
        return [json.dumps(r, ensure_ascii=False) for r in json.loads(path.read_text(encoding="utf-8"))["lycees"]]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [";".join(row) for row in list(csv.reader(handle, delimiter=";"))[1:] if UAI.search(";".join(row))]


def schools(store: Path) -> int:
    answer = pyoxigraph.Store.read_only(str(store)).query(SCHOOLS, use_default_graph_as_union=True)
    return int(next(iter(answer))["n"].value)


def test_each_school_file_has_its_rows_k_times_with_new_valid_uais(tmp_path):
    out = scaled_data(3, tmp_path / "x3", source=DATA)
    real = {u for name in SCALED for row in uai_rows(DATA / name) for u in UAI.findall(row)}
    for name in SCALED:
        before, after = uai_rows(DATA / name), uai_rows(out / name)
        assert len(after) == 3 * len(before), name
        assert after[: len(before)] == before, name  # the real rows first, as they were
        new = {u for row in after[len(before):] for u in UAI.findall(row)} - real
        assert new and all(uai_is_valid(u) for u in new), name
        assert {u[:3] for u in new} <= {u[:3] for u in real}, name  # the départements of the real ones
        if name.endswith(".csv"):  # same header, byte for byte
            assert (out / name).read_bytes().splitlines()[0] == (DATA / name).read_bytes().splitlines()[0], name
    unscaled = sorted(p.name for p in DATA.glob("*.csv") if p.name not in SCALED)
    assert all((out / n).read_bytes() == (DATA / n).read_bytes() for n in unscaled)


def test_a_build_of_twice_the_data_has_twice_the_schools(tmp_path, small_built):
    store = tmp_path / "store"
    cmqgraph.build(store=store, data_dir=scaled_data(2, tmp_path / "x2", source=DATA))
    assert schools(store) == 2 * schools(small_built) > 0
