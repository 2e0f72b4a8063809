"""Every command of the CLI has help text, and the exit codes are the documented ones."""

from __future__ import annotations

import csv
from pathlib import Path

import click
import rdflib
import pytest
from click.testing import CliRunner

import cmqgraph
from cmqgraph.cli import EXIT_OUTPUT_ERROR, EXIT_QUERY_ERROR, commands, main
from cmqgraph.engine import EndpointError, select

EXTRACTS = Path(__file__).parent / "data"
BOM = b"\xef\xbb\xbf"
#: A query whose second line holds an accent (in a comment): the name of the région 27.
QUERY_WITH_ACCENTS = "SELECT ?nom WHERE {\n  # la Région 27\n  <https://w3id.org/cmqgraph/id/region/27> rdfs:label ?nom\n}\n"


#: Every command by its path, nested groups included (``("query", "run")``).
BY_PATH = dict(commands())
COMMANDS = list(BY_PATH)


def test_the_commands_exist():
    names = {" ".join(p) for p in COMMANDS}
    assert {"build", "stats", "validate", "sources", "query", "query list", "query describe", "query run", "sparql", "serve"} <= names


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help(path):
    command = BY_PATH[path]
    name = " ".join(path)
    assert command.help and len(command.help.split()) >= 5, f"{name} needs a real help text"
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert command.help.split("\n")[0].strip() in " ".join(result.output.split())
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"option {param.name} of {name} has no help"


def test_group_help_lists_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in main.commands:
        assert name in result.output


def test_commands_without_a_graph_exit_4(tmp_path):
    for name in ("stats", "sources", "validate", "serve"):
        result = CliRunner().invoke(main, ["--store", str(tmp_path / "none"), name])
        assert result.exit_code == 4, (name, result.output)
        assert "run 'cmqgraph build' first" in result.output


# --- bad input on the query commands: one line and a documented exit code, never a traceback (issue 11) ---


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """The extracts of tests/data built into a store (a few seconds)."""
    store = tmp_path_factory.mktemp("small") / "store"
    cmqgraph.build(store=store, data_dir=EXTRACTS)
    return store


def run(*args: str, stdin: bytes | None = None):
    """Invoke the command line; the result of a handled error is a SystemExit, never another exception."""
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def one_error_line(result) -> str:
    """The command's only output line, an error."""
    assert result.output.count("\n") == 1 and result.output.startswith("error: "), result.output
    return result.output


@pytest.mark.parametrize("bom", [b"", BOM], ids=["no BOM", "BOM"])
def test_a_query_file_that_is_not_utf8_names_its_line_and_byte(small, tmp_path, bom):
    content = bom + QUERY_WITH_ACCENTS.encode("cp1252")
    path = tmp_path / "q.rq"
    path.write_bytes(content)
    offset = content.index(b"\xe9")  # the first byte that is not ASCII: the é of « Région », line 2
    result = run("--store", str(small), "sparql", str(path))
    assert result.exit_code == EXIT_QUERY_ERROR
    assert one_error_line(result) == f"error: {path}, line 2: not valid UTF-8 (byte 0xe9 at offset {offset}); save the file as UTF-8\n"


def test_a_query_file_with_a_bom_runs(small, tmp_path):
    path = tmp_path / "q.rq"
    path.write_bytes(BOM + QUERY_WITH_ACCENTS.encode("utf-8"))
    result = run("--store", str(small), "sparql", str(path), "--format", "csv")
    assert result.exit_code == 0 and result.output == "nom\nBourgogne-Franche-Comté\n"


