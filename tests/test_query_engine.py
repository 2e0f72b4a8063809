"""Saved-query parameters are typed and bound as values; errors are clear and exit non-zero."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from rdflib import RDFS, Literal, URIRef

from cmqgraph.cli import EXIT_ENDPOINT_ERROR, EXIT_QUERY_ERROR, main
from cmqgraph.engine import EndpointError, GraphAnswer, TableAnswer, answer, construct, run_query, select
from cmqgraph.saved_queries import ParameterError, QueryError, get_query, insert_values, parse_query

REGION_QUERY = '''#+ title.fr = "Académies d'une région"
#+ title.en = "Académies of a région"
#+ description.fr = "Les académies d'une région, par son nom."
#+ description.en = "The académies of a région, by its name."
#+ columns = ["academie", "nom"]
#+ [params.region]
#+ type = "string"
#+ example = "Bourgogne-Franche-Comté"
#+ description.fr = "Nom de la région"
#+ description.en = "Name of the région"
#+ [params.depuis]
#+ type = "year"
#+ required = false
#+ example = "2020"
SELECT ?academie ?nom WHERE {
  ?r a cmq:Region ; rdfs:label ?label . FILTER(STR(?label) = ?region)
  ?academie a cmq:Academie ; cmq:inRegion ?r ; rdfs:label ?nom .
  FILTER NOT EXISTS { ?academie dct:isReplacedBy ?newer }
} ORDER BY ?nom
'''


@pytest.fixture
def region_query():
    return parse_query("academies_region", REGION_QUERY)


def test_parameters_are_bound_and_the_answer_comes_from_the_data(built, region_query):
    store, _ = built
    frame = run_query(region_query, {"region": "Bourgogne-Franche-Comté"}, store=store)
    assert frame.to_dict("records") == [
        {"academie": "https://w3id.org/cmqgraph/id/academie/03", "nom": "Besançon"},
        {"academie": "https://w3id.org/cmqgraph/id/academie/07", "nom": "Dijon"},
    ]


def test_a_value_cannot_change_the_query(built, region_query):
    store, _ = built
    hostile = 'x" ) } ; SELECT * WHERE { ?s ?p ?o } #'
    text = region_query.with_values({"region": hostile})
    assert 'VALUES (?region) { ("x\\" ) } ; SELECT * WHERE { ?s ?p ?o } #") }' in text  # one escaped literal
    assert run_query(region_query, {"region": hostile}, store=store).empty


def test_wrong_name_type_and_missing_parameter(region_query):
    with pytest.raises(ParameterError, match=r"no parameter 'regoin' \(did you mean 'region'\?\)"):
        region_query.bind({"region": "Occitanie", "regoin": "x"})
    with pytest.raises(ParameterError, match=r"'depuis' \(year\): expected a year such as 2020; got 'deux mille'"):
        region_query.bind({"region": "Occitanie", "depuis": "deux mille"})
    with pytest.raises(ParameterError, match="needs the parameter 'region'.*--param region=Bourgogne-Franche-Comté"):
        region_query.bind({})


def test_values_go_into_the_top_level_where():
    from rdflib import Literal

    text = insert_values('# WHERE { in a comment\nSELECT * WHERE {\n ?s ?p "WHERE {" }', {"p": Literal(1)})
    assert text.splitlines()[1] == 'SELECT * WHERE { VALUES (?p) { ("1"^^<http://www.w3.org/2001/XMLSchema#integer>) }'
    with pytest.raises(QueryError, match="needs an explicit 'WHERE {'"):
        insert_values("SELECT * { ?s ?p ?o }", {"p": Literal(1)})


def test_metadata_errors_name_the_file():
    with pytest.raises(QueryError, match="demo.rq: metadata needs title.fr and title.en"):
        parse_query("demo", '#+ title.fr = "x"\nSELECT * WHERE { ?s ?p ?o }', path="demo.rq")
    with pytest.raises(QueryError, match="not valid TOML"):
        parse_query("demo", "#+ title.fr = \nSELECT * WHERE {}")


def test_unknown_saved_query_suggests_names(tmp_path):
    (tmp_path / "academies_region.rq").write_text(REGION_QUERY, encoding="utf-8")
    assert get_query("academies_region", folders=(tmp_path,)).title["en"] == "Académies of a région"
    with pytest.raises(QueryError, match="no saved query named 'academie_region'; did you mean academies_region"):
        get_query("academie_region", folders=(tmp_path,))


def test_syntax_error_positions_are_the_users(built, tmp_path):
    store, _ = built
    with pytest.raises(QueryError, match="line 2, column"):
        select("SELECT ?n WHERE {\n ?c a cmq:Campus  rdfs:label ?n }", store=store)
    query = tmp_path / "q.rq"
    query.write_text("SELECT ?n WHERE { ?c a cmq:Campus  rdfs:label ?n }", encoding="utf-8")
    result = CliRunner().invoke(main, ["--store", str(store), "sparql", str(query)])
    assert result.exit_code == EXIT_QUERY_ERROR and "SPARQL syntax error" in result.output


def test_unreachable_endpoint(tmp_path):
    with pytest.raises(EndpointError, match="cannot reach http://127.0.0.1:9/sparql"):
        select("SELECT * WHERE { ?s ?p ?o } LIMIT 1", endpoint="http://127.0.0.1:9/sparql", timeout=5)
    query = tmp_path / "q.rq"
    query.write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1", encoding="utf-8")
    result = CliRunner().invoke(main, ["sparql", str(query), "--endpoint", "http://127.0.0.1:9/sparql", "--timeout", "5"])
    assert result.exit_code == EXIT_ENDPOINT_ERROR and "Traceback" not in result.output


def test_ad_hoc_formats(built, tmp_path):
    store, _ = built
    query = tmp_path / "q.rq"
    query.write_text('SELECT ?nom WHERE { <https://w3id.org/cmqgraph/id/region/27> rdfs:label ?nom }', encoding="utf-8")
    for fmt, expected in (("csv", "nom\nBourgogne-Franche-Comté\n"), ("tsv", "nom\nBourgogne-Franche-Comté\n"),
                          ("json", '[\n {\n  "nom":"Bourgogne-Franche-Comté"\n }\n]')):
        result = CliRunner().invoke(main, ["--store", str(store), "sparql", str(query), "--format", fmt])
        assert result.exit_code == 0 and result.output.strip() == expected.strip(), (fmt, result.output)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["--store", str(store), "sparql", str(query), "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0 and out.read_text(encoding="utf-8") == "nom\nBourgogne-Franche-Comté\n"
    query.write_text("CONSTRUCT { ?r rdfs:label ?n } WHERE { ?r skos:notation \"27\" ; a cmq:Region ; rdfs:label ?n }", encoding="utf-8")
    result = CliRunner().invoke(main, ["--store", str(store), "sparql", str(query)])
    assert '<https://w3id.org/cmqgraph/id/region/27> rdfs:label "Bourgogne-Franche-Comté"@fr' in result.output


BFC = "https://w3id.org/cmqgraph/id/region/27"


def test_answer_says_whether_it_is_a_table_or_triples(built):
    store, _ = built
    table = answer(f"SELECT ?nom WHERE {{ <{BFC}> rdfs:label ?nom }}", store=store)
    assert isinstance(table, TableAnswer) and table.form == "SELECT"
    assert table.table.to_dict("records") == [{"nom": "Bourgogne-Franche-Comté"}]
    ask = answer(f"ask {{ <{BFC}> a cmq:Region }}", store=store)
    assert isinstance(ask, TableAnswer) and ask.form == "ASK" and ask.table.to_dict("records") == [{"ask": True}]
    triples = answer(f"CONSTRUCT {{ <{BFC}> rdfs:label ?nom }} WHERE {{ <{BFC}> rdfs:label ?nom }}", store=store)
    assert isinstance(triples, GraphAnswer) and triples.form == "CONSTRUCT"
    assert set(triples.graph) == {(URIRef(BFC), RDFS.label, Literal("Bourgogne-Franche-Comté", lang="fr"))}
    described = answer(f"DESCRIBE <{BFC}>", store=store)
    assert isinstance(described, GraphAnswer) and described.form == "DESCRIBE"
    assert (URIRef(BFC), RDFS.label, Literal("Bourgogne-Franche-Comté", lang="fr")) in described.graph


def test_answer_refuses_what_is_not_a_query_before_running_it():
    # no store here and an unreachable endpoint: the error comes from the text, before anything runs
    with pytest.raises(QueryError, match=r"a SPARQL Update \(DELETE\) is not a query: cmqgraph only reads the graph"):
        answer("DELETE WHERE { ?s ?p ?o }", endpoint="http://127.0.0.1:9/sparql")
    with pytest.raises(QueryError, match="not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE"):
        answer("# SELECT\n", endpoint="http://127.0.0.1:9/sparql")


def test_a_construct_given_to_select_names_what_gives_triples(built):
    """Issue 12: this message used to send the user to a ``cmqgraph sparql --rdf`` option that never existed."""
    store, _ = built
    query = f"CONSTRUCT {{ <{BFC}> rdfs:label ?nom }} WHERE {{ <{BFC}> rdfs:label ?nom }}"
    with pytest.raises(QueryError) as raised:
        select(query, store=store)
    assert str(raised.value) == "only SELECT and ASK queries give a table; CONSTRUCT and DESCRIBE give triples (engine.construct)"
    assert len(construct(query, store=store)) == 1
