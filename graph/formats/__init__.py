"""The format table: every file format cmqgraph writes or serves, in one place.

Like rdflib's plugin table, :data:`FORMATS` lists each format once: its name, its kind, its file suffix,
its IANA media type, its code in the EU file-type authority (for DCAT-AP), its name among the W3C's
``http://www.w3.org/ns/formats/``, the pyoxigraph and rdflib names of its syntax and, for the formats
``cmqgraph export`` writes, the module of its family under ``cmqgraph.formats`` that writes it.
Everything else is derived from it: the choices and help of ``cmqgraph export --format`` (and ``all``),
the media types and file types of the DCAT catalogue, the SPARQL protocol's answer formats, the saved
queries' download formats and the service description.

Kinds
-----
``graph``
    An RDF syntax: a dump of ``cmqgraph export``, a CONSTRUCT or DESCRIBE answer of the server (when it has
    a ``param``), the service description.
``results``
    A SPARQL query results syntax (SELECT and ASK answers of the server).
``table``
    A text table of a saved query's results (``cmqgraph query run --format``, the server's downloads).
``file``
    Another file of an export: the CSV tables and their data package, the ontology's pages, the catalogue.

Adding a format is one row here and, for a new family of export files, one module under
``cmqgraph.formats`` with ``write(job, formats)`` and ``existing(folder, fmt)`` (see :mod:`.rdf`): an RDF
syntax that pyoxigraph writes needs only its row with ``family="rdf"``.

Examples
--------
>>> [f.name for f in export_formats()]
['ttl', 'nt', 'nq', 'jsonld', 'csv', 'docs', 'dcat']
>>> for_suffix("nq").media_type
'application/n-quads'
>>> media_types("results")
['application/sparql-results+json', 'application/sparql-results+xml', 'text/csv', 'text/tab-separated-values']
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox

__all__ = [
    "Format",
    "FORMATS",
    "GRAPH",
    "RESULTS",
    "TABLE",
    "FILE",
    "DUMP_NAME",
    "ExportJob",
    "of_kind",
    "media_types",
    "export_formats",
    "choose",
    "families",
    "family",
    "for_suffix",
    "lookup",
]

GRAPH, RESULTS, TABLE, FILE = "graph", "results", "table", "file"

#: Base name of the dump files (``cmqgraph.ttl``, ``cmqgraph.nq.gz``…).
DUMP_NAME = "cmqgraph"


@dataclass(frozen=True)
class Format:
    """One row of the format table (see the module's docstring for the kinds)."""

    name: str
    kind: str
    suffix: str
    media_type: str
    #: Code in http://publications.europa.eu/resource/authority/file-type/ (DCAT-AP ``dct:format``).
    eu_file_type: str | None = None
    #: Name in http://www.w3.org/ns/formats/ (the service description's ``sd:resultFormat``).
    w3c: str | None = None
    #: Name of the syntax among ``pyoxigraph.RdfFormat`` or ``pyoxigraph.QueryResultsFormat``.
    oxigraph: str | None = None
    #: Name of the syntax among rdflib's serialisers.
    rdflib: str | None = None
    #: The module under ``cmqgraph.formats`` that writes it in an export (None: not an export format).
    family: str | None = None
    #: The name a link or a form gives in the server's ``format=`` field (None: not a server answer format).
    param: str | None = None
    #: Other media types clients send for it.
    aliases: tuple[str, ...] = ()
    #: The name of a downloaded file, ``{}`` standing for the saved query's name.
    file_name: str = ""
    #: What it is, in French then English (``cmqgraph export --help``).
    label: str = ""

    @property
    def pyoxigraph(self) -> ox.RdfFormat | ox.QueryResultsFormat:
        """The pyoxigraph format object of the syntax."""
        kind = ox.QueryResultsFormat if self.kind == RESULTS else ox.RdfFormat
        return getattr(kind, self.oxigraph)


_CSV_TABLE = "text/csv; charset=utf-8; header=present"

#: Every format, in the order of the export (the catalogue last, since it describes the other files).
FORMATS: tuple[Format, ...] = (
    Format("ttl", GRAPH, "ttl", "text/turtle", "RDF_TURTLE", "Turtle", "TURTLE", "turtle", "rdf", "turtle", ("application/x-turtle",),
           label="Turtle"),
    Format("nt", GRAPH, "nt", "application/n-triples", "RDF_N_TRIPLES", "N-Triples", "N_TRIPLES", "nt", "rdf", "ntriples", ("text/plain",),
           label="N-Triples"),
    Format("nq", GRAPH, "nq", "application/n-quads", "RDF_N_QUADS", "N-Quads", "N_QUADS", "nquads", "rdf",
           label="N-Quads (graphes nommés / named graphs)"),
    Format("jsonld", GRAPH, "jsonld", "application/ld+json", "JSON_LD", "JSON-LD", "JSON_LD", "json-ld", "rdf", "jsonld", ("application/json",),
           label="JSON-LD"),
    Format("rdfxml", GRAPH, "rdf", "application/rdf+xml", "RDF_XML", "RDF_XML", "RDF_XML", "xml", param="rdfxml"),
    Format("json", RESULTS, "srj", "application/sparql-results+json", w3c="SPARQL_Results_JSON", oxigraph="JSON", param="json",
           aliases=("application/json",)),
    Format("xml", RESULTS, "srx", "application/sparql-results+xml", w3c="SPARQL_Results_XML", oxigraph="XML", param="xml",
           aliases=("application/xml", "text/xml")),
    Format("csv", RESULTS, "csv", "text/csv", w3c="SPARQL_Results_CSV", oxigraph="CSV", param="csv"),
    Format("tsv", RESULTS, "tsv", "text/tab-separated-values", w3c="SPARQL_Results_TSV", oxigraph="TSV", param="tsv"),
    Format("csv", TABLE, "csv", _CSV_TABLE, "CSV", file_name="{}.csv"),
    Format("csv-fr", TABLE, "csv", _CSV_TABLE, "CSV", file_name="{}-fr.csv"),
    Format("tsv", TABLE, "tsv", "text/tab-separated-values; charset=utf-8", "TSV", file_name="{}.tsv"),
    Format("json", TABLE, "json", "application/json", "JSON", file_name="{}.json"),
    Format("csv", FILE, "csv", "text/csv", "CSV", family="datapackage",
           label="tables CSV et leur datapackage.json / CSV tables and their datapackage.json"),
    Format("datapackage", FILE, "json", "application/json", "JSON"),
    Format("docs", FILE, "html", "text/html", "HTML", family="docs", label="pages de l'ontologie / the ontology's pages (pyLODE)"),
    Format("dcat", FILE, "ttl", "text/turtle", "RDF_TURTLE", family="catalogue",
           label="catalogue DCAT-AP 3 des autres fichiers / DCAT-AP 3 catalogue of the other files"),
)


def of_kind(kind: str) -> dict[str, Format]:
    """Return the formats of ``kind`` by name, in table order.

    >>> list(of_kind("table"))
    ['csv', 'csv-fr', 'tsv', 'json']
    """
    return {f.name: f for f in FORMATS if f.kind == kind}


def media_types(kind: str, served: bool = True) -> list[str]:
    """Return the media types of ``kind`` (only those the server answers in, with a ``param``, when ``served``)."""
    return [f.media_type for f in FORMATS if f.kind == kind and (f.param or not served)]


def lookup(kind: str, media_type: str) -> Format:
    """Return the format of ``kind`` whose media type (or one of its aliases) is ``media_type``.

    >>> lookup("graph", "application/x-turtle").name
    'ttl'
    """
    for f in FORMATS:
        if f.kind == kind and f.media_type == media_type:
            return f
    for f in FORMATS:
        if f.kind == kind and media_type in f.aliases:
            return f
    raise KeyError(f"no {kind} format has the media type {media_type!r}")


def export_formats() -> list[Format]:
    """Return the formats ``cmqgraph export`` writes, in the order it writes them."""
    return [f for f in FORMATS if f.family]


def choose(names: Sequence[str]) -> list[Format]:
    """Return the export formats named in ``names`` (``all``: every one), in the order of the export.

    Raises
    ------
    ValueError
        A name is not an export format.

    >>> [f.name for f in choose(["dcat", "ttl"])]
    ['ttl', 'dcat']
    """
    exports = export_formats()
    known = [f.name for f in exports]
    unknown = [n for n in names if n not in known and n != "all"]
    if unknown:
        raise ValueError(f"unknown export format(s) {unknown}: choose among {[*known, 'all']}")
    return [f for f in exports if "all" in names or f.name in names]


def family(fmt: Format) -> ModuleType:
    """Return the module that writes ``fmt`` in an export."""
    return import_module(f"{__name__}.{fmt.family}")


def families(chosen: Sequence[Format]) -> Iterator[tuple[ModuleType, list[Format]]]:
    """Yield each family module of ``chosen`` once, with its chosen formats, in the order of the table."""
    seen: dict[str, list[Format]] = {}
    for f in chosen:
        seen.setdefault(f.family, []).append(f)
    for group in seen.values():
        yield family(group[0]), group


def for_suffix(suffix: str) -> Format | None:
    """Return the format of an export file with this suffix (``ttl``, ``csv``, ``json``, ``html``…), or None.

    The first RDF syntax or export file of the table with that suffix.
    """
    return next((f for f in FORMATS if f.suffix == suffix and f.kind in (GRAPH, FILE)), None)


@dataclass
class ExportJob:
    """What the family modules of an export share: the store, the folder, the options and the files written so far."""

    store: ox.Store
    out: Path
    gzip: bool = False
    base_url: str | None = None
    sparql_endpoint: str | None = None
    written: list[Path] = field(default_factory=list)
