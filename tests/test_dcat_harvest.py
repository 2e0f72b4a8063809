"""The DCAT catalogue read the way data.gouv.fr's harvester (udata) reads it, and against the DCAT-AP 3.0.1 shapes.

The rules below are udata's own (repository opendatateam/udata), cited by file and function:

- ``udata/harvest/backends/dcat.py``, ``DcatBackend.process_one_datasets_page``: every subject typed
  ``dcat:Dataset`` (no inference: ``page.subjects(RDF.type, DCAT.Dataset)``) is a harvest item, except one
  that ``is_dataset_external_to_this_page`` (no title, and only reached by ``dcat:servesDataset`` or
  ``dct:hasPart``). ``process_one_dataservices_page``: every ``dcat:DataService`` that no distribution reaches
  by ``dcat:accessService`` is an item too.
- ``udata/harvest/backends/base.py``, ``BaseBackend.process_dataset`` / ``process_dataservice``: an item
  without ``dct:identifier`` is skipped ("missing identifier").
- ``udata/core/dataset/rdf.py``, ``dataset_from_rdf``: a dataset without ``dct:title`` is skipped; the licence
  is ``License.guess`` of the dataset's ``dct:license`` (by label, ``licenses_from_rdf(parse_label=True)``), then
  ``dct:rights``, then the distributions' hints; ``temporal_from_resource`` fetches a ``dct:temporal`` that is
  an IRI over HTTP (a blank node with ``dcat:startDate``/``dcat:endDate`` is read in place);
  ``frequency_from_rdf`` maps the EU frequency vocabulary; ``provenances_from_rdf`` keeps the labels of
  ``dct:provenance``.
- same file, ``resource_from_rdf``: a distribution's URL is its ``dcat:downloadURL`` or else ``dcat:accessURL``;
  it reads ``dct:title``, ``dct:description``, ``dcat:byteSize``, ``dcat:mediaType`` (an IANA IRI gives
  ``type/subtype``), ``dct:format`` (an EU file-type IRI gives its lower-cased code), ``dct:license``,
  ``dct:rights``, and ``spdx:checksum`` with an algorithm of ``CHECKSUM_ALGORITHMS`` (md5, sha1, sha256); a
  distribution with ``dcat:accessService`` becomes a resource of type ``api``.
- ``udata/core/dataset/models.py``: a resource's ``url`` is a ``URLField``, checked by ``udata/uris.py``
  ``validate`` against ``URLS_ALLOWED_SCHEMES`` of ``udata/settings.py`` (http, https, ftp, ftps).
- ``License.guess_one`` (``udata/core/dataset/models.py``) recognises a licence by its data.gouv.fr id, URL
  or title: the titles data.gouv.fr gives the Licence Ouverte 2.0 and the ODbL are written below by hand.
"""

from __future__ import annotations

import csv
import hashlib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import cmqgraph
import pyoxigraph as ox
import pytest
import rdflib
from cmqgraph import export as ex
from cmqgraph.sources import REGISTRY
from rdflib import RDF, RDFS, BNode, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV

DATA = Path(__file__).parent / "data"
SHAPES = DATA / "dcat-ap-3.0.1"
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DCAT3 = rdflib.Namespace(str(DCAT))  # rdflib's closed DCAT namespace lacks the DCAT 3 terms
BASE_URL = "https://data.example.org/cmqgraph"
ENDPOINT = "https://data.example.org/sparql"
DATASET = URIRef("https://w3id.org/cmqgraph/dataset")
#: udata/settings.py, URLS_ALLOWED_SCHEMES.
ALLOWED_SCHEMES = ("http", "https", "ftp", "ftps")
#: udata/core/dataset/rdf.py, CHECKSUM_ALGORITHMS.
CHECKSUM_ALGORITHMS = {SPDX.checksumAlgorithm_md5: "md5", SPDX.checksumAlgorithm_sha1: "sha1", SPDX.checksumAlgorithm_sha256: "sha256"}
#: The titles of data.gouv.fr's licences "lov2" and "odc-odbl" (its /api/1/datasets/licenses/).
LOV2 = "Licence Ouverte / Open Licence version 2.0"
ODBL = "Open Data Commons Open Database License (ODbL)"
ONISEP_GRAPH = "https://w3id.org/cmqgraph/graph/onisep"


@dataclass(frozen=True)
class Item:
    """A harvest item: the node, and why it is skipped (empty when udata harvests it)."""

    node: rdflib.term.Node
    skipped: str = ""


def _external(page: rdflib.Graph, node) -> bool:
    """udata's DcatBackend.is_dataset_external_to_this_page."""
    if page.value(node, DCTERMS.title):
        return False
    links = [p for _, p in page.subject_predicates(node)]
    return len(links) == 1 and links[0] in (DCAT.servesDataset, DCTERMS.hasPart)


