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

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, XSD

from .version import __version__
from .export import DUMP_NAME, RDF_FORMATS
from .iris import BASE, SPDX
from .tables import LICENCE_OUVERTE, LICENCES, TABLES, Licensing, graph_licensing, source_descriptions, table_licensing

__all__ = ["catalogue", "MEDIA_TYPES", "FORMATS", "DATASET", "NO_BASE_URL_NOTE"]

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

#: File suffix → IANA media type.
MEDIA_TYPES = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "nq": "application/n-quads",
    "jsonld": "application/ld+json",
    "csv": "text/csv",
    "json": "application/json",
    "html": "text/html",
}
#: File suffix → EU file-type authority code.
FORMATS = {"ttl": "RDF_TURTLE", "nt": "RDF_N_TRIPLES", "nq": "RDF_N_QUADS", "jsonld": "JSON_LD", "csv": "CSV", "json": "JSON", "html": "HTML"}

_RDF_SUFFIXES = {suffix for suffix, _ in RDF_FORMATS.values()}
_TABLES = {table.name: table for table in TABLES}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _suffix(path: Path) -> tuple[str, bool]:
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
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("prov", PROV), ("spdx", SPDX), ("vcard", VCARD), ("xsd", XSD)):
        g.bind(prefix, ns)


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
    root = URIRef(BASE + "catalogue")
    dataset = DATASET
    series = URIRef(BASE + "dataset-series")
    publisher = URIRef(BASE + "publisher")
    contact = URIRef(BASE + "contact")
    day = Literal(issued.isoformat(), datatype=XSD.date)
    sources = source_descriptions(store)
    licences = _Licences(g, sources)
    whole = graph_licensing(sources)

    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal("cmqgraph developers", lang="en")))
    g.add((publisher, FOAF.homepage, URIRef(BASE)))
    g.add((URIRef(BASE), RDF.type, FOAF.Document))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, VCARD.fn, Literal("cmqgraph", lang="en")))
    g.add((contact, VCARD.hasURL, URIRef(os.environ.get("CMQGRAPH_CONTACT_URL") or PROJECT_CONTACT)))

    g.add((root, RDF.type, DCAT.Catalog))
    g.add((root, DCTERMS.title, Literal("Catalogue cmqgraph", lang="fr")))
    g.add((root, DCTERMS.title, Literal("cmqgraph catalogue", lang="en")))
    descriptions = {"fr": "Les exports du graphe de connaissances cmqgraph.", "en": "The exports of the cmqgraph knowledge graph."}
    for lang, text in descriptions.items():
        g.add((root, DCTERMS.description, Literal(text if base_url else f"{text} {NO_BASE_URL_NOTE[lang]}", lang=lang)))
    g.add((root, DCTERMS.publisher, publisher))
    g.add((root, FOAF.homepage, URIRef(BASE)))
    g.add((root, DCTERMS.license, licences.document(LICENCE_OUVERTE)))
    g.add((root, DCTERMS.issued, day))
    g.add((root, DCTERMS.modified, day))
    g.add((root, DCTERMS.language, EU_LANGUAGE.FRA))
    g.add((root, DCAT.dataset, dataset))

    # The series: a dcat:DatasetSeries only (udata would harvest a node typed dcat:Dataset as one more, empty,
    # dataset); DCAT 3's axiom makes it a dataset of the catalogue for the DCAT-AP shapes.
    g.add((DCAT3.DatasetSeries, RDFS.subClassOf, DCAT.Dataset))
    g.add((series, RDF.type, DCAT3.DatasetSeries))
    g.add((series, DCTERMS.title, Literal("cmqgraph, versions successives", lang="fr")))
    g.add((series, DCTERMS.title, Literal("cmqgraph, successive releases", lang="en")))
    g.add((series, DCTERMS.description, Literal("Toutes les versions publiées du graphe cmqgraph.", lang="fr")))
    g.add((series, DCTERMS.description, Literal("Every published release of the cmqgraph graph.", lang="en")))
    g.add((series, DCTERMS.publisher, publisher))
    g.add((series, DCAT.contactPoint, contact))
    g.add((root, DCAT.dataset, series))

    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.identifier, Literal(str(dataset))))
    g.add((dataset, DCAT3.inSeries, series))
    g.add((dataset, DCTERMS.title, Literal("cmqgraph : campus des métiers et des qualifications, établissements, formations, métiers, pôles et projets", lang="fr")))
    g.add((dataset, DCTERMS.title, Literal("cmqgraph: campuses of trades and qualifications, schools, trainings, trades, clusters and projects", lang="en")))
    g.add((dataset, DCTERMS.description, Literal(
        "Graphe de connaissances des campus des métiers et des qualifications (CMQ), de leurs établissements (UAI), "
        "formations (CFD, RNCP), métiers (ROME), pôles de compétitivité et projets PIA3, construit à partir de données publiques.",
        lang="fr")))
    g.add((dataset, DCTERMS.description, Literal(
        "A knowledge graph of France's Campus des métiers et des qualifications, their schools, trainings, ROME trades, "
        "pôles de compétitivité and PIA3 projects, built from public data.", lang="en")))
    g.add((dataset, DCTERMS.publisher, publisher))
    g.add((dataset, DCAT.contactPoint, contact))
    g.add((dataset, DCTERMS.issued, day))
    g.add((dataset, DCTERMS.modified, day))
    g.add((dataset, DCAT3.version, Literal(__version__)))
    g.add((dataset, DCTERMS.accrualPeriodicity, EU_FREQUENCY.IRREG))
    g.add((EU_FREQUENCY.IRREG, RDF.type, DCTERMS.Frequency))
    g.add((dataset, DCTERMS.conformsTo, ONTOLOGY))
    g.add((ONTOLOGY, RDF.type, DCTERMS.Standard))
    g.add((dataset, DCTERMS.spatial, EU_COUNTRY.FRA))
    g.add((EU_COUNTRY.FRA, RDF.type, DCTERMS.Location))
    g.add((dataset, DCTERMS.language, EU_LANGUAGE.FRA))
    g.add((EU_LANGUAGE.FRA, RDF.type, DCTERMS.LinguisticSystem))
    g.add((dataset, DCAT.landingPage, URIRef(BASE)))
    licences.state(dataset, whole)
    for word, lang in (
        ("campus des métiers et des qualifications", "fr"), ("formation professionnelle", "fr"), ("établissements", "fr"),
        ("métiers", "fr"), ("pôles de compétitivité", "fr"), ("vocational training", "en"), ("occupations", "en"),
        ("competitiveness clusters", "en"), ("knowledge graph", "en"), ("graphe de connaissances", "fr"),
    ):
        g.add((dataset, DCAT.keyword, Literal(word, lang=lang)))

    # temporal coverage: the years the sources state (four-digit numbers in their dct:temporal). A blank node:
    # udata fetches an IRI period over HTTP (temporal_from_resource in udata/core/dataset/rdf.py).
    years = sorted({int(tok[:4]) for s in sources for tok in s["temporal"].replace("-", " ").split() if tok[:4].isdigit() and 1990 < int(tok[:4]) < 2100})
    if years:
        period = BNode("periode")
        g.add((dataset, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(f"{years[0]}-01-01", datatype=XSD.date)))
        g.add((period, DCAT.endDate, Literal(f"{years[-1]}-12-31", datatype=XSD.date)))

    provenance = URIRef(BASE + "dataset/provenance")
    g.add((dataset, DCTERMS.provenance, provenance))
    g.add((provenance, RDF.type, DCTERMS.ProvenanceStatement))
    listed = " ; ".join(s["title"] for s in sources)
    g.add((provenance, RDFS.label, Literal(
        f"Construit par cmqgraph à partir de {len(sources)} jeux de données sources (prov:wasDerivedFrom), chacun dans son graphe "
        f"nommé avec sa licence, son dépôt d'origine, ses empreintes SHA-256 et sa note de complétude (graphe nommé graph/meta) : {listed}.",
        lang="fr")))
    g.add((provenance, RDFS.label, Literal(
        f"Built by cmqgraph from {len(sources)} source datasets (prov:wasDerivedFrom), each in its own named graph with its licence, "
        f"upstream repository, SHA-256 checksums and completeness note (named graph graph/meta): {listed}.", lang="en")))
    for s in sources:
        node = URIRef(s["iri"])
        g.add((dataset, PROV.wasDerivedFrom, node))
        g.add((node, RDF.type, PROV.Entity))
        g.add((node, DCTERMS.title, Literal(s["title"], lang="fr")))
        g.add((node, DCTERMS.description, Literal(s["upstream"] or s["title"], lang="en")))
        g.add((node, DCTERMS.license, licences.document(s["licence"])))

    tables = table_licensing(store, sources) if any(_suffix(p)[0] == "csv" for p in files) else {}
    for path in sorted(files, key=lambda p: p.name):
        suffix, gz = _suffix(path)
        stem = path.name.split(".")[0]
        dist = URIRef(f"{BASE}distribution/{path.name}")
        url = URIRef(f"{base_url.rstrip('/')}/{path.name}") if base_url else URIRef(path.resolve().as_uri())
        g.add((dataset, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(path.name)))
        for lang, text in _describe(path).items():
            g.add((dist, DCTERMS.description, Literal(text, lang=lang)))
        g.add((dist, DCAT.accessURL, url))
        g.add((dist, DCAT.downloadURL, url))
        media = MEDIA_TYPES.get(suffix)
        if media:
            g.add((dist, DCAT.mediaType, URIRef(IANA + media)))
            g.add((URIRef(IANA + media), RDF.type, DCTERMS.MediaType))
        if suffix in FORMATS:
            g.add((dist, DCTERMS["format"], EU_FILE_TYPE[FORMATS[suffix]]))
            g.add((EU_FILE_TYPE[FORMATS[suffix]], RDF.type, DCTERMS.MediaTypeOrExtent))
        if gz:
            g.add((dist, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
            g.add((URIRef(IANA + "application/gzip"), RDF.type, DCTERMS.MediaType))
        g.add((dist, DCAT.byteSize, Literal(path.stat().st_size, datatype=XSD.nonNegativeInteger)))
        checksum = URIRef(f"{dist}/sha256")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
        g.add((checksum, SPDX.checksumValue, Literal(_sha256(path), datatype=XSD.hexBinary)))
        if stem == DUMP_NAME and suffix in _RDF_SUFFIXES:
            licences.state(dist, whole)
        elif suffix == "csv" and stem in tables:
            licences.state(dist, tables[stem])
        else:
            licences.state(dist, Licensing(LICENCE_OUVERTE))
        g.add((dist, DCTERMS.issued, day))
        g.add((dist, DCTERMS.modified, day))

    if sparql_endpoint:
        service = URIRef(BASE + "sparql-service")
        g.add((root, DCAT.service, service))
        g.add((service, RDF.type, DCAT.DataService))
        g.add((service, DCTERMS.title, Literal("Point d'accès SPARQL cmqgraph", lang="fr")))
        g.add((service, DCTERMS.title, Literal("cmqgraph SPARQL endpoint", lang="en")))
        g.add((service, DCAT.endpointURL, URIRef(sparql_endpoint)))
        # a SPARQL endpoint answers a GET without query with its SPARQL 1.1 Service Description (cmqgraph serve does)
        g.add((service, DCAT.endpointDescription, URIRef(sparql_endpoint)))
        g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
        g.add((URIRef("https://www.w3.org/TR/sparql11-protocol/"), RDF.type, DCTERMS.Standard))
        g.add((service, DCAT.servesDataset, dataset))
        licences.state(service, whole)
        g.add((service, DCTERMS.publisher, publisher))
        g.add((service, DCAT.contactPoint, contact))
        endpoint_dist = URIRef(BASE + "distribution/sparql")
        g.add((dataset, DCAT.distribution, endpoint_dist))
        g.add((endpoint_dist, RDF.type, DCAT.Distribution))
        g.add((endpoint_dist, DCTERMS.title, Literal("SPARQL endpoint", lang="en")))
        g.add((endpoint_dist, DCAT.accessURL, URIRef(sparql_endpoint)))
        g.add((endpoint_dist, DCAT.accessService, service))
        licences.state(endpoint_dist, whole)
    return g
