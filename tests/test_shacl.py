"""The SPARQL validation engine (cmqgraph.shacl) gives pySHACL's results: same focus, path, value, severity, message.

Compared on the small build (tests/data) and on a corpus of violating stores, each the small build with ONE recorded
change to a real record (named in each case), one case per constraint component that ontology/shapes.ttl uses, plus
sh:not, the sequence path, a triple repeated in two named graphs and literals that Oxigraph and rdflib read apart.
Each case also says which result the change must give (the messages are the English sh:message of shapes.ttl).
"""

from __future__ import annotations

import collections
import warnings
from pathlib import Path

import cmqgraph
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from cmqgraph.cli import EXIT_NOT_CONFORMING, main
from cmqgraph.errors import QueryError, ShapesNotCompiled
from cmqgraph.shacl import validate_sparql
from cmqgraph.validate import validate, violations

ID = "https://w3id.org/cmqgraph/id/"
CMQ = "https://w3id.org/cmqgraph/ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"
GEO = "http://www.opengis.net/ont/geosparql#"
ORG = "http://www.w3.org/ns/org#"
TEST_GRAPH = "https://w3id.org/cmqgraph/graph/test"

REGION = f"{ID}region/93"  # Provence-Alpes-Côte d'Azur, graph/territoires
CAMPUS = f"{ID}campus/grenoble/grenoble-energies-campus"  # Grenoble Energies Campus, cmq_campus_list.csv
PIA3 = f"{ID}source/pia3"  # the pia3 source's description in graph/meta (rowCount 5)
SCOPE = f"{ID}perimetre/campus/sans-academie/territoire-intelligent"  # the sector scope of Territoire intelligent
SCHOOL = f"{ID}etablissement/0251643A"  # CFA du Doubs (ACCE, InserJeunes), no point in the small build
ACADEMIE = f"{ID}academie/06"  # Clermont-Ferrand, notation "06"
MENTION = f"{ID}mention/campus-des-metiers-et-des-qualifications-d-excellence-industrie-du-futur"  # Orion name list
LINK = f"{ID}filiere-nsf/systemes-innovants-mecatronique/250"  # cmq_filieres_nsf.csv, row 10


def replace(subject: str, predicate: str, new: str) -> str:
    """A SPARQL update: every value of (subject, predicate) in every graph replaced by ``new`` in the test graph."""
    return (f"DELETE WHERE {{ GRAPH ?g {{ <{subject}> <{predicate}> ?o }} }} ; "
            f"INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ <{subject}> <{predicate}> {new} }} }}")


def insert(triples: str, graph: str = TEST_GRAPH) -> str:
    return f"INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}"


