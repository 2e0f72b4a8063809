"""The closed cmq: namespace and the internal queries, checked without building anything (a few seconds)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from cmqgraph import iris
from cmqgraph.iris import CMQ, PREFIXES
from cmqgraph.resources import internal_queries_dir, internal_query, ontology_path
from cmqgraph.saved_queries import load_queries

ROOT = Path(__file__).resolve().parents[1]
GRAPH_DIR = ROOT / "graph"
QUERY_FILES = sorted((ROOT / "queries").rglob("*.rq"))
NAMESPACE = str(CMQ)
#: A ``cmq:`` prefixed name in SPARQL text (``cmq:`` alone, as in ``STR(cmq:)``, names no term).
CURIE = re.compile(r"(?<![\w/#])cmq:([A-Za-z_][\w-]*)")


def ontology_terms_parsed() -> set[str]:
    """The local names of the cmq: IRIs the ontology describes, read with rdflib (what the regular expression must find)."""
    graph = Graph().parse(ontology_path())
    return {str(s)[len(NAMESPACE):] for s in graph.subjects() if str(s).startswith(NAMESPACE)}


def python_files() -> list[Path]:
    return sorted(GRAPH_DIR.rglob("*.py"))


def using_files() -> list[Path]:
    """The package's files, the tests' (but this one, which misspells on purpose) and the tools'."""
    others = [p for p in (ROOT / "tests").glob("*.py") if p.name != Path(__file__).name]
    return python_files() + sorted(others) + sorted((ROOT / "tools").glob("*.py"))


def docstring_nodes(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions (prose, not code)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def code_strings(tree: ast.AST) -> list[ast.Constant]:
    """The string constants of the code (f-string pieces included), docstrings left out."""
    prose = docstring_nodes(tree)
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in prose]


def namespace_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, term)`` of every ``CMQ.term``, ``iris.CMQ.term`` and ``CMQ["term"]`` of a module."""
    def is_cmq(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id == "CMQ") or (isinstance(node, ast.Attribute) and node.attr == "CMQ")

    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_cmq(node.value):
            out.append((node.lineno, node.attr))
        elif isinstance(node, ast.Subscript) and is_cmq(node.value) and isinstance(node.slice, ast.Constant):
            out.append((node.lineno, str(node.slice.value)))
    return out


# ------------------------------------------------------------------------------------------- the namespace


def test_the_namespace_holds_exactly_the_terms_of_the_ontology():
    terms = ontology_terms_parsed()
    assert set(iris.ontology_terms()) == terms
    assert set(dir(CMQ)) == terms
    # a few terms the README and the saved queries rely on, and the count the ontology had when this was written
    assert {"Campus", "School", "Training", "Trade", "Cluster", "RegionalProject", "sectorCertainty", "leadsToTrade"} <= terms
    assert len(terms) >= 157


def test_a_misspelt_term_raises_at_once_and_names_the_right_one():
    assert CMQ.Campus == CMQ["Campus"] and str(CMQ.Campus) == NAMESPACE + "Campus"
    with pytest.raises(AttributeError, match=r"cmq:sectorCertanty is not a term of ontology/cmq\.ttl; did you mean cmq:sectorCertainty"):
        CMQ.sectorCertanty  # noqa: B018 - the access is the test
    with pytest.raises(KeyError, match="cmq:Campsu is not a term"):
        CMQ["Campsu"]
    with pytest.raises(AttributeError):
        CMQ.__wrapped__  # noqa: B018 - Python's special names are not terms (copy, pickle and inspect look them up)
    assert PREFIXES["cmq"] == NAMESPACE == "https://w3id.org/cmqgraph/ontology#"


def test_every_cmq_term_the_code_uses_is_in_the_ontology():
    terms = set(dir(CMQ))
    used, unknown = 0, []
    for path in using_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, term in namespace_uses(tree):
            used += 1
            if term not in terms:
                unknown.append(f"{path.relative_to(ROOT)}:{line}: CMQ.{term}")
        for node in code_strings(tree):
            for term in CURIE.findall(node.value):
                used += 1
                if term not in terms:
                    unknown.append(f"{path.relative_to(ROOT)}:{node.lineno}: cmq:{term}")
    assert not unknown, "not in ontology/cmq.ttl:\n" + "\n".join(unknown)
    assert used > 150  # the sources use the namespace throughout: a scan that finds nothing is broken


def test_every_cmq_term_of_the_queries_is_in_the_ontology():
    terms = set(dir(CMQ))
    unknown = [f"{p.relative_to(ROOT)}: cmq:{t}" for p in QUERY_FILES for t in CURIE.findall(p.read_text(encoding="utf-8")) if t not in terms]
    assert not unknown, "not in ontology/cmq.ttl:\n" + "\n".join(unknown)


#: Files that may still spell a cmqgraph IRI, and why (remove an entry once the file mints it through cmqgraph.iris).
SPELLED = {
    "iris.py": "where the IRIs are minted",
    "saved_queries.py": "an example IRI in an error message",
}


def test_the_code_spells_no_cmqgraph_iri_outside_iris():
    spelled = re.compile(r"w3id\.org/cmqgraph/(?:id|graph|ontology)\b")
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in python_files() if path.name not in SPELLED
        for node in code_strings(ast.parse(path.read_text(encoding="utf-8"))) if spelled.search(node.value)
    ]
    assert not found, "mint these with cmqgraph.iris:\n" + "\n".join(found)
    # the internal queries bind them (# @values); a saved query may spell one, to be read and run on its own
    assert not [p.name for p in internal_queries_dir().glob("*.rq") if spelled.search(p.read_text(encoding="utf-8"))]


def test_the_iris_other_modules_need():
    assert str(iris.META_GRAPH) == "https://w3id.org/cmqgraph/graph/meta"
    assert str(iris.BUILD) == "https://w3id.org/cmqgraph/id/build"
    assert str(iris.role("support")) == "https://w3id.org/cmqgraph/id/role/support"
    assert iris.source_name(str(iris.source_graph("bcn_mef"))) == "bcn_mef"
    assert iris.source_name(None) == "" and iris.source_name("urn:x") == "urn:x"


# ------------------------------------------------------------------------------------------- internal queries

INTERNAL = sorted(internal_queries_dir().glob("*.rq"))


def test_the_internal_queries_are_not_saved_queries():
    assert len(INTERNAL) >= 29
    assert not {p.stem for p in INTERNAL} & set(load_queries())


@pytest.mark.parametrize("path", INTERNAL, ids=lambda p: p.stem)
def test_each_internal_query_says_what_it_is_for_and_parses(path):
    text = internal_query(path.stem)
    assert text == path.read_text(encoding="utf-8")
    header = text.splitlines()[:2]
    assert all(line.startswith("# ") for line in header), "start with what the query is for and who runs it"
    assert "cmqgraph." in "\n".join(line for line in text.splitlines() if line.startswith("#")), "name who runs it"
    ox.Store().query(text, prefixes=PREFIXES)  # Oxigraph reads it (the "# @values" lines are comments until bound)


def test_an_unknown_internal_query_is_an_error():
    with pytest.raises(FileNotFoundError, match="no internal query named 'nope'"):
        internal_query("nope")
    with pytest.raises(ValueError):
        internal_query("../campus_excellence")
