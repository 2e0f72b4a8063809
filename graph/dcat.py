"""A DCAT-AP 3 catalogue of the exported files, harvestable as is by data.gouv.fr (udata) and data.europa.eu.

What a harvester sees: **one** ``dcat:Dataset`` (with ``dct:identifier``, as udata requires), one
distribution per file, and the SPARQL endpoint as a ``dcat:DataService`` reached through a distribution.
The dataset series and the source datasets are described but are not ``dcat:Dataset`` nodes of the
catalogue: the series is a ``dcat:DatasetSeries`` (DCAT 3 makes it a subclass of ``dcat:Dataset``, which
the catalogue states for validators; udata's harvester takes only nodes typed ``dcat:Dataset``), and each
source is a ``prov:Entity`` the dataset ``prov:wasDerivedFrom``, named in its ``dct:provenance``.

Licences are those of :mod:`cmqgraph.tables`: a file holding data of a source under the ODbL (the RDF
dumps, a table that holds such data) is offered under the ODbL, with a ``dct:rights`` statement naming
the sources it mixes; the others under the Licence Ouverte 2.0.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, XSD

from .formats import DUMP_NAME, export_formats, for_suffix
from .iris import BASE, SPDX
from .tables import LICENCE_OUVERTE, LICENCES, TABLES, Licensing, graph_licensing, source_descriptions, table_licensing
from .version import __version__

__all__ = ["catalogue", "DATASET", "NO_BASE_URL_NOTE"]

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
IANA = "https://www.iana.org/assignments/media-types/"
#: DCAT 3 terms that rdflib's closed DCAT namespace lacks (dcat:DatasetSeries, dcat:inSeries, dcat:version).
DCAT3 = Namespace(str(DCAT))
ONTOLOGY = URIRef(BASE + "ontology")
#: Where to reach the project: its persistent base IRI (a publisher sets its own with ``CMQGRAPH_CONTACT_URL``).
PROJECT_CONTACT = URIRef(BASE)
#: The dataset: its IRI is also its ``dct:identifier``, the same from one release to the next (a harvester updates it).
DATASET = URIRef(BASE + "dataset")

#: What the catalogue says when it was written without a base URL (its download URLs are local ``file:`` URLs).
NO_BASE_URL_NOTE = {
    "fr": "Catalogue d'essai : les URL de téléchargement sont les fichiers locaux (file://) de l'export. Avant de publier, "
    "relancez « cmqgraph export --base-url URL » avec l'adresse où les fichiers seront en ligne.",
    "en": "Trial catalogue: the download URLs are the export's local files (file://). Before publishing, run "
    "'cmqgraph export --base-url URL' again with the address the files will be online at.",
}


_CATALOGUE = URIRef(BASE + "catalogue")
_SERIES = URIRef(BASE + "dataset-series")
_PUBLISHER = URIRef(BASE + "publisher")
_CONTACT = URIRef(BASE + "contact")
_GZIP = URIRef(IANA + "application/gzip")
_SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
#: The dataset's keywords, with their language.
_KEYWORDS = (
    ("campus des métiers et des qualifications", "fr"), ("formation professionnelle", "fr"), ("établissements", "fr"),
    ("métiers", "fr"), ("pôles de compétitivité", "fr"), ("vocational training", "en"), ("occupations", "en"),
    ("competitiveness clusters", "en"), ("knowledge graph", "en"), ("graphe de connaissances", "fr"),
)
_RDF_SUFFIXES = {f.suffix for f in export_formats() if f.family == "rdf"}
_TABLES = {table.name: table for table in TABLES}


def _sha256(path: Path) -> str:
    """Return the SHA-256 of the file ``path``, in hexadecimal."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _suffix(path: Path) -> tuple[str, bool]:
    """Return the suffix of ``path`` under any ``.gz``, and whether it is gzipped.

    >>> _suffix(Path("cmqgraph.nq.gz")), _suffix(Path("ontology.fr.html"))
    (('nq', True), ('html', False))
    """
    parts = path.name.split(".")
    gz = parts[-1] == "gz"
    return (parts[-2] if gz else parts[-1]), gz


