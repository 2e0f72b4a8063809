"""A DCAT-AP 3 catalogue of the exported files: catalogue, dataset, dataset series, distributions, SPARQL service."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, XSD

from . import __version__
from .iris import BASE, SPDX
from .tables import source_descriptions

__all__ = ["catalogue", "MEDIA_TYPES", "FORMATS", "LICENCE_OUVERTE"]

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
IANA = "https://www.iana.org/assignments/media-types/"
#: DCAT 3 terms that rdflib's closed DCAT namespace lacks (dcat:DatasetSeries, dcat:inSeries, dcat:version).
DCAT3 = Namespace(str(DCAT))
LICENCE_OUVERTE = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
ONTOLOGY = URIRef(BASE + "ontology")
#: Where to reach the project: its persistent base IRI (a publisher sets its own with ``CMQGRAPH_CONTACT_URL``).
PROJECT_CONTACT = URIRef(BASE)

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


def catalogue(store: ox.Store, files: list[Path], base_url: str | None, sparql_endpoint: str | None, issued: dt.date) -> Graph:
    """Return the DCAT-AP 3 catalogue describing ``files`` as an rdflib Graph."""
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("prov", PROV), ("spdx", SPDX), ("vcard", VCARD), ("xsd", XSD)):
        g.bind(prefix, ns)
    root = URIRef(BASE + "catalogue")
    dataset = URIRef(BASE + "dataset")
    series = URIRef(BASE + "dataset-series")
    publisher = URIRef(BASE + "publisher")
    contact = URIRef(BASE + "contact")
    day = Literal(issued.isoformat(), datatype=XSD.date)

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
    g.add((root, DCTERMS.description, Literal("Les exports du graphe de connaissances cmqgraph.", lang="fr")))
    g.add((root, DCTERMS.description, Literal("The exports of the cmqgraph knowledge graph.", lang="en")))
    g.add((root, DCTERMS.publisher, publisher))
    g.add((root, FOAF.homepage, URIRef(BASE)))
    g.add((root, DCTERMS.license, LICENCE_OUVERTE))
    g.add((root, DCTERMS.issued, day))
    g.add((root, DCTERMS.modified, day))
    g.add((root, DCTERMS.language, EU_LANGUAGE.FRA))
    g.add((root, DCAT.dataset, dataset))

    g.add((series, RDF.type, DCAT3.DatasetSeries))
    g.add((series, RDF.type, DCAT.Dataset))  # dcat:DatasetSeries ⊑ dcat:Dataset, stated for reasoners-free checks
    g.add((series, DCTERMS.title, Literal("cmqgraph, versions successives", lang="fr")))
    g.add((series, DCTERMS.title, Literal("cmqgraph, successive releases", lang="en")))
    g.add((series, DCTERMS.description, Literal("Toutes les versions publiées du graphe cmqgraph.", lang="fr")))
    g.add((series, DCTERMS.description, Literal("Every published release of the cmqgraph graph.", lang="en")))
    g.add((series, DCTERMS.publisher, publisher))
    g.add((series, DCAT.contactPoint, contact))
    g.add((root, DCAT.dataset, series))

    g.add((dataset, RDF.type, DCAT.Dataset))
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
    g.add((dataset, DCTERMS.conformsTo, ONTOLOGY))
    g.add((ONTOLOGY, RDF.type, DCTERMS.Standard))
    g.add((dataset, DCTERMS.spatial, EU_COUNTRY.FRA))
    g.add((EU_COUNTRY.FRA, RDF.type, DCTERMS.Location))
    g.add((dataset, DCTERMS.language, EU_LANGUAGE.FRA))
    g.add((EU_LANGUAGE.FRA, RDF.type, DCTERMS.LinguisticSystem))
    g.add((dataset, DCAT.landingPage, URIRef(BASE)))
    for word, lang in (
        ("campus des métiers et des qualifications", "fr"), ("formation professionnelle", "fr"), ("établissements", "fr"),
        ("métiers", "fr"), ("pôles de compétitivité", "fr"), ("vocational training", "en"), ("occupations", "en"),
        ("competitiveness clusters", "en"), ("knowledge graph", "en"), ("graphe de connaissances", "fr"),
    ):
        g.add((dataset, DCAT.keyword, Literal(word, lang=lang)))

    # temporal coverage: the years the sources state (four-digit numbers in their dct:temporal)
    sources = source_descriptions(store)
    years = sorted({int(tok[:4]) for s in sources for tok in s["temporal"].replace("-", " ").split() if tok[:4].isdigit() and 1990 < int(tok[:4]) < 2100})
    if years:
        period = URIRef(BASE + "dataset/periode")
        g.add((dataset, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(f"{years[0]}-01-01", datatype=XSD.date)))
        g.add((period, DCAT.endDate, Literal(f"{years[-1]}-12-31", datatype=XSD.date)))

    provenance = URIRef(BASE + "dataset/provenance")
    g.add((dataset, DCTERMS.provenance, provenance))
    g.add((provenance, RDF.type, DCTERMS.ProvenanceStatement))
    g.add((provenance, RDFS.label, Literal(
        "Built by cmqgraph from the source files listed as prov:wasDerivedFrom, each in its own named graph with its "
        "licence, upstream repository, SHA-256 checksums and completeness note (named graph graph/meta).", lang="en")))
    licences = {LICENCE_OUVERTE}
    for s in sources:
        node = URIRef(s["iri"])
        g.add((dataset, PROV.wasDerivedFrom, node))
        g.add((dataset, DCTERMS.source, node))
        g.add((node, RDF.type, DCAT.Dataset))
        g.add((node, DCTERMS.title, Literal(s["title"], lang="fr")))
        g.add((node, DCTERMS.description, Literal(s["upstream"] or s["title"], lang="en")))
        g.add((node, DCTERMS.license, URIRef(s["licence"])))
        licences.add(URIRef(s["licence"]))
    for licence in licences:
        g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    if len(licences) > 1:
        rights = URIRef(BASE + "dataset/droits")
        g.add((dataset, DCTERMS.rights, rights))
        g.add((rights, RDF.type, DCTERMS.RightsStatement))
        g.add((rights, RDFS.label, Literal(
            "Licence Ouverte 2.0, except the parts derived from sources under another licence (e.g. ODbL for the ONISEP "
            "métiers): each distribution states its licence, each source dataset its own.", lang="en")))

    for path in sorted(files, key=lambda p: p.name):
        suffix, gz = _suffix(path)
        dist = URIRef(f"{BASE}distribution/{path.name}")
        url = URIRef(f"{base_url.rstrip('/')}/{path.name}") if base_url else URIRef(path.resolve().as_uri())
        g.add((dataset, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(path.name)))
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
        onisep = "ODbL" in " ".join(s["licence"] for s in sources) and suffix in ("ttl", "nt", "nq", "jsonld")
        g.add((dist, DCTERMS.license, LICENCE_OUVERTE))
        if onisep:
            g.add((dist, DCTERMS.rights, URIRef(BASE + "dataset/droits")))
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
        g.add((service, DCTERMS.license, LICENCE_OUVERTE))
        g.add((service, DCTERMS.publisher, publisher))
        g.add((service, DCAT.contactPoint, contact))
        endpoint_dist = URIRef(BASE + "distribution/sparql")
        g.add((dataset, DCAT.distribution, endpoint_dist))
        g.add((endpoint_dist, RDF.type, DCAT.Distribution))
        g.add((endpoint_dist, DCTERMS.title, Literal("SPARQL endpoint", lang="en")))
        g.add((endpoint_dist, DCAT.accessURL, URIRef(sparql_endpoint)))
        g.add((endpoint_dist, DCAT.accessService, service))
        g.add((endpoint_dist, DCTERMS.license, LICENCE_OUVERTE))
    return g