#: What a query file holds → the message that names it (exit code 5).
NOT_A_QUERY = [
    (b"", "{file} is empty: no query to run"),
    (b"  \n\t\n", "{file} is empty: no query to run"),
    (b"# SELECT ?x WHERE { ?x ?p ?o }\n", "{file}: not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE"),
    (b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", "{file}: a SPARQL Update (INSERT) is not a query: cmqgraph only reads the graph"),
    (b"PREFIX add: <urn:x:>\nSELECT ?s WHERE { ?s add:p ?o", "SPARQL syntax error: "),
]


@pytest.mark.parametrize(("content", "message"), NOT_A_QUERY)
def test_a_file_that_holds_no_query_is_named(small, tmp_path, content, message):
    path = tmp_path / "q.rq"
    path.write_bytes(content)
    result = run("--store", str(small), "sparql", str(path))
    assert result.exit_code == EXIT_QUERY_ERROR and message.format(file=path) in one_error_line(result)
    from_stdin = run("--store", str(small), "sparql", "-", stdin=content)
    assert from_stdin.exit_code == EXIT_QUERY_ERROR and message.format(file="standard input") in one_error_line(from_stdin)


@pytest.mark.parametrize("url", ["not a url", "ftp://example.org/sparql", "http://", "http:///sparql", "localhost:7878/query"])
def test_an_endpoint_that_is_not_an_http_url_is_a_usage_error(small, tmp_path, url):
    path = tmp_path / "q.rq"
    path.write_text("ASK { ?s ?p ?o }", encoding="utf-8")
    expected = f"{url!r} is not the URL of a SPARQL endpoint: expected http:// or https:// and a host"
    for args in (["sparql", str(path)], ["query", "run", "campus_excellence"], ["push"], ["push", "--endpoint", "http://127.0.0.1:9/q"]):
        option = "--graph-store" if "--endpoint" in args else "--endpoint"
        result = run("--store", str(small), *args, option, url)
        assert result.exit_code == 2, (args, result.output)
        assert f"Invalid value for '{option}': {expected}" in result.output
    with pytest.raises(EndpointError, match="is not the URL of a SPARQL endpoint"):
        select("ASK { ?s ?p ?o }", endpoint=url)


@pytest.mark.parametrize(("args", "expected"), [
    (["--timeout", "nan"], "nan is not a number of seconds"),
    (["--timeout", "-1"], "-1.0 is not in the range x>=0"),
    (["--format", "xml"], "'xml' is not one of 'table', 'csv', 'csv-fr', 'tsv', 'json'"),
])
def test_wrong_options_are_usage_errors(small, args, expected):
    result = run("--store", str(small), "query", "run", "campus_excellence", *args)
    assert result.exit_code == 2 and expected in result.output


def test_a_directory_or_a_missing_file_is_a_usage_error(small, tmp_path):
    for file, expected in ((tmp_path, "Is a directory"), (tmp_path / "none.rq", "No such file or directory")):
        result = run("--store", str(small), "sparql", str(file))
        assert result.exit_code == 2 and expected in result.output


def test_construct_output_errors(small, tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("CONSTRUCT { ?r rdfs:label ?n } WHERE { ?r a cmq:Region ; rdfs:label ?n }", encoding="utf-8")
    result = run("--store", str(small), "sparql", str(path), "--format", "csv")
    assert result.exit_code == 2 and "a CONSTRUCT query gives Turtle; --format csv is for SELECT and ASK tables" in result.output
    target = tmp_path / "missing" / "out.ttl"
    result = run("--store", str(small), "sparql", str(path), "-o", str(target))
    assert result.exit_code == EXIT_OUTPUT_ERROR == 8 and f"cannot write {target}" in one_error_line(result)
    written = tmp_path / "out.ttl"
    assert run("--store", str(small), "sparql", str(path), "-o", str(written)).exit_code == 0
    assert '"Bourgogne-Franche-Comté"@fr' in written.read_text(encoding="utf-8")


def test_build_writes_every_row_issue_to_the_issues_file(tmp_path):
    issues = tmp_path / "issues.csv"
    result = run("--store", str(tmp_path / "store"), "build", "--data", str(EXTRACTS), "--show-issues", "0", "--issues-file", str(issues))
    assert result.exit_code == 0, result.output
    with open(issues, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["source", "severity", "file", "line", "column", "value", "message"]
    # Andorre (code 130) in the académies extract of tests/data: not a département of France
    assert ["territoires", "skipped", "orion_departements_academies_regions.csv", "104", "codeDepartement", "130",
            "not a département (collectivity or foreign territory), skipped"] in rows
    assert {row[1] for row in rows[1:]} == {"error", "warning", "skipped"}


def test_export_describes_the_endpoint_under_the_public_url(small, tmp_path):
    result = run("--store", str(small), "export", "--format", "dcat", "--out", str(tmp_path), "--public-url", "https://cmq.example.org/graphe/")
    assert result.exit_code == 0, result.output
    catalogue = rdflib.Graph().parse(tmp_path / "catalog.ttl", format="turtle")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    assert set(catalogue.objects(None, dcat.endpointURL)) == {rdflib.URIRef("https://cmq.example.org/graphe/sparql")}


def test_ask_and_describe_queries(small, tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("ASK { <https://w3id.org/cmqgraph/id/region/27> a cmq:Region }", encoding="utf-8")
    result = run("--store", str(small), "sparql", str(path), "--format", "csv")
    assert result.exit_code == 0 and result.output == "ask\nTrue\n"
    path.write_text("DESCRIBE <https://w3id.org/cmqgraph/id/region/27>", encoding="utf-8")
    result = run("--store", str(small), "sparql", str(path))
    assert result.exit_code == 0, result.output
    described = rdflib.Graph().parse(data=result.output, format="turtle")
    assert (rdflib.URIRef("https://w3id.org/cmqgraph/id/region/27"), rdflib.RDFS.label, rdflib.Literal("Bourgogne-Franche-Comté", lang="fr")) in described
    result = run("--store", str(small), "sparql", str(path), "--format", "json")
    assert result.exit_code == 2 and "a DESCRIBE query gives Turtle; --format json is for SELECT and ASK tables" in result.output