def _describe(path: Path) -> dict[str, str]:
    """Return the description of an exported file, by language (none for a file cmqgraph does not write)."""
    suffix, _ = _suffix(path)
    stem = path.name.split(".")[0]
    if stem == DUMP_NAME and suffix == "nq":
        return {"fr": "Tout le graphe, un graphe nommé par source.", "en": "The whole graph, one named graph per source."}
    if stem == DUMP_NAME and suffix in _RDF_SUFFIXES:
        return {"fr": "Tout le graphe (union des graphes nommés des sources).", "en": "The whole graph (union of the sources' named graphs)."}
    if suffix == "csv" and stem in _TABLES:
        return {"en": f"{_TABLES[stem].title}: {_TABLES[stem].description}"}
    if path.name == "datapackage.json":
        return {"fr": "Descripteur Frictionless des tables CSV.", "en": "Frictionless descriptor of the CSV tables."}
    if stem == "ontology" and suffix == "html":
        return {"fr": "Documentation de l'ontologie cmqgraph.", "en": "Documentation of the cmqgraph ontology."}
    return {}


class _Licences:
    """The licence documents and rights statements of one catalogue."""

    def __init__(self, graph: Graph, sources: list[dict]):
        self.graph = graph
        self.titles = {s["name"]: s["title"] for s in sources}
        self.licence_of = {s["name"]: s["licence"] for s in sources}

    def document(self, iri: str) -> URIRef:
        """Return the licence document ``iri``, labelled with the title data.gouv.fr gives it."""
        node = URIRef(iri)
        self.graph.add((node, RDF.type, DCTERMS.LicenseDocument))
        self.graph.add((node, RDFS.label, Literal(LICENCES.get(iri, (None, iri))[1])))
        return node

    def state(self, subject: URIRef, licensing: Licensing) -> None:
        """Give ``subject`` its licence, and a rights statement naming the sources of another licence it mixes."""
        self.graph.add((subject, DCTERMS.license, self.document(licensing.licence)))
        if not licensing.sources:
            return
        rights = URIRef(f"{BASE}dataset/droits/{'+'.join(licensing.sources)}")
        self.graph.add((subject, DCTERMS.rights, rights))
        if (rights, RDF.type, DCTERMS.RightsStatement) in self.graph:
            return
        title, ouverte = LICENCES[licensing.licence][1], LICENCES[LICENCE_OUVERTE][1]

        def mixed(opening: str, closing: str) -> str:
            return ", ".join(f"{opening}{self.titles[n]}{closing} ({LICENCES[self.licence_of[n]][1]})" for n in licensing.sources)

        mixed_fr, mixed_en = mixed("« ", " »"), mixed("“", "”")
        self.graph.add((rights, RDF.type, DCTERMS.RightsStatement))
        self.graph.add((rights, RDFS.label, Literal(
            f"Contient des données de sources sous {ouverte} et de {mixed_fr}. "
            "La Licence Ouverte permettant la réutilisation sous toute licence libre qui exige la mention de la source, "
            f"l'ensemble est diffusé sous {title}. La licence de chaque source est dans le graphe nommé graph/meta.", lang="fr")))
        self.graph.add((rights, RDFS.label, Literal(
            f"Holds data of sources under the {ouverte} and of {mixed_en}. As the Licence Ouverte allows reuse under any "
            f"free licence that requires attribution, the whole is offered under the {title}. Each source's licence is in the "
            "named graph graph/meta.", lang="en")))


def _bind(g: Graph) -> None:
    """Bind the prefixes the catalogue is written with."""
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("prov", PROV), ("spdx", SPDX), ("vcard", VCARD), ("xsd", XSD)):
        g.bind(prefix, ns)


def _publisher(g: Graph) -> None:
    """Describe the publisher of the catalogue, its series and dataset: the cmqgraph developers."""
    g.add((_PUBLISHER, RDF.type, FOAF.Agent))
    g.add((_PUBLISHER, FOAF.name, Literal("cmqgraph developers", lang="en")))
    g.add((_PUBLISHER, FOAF.homepage, URIRef(BASE)))
    g.add((URIRef(BASE), RDF.type, FOAF.Document))


