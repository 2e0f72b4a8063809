"""Exports: RDF dumps round-trip, CSV tables with a valid data package, a DCAT-AP 3 catalogue that conforms."""

from __future__ import annotations

import gzip
import json
import os
import stat
from collections import Counter
from pathlib import Path

import cmqgraph
import pyoxigraph as ox
import pytest
import rdflib
from cmqgraph import export as ex
from cmqgraph.formats import rdf as rdf_dumps
from cmqgraph.output import atomic_file
from rdflib.compare import isomorphic

DATA = Path(__file__).parent / "data"
EPOCH = "1700000000"
LICENCE_OUVERTE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
ODBL = "https://opendatacommons.org/licenses/odbl/1-0/"


@pytest.fixture(scope="module")
def store(built):
    path, _ = built
    return cmqgraph.open_store(path)


@pytest.fixture(scope="module")
def small_store(dumps):
    """An in-memory store with the first 3,000 quads of the N-Quads dump (for the failure and gzip tests)."""
    one, _ = dumps
    small = ox.Store()
    with open(one["nq"], "rb") as f:
        lines = b"".join(line for _, line in zip(range(3000), f))
    small.load(lines, ox.RdfFormat.N_QUADS)
    return small


@pytest.fixture(scope="module")
def dumps(store, tmp_path_factory):
    """Every RDF dump of the default graph, written twice into two folders."""
    first = tmp_path_factory.mktemp("dump1")
    second = tmp_path_factory.mktemp("dump2")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
    try:
        files1 = ex.export_rdf(store, first)
        files2 = ex.export_rdf(store, second)
    finally:
        mp.undo()
    return {p.suffix.lstrip("."): p for p in files1}, {p.suffix.lstrip("."): p for p in files2}


@pytest.fixture(scope="module")
def fixture_dumps(fixture_store, tmp_path_factory) -> dict[str, Path]:
    """Every RDF dump of the small real graph of tests/data (for the parsers slower than pyoxigraph's)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
    try:
        files = ex.export_rdf(fixture_store, tmp_path_factory.mktemp("fixture-dumps"))
    finally:
        mp.undo()
    return {p.suffix.lstrip("."): p for p in files}


def _term_kinds(store: ox.Store) -> set[str]:
    """The kinds of object the graph holds: each literal datatype, language-tagged strings, IRIs and blank nodes."""
    found = store.query(
        "SELECT DISTINCT ?kind WHERE { ?s ?p ?o BIND(IF(isLiteral(?o), IF(LANG(?o) != '', 'lang', STR(DATATYPE(?o))), "
        "IF(isBlank(?o), 'blank', 'iri')) AS ?kind) }",
        use_default_graph_as_union=True,
    )
    return {solution["kind"].value for solution in found}


def test_the_fixture_dumps_hold_every_kind_of_term_of_the_full_graph(store, fixture_store):
    """The rdflib and PyLD parse-backs run on the small graph: it holds every datatype and term kind the full one has."""
    assert _term_kinds(store) <= _term_kinds(fixture_store)
    assert len(list(fixture_store.named_graphs())) > 20


def _store_triples(store: ox.Store) -> set[str]:
    return {str(q.triple) for q in store}


def _store_quads(store: ox.Store) -> set[str]:
    return {str(q) for q in store}


# --------------------------------------------------------------------------------------------- RDF dumps


def test_dumps_are_written_and_deterministic(dumps):
    one, two = dumps
    assert set(one) == {"ttl", "nt", "nq", "jsonld"}
    for fmt, path in one.items():
        assert path.name == f"cmqgraph.{fmt}"
        assert path.read_bytes() == two[fmt].read_bytes(), f"{fmt} differs between two exports"
    assert not [p for p in one["ttl"].parent.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_ntriples_and_nquads_are_sorted(dumps):
    one, _ = dumps
    for fmt in ("nt", "nq"):
        lines = one[fmt].read_bytes().splitlines()
        assert lines == sorted(set(lines))


@pytest.mark.parametrize("fmt", ["nt", "ttl", "jsonld"])
def test_union_dumps_parse_back_with_pyoxigraph(dumps, store, fmt):
    one, _ = dumps
    rdf_format = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD}[fmt]
    with open(one[fmt], "rb") as f:
        parsed = {str(t) for t in ox.parse(f, rdf_format)}
    assert parsed == _store_triples(store)


def test_nquads_keep_the_named_graphs(dumps, store):
    one, _ = dumps
    with open(one["nq"], "rb") as f:
        parsed = list(ox.parse(f, ox.RdfFormat.N_QUADS))
    assert {str(q) for q in parsed} == _store_quads(store)
    assert "https://w3id.org/cmqgraph/graph/meta" in {q.graph_name.value for q in parsed}


def _rdflib_union(store: ox.Store) -> set[tuple]:
    """The store's triples (union of all graphs) as rdflib terms."""
    return {tuple(_to_rdflib(t) for t in (q.subject, q.predicate, q.object)) for q in store}


