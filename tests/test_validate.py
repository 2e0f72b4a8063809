"""SHACL validation reports each violation with its focus node, path and message, and exits 1."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from cmqgraph.cli import EXIT_NOT_CONFORMING, main
from cmqgraph.validate import validate, violations

CMQ = "https://w3id.org/cmqgraph/ontology#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def store_with(tmp_path, triples):
    store = ox.Store(str(tmp_path / "store"))
    graph = ox.NamedNode("https://w3id.org/cmqgraph/graph/test")
    store.extend(ox.Quad(s, p, o, graph) for s, p, o in triples)
    store.flush()
    del store
    return tmp_path / "store"


def school(uai: str):
    node = ox.NamedNode(f"https://w3id.org/cmqgraph/id/etablissement/{uai}")
    return node, [(node, RDF_TYPE, ox.NamedNode(CMQ + "School")), (node, ox.NamedNode(CMQ + "uai"), ox.Literal(uai))]


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_a_wrong_uai_is_a_violation_naming_focus_and_path(tmp_path, engine):
    good, good_triples = school("0251349F")
    bad, bad_triples = school("025134")  # the real 0251349F cut short
    store = store_with(tmp_path, good_triples + bad_triples)
    conforms, report, text = validate(store=store, engine=engine)
    assert not conforms
    found = [v for v in violations(report) if v.severity == "Violation"]
    assert [(v.focus, v.path, v.value) for v in found] == [(bad.value, CMQ + "uai", "025134")]
    result = CliRunner().invoke(main, ["--store", str(store), "validate", "--engine", engine])
    assert result.exit_code == EXIT_NOT_CONFORMING
    assert "025134" in result.output and "uai" in result.output


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_a_conforming_graph_exits_0(tmp_path, engine):
    _, triples = school("0251349F")
    result = CliRunner().invoke(main, ["--store", str(store_with(tmp_path, triples)), "validate", "--engine", engine])
    assert result.exit_code == 0, result.output
    assert "conforms" in result.output