def _contact_point(g: Graph) -> None:
    """Describe the contact point, a ``vcard:Kind`` reached at ``CMQGRAPH_CONTACT_URL`` (else :data:`PROJECT_CONTACT`)."""
    g.add((_CONTACT, RDF.type, VCARD.Kind))
    g.add((_CONTACT, VCARD.fn, Literal("cmqgraph", lang="en")))
    g.add((_CONTACT, VCARD.hasURL, URIRef(os.environ.get("CMQGRAPH_CONTACT_URL") or PROJECT_CONTACT)))


def _catalogue_node(g: Graph, base_url: str | None, licences: _Licences, day: Literal) -> None:
    """Describe the ``dcat:Catalog`` holding the dataset; without ``base_url`` its description says the URLs are local."""
    g.add((_CATALOGUE, RDF.type, DCAT.Catalog))
    g.add((_CATALOGUE, DCTERMS.title, Literal("Catalogue cmqgraph", lang="fr")))
    g.add((_CATALOGUE, DCTERMS.title, Literal("cmqgraph catalogue", lang="en")))
    descriptions = {"fr": "Les exports du graphe de connaissances cmqgraph.", "en": "The exports of the cmqgraph knowledge graph."}
    for lang, text in descriptions.items():
        g.add((_CATALOGUE, DCTERMS.description, Literal(text if base_url else f"{text} {NO_BASE_URL_NOTE[lang]}", lang=lang)))
    g.add((_CATALOGUE, DCTERMS.publisher, _PUBLISHER))
    g.add((_CATALOGUE, FOAF.homepage, URIRef(BASE)))
    g.add((_CATALOGUE, DCTERMS.license, licences.document(LICENCE_OUVERTE)))
    g.add((_CATALOGUE, DCTERMS.issued, day))
    g.add((_CATALOGUE, DCTERMS.modified, day))
    g.add((_CATALOGUE, DCTERMS.language, EU_LANGUAGE.FRA))
    g.add((_CATALOGUE, DCAT.dataset, DATASET))


def _series(g: Graph) -> None:
    """Describe the series of releases, a dataset of the catalogue typed ``dcat:DatasetSeries`` only.

    udata would harvest a node typed ``dcat:Dataset`` as one more, empty, dataset; DCAT 3's axiom, stated
    here, makes the series a dataset of the catalogue for the DCAT-AP shapes.
    """
    g.add((DCAT3.DatasetSeries, RDFS.subClassOf, DCAT.Dataset))
    g.add((_SERIES, RDF.type, DCAT3.DatasetSeries))
    g.add((_SERIES, DCTERMS.title, Literal("cmqgraph, versions successives", lang="fr")))
    g.add((_SERIES, DCTERMS.title, Literal("cmqgraph, successive releases", lang="en")))
    g.add((_SERIES, DCTERMS.description, Literal("Toutes les versions publiées du graphe cmqgraph.", lang="fr")))
    g.add((_SERIES, DCTERMS.description, Literal("Every published release of the cmqgraph graph.", lang="en")))
    g.add((_SERIES, DCTERMS.publisher, _PUBLISHER))
    g.add((_SERIES, DCAT.contactPoint, _CONTACT))
    g.add((_CATALOGUE, DCAT.dataset, _SERIES))


def _dataset(g: Graph, day: Literal) -> None:
    """Describe the one harvested ``dcat:Dataset``: identifier, series, titles, descriptions, publisher, dates, version."""
    g.add((DATASET, RDF.type, DCAT.Dataset))
    g.add((DATASET, DCTERMS.identifier, Literal(str(DATASET))))
    g.add((DATASET, DCAT3.inSeries, _SERIES))
    g.add((DATASET, DCTERMS.title, Literal("cmqgraph : campus des métiers et des qualifications, établissements, formations, métiers, pôles et projets", lang="fr")))
    g.add((DATASET, DCTERMS.title, Literal("cmqgraph: campuses of trades and qualifications, schools, trainings, trades, clusters and projects", lang="en")))
    g.add((DATASET, DCTERMS.description, Literal(
        "Graphe de connaissances des campus des métiers et des qualifications (CMQ), de leurs établissements (UAI), "
        "formations (CFD, RNCP), métiers (ROME), pôles de compétitivité et projets PIA3, construit à partir de données publiques.",
        lang="fr")))
    g.add((DATASET, DCTERMS.description, Literal(
        "A knowledge graph of France's Campus des métiers et des qualifications, their schools, trainings, ROME trades, "
        "pôles de compétitivité and PIA3 projects, built from public data.", lang="en")))
    g.add((DATASET, DCTERMS.publisher, _PUBLISHER))
    g.add((DATASET, DCAT.contactPoint, _CONTACT))
    g.add((DATASET, DCTERMS.issued, day))
    g.add((DATASET, DCTERMS.modified, day))
    g.add((DATASET, DCAT3.version, Literal(__version__)))