# (case, the change, the results it must add: (focus, path, value, severity, English message))
CASES = [
    ("minCount", f"DELETE WHERE {{ GRAPH ?g {{ <{REGION}> <{RDFS_LABEL}> ?o }} }}",
     [(REGION, RDFS_LABEL, "", "Violation", "Name (rdfs:label): exactly one value expected.")]),
    ("maxCount", insert(f'<{CAMPUS}> <{RDFS_LABEL}> "Grenoble Énergies Campus"@fr .'),
     [(CAMPUS, RDFS_LABEL, "", "Violation", "Name (rdfs:label): exactly one value expected.")]),
    ("datatype", replace(PIA3, CMQ + "rowCount", f'"abc"^^<{XSD}integer>'),
     [(PIA3, CMQ + "rowCount", "abc", "Violation", "Row count: exactly one value, of type xsd:integer.")]),
    ("class", replace(CAMPUS, CMQ + "inRegion", f"<{ACADEMIE}>"),
     [(CAMPUS, CMQ + "inRegion", ACADEMIE, "Violation", "Campus région: the value must be a cmq:Region.")]),
    ("pattern", replace(CAMPUS, CMQ + "excellenceStatus", '"Oui"'),
     [(CAMPUS, CMQ + "excellenceStatus", "Oui", "Violation", "Excellence status (oui, non or inconnu)")]),
    ("nodeKind", insert(f'<{CAMPUS}> <http://xmlns.com/foaf/0.1/homepage> "http://mee.ac-grenoble.fr" .'),
     [(CAMPUS, "http://xmlns.com/foaf/0.1/homepage", "http://mee.ac-grenoble.fr", "Violation", "Home page: the value must be an IRI.")]),
    ("in", replace(CAMPUS, CMQ + "certainty", f"<{ID}certitude/sure>"),
     [(CAMPUS, CMQ + "certainty", f"{ID}certitude/sure", "Violation", "Certainty: at most one value")]),
    ("or", replace(CAMPUS, CMQ + "supportEstablishment", f"<{REGION}>"),
     [(CAMPUS, CMQ + "supportEstablishment", REGION, "Violation", "Support establishment: the value must be a school")]),
    ("minInclusive", replace(SCOPE, CMQ + "scopeTrainingCount", f'"-1"^^<{XSD}integer>'),
     [(SCOPE, CMQ + "scopeTrainingCount", "-1", "Violation", "Trainings in scope: exactly one non-negative integer.")]),
    # a scope typed org:Membership: sh:not fires (value = the focus, no path), and the membership shape misses its links
    ("not", insert(f"<{SCOPE}> a <{ORG}Membership> ."),
     [(SCOPE, "", SCOPE, "Violation", "A sector scope is never a membership."),
      (SCOPE, ORG + "member", "", "Violation", "Member: exactly one value, which must be an IRI."),
      (SCOPE, ORG + "organization", "", "Violation", "Organisation: exactly one value, which must be an IRI."),
      (SCOPE, ORG + "role", "", "Violation", "Role: a concept of the id/role scheme (org:Role).")]),
    ("sequence path", insert(f'<{SCHOOL}> <{GEO}hasGeometry> _:p . _:p a <{GEO}Geometry> ; '
                             f'<{GEO}asWKT> "POINT(6.02 47.25 300)"^^<{GEO}wktLiteral> .'),
     [(SCHOOL, f"<{GEO}hasGeometry>/<{GEO}asWKT>", "POINT(6.02 47.25 300)", "Violation", "School point: at most one value")]),
    # the same wrong triple in two named graphs is one value: one result, and no maxCount
    ("repeated triple", replace(PIA3, CMQ + "rowCount", f'"abc"^^<{XSD}integer>')
     + " ; " + insert(f'<{PIA3}> <{CMQ}rowCount> "abc"^^<{XSD}integer> .', "https://w3id.org/cmqgraph/graph/pia3"),
     [(PIA3, CMQ + "rowCount", "abc", "Violation", "Row count: exactly one value, of type xsd:integer.")]),
    # a plain string where a language-tagged literal is expected
    ("langString", replace(SCOPE, CMQ + "matchMethod", '"déduit"'),
     [(SCOPE, CMQ + "matchMethod", "déduit", "Violation", "Method: exactly one, a language-tagged literal")]),
    ("string, got langString", insert(f'<{LINK}> <{CMQ}linkedCpc> "CPC Métallurgie"@fr .'),
     [(LINK, CMQ + "linkedCpc", "CPC Métallurgie", "Violation", "Linked CPC: at most one, an xsd:string literal.")]),
    # traps where Oxigraph and rdflib read a literal apart; pySHACL (rdflib, Python re) is the reference:
    # "06\n": Python's $ matches before a final newline, so the pattern ^[0-9A-Z]{2}$ holds (Oxigraph's REGEX says no)
    ("06 and a newline", replace(ACADEMIE, "http://www.w3.org/2004/02/skos/core#notation", '"06\\n"'), []),
    # " 7": not an XSD integer for Oxigraph, a valid one (7) for rdflib
    ("integer with a space", replace(PIA3, CMQ + "skippedRowCount", f'" 7"^^<{XSD}integer>'), []),
    # "yes" is no xsd:boolean: ill-typed for both; rdflib writes the value it read, "false"
    ("ill-typed boolean", replace(MENTION, CMQ + "mentionsExcellence", f'"yes"^^<{XSD}boolean>'),
     [(MENTION, CMQ + "mentionsExcellence", "false", "Violation", "Mentions excellence: exactly one value, of type xsd:boolean.")]),
    # an ill-typed count breaks both sh:datatype and sh:minInclusive
    ("ill-typed count", replace(SCOPE, CMQ + "scopeSchoolCount", f'"abc"^^<{XSD}integer>'),
     [(SCOPE, CMQ + "scopeSchoolCount", "abc", "Violation", "Schools in scope: exactly one non-negative integer.")] * 2),
]


def validated(store, engine: str) -> tuple[bool, collections.Counter]:
    """Whether ``store`` conforms, by ``engine``, and its results (focus, path, value, severity, message), counted."""
    conforms, report, _ = validate(store=store, engine=engine)
    return conforms, collections.Counter((v.focus, v.path, v.value, v.severity, v.message) for v in violations(report))


def results(store, engine: str) -> collections.Counter:
    return validated(store, engine)[1]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small build of tests/data."""
    store = tmp_path_factory.mktemp("small") / "store"
    cmqgraph.build(store=store, data_dir=Path(__file__).parent / "data")
    return store


@pytest.fixture(scope="module")
def small_results(small) -> collections.Counter:
    """The SPARQL engine's results on the small build, before any change."""
    return results(small, "sparql")