def harvest_datasets(page: rdflib.Graph) -> list[Item]:
    """The dataset items udata makes of ``page`` (process_one_datasets_page, process_dataset, dataset_from_rdf)."""
    items = []
    for node in page.subjects(RDF.type, DCAT.Dataset):
        if _external(page, node):
            continue
        if not page.value(node, DCTERMS.identifier):
            items.append(Item(node, "missing identifier"))
        elif not page.value(node, DCTERMS.title):
            items.append(Item(node, "missing title on dataset"))
        else:
            items.append(Item(node))
    return items


def harvest_dataservices(page: rdflib.Graph) -> list[Item]:
    """The data service items udata makes of ``page`` (process_one_dataservices_page, process_dataservice)."""
    reached = set(page.objects(None, DCAT.accessService))
    return [Item(n, "" if page.value(n, DCTERMS.identifier) else "missing identifier")
            for n in page.subjects(RDF.type, DCAT.DataService) if n not in reached]


def labels(page: rdflib.Graph, subject, predicate) -> set[str]:
    """udata's rdf_unique_values(..., parse_label=True): each object's rdfs:label, else its IRI."""
    out = set()
    for value in page.objects(subject, predicate):
        found = [str(label) for label in page.objects(value, RDFS.label)]
        out |= set(found) if found else {str(value)}
    return out


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The small real graph of tests/data, exported (dumps, tables, catalogue with a base URL and an endpoint)."""
    root = tmp_path_factory.mktemp("harvest")
    store = root / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
    try:
        files = ex.export(store, root / "out", ["ttl", "nq", "csv", "dcat"], base_url=BASE_URL + "/", sparql_endpoint=ENDPOINT)
    finally:
        mp.undo()
    catalogue = rdflib.Graph().parse(root / "out" / "catalog.ttl")
    return store, [f for f in files if not f.name.startswith("catalog.")], catalogue


def test_the_harvester_finds_one_dataset_with_an_identifier(exported):
    _, _, page = exported
    items = harvest_datasets(page)
    assert items == [Item(DATASET)], [i for i in items if i.node != DATASET][:3]
    assert str(page.value(DATASET, DCTERMS.identifier)) == str(DATASET)


def test_sources_and_series_are_described_but_not_harvested(exported):
    store, _, page = exported
    sources = set(page.objects(DATASET, PROV.wasDerivedFrom))
    meta = ox.NamedNode("https://w3id.org/cmqgraph/graph/meta")
    expected = {URIRef(q.subject.value) for q in cmqgraph.open_store(store).quads_for_pattern(
        None, ox.NamedNode(str(RDF.type)), ox.NamedNode("https://w3id.org/cmqgraph/ontology#SourceDataset"), meta)}
    assert sources == expected and len(sources) == len(REGISTRY)  # every source, each once
    for source in sources:
        assert (source, RDF.type, PROV.Entity) in page and (source, RDF.type, DCAT.Dataset) not in page
        assert page.value(source, DCTERMS.title) and page.value(source, DCTERMS.license)
    (series,) = page.objects(DATASET, DCAT3.inSeries)
    assert (series, RDF.type, DCAT3.DatasetSeries) in page and (series, RDF.type, DCAT.Dataset) not in page
    # what udata keeps of the provenance: the statement's labels; each names every source
    kept = labels(page, DATASET, DCTERMS.provenance)
    assert len(kept) == 2
    for text in kept:
        assert all(str(page.value(s, DCTERMS.title)) in text for s in sources)


def test_the_sparql_service_is_an_api_resource_of_the_dataset(exported):
    _, _, page = exported
    assert harvest_dataservices(page) == []  # reached through a distribution: not a separate item
    (dist,) = page.subjects(DCAT.accessURL, URIRef(ENDPOINT))
    assert (DATASET, DCAT.distribution, dist) in page
    assert page.value(dist, DCAT.accessService) is not None  # resource.type = "api"


def test_distributions_as_udata_reads_them(exported):
    store, files, page = exported
    with open(next(f for f in files if f.name == "cmqgraph.nq"), "rb") as f:
        dumps_hold_onisep = any(q.graph_name.value == ONISEP_GRAPH for q in ox.parse(f, ox.RdfFormat.N_QUADS))
    assert dumps_hold_onisep
    onisep_only = _terms_only_in(cmqgraph.open_store(store), ONISEP_GRAPH)
    assert len(onisep_only) > 50
    expected_format = {"ttl": "rdf_turtle", "nq": "rdf_n_quads", "csv": "csv", "json": "json"}
    expected_mime = {"ttl": "text/turtle", "nq": "application/n-quads", "csv": "text/csv", "json": "application/json"}
    dists = set(page.objects(DATASET, DCAT.distribution))
    assert len(dists) == len(files) + 1  # and the SPARQL endpoint
    for path in files:
        (dist,) = page.subjects(DCAT.downloadURL, URIRef(f"{BASE_URL}/{path.name}"))
        url = str(page.value(dist, DCAT.downloadURL) or page.value(dist, DCAT.accessURL))
        assert urllib.parse.urlsplit(url).scheme in ALLOWED_SCHEMES
        assert str(page.value(dist, DCTERMS.title)) == path.name
        assert page.value(dist, DCTERMS.description)
        assert int(page.value(dist, DCAT.byteSize)) == path.stat().st_size
        suffix = path.suffix.lstrip(".")
        assert str(page.value(dist, DCTERMS["format"])).rsplit("/", 1)[1].lower() == expected_format[suffix]
        assert "/".join(str(page.value(dist, DCAT.mediaType)).split("/")[-2:]) == expected_mime[suffix]
        checksum = page.value(dist, SPDX.checksum)
        assert CHECKSUM_ALGORITHMS[page.value(checksum, SPDX.algorithm)] == "sha256"
        assert str(page.value(checksum, SPDX.checksumValue)) == hashlib.sha256(path.read_bytes()).hexdigest()
        # the licence: ODbL for the files that hold ONISEP data (the dumps; a table with a value found only in
        # the ONISEP graph), the Licence Ouverte for the others
        holds_onisep = path.name.startswith("cmqgraph.") or (suffix == "csv" and bool(_cells(path) & onisep_only))
        assert labels(page, dist, DCTERMS.license) == ({ODBL} if holds_onisep else {LOV2}), path.name
        rights = labels(page, dist, DCTERMS.rights)
        assert bool(rights) == holds_onisep
        assert all("ONISEP" in text for text in rights)


def test_the_dataset_licence_as_udata_guesses_it(exported):
    _, _, page = exported
    # License.guess(dataset licences, dataset rights, distribution hints): the dataset's own licence comes first
    assert labels(page, DATASET, DCTERMS.license) == {ODBL}
    assert any("ONISEP" in text and "Licence Ouverte" in text for text in labels(page, DATASET, DCTERMS.rights))


def test_temporal_coverage_and_frequency_are_readable(exported):
    _, _, page = exported
    (period,) = page.objects(DATASET, DCTERMS.temporal)
    assert isinstance(period, BNode)  # an IRI would be fetched over HTTP
    start, end = page.value(period, DCAT.startDate), page.value(period, DCAT.endDate)
    assert start.datatype == end.datatype == rdflib.XSD.date and str(start) < str(end)
    # EUFREQ_TERM_TO_UDATA: IRREG → irregular
    assert page.value(DATASET, DCTERMS.accrualPeriodicity) == URIRef("http://publications.europa.eu/resource/authority/frequency/IRREG")


def test_without_base_url_the_export_warns_and_the_catalogue_says_so(exported, tmp_path):
    store, files, _ = exported
    with pytest.warns(ex.ExportWarning, match="--base-url"):
        ttl, _ = ex.export_dcat(store, tmp_path, files)
    page = rdflib.Graph().parse(ttl)
    urls = {str(page.value(d, DCAT.downloadURL)) for d in page.objects(DATASET, DCAT.distribution)}
    assert urls == {f.resolve().as_uri() for f in files}
    assert all(urllib.parse.urlsplit(u).scheme not in ALLOWED_SCHEMES for u in urls)  # udata would refuse them
    notes = {str(d) for d in page.objects(URIRef("https://w3id.org/cmqgraph/catalogue"), DCTERMS.description)}
    assert any("--base-url" in n and "file://" in n for n in notes)


@pytest.mark.parametrize("url", ["dist/", "file:///srv/www", "data.example.org/cmqgraph"])
def test_a_base_url_that_is_not_a_web_address_is_refused(exported, tmp_path, url):
    store, files, _ = exported
    with pytest.raises(ex.ExportError, match="--base-url"):
        ex.export_dcat(store, tmp_path, files, base_url=url)
    with pytest.raises(ex.ExportError, match="--base-url"):  # refused before any file is written
        ex.export(store, tmp_path / "all", ["nt", "dcat"], base_url=url)
    assert list(tmp_path.iterdir()) == []


def test_the_catalogue_conforms_to_dcat_ap_with_class_ranges(exported):
    pyshacl = pytest.importorskip("pyshacl")
    _, _, page = exported
    shapes = rdflib.Graph()
    for name in ("dcat-ap-SHACL.ttl", "ranges.ttl"):
        shapes.parse(SHAPES / name)
    from rdflib.namespace import SH

    for shape, prop in list(shapes.subject_objects(SH.property)):  # see tests/test_export.py: dangling references
        if (prop, SH.path, None) not in shapes:
            shapes.remove((shape, SH.property, prop))
    ont = rdflib.Graph()
    for url in page.objects(None, DCAT.endpointURL):
        ont.add((url, RDF.type, RDFS.Resource))
    conforms, _, text = pyshacl.validate(page, shacl_graph=shapes, ont_graph=ont)
    assert conforms, text


def _terms_only_in(store: ox.Store, graph: str) -> set[str]:
    """The values (IRIs and literals' text) that occur in ``graph`` and in no other named graph."""
    target = ox.NamedNode(graph)
    inside, outside = set(), set()
    for quad in store:
        values = {t.value for t in (quad.subject, quad.object) if not isinstance(t, ox.BlankNode)}
        (inside if quad.graph_name == target else outside).update(values)
    return inside - outside


def _cells(path: Path) -> set[str]:
    with open(path, encoding="utf-8", newline="") as f:
        return {cell for row in csv.reader(f) for cell in row}