def _dataset_context(g: Graph) -> None:
    """State the dataset's frequency, standard, place, language and landing page, each typed as DCAT-AP's ranges want."""
    g.add((DATASET, DCTERMS.accrualPeriodicity, EU_FREQUENCY.IRREG))
    g.add((EU_FREQUENCY.IRREG, RDF.type, DCTERMS.Frequency))
    g.add((DATASET, DCTERMS.conformsTo, ONTOLOGY))
    g.add((ONTOLOGY, RDF.type, DCTERMS.Standard))
    g.add((DATASET, DCTERMS.spatial, EU_COUNTRY.FRA))
    g.add((EU_COUNTRY.FRA, RDF.type, DCTERMS.Location))
    g.add((DATASET, DCTERMS.language, EU_LANGUAGE.FRA))
    g.add((EU_LANGUAGE.FRA, RDF.type, DCTERMS.LinguisticSystem))
    g.add((DATASET, DCAT.landingPage, URIRef(BASE)))


def _keywords(g: Graph) -> None:
    """Give the dataset its keywords (:data:`_KEYWORDS`)."""
    for word, lang in _KEYWORDS:
        g.add((DATASET, DCAT.keyword, Literal(word, lang=lang)))


def _source_years(sources: list[dict]) -> list[int]:
    """Return the years the sources state, sorted: the four-digit numbers (1991 to 2099) of their ``temporal``.

    >>> _source_years([{"temporal": "2019-2024"}, {"temporal": "rentrée 2023"}, {"temporal": ""}])
    [2019, 2023, 2024]
    """
    return sorted({int(tok[:4]) for s in sources for tok in s["temporal"].replace("-", " ").split() if tok[:4].isdigit() and 1990 < int(tok[:4]) < 2100})


def _temporal_coverage(g: Graph, sources: list[dict]) -> None:
    """State the dataset's temporal coverage, from the first to the last year the sources state (none without a year).

    The period is a blank node: udata fetches an IRI period over HTTP (``temporal_from_resource`` in
    ``udata/core/dataset/rdf.py``).
    """
    years = _source_years(sources)
    if not years:
        return
    period = BNode("periode")
    g.add((DATASET, DCTERMS.temporal, period))
    g.add((period, RDF.type, DCTERMS.PeriodOfTime))
    g.add((period, DCAT.startDate, Literal(f"{years[0]}-01-01", datatype=XSD.date)))
    g.add((period, DCAT.endDate, Literal(f"{years[-1]}-12-31", datatype=XSD.date)))


def _provenance(g: Graph, sources: list[dict]) -> None:
    """State the dataset's provenance: a statement naming every source, in French and English."""
    provenance = URIRef(BASE + "dataset/provenance")
    g.add((DATASET, DCTERMS.provenance, provenance))
    g.add((provenance, RDF.type, DCTERMS.ProvenanceStatement))
    listed = " ; ".join(s["title"] for s in sources)
    g.add((provenance, RDFS.label, Literal(
        f"Construit par cmqgraph à partir de {len(sources)} jeux de données sources (prov:wasDerivedFrom), chacun dans son graphe "
        f"nommé avec sa licence, son dépôt d'origine, ses empreintes SHA-256 et sa note de complétude (graphe nommé graph/meta) : {listed}.",
        lang="fr")))
    g.add((provenance, RDFS.label, Literal(
        f"Built by cmqgraph from {len(sources)} source datasets (prov:wasDerivedFrom), each in its own named graph with its licence, "
        f"upstream repository, SHA-256 checksums and completeness note (named graph graph/meta): {listed}.", lang="en")))