def _parses_back_with_rdflib(path: Path, rdflib_format: str, store: ox.Store) -> None:
    graph = rdflib.Graph().parse(path, format=rdflib_format)
    union = _rdflib_union(store)
    assert len(graph) == len(union)
    assert set(graph) == union, path.name
    # rdflib.compare.isomorphic on a sample: the descriptions of the Besançon campuses
    campus = "https://w3id.org/cmqgraph/id/campus/besancon/"
    expected, sample = rdflib.Graph(), rdflib.Graph()
    for triple in union:
        if str(triple[0]).startswith(campus):
            expected.add(triple)
    for triple in graph.triples((None, None, None)):
        if str(triple[0]).startswith(campus):
            sample.add(triple)
    assert len(expected) > 20
    assert isomorphic(sample, expected)


def test_the_full_ntriples_dump_parses_back_with_rdflib(dumps, store):
    """rdflib reads the whole N-Triples file of the default graph (about 40 s): every term of the real data."""
    one, _ = dumps
    _parses_back_with_rdflib(one["nt"], "nt", store)


@pytest.mark.parametrize("fmt, rdflib_format", [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_union_dumps_parse_back_with_rdflib(fixture_dumps, fixture_store, fmt, rdflib_format):
    """rdflib reads each file of the small graph into exactly its triples (the full graph's are pyoxigraph's, above)."""
    _parses_back_with_rdflib(fixture_dumps[fmt], rdflib_format, fixture_store)


def test_nquads_parse_back_with_rdflib(fixture_dumps, fixture_store):
    dataset = rdflib.Dataset()
    dataset.parse(fixture_dumps["nq"], format="nquads")
    quads = set(dataset.quads((None, None, None, None)))
    expected = {tuple(_to_rdflib(t) for t in (q.subject, q.predicate, q.object, q.graph_name)) for q in fixture_store}
    assert quads == expected


def test_jsonld_uses_the_shipped_context_and_expands_with_pyld(fixture_dumps, fixture_store):
    """PyLD expands the small graph's JSON-LD file into exactly its triples (the full graph's file is read by pyoxigraph)."""
    pyld = pytest.importorskip("pyld.jsonld")
    document = json.loads(fixture_dumps["jsonld"].read_text(encoding="utf-8"))
    shipped = Path(__file__).resolve().parents[1] / "ontology" / "context.jsonld"  # the file itself, not the loader's reading of it
    assert document["@context"] == json.loads(shipped.read_text(encoding="utf-8"))["@context"]
    campus = next(n for n in document["@graph"] if n.get("@type") == "Campus")
    assert {"nom", "filiere", "region"} <= set(campus)
    nquads = pyld.to_rdf(document, {"format": "application/n-quads"})
    expanded = {str(q.triple) for q in ox.parse(nquads.encode("utf-8"), ox.RdfFormat.N_QUADS)}
    assert expanded == _store_triples(fixture_store)


def test_gzip_is_deterministic(small_store, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    (a,) = ex.export_rdf(small_store, tmp_path / "a", formats=["ttl"], gzip=True)
    (b,) = ex.export_rdf(small_store, tmp_path / "b", formats=["ttl"], gzip=True)
    assert a.name == "cmqgraph.ttl.gz"
    assert a.read_bytes() == b.read_bytes()
    assert int.from_bytes(a.read_bytes()[4:8], "little") == int(EPOCH)
    assert gzip.decompress(a.read_bytes()).startswith(b"@prefix adms: ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_unwritable_folder_leaves_nothing(small_store, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(ex.ExportError):
            ex.export_rdf(small_store, folder, formats=["nt"])
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(stat.S_IRWXU)


def test_failure_midway_leaves_no_file_under_the_final_name(small_store, tmp_path, monkeypatch):
    calls = {"n": 0}
    real = rdf_dumps._sort_unique

    def failing(lines, workdir, run_lines=rdf_dumps.SORT_RUN_LINES):
        for i, line in enumerate(real(lines, workdir, run_lines)):
            if i == 1000:
                calls["n"] += 1
                raise OSError(28, "No space left on device")
            yield line

    monkeypatch.setattr(rdf_dumps, "_sort_unique", failing)
    with pytest.raises(ex.ExportError, match="No space left"):
        ex.export_rdf(small_store, tmp_path, formats=["nq"])
    assert calls["n"] == 1
    assert list(tmp_path.iterdir()) == []


def test_atomic_file_keeps_the_previous_file_on_failure(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target) as f:
        f.write(b"new, half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_external_sort_with_small_runs(tmp_path):
    lines = [f"{i % 97:03d}\n".encode() for i in range(1000)]
    for count in (0, 49, 50, 51, 1000):  # in memory up to one run, merged from runs on disk beyond
        batches = [lines[i : min(i + 7, count)] for i in range(0, count, 7)]
        assert list(rdf_dumps._sort_unique(batches, tmp_path, run_lines=50)) == sorted(set(lines[:count])), count
        assert list(tmp_path.iterdir()) == []


def test_compactor_round_trips_awkward_values():
    """Values that the shorthand cannot carry are written as explicit value objects."""
    pyld = pytest.importorskip("pyld.jsonld")
    context = rdf_dumps.load_context()
    s = ox.NamedNode("https://w3id.org/cmqgraph/id/campus/x")
    rdfs = "http://www.w3.org/2000/01/rdf-schema#"
    cmq = "https://w3id.org/cmqgraph/ontology#"
    triples = [
        ox.Triple(s, ox.NamedNode(rdfs + "label"), ox.Literal("Nom", language="fr")),
        ox.Triple(s, ox.NamedNode(rdfs + "label"), ox.Literal("Name", language="en")),
        ox.Triple(s, ox.NamedNode(rdfs + "label"), ox.Literal("plain")),
        ox.Triple(s, ox.NamedNode(cmq + "uai"), ox.Literal("0251349F", language="fr")),
        ox.Triple(s, ox.NamedNode(cmq + "capacity"), ox.Literal("12", datatype=ox.NamedNode(cmq + "odd"))),
        ox.Triple(s, ox.NamedNode(cmq + "inRegion"), ox.Literal("27")),
        ox.Triple(s, ox.NamedNode(cmq + "notInContext"), ox.Literal("x")),
        ox.Triple(s, ox.NamedNode("http://example.org/p"), ox.NamedNode("http://example.org/o")),
        ox.Triple(s, ox.NamedNode(rdfs + "comment"), ox.NamedNode("https://w3id.org/cmqgraph/id/x")),
    ]
    import io

    out = io.BytesIO()
    rdf_dumps.write_jsonld(triples, out, context)
    nquads = pyld.to_rdf(json.loads(out.getvalue()), {"format": "application/n-quads"})
    assert {str(q.triple) for q in ox.parse(nquads.encode(), ox.RdfFormat.N_QUADS)} == {str(t) for t in triples}


def _to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def test_unusable_targets_raise_export_error(small_store, tmp_path):
    """Works as root too: a folder that is a file, and a final name taken by a folder."""
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(ex.ExportError):
        ex.export_rdf(small_store, not_a_folder / "out", formats=["nt"])
    out = tmp_path / "out"
    (out / "cmqgraph.nt" / "occupied").mkdir(parents=True)
    with pytest.raises(ex.ExportError):
        ex.export_rdf(small_store, out, formats=["nt"])
    assert sorted(p.name for p in out.iterdir()) == ["cmqgraph.nt"]
    assert (out / "cmqgraph.nt").is_dir()


# --------------------------------------------------------------------------------------------- CSV + data package


@pytest.fixture(scope="module")
def csv_files(store, tmp_path_factory):
    return ex.export_csv(store, tmp_path_factory.mktemp("csv"))


def test_csv_tables_and_datapackage_validate(csv_files):
    frictionless = pytest.importorskip("frictionless")
    package = csv_files[-1]
    assert package.name == "datapackage.json"
    report = frictionless.validate(str(package))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:10]
    descriptor = json.loads(package.read_text(encoding="utf-8"))
    names = {r["name"] for r in descriptor["resources"]}
    assert {"campuses", "schools", "trainings", "trades", "clusters", "projects", "territories",
            "memberships", "training_offers", "training_trades", "overlaps"} <= names
    # The only source under another licence, ONISEP (ODbL), gives the graph its métiers (cmq:OnisepJob), their
    # pages and the trades' France Travail pages: no table has a column for them, so every table is Licence Ouverte.
    lo = [{"path": LICENCE_OUVERTE, "title": "Licence Ouverte / Open Licence version 2.0", "name": "etalab-2.0"}]
    assert descriptor["licenses"] == lo
    assert all(r["licenses"] == lo for r in descriptor["resources"])
    assert all(s["title"] for s in descriptor["sources"])
    for resource in descriptor["resources"]:
        assert resource["schema"]["primaryKey"]


def test_csv_row_counts_match_the_graph(csv_files, store):
    from cmqgraph import tables

    by_name = {p.stem: p for p in csv_files}
    for table in tables.TABLES:
        lines = by_name[table.name].read_text(encoding="utf-8").splitlines()
        assert lines[0] == ",".join(name for name, _, _ in table.fields)
        import csv as csv_module

        rows = list(csv_module.reader(by_name[table.name].open(encoding="utf-8", newline="")))[1:]
        assert len(rows) == tables.count(store, table), table.name
        assert len(rows) > 0, table.name
        key = [i for i, (name, _, _) in enumerate(table.fields) if name in table.primary_key]
        keys = [tuple(r[i] for i in key) for r in rows]
        assert keys == sorted(keys) and len(set(keys)) == len(keys), table.name


def test_csv_counts_known_figures(csv_files):
    by_name = {p.stem: p for p in csv_files}
    count = {name: len(path.read_text(encoding="utf-8").splitlines()) - 1 for name, path in by_name.items()}
    assert count["campuses"] == 105
    assert count["schools"] == 7446  # InserJeunes, ACCE, Affelnet, the members list, the lycées file, the Annuaire (test_build)
    assert count["trainings"] == 11261
    assert count["trades"] == 609
    assert count["clusters"] == 72
    assert count["projects"] == 38
    mobicampus = [line for line in by_name["overlaps"].read_text(encoding="utf-8").splitlines()
                  if "mobicampus" in line and "pole-vehicule-du-futur" in line]
    assert mobicampus and mobicampus[0].endswith(",true,true")


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory) -> ox.Store:
    """The small real graph of tests/data, in memory."""
    path = tmp_path_factory.mktemp("fixtures") / "store"
    cmqgraph.build(store=path, data_dir=DATA)
    memory = ox.Store()
    memory.bulk_extend(cmqgraph.open_store(path))
    return memory


def _relicensed(store: ox.Store, source: str) -> ox.Store:
    """A copy of ``store`` where ``graph/meta`` gives the source ``source`` the ODbL."""
    copy = ox.Store()
    copy.bulk_extend(store)
    node = ox.NamedNode(f"https://w3id.org/cmqgraph/id/source/{source}")
    meta = ox.NamedNode("https://w3id.org/cmqgraph/graph/meta")
    licence = ox.NamedNode("http://purl.org/dc/terms/license")
    (old,) = copy.quads_for_pattern(node, licence, None, meta)
    copy.remove(old)
    copy.add(ox.Quad(node, licence, ox.NamedNode(ODBL), meta))
    return copy


@pytest.mark.slow  # a brute force over every source and table (about a minute)
def test_a_table_takes_the_licence_of_the_sources_it_holds_data_of(fixture_store):
    """For each source in turn under the ODbL, the tables declared ODbL are exactly those whose rows change without it.

    The expected tables are found by brute force: each table queried on every named graph but the source's.
    """
    from cmqgraph import tables

    for source in tables.source_descriptions(fixture_store):
        store = _relicensed(fixture_store, source["name"])
        found = {name for name, lic in tables.table_licensing(store, tables.source_descriptions(store)).items() if lic.licence == ODBL}
        others = [g for g in store.named_graphs() if g.value != source["graph"]]
        expected = {t.name for t in tables.TABLES if tables.table_rows(store, t, others) != tables.table_rows(store, t)}
        assert found == expected, source["name"]
        if source["name"] == "cmq":  # the hand-made campus list gives the campuses, not the BCN trainings
            assert "campuses" in found and "trainings" not in found


def test_datapackage_and_catalogue_give_each_table_the_same_licence(fixture_store, tmp_path):
    store = _relicensed(fixture_store, "cmq")
    files = ex.export_csv(store, tmp_path)
    with pytest.warns(ex.ExportWarning):
        ttl, _ = ex.export_dcat(store, tmp_path, files)
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    g = rdflib.Graph().parse(ttl)
    DCT = rdflib.Namespace("http://purl.org/dc/terms/")
    for resource in descriptor["resources"]:
        (dist,) = g.subjects(DCT.title, rdflib.Literal(resource["path"]))
        assert [lic["path"] for lic in resource["licenses"]] == [str(g.value(dist, DCT.license))], resource["name"]
        assert (g.value(dist, DCT.rights) is not None) == (resource["licenses"][0]["path"] == ODBL)
    assert {r["name"]: r["licenses"][0]["path"] for r in descriptor["resources"]}["campuses"] == ODBL
    assert [lic["path"] for lic in descriptor["licenses"]] == [ODBL]


# --------------------------------------------------------------------------------------------- DCAT-AP 3

SHAPES = DATA / "dcat-ap-3.0.1"


def _shapes(*names: str, drop_dangling: bool = False) -> rdflib.Graph:
    from rdflib.namespace import SH

    shapes = rdflib.Graph()
    for name in names:
        shapes.parse(SHAPES / name, format="turtle")
    if drop_dangling:
        # DCAT-AP 3.0.1 as published: some sh:property objects are defined in neither file (no sh:path), which
        # pySHACL refuses ("not a well-formed SHACL PropertyShape"). Drop only those references.
        for shape, prop in list(shapes.subject_objects(SH.property)):
            if (prop, SH.path, None) not in shapes:
                shapes.remove((shape, SH.property, prop))
    return shapes


@pytest.fixture(scope="module")
def catalogues(store, csv_files, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
    try:
        files = list(csv_files) + ex.export_rdf(store, tmp_path_factory.mktemp("small"), formats=["ttl"], gzip=True)
        plain = ex.export_dcat(store, tmp_path_factory.mktemp("dcat1"), files, base_url="https://example.org/cmqgraph/")
        again = ex.export_dcat(store, tmp_path_factory.mktemp("dcat2"), files, base_url="https://example.org/cmqgraph/")
        with pytest.warns(ex.ExportWarning, match="--base-url"):
            service = ex.export_dcat(store, tmp_path_factory.mktemp("dcat3"), files, sparql_endpoint="https://example.org/sparql")
    finally:
        mp.undo()
    return files, plain, again, service


def _validate(data: rdflib.Graph, shapes: rdflib.Graph, ont: rdflib.Graph | None = None):
    pyshacl = pytest.importorskip("pyshacl")
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ont)
    return conforms, text


def test_catalogue_conforms_to_dcat_ap_3(catalogues):
    _, (ttl, jsonld), _, _ = catalogues
    shapes = _shapes("dcat-ap-SHACL.ttl")
    for path, fmt in ((ttl, "turtle"), (jsonld, "json-ld")):
        conforms, text = _validate(rdflib.Graph().parse(path, format=fmt), shapes)
        assert conforms, text


def test_catalogue_with_sparql_service_conforms(catalogues):
    _, _, _, (ttl, _jsonld) = catalogues
    data = rdflib.Graph().parse(ttl)
    assert (None, rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#DataService")) in data
    conforms, text = _validate(data, _shapes("dcat-ap-SHACL.ttl", drop_dangling=True))
    assert conforms, text
    # ranges.ttl: the class ranges; an endpoint URL must be an rdfs:Resource, which RDFS entails for any IRI
    ont = rdflib.Graph()
    for url in data.objects(None, rdflib.URIRef("http://www.w3.org/ns/dcat#endpointURL")):
        ont.add((url, rdflib.RDF.type, rdflib.RDFS.Resource))
    conforms, text = _validate(data, _shapes("dcat-ap-SHACL.ttl", "ranges.ttl", drop_dangling=True), ont)
    assert conforms, text


def test_catalogue_describes_every_file(catalogues):
    files, (ttl, jsonld), (ttl2, jsonld2), _ = catalogues
    assert ttl.read_bytes() == ttl2.read_bytes() and jsonld.read_bytes() == jsonld2.read_bytes()
    g = rdflib.Graph().parse(ttl)
    DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
    DCT = rdflib.Namespace("http://purl.org/dc/terms/")
    dists = set(g.subjects(rdflib.RDF.type, DCAT.Distribution))
    assert len(dists) == len(files)
    import hashlib

    for path in files:
        (dist,) = g.subjects(DCAT.downloadURL, rdflib.URIRef(f"https://example.org/cmqgraph/{path.name}"))
        assert int(g.value(dist, DCAT.byteSize)) == path.stat().st_size
        assert g.value(dist, DCAT.byteSize).datatype == rdflib.XSD.nonNegativeInteger
        checksum = g.value(dist, SPDX.checksum)
        assert str(g.value(checksum, SPDX.checksumValue)) == hashlib.sha256(path.read_bytes()).hexdigest()
        assert g.value(dist, DCAT.mediaType) is not None
    dataset = rdflib.URIRef("https://w3id.org/cmqgraph/dataset")
    assert (rdflib.URIRef("https://w3id.org/cmqgraph/catalogue"), DCAT.dataset, dataset) in g
    assert g.value(dataset, DCAT.inSeries) is not None
    assert str(g.value(dataset, DCT.issued)) == "2023-11-14"
    assert (dataset, DCT.spatial, rdflib.URIRef("http://publications.europa.eu/resource/authority/country/FRA")) in g
    assert (dataset, DCT.conformsTo, rdflib.URIRef("https://w3id.org/cmqgraph/ontology")) in g
    assert len(set(g.objects(dataset, rdflib.PROV.wasDerivedFrom))) >= 20
    licences = set(g.objects(None, DCT.license))
    assert rdflib.URIRef("https://opendatacommons.org/licenses/odbl/1-0/") in licences
    assert {str(k.language) for k in g.objects(dataset, DCAT.keyword)} == {"fr", "en"}


# --------------------------------------------------------------------------------------------- docs, export()


def test_docs_list_every_class_and_property(tmp_path):
    pytest.importorskip("pylode")
    page = ex.export_docs(tmp_path)
    onto = rdflib.Graph().parse(Path(cmqgraph.__file__).parent.parent / "ontology" / "cmq.ttl")
    OWL = rdflib.OWL
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, rdflib.RDF.Property,
             OWL.TransitiveProperty, OWL.FunctionalProperty)
    terms = {str(s) for k in kinds for s in onto.subjects(rdflib.RDF.type, k) if str(s).startswith(str(rdf_dumps.PREFIXES["cmq"]))}
    assert len(terms) > 100
    for language in ("fr", "en"):
        html = (tmp_path / f"ontology.{language}.html").read_text(encoding="utf-8")
        missing = sorted(t for t in terms if t not in html)
        assert not missing, (language, missing[:10])
    assert page.name == "ontology.fr.html"
    assert "Établissement" in (tmp_path / "ontology.fr.html").read_text(encoding="utf-8")


def test_export_runs_the_chosen_parts(store, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    with pytest.warns(ex.ExportWarning, match="--base-url"):  # no base URL: file: URLs, and a warning
        files = ex.export(store, tmp_path, ["csv", "dcat"])
    names = {p.name for p in files}
    assert {"campuses.csv", "datapackage.json", "catalog.ttl", "catalog.jsonld"} <= names
    with pytest.raises(ValueError):
        ex.export(store, tmp_path, ["xml"])


def test_memberships_say_which_source_states_them(csv_files):
    """cmq_membres.csv names the lycée Nelson Mandela (0250001R) a member of three campuses, lines 2, 6 and 9, citing one page."""
    import csv as csv_module

    path = next(p for p in csv_files if p.stem == "memberships")
    rows = [r for r in csv_module.DictReader(path.open(encoding="utf-8", newline="")) if r["member"].endswith("/0250001R")]
    assert sorted(r["organization"].rsplit("/", 2)[-2] for r in rows) == ["besancon", "besancon", "dijon"]
    for r in rows:
        assert r["role"].endswith("/role/membre")
        assert r["sources"] == "https://w3id.org/cmqgraph/graph/cmq_membres"
        assert r["certainty"].endswith("/certitude/confirme")
        assert r["source_url"] == "https://www.ac-besancon.fr/des-filieres-d-avenir-au-coeur-de-la-relation-ecole-entreprise-123269"
    support = [r for r in csv_module.DictReader(path.open(encoding="utf-8", newline="")) if "/mobicampus" in r["organization"]
               and r["role"].endswith("/role/support")]
    assert [set(r["sources"].split(" | ")) for r in support] == [
        {"https://w3id.org/cmqgraph/graph/cmq_membres", "https://w3id.org/cmqgraph/graph/links"}]


def test_sector_scopes_are_a_table_of_their_own(csv_files):
    """103 of the 105 campuses (not the two of Polynésie, without territory), 70 of the 72 pôles (not Pin maritime
    and Hippolia, whose themes match no keyword) and 19 of the 20 Territoires d'innovation (not Valence-Romans, whose
    theme « économie sociale et solidaire, reconquête industrielle, start-ups de territoire » names no filière) get a
    scope; Mobicampus's holds 18 trainings, 7 schools, 15 trades (counted from the Affelnet, BCN and Certif Info files
    by hand: académie 03, NSF groups of the Mobilité rows)."""
    import csv as csv_module

    path = next(p for p in csv_files if p.stem == "sector_scopes")
    rows = list(csv_module.DictReader(path.open(encoding="utf-8", newline="")))
    kinds = Counter(r["scope_of"].split("/id/")[1].split("/")[0] for r in rows)
    assert kinds == {"campus": 103, "pole": 70, "projet": 19}
    assert [r["scope_of"] for r in rows if "/projet/" in r["scope_of"] and "/projet/ti/" not in r["scope_of"]] == []
    (mobicampus,) = [r for r in rows if "/mobicampus" in r["scope_of"]]
    assert (mobicampus["trainings"], mobicampus["schools"], mobicampus["trades"]) == ("18", "7", "15")
    assert mobicampus["territories"] == "https://w3id.org/cmqgraph/id/academie/03"
    assert mobicampus["method"].startswith("Périmètre déduit, jamais une adhésion")
