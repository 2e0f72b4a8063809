"""The format table is the one list of formats: the CLI, the catalogue, the server and the export derive from it.

Each derived map is checked against the table and against what the tool it feeds accepts: the media types
against IANA's names that pyoxigraph and rdflib know, the EU file types against the authority table's
codes that data.europa.eu validates, the writers by writing a format added to the table as one row.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import cmqgraph
import pyoxigraph as ox
import pytest
import rdflib
from cmqgraph import export as ex
from cmqgraph import formats
from cmqgraph.cli import main
from cmqgraph.engine import TABLE_FORMATS
from cmqgraph.errors import ExportWarning
from cmqgraph.formats import FORMATS, GRAPH, RESULTS, TABLE, Format
from cmqgraph.server import protocol
from cmqgraph.spreadsheet import DIALECTS

DATA = Path(__file__).parent / "data"

#: The codes of the EU file-type authority table the project uses, read from
#: http://publications.europa.eu/resource/authority/file-type (each is a skos:Concept there).
EU_FILE_TYPES = {"RDF_TURTLE", "RDF_N_TRIPLES", "RDF_N_QUADS", "JSON_LD", "RDF_XML", "CSV", "TSV", "JSON", "HTML"}


def test_names_are_unique_within_a_kind():
    seen = [(f.kind, f.name) for f in FORMATS]
    assert len(seen) == len(set(seen))
    assert {f.kind for f in FORMATS} == {GRAPH, RESULTS, TABLE, formats.FILE}


def test_syntaxes_are_those_of_the_libraries():
    for f in FORMATS:
        if f.oxigraph:
            fmt = f.pyoxigraph
            assert fmt.media_type.split(";")[0] == f.media_type, f
            if f.kind == GRAPH:
                assert fmt.file_extension == f.suffix, f
        if f.rdflib:
            assert rdflib.plugin.get(f.rdflib, rdflib.serializer.Serializer), f
        if f.eu_file_type:
            assert f.eu_file_type in EU_FILE_TYPES, f


def test_the_cli_offers_every_export_format_and_all():
    export = main.commands["export"]
    option = next(p for p in export.params if p.name == "formats")
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == ["ttl", "nt", "nq", "jsonld", "csv", "docs", "dcat", "all"]
    for f in formats.export_formats():
        assert f"{f.name}: {f.label}" in option.help


def test_the_server_maps_come_from_the_table():
    assert list(protocol.RESULT_FORMATS) == [
        "application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values",
    ]
    assert protocol.RESULT_FORMATS["text/csv"] is ox.QueryResultsFormat.CSV
    assert list(protocol.GRAPH_FORMATS) == ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
    assert "application/n-quads" not in protocol.GRAPH_FORMATS  # a CONSTRUCT answer has no graph names
    assert protocol.DESCRIPTION_FORMATS["application/rdf+xml"] == "xml"
    assert protocol.FORMAT_NAMES["turtle"] == "text/turtle" and protocol.FORMAT_NAMES["json"] == "application/sparql-results+json"
    assert protocol.answer_types("application/json", None) == ("application/sparql-results+json", "application/ld+json")
    assert protocol.answer_types("text/plain", None) == (None, "application/n-triples")
    assert protocol.TABLE_FILES == {"csv": "{}.csv", "csv-fr": "{}-fr.csv", "tsv": "{}.tsv", "json": "{}.json"}


def test_table_formats_are_the_dialects_and_json():
    assert TABLE_FORMATS == (*DIALECTS, "json")


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    """The graph of the ``tests/data`` extracts."""
    path = tmp_path_factory.mktemp("formats") / "store"
    cmqgraph.build(store=path, data_dir=DATA)
    return cmqgraph.open_store(path)


def test_the_catalogue_reads_media_and_file_types_from_the_table(small_store, tmp_path):
    files = {"cmqgraph.nq.gz": "application/n-quads", "campus.csv": "text/csv", "datapackage.json": "application/json",
             "ontology.fr.html": "text/html"}
    for name in files:
        (tmp_path / name).write_bytes(b"x")
    with pytest.warns(ExportWarning):
        ttl, _ = ex.export_dcat(small_store, tmp_path / "out", sorted(tmp_path.iterdir()))
    graph = rdflib.Graph().parse(ttl, format="turtle")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    for name, media in files.items():
        dist = next(graph.subjects(rdflib.DCTERMS.title, rdflib.Literal(name)))
        assert str(graph.value(dist, dcat.mediaType)) == "https://www.iana.org/assignments/media-types/" + media
        code = formats.for_suffix(re.sub(r"\.gz$", "", name).rsplit(".", 1)[1]).eu_file_type
        assert str(graph.value(dist, rdflib.DCTERMS["format"])).endswith("/file-type/" + code)


def test_an_rdf_syntax_is_one_row(small_store, tmp_path, monkeypatch):
    """Adding RDF/XML to the dumps is one row with ``family="rdf"``: the export and the CLI choices follow."""
    rdfxml = Format("rdfxml", GRAPH, "rdf", "application/rdf+xml", "RDF_XML", "RDF_XML", "RDF_XML", "xml", "rdf", "rdfxml", label="RDF/XML")
    monkeypatch.setattr(formats, "FORMATS", tuple(rdfxml if f.name == "rdfxml" else f for f in FORMATS))
    assert "rdfxml" in [f.name for f in formats.export_formats()]
    (dump,) = ex.export(small_store, tmp_path, ["rdfxml"])
    (nt,) = ex.export(small_store, tmp_path, ["nt"])
    assert dump.name == "cmqgraph.rdf"
    assert set(ox.parse(path=str(dump), format=ox.RdfFormat.RDF_XML)) == set(ox.parse(path=str(nt), format=ox.RdfFormat.N_TRIPLES))


def test_unknown_export_format_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown export format\(s\) \['xlsx'\]: choose among \['ttl', 'nt', 'nq', 'jsonld', 'csv', 'docs', 'dcat', 'all'\]"):
        formats.choose(["xlsx"])
