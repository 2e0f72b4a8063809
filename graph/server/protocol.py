"""The SPARQL 1.1 Protocol's request side: what a request asks for, and in which format it wants it.

:func:`parse_request` reads a query or an update from the three forms the protocol defines (``GET``
with ``query=``, ``POST`` of an HTML form, ``POST`` of the query itself), and :func:`negotiate`
chooses the answer's media type from the ``Accept`` header (or a ``format=`` field, for links).

The server's format tables live here, in one place: the media types of SPARQL answers
(:data:`RESULT_FORMATS`, :data:`GRAPH_FORMATS`, which the workers write with), of the service
description (:data:`DESCRIPTION_FORMATS`) and of a saved query's downloads (:data:`TABLE_MEDIA`).

Examples
--------
>>> negotiate("text/csv;q=0.5, application/sparql-results+json", ["application/sparql-results+json", "text/csv"])
'application/sparql-results+json'
>>> negotiate("text/*", ["application/sparql-results+json", "text/csv"])
'text/csv'
>>> negotiate("image/png", ["text/turtle"]) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pyoxigraph as ox
from rdflib import RDF, Graph, Namespace, URIRef

from ..errors import ProtocolError
from ..formats import GRAPH, RESULTS, TABLE, of_kind
from ..saved_queries import blank_comments

__all__ = [
    "ProtocolError", "SparqlRequest", "parse_request", "negotiate", "answer_types", "service_description", "FORMAT_NAMES",
    "RESULT_FORMATS", "GRAPH_FORMATS", "DESCRIPTION_FORMATS", "TABLE_MEDIA", "TABLE_FILES",
]

# ------------------------------------------------------------------------------------ formats

#: Media type → pyoxigraph format of SELECT and ASK results.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {f.media_type: f.pyoxigraph for f in of_kind(RESULTS).values()}
#: Media type → pyoxigraph format of CONSTRUCT and DESCRIBE results.
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {f.media_type: f.pyoxigraph for f in of_kind(GRAPH).values() if f.param}
#: Media type → rdflib format of the service description (the media types of :data:`GRAPH_FORMATS`).
DESCRIPTION_FORMATS: dict[str, str] = {f.media_type: f.rdflib for f in of_kind(GRAPH).values() if f.param}
#: Media type → the W3C's name of the format (http://www.w3.org/ns/formats/), for the service description.
_W3C_FORMATS = {f.media_type: f.w3c for kind in (RESULTS, GRAPH) for f in of_kind(kind).values() if f.param}
#: ``format`` of a saved query's results (:data:`cmqgraph.engine.TABLE_FORMATS`) → media type.
TABLE_MEDIA: dict[str, str] = {name: f.media_type for name, f in of_kind(TABLE).items()}
#: ``format`` of a saved query's results → the name of the downloaded file (``{}``: the query's name).
TABLE_FILES: dict[str, str] = {name: f.file_name for name, f in of_kind(TABLE).items()}

#: ``format=`` names → media types (for links and forms, which cannot set ``Accept``).
FORMAT_NAMES: dict[str, str] = {f.param: f.media_type for kind in (RESULTS, GRAPH) for f in of_kind(kind).values() if f.param}
#: Other names clients send for the same formats.
_ALIASES = {alias: f.media_type for f in of_kind(RESULTS).values() for alias in f.aliases}
_GRAPH_ALIASES = {alias: f.media_type for f in of_kind(GRAPH).values() if f.param for alias in f.aliases}

#: The SERVICE keyword, not part of a name (``?service``, ``ex:service``, ``service:x``), once strings, IRIs and comments are
#: blanked. A dot before it counts as the end of a triple (``?o .SERVICE``): a local name ``ex:a.service`` is refused too.
_SERVICE = re.compile(r"(?<![\w?$:@-])SERVICE(?![\w.:-])", re.IGNORECASE)

_FORM = "application/x-www-form-urlencoded"
_DIRECT_QUERY = "application/sparql-query"
_DIRECT_UPDATE = "application/sparql-update"


@dataclass
class SparqlRequest:
    """A query or an update (exactly one is set), and the graphs the request names."""

    query: str | None = None
    update: str | None = None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    format: str | None = None


def _one(fields: Mapping[str, list[str]], name: str) -> str | None:
    values = fields.get(name, [])
    if len(values) > 1:
        raise ProtocolError(f"the request carries {len(values)} '{name}' fields; the protocol allows one")
    return values[0] if values else None


def parse_request(method: str, url_fields: Mapping[str, list[str]], content_type: str | None, body: bytes) -> SparqlRequest:
    """Read a SPARQL Protocol request; raise :class:`ProtocolError` (400, 405 or 415) when it is not one.

    ``url_fields`` are the fields of the URL's query string (each name with its list of values). A graph
    named by ``default-graph-uri`` or ``named-graph-uri`` must be an absolute IRI, and a query that calls
    ``SERVICE`` is refused (400): the server would send requests to other hosts for its client.
    """
    fields: dict[str, list[str]] = {k: list(v) for k, v in url_fields.items()}
    media = (content_type or "").split(";")[0].strip().lower()
    if method == "POST":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"the request body is not UTF-8 (byte {exc.start})") from exc
        if media == _FORM:
            for name, values in parse_qs(text, keep_blank_values=True).items():
                fields.setdefault(name, []).extend(values)
        elif media == _DIRECT_QUERY:
            fields.setdefault("query", []).append(text)
        elif media == _DIRECT_UPDATE:
            fields.setdefault("update", []).append(text)
        else:
            raise ProtocolError(
                f"a SPARQL POST is {_FORM}, {_DIRECT_QUERY} or {_DIRECT_UPDATE}, not {media or 'a body without Content-Type'}", 415
            )
    elif method != "GET":
        raise ProtocolError(f"the SPARQL endpoint answers GET and POST, not {method}", 405)
    request = SparqlRequest(
        query=_one(fields, "query"),
        update=_one(fields, "update"),
        default_graphs=fields.get("default-graph-uri", []),
        named_graphs=fields.get("named-graph-uri", []),
        format=_one(fields, "format"),
    )
    if request.query is not None and request.update is not None:
        raise ProtocolError("a request carries a query or an update, not both")
    if request.update is not None and method != "POST":
        raise ProtocolError("an update must be sent with POST", 405)
    if request.update is not None and ("using-graph-uri" in fields or "using-named-graph-uri" in fields):
        raise ProtocolError("using-graph-uri and using-named-graph-uri are not supported: name the graphs in the update")
    for name in ("default-graph-uri", "named-graph-uri"):
        for value in fields.get(name, []):
            try:
                ox.NamedNode(value)
            except ValueError as exc:
                raise ProtocolError(f"{name} must be an absolute IRI, not {value!r} ({exc})") from None
    if request.query is not None and _SERVICE.search(blank_comments(request.query)):
        raise ProtocolError("this endpoint does not run SERVICE (federated queries): the server would send requests to other hosts")
    if request.format not in FORMAT_NAMES:
        # other names (SPARQLWrapper sends format=n3 beside its Accept header) leave the choice to Accept
        request.format = None
    return request


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def _quality(offer: str, ranges: list[tuple[str, float]]) -> float:
    """The quality of the most specific range that matches ``offer`` (0 when none does)."""
    best, rank = 0.0, -1
    for media, quality in ranges:
        if media == offer:
            specificity = 2
        elif media.endswith("/*") and offer.startswith(media[:-1]):
            specificity = 1
        elif media == "*/*":
            specificity = 0
        else:
            continue
        if specificity > rank:
            best, rank = quality, specificity
    return best


def negotiate(accept: str | None, offers: Sequence[str], aliases: Mapping[str, str] | None = None) -> str | None:
    """Return the offer the client prefers (the first offer on a tie, none accepted: None).

    ``aliases`` maps other names of an offer (``application/json``) to it.
    """
    if not accept or not accept.strip():
        return offers[0]
    ranges = [((aliases or {}).get(m, m), q) for m, q in _ranges(accept)]
    scored = [(_quality(offer, ranges), -i, offer) for i, offer in enumerate(offers)]
    quality, _, offer = max(scored)
    return offer if quality > 0 else None


def answer_types(accept: str | None, fmt: str | None) -> tuple[str | None, str | None]:
    """The media types to write a SELECT/ASK answer and a CONSTRUCT/DESCRIBE answer in (None: no acceptable one).

    A ``format=`` name of :data:`FORMAT_NAMES` wins over ``Accept``; other names are ignored.
    """
    if fmt is not None:
        media = FORMAT_NAMES[fmt]
        return (media if media in RESULT_FORMATS else None), (media if media in GRAPH_FORMATS else None)
    return negotiate(accept, list(RESULT_FORMATS), _ALIASES), negotiate(accept, list(GRAPH_FORMATS), _GRAPH_ALIASES)


SD = Namespace("http://www.w3.org/ns/sparql-service-description#")


def service_description(endpoint: str, updates: bool) -> Graph:
    """The SPARQL 1.1 Service Description of the endpoint at ``endpoint``."""
    g = Graph()
    g.bind("sd", SD)
    service = URIRef(endpoint + "#service")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint)))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if updates:
        g.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    for media in (*RESULT_FORMATS, *GRAPH_FORMATS):
        g.add((service, SD.resultFormat, URIRef(f"http://www.w3.org/ns/formats/{_W3C_FORMATS[media]}")))
    dataset = URIRef(endpoint + "#dataset")
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    return g