def mutated(small, tmp_path, update: str):
    store = ox.Store(str(tmp_path / "store"))
    store.bulk_extend(ox.Store.read_only(str(small)).quads_for_pattern(None, None, None, None))
    store.update(update)
    store.flush()
    del store
    return tmp_path / "store"


def test_both_engines_agree_on_the_small_build(small):
    sparql, reference = results(small, "sparql"), results(small, "pyshacl")
    assert sparql == reference
    assert all(severity != "Violation" for _, _, _, severity, _ in sparql)  # the small build conforms
    assert validate(store=small)[0] and validate(store=small, engine="pyshacl")[0]


@pytest.mark.parametrize("case, update, expected", CASES, ids=[c[0] for c in CASES])
def test_each_change_gives_its_result_with_both_engines(small, small_results, tmp_path, case, update, expected):
    store = mutated(small, tmp_path, update)
    (conforms, sparql), (reference_conforms, reference) = validated(store, "sparql"), validated(store, "pyshacl")
    assert sparql == reference and conforms is reference_conforms
    added = sparql - small_results
    assert sum(added.values()) == len(expected), (case, added)
    remaining = list(added.elements())
    for focus, path, value, severity, message in expected:
        match = next(r for r in remaining if r[:4] == (focus, path, value, severity) and message in r[4])
        remaining.remove(match)
    assert conforms is (not expected)


def test_the_sparql_report_graph_reads_back_as_the_violations(small, tmp_path):
    store = mutated(small, tmp_path, CASES[0][1])
    conforms, report, text = validate(store=store)
    assert not conforms and "Conforms: False" in text
    # the same results (the property shapes are blank nodes: their ids differ from one reading of shapes.ttl to the next)
    assert [(v.focus, v.path, v.value, v.message, v.severity) for v in violations(report)] == [
        (v.focus, v.path, v.value, v.message, v.severity) for v in validate_sparql(store)
    ]
    assert [v.focus for v in validate_sparql(store) if v.severity == "Violation"] == [REGION]


UNKNOWN = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix cmq: <https://w3id.org/cmqgraph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<urn:shape> a sh:NodeShape ; sh:targetClass cmq:Region ;
  sh:property [ sh:path skos:notation ; sh:minLength 3 ; sh:message "Code à 3 caractères au moins."@fr , "Code of 3 characters or more."@en ] .
"""


def test_a_shapes_file_with_an_unknown_feature_falls_back_to_pyshacl(small, tmp_path):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(UNKNOWN, encoding="utf-8")
    with pytest.raises(ShapesNotCompiled) as caught:
        validate_sparql(small, shapes)
    assert caught.value.feature == "sh:minLength" and isinstance(caught.value, QueryError) and caught.value.exit_code == 5
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        conforms, report, _ = validate(store=small, shapes=shapes)
    assert any("sh:minLength" in str(w.message) for w in seen)
    found = violations(report)
    # the regions' INSEE codes have two digits: every région of the small build breaks sh:minLength 3
    assert not conforms and f"{ID}region/93" in {v.focus for v in found}
    assert {v.value for v in found} >= {"93", "84", "27"}
    assert [(v.focus, v.value) for v in found] == [(v.focus, v.value) for v in violations(validate(store=small, shapes=shapes, engine="pyshacl")[1])]
    result = CliRunner().invoke(main, ["--store", str(small), "validate", "--shapes", str(shapes)])
    assert result.exit_code == EXIT_NOT_CONFORMING and "sh:minLength" in result.output


def test_cli_engines_print_the_same_table(small, tmp_path):
    store = mutated(small, tmp_path, CASES[2][1])  # the pia3 row count "abc"
    outputs = {}
    for engine in ("sparql", "pyshacl"):
        result = CliRunner().invoke(main, ["--store", str(store), "validate", "--engine", engine, "--limit", "100"])
        assert result.exit_code == EXIT_NOT_CONFORMING, result.output
        outputs[engine] = result.output
    # the small build's 6 warnings and the row count "abc" (the table folds long IRIs over several lines)
    assert "7 SHACL result(s)" in outputs["sparql"] and "│ abc " in outputs["sparql"]
    assert outputs["sparql"] == outputs["pyshacl"]


def test_cli_refuses_an_unknown_engine(small):
    result = CliRunner().invoke(main, ["--store", str(small), "validate", "--engine", "shaclex"])
    assert result.exit_code == 2
    with pytest.raises(ValueError):
        validate(store=small, engine="shaclex")