def _source_entities(g: Graph, sources: list[dict], licences: _Licences) -> None:
    """Describe each source as a ``prov:Entity`` the dataset ``prov:wasDerivedFrom`` (not a dataset of the catalogue)."""
    for s in sources:
        node = URIRef(s["iri"])
        g.add((DATASET, PROV.wasDerivedFrom, node))
        g.add((node, RDF.type, PROV.Entity))
        g.add((node, DCTERMS.title, Literal(s["title"], lang="fr")))
        g.add((node, DCTERMS.description, Literal(s["upstream"] or s["title"], lang="en")))
        g.add((node, DCTERMS.license, licences.document(s["licence"])))


class _Format(NamedTuple):
    """How a distribution's file is typed: its IANA media type, EU file type and compression (None when not stated)."""

    media_type: URIRef | None
    file_type: URIRef | None
    compression: URIRef | None


def _distribution_format(path: Path) -> _Format:
    """Return the media type, EU file type and compression of the file ``path``, chosen by its suffix.

    The one place a file's format is chosen: the row of the format table for the suffix under any ``.gz``
    (:func:`cmqgraph.formats.for_suffix`), and gzip as compression for a ``.gz`` file; an unknown suffix gets
    no media or file type.

    >>> print(*_distribution_format(Path("cmqgraph.nq.gz")), sep="\\n")
    https://www.iana.org/assignments/media-types/application/n-quads
    http://publications.europa.eu/resource/authority/file-type/RDF_N_QUADS
    https://www.iana.org/assignments/media-types/application/gzip
    >>> _distribution_format(Path("notes.txt"))
    _Format(media_type=None, file_type=None, compression=None)
    """
    suffix, gz = _suffix(path)
    row = for_suffix(suffix)
    return _Format(
        URIRef(IANA + row.media_type) if row else None,
        EU_FILE_TYPE[row.eu_file_type] if row and row.eu_file_type else None,
        _GZIP if gz else None,
    )


def _add_format(g: Graph, dist: URIRef, fmt: _Format) -> None:
    """State the media type, file type and compression ``fmt`` of ``dist``, each typed as DCAT-AP's ranges want."""
    if fmt.media_type:
        g.add((dist, DCAT.mediaType, fmt.media_type))
        g.add((fmt.media_type, RDF.type, DCTERMS.MediaType))
    if fmt.file_type:
        g.add((dist, DCTERMS["format"], fmt.file_type))
        g.add((fmt.file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
    if fmt.compression:
        g.add((dist, DCAT.compressFormat, fmt.compression))
        g.add((fmt.compression, RDF.type, DCTERMS.MediaType))


def _checksum(g: Graph, dist: URIRef, path: Path) -> None:
    """Give ``dist`` the SPDX SHA-256 checksum of the file ``path``."""
    checksum = URIRef(f"{dist}/sha256")
    g.add((dist, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    g.add((checksum, SPDX.checksumValue, Literal(_sha256(path), datatype=XSD.hexBinary)))


def _download_url(path: Path, base_url: str | None) -> URIRef:
    """Return where the file ``path`` is downloaded from: its name under ``base_url``, else its local ``file:`` URL.

    >>> str(_download_url(Path("cmqgraph.ttl"), "https://example.org/cmqgraph/"))
    'https://example.org/cmqgraph/cmqgraph.ttl'
    """
    return URIRef(f"{base_url.rstrip('/')}/{path.name}") if base_url else URIRef(path.resolve().as_uri())


def _file_licensing(path: Path, whole: Licensing, tables: dict[str, Licensing]) -> Licensing:
    """Return the licensing of the file ``path``: the whole graph's for an RDF dump, its table's for a table, else the Licence Ouverte."""
    suffix, _ = _suffix(path)
    stem = path.name.split(".")[0]
    if stem == DUMP_NAME and suffix in _RDF_SUFFIXES:
        return whole
    if suffix == "csv" and stem in tables:
        return tables[stem]
    return Licensing(LICENCE_OUVERTE)


def _distribution(g: Graph, path: Path, url: URIRef, licensing: Licensing, licences: _Licences, day: Literal) -> None:
    """Describe the file ``path`` as a distribution of the dataset, downloaded from ``url``, offered under ``licensing``."""
    dist = URIRef(f"{BASE}distribution/{path.name}")
    g.add((DATASET, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCTERMS.title, Literal(path.name)))
    for lang, text in _describe(path).items():
        g.add((dist, DCTERMS.description, Literal(text, lang=lang)))
    g.add((dist, DCAT.accessURL, url))
    g.add((dist, DCAT.downloadURL, url))
    _add_format(g, dist, _distribution_format(path))
    g.add((dist, DCAT.byteSize, Literal(path.stat().st_size, datatype=XSD.nonNegativeInteger)))
    _checksum(g, dist, path)
    licences.state(dist, licensing)
    g.add((dist, DCTERMS.issued, day))
    g.add((dist, DCTERMS.modified, day))


def _sparql_service(g: Graph, endpoint: str, licences: _Licences, whole: Licensing) -> URIRef:
    """Describe the SPARQL endpoint as the catalogue's ``dcat:DataService`` serving the dataset, and return it.

    Its endpoint description is the endpoint itself: a SPARQL endpoint answers a GET without query with its
    SPARQL 1.1 Service Description (``cmqgraph serve`` does).
    """
    service = URIRef(BASE + "sparql-service")
    g.add((_CATALOGUE, DCAT.service, service))
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("Point d'accès SPARQL cmqgraph", lang="fr")))
    g.add((service, DCTERMS.title, Literal("cmqgraph SPARQL endpoint", lang="en")))
    g.add((service, DCAT.endpointURL, URIRef(endpoint)))
    g.add((service, DCAT.endpointDescription, URIRef(endpoint)))
    g.add((service, DCTERMS.conformsTo, _SPARQL_PROTOCOL))
    g.add((_SPARQL_PROTOCOL, RDF.type, DCTERMS.Standard))
    g.add((service, DCAT.servesDataset, DATASET))
    licences.state(service, whole)
    g.add((service, DCTERMS.publisher, _PUBLISHER))
    g.add((service, DCAT.contactPoint, _CONTACT))
    return service


def _sparql_distribution(g: Graph, endpoint: str, service: URIRef, licences: _Licences, whole: Licensing) -> None:
    """Add the distribution a harvester reaches ``service`` through (udata makes it a resource of type ``api``)."""
    dist = URIRef(BASE + "distribution/sparql")
    g.add((DATASET, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCTERMS.title, Literal("SPARQL endpoint", lang="en")))
    g.add((dist, DCAT.accessURL, URIRef(endpoint)))
    g.add((dist, DCAT.accessService, service))
    licences.state(dist, whole)


def catalogue(store: ox.Store, files: list[Path], base_url: str | None, sparql_endpoint: str | None, issued: dt.date) -> Graph:
    """Return the DCAT-AP 3 catalogue describing ``files`` as an rdflib Graph.

    Parameters
    ----------
    store : pyoxigraph.Store
        The built graph (its sources and their licences are read from ``graph/meta``).
    files : list of Path
        The exported files, one distribution each.
    base_url : str or None
        URL the files are published under; None gives ``file:`` URLs and says so in the catalogue's description.
    sparql_endpoint : str or None
        URL of a public SPARQL endpoint, described as a ``dcat:DataService``.
    issued : datetime.date
        The release date.
    """
    g = Graph()
    _bind(g)
    day = Literal(issued.isoformat(), datatype=XSD.date)
    sources = source_descriptions(store)
    licences = _Licences(g, sources)
    whole = graph_licensing(sources)

    _publisher(g)
    _contact_point(g)
    _catalogue_node(g, base_url, licences, day)
    _series(g)
    _dataset(g, day)
    _dataset_context(g)
    licences.state(DATASET, whole)
    _keywords(g)
    _temporal_coverage(g, sources)
    _provenance(g, sources)
    _source_entities(g, sources, licences)

    tables = table_licensing(store, sources) if any(_suffix(p)[0] == "csv" for p in files) else {}
    for path in sorted(files, key=lambda p: p.name):
        _distribution(g, path, _download_url(path, base_url), _file_licensing(path, whole, tables), licences, day)

    if sparql_endpoint:
        service = _sparql_service(g, sparql_endpoint, licences, whole)
        _sparql_distribution(g, sparql_endpoint, service, licences, whole)
    return g
