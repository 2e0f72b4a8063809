"""A page for every IRI the graph mints: ``/id/…``, the vocabulary ``/ontology`` and the named graphs ``/graph/NAME``.

``https://w3id.org/cmqgraph/id/etablissement/0250001R`` is served at ``/id/etablissement/0250001R``
(:meth:`~cmqgraph.server.state.ServerState.thing_href`), the vocabulary's terms
(``https://w3id.org/cmqgraph/ontology#Campus``) on the page ``/ontology`` at their anchor.

Content negotiation (``GET`` and ``HEAD``, ``Vary: Accept``): ``text/html`` gets the page
(``templates/thing.html``), ``text/turtle``, ``application/ld+json``, ``application/n-triples`` and
``application/rdf+xml`` the description (:mod:`cmqgraph.describe`: the thing's triples, the labels of what it
links to, what links to it, capped per property), written by pyoxigraph; a suffix (``.ttl``, ``.jsonld``,
``.nt``, ``.rdf``, ``.html``) chooses without ``Accept``. An IRI the graph holds no triple about is a 404 (an
HTML page for a browser), an ``Accept`` no format matches a 406. The links and the ``Link`` and
``Content-Location`` headers are under the public URL when it is set; the descriptions always say the
public IRIs (``https://w3id.org/cmqgraph/…``): see ``docs/dereferencing.md`` for the w3id.org redirect.

The description is read by a worker (:func:`thing_job`) and kept while the graph stays the same (the
last :data:`_CACHE` things).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response
from rdflib.namespace import OWL

from ..describe import (
    ONTOLOGY_IRI,
    RDF_MEDIA,
    SUFFIX_MEDIA,
    Description,
    describe,
    labels_of,
    main_type,
    ontology_triples,
    overlap_network,
    section_iris,
    sections,
    source_infos,
    term_label,
    vocabulary_terms,
)
from ..errors import ServerLimit
from ..formats import GRAPH, of_kind
from ..iris import BASE, CMQ, PREFIXES
from ..version import __version__
from .pool import worker_graph, worker_store
from .protocol import negotiate
from .state import ServerState, State, client_of

__all__ = ["router", "Thing", "thing_job", "OFFERS", "ALIASES"]

#: The media types a thing is answered in, the page first (a client that accepts anything gets it).
OFFERS: list[str] = ["text/html", *RDF_MEDIA]
#: Other names clients send for them.
ALIASES: dict[str, str] = {"application/xhtml+xml": "text/html",
                           **{a: f.media_type for f in of_kind(GRAPH).values() if f.param for a in f.aliases}}
#: Things whose description is kept per generation of the graph.
_CACHE = 256
#: The suffix of each RDF media type, for the links to the other formats.
_SUFFIX = {media: suffix for suffix, media in SUFFIX_MEDIA.items()}
_FORMAT_NAMES = {"text/turtle": "Turtle", "application/ld+json": "JSON-LD", "application/n-triples": "N-Triples",
                 "application/rdf+xml": "RDF/XML"}
_SOURCES: dict[int, dict] = {}
_NETWORK: dict[int, tuple] = {}

router = APIRouter(include_in_schema=False)


@dataclass
class Thing:
    """What a worker read about one IRI: its description and, for its page, its sections and their labels."""

    description: Description
    sections: dict | None = None
    labels: dict[str, str] = field(default_factory=dict)


def _sources(generation: int, store: ox.Store) -> dict:
    """The sources of the graph (:func:`cmqgraph.describe.source_infos`), read once per generation in this worker."""
    if generation not in _SOURCES:
        _SOURCES.clear()
        _SOURCES[generation] = source_infos(store)
    return _SOURCES[generation]


def _network(generation: int) -> tuple:
    """The overlap network of the graph (:func:`cmqgraph.describe.overlap_network`), made once per generation in this worker."""
    if generation not in _NETWORK:
        _NETWORK.clear()
        _NETWORK[generation] = overlap_network(worker_graph(generation))
    return _NETWORK[generation]


def thing_job(generation: int, iri: str, page: bool) -> Thing:
    """Describe ``iri`` (in a worker); with ``page``, also what its page shows besides its facts (:func:`cmqgraph.describe.sections`)."""
    store = worker_store(generation)
    d = describe(store, iri, sources=_sources(generation, store))
    if not page or not d.exists:
        return Thing(d)
    found = sections(store, d, _network(generation) if d.kind == "campus" else None)
    if d.kind == "graph":
        info = d.sources.get(iri) or _sources(generation, store).get(iri)
        found["source"] = info
        found["dataset"] = describe(store, info.dataset, sources=_sources(generation, store)) if info and info.dataset else None
    labels = labels_of(store, section_iris(found) - set(d.labels))
    return Thing(d, found, labels)


async def _thing(state: ServerState, request: Request, iri: str, page: bool) -> Thing:
    """The description of ``iri`` (with its page's sections when ``page``), from the cache or a worker."""
    cache = state.fresh("things")
    known = cache.get(iri)
    if known is None or (page and known.sections is None and known.description.exists):
        known = await state.workers.read(state.settings.timeout, thing_job, iri, page, client=client_of(request))
    cache.pop(iri, None)
    cache[iri] = known  # the most recent last
    while len(cache) > _CACHE:
        del cache[next(iter(cache))]
    return known


def _split(path: str) -> tuple[str, str | None]:
    """The path without its format suffix (``.ttl``…), and the media type the suffix chooses (None without one).

    The graph mints no IRI with a dot in its last segment (slugs and codes are letters, digits and ``-``).
    """
    head, dot, suffix = path.rpartition(".")
    if dot and "/" not in suffix and suffix in SUFFIX_MEDIA:
        return head, SUFFIX_MEDIA[suffix]
    return path, None


def _links(state: ServerState, request: Request, path: str) -> dict[str, str]:
    """The address of each format of the thing at ``path`` (``/id/…``): media type → URL."""
    base = state.base(request) + path
    return {media: f"{base}.{_SUFFIX[media]}" for media in RDF_MEDIA}


def _headers(state: ServerState, request: Request, path: str, media: str | None, suffixed: bool) -> dict[str, str]:
    """``Vary``, the ``Link`` to the other formats and, for an answer chosen by ``Accept``, its ``Content-Location``."""
    links = _links(state, request, path)
    headers = {"Vary": "Accept", "Link": ", ".join(f'<{url}>; rel="alternate"; type="{m}"' for m, url in links.items())}
    if media in links and not suffixed:
        headers["Content-Location"] = links[media]
    return headers


def _answer(request: Request, body: bytes, media: str, headers: dict[str, str], status: int = 200) -> Response:
    """The answer; to ``HEAD``, its headers alone (with the length the body would have)."""
    if request.method == "HEAD":
        return Response(b"", status, {**headers, "Content-Length": str(len(body))}, media_type=media)
    return Response(body, status, headers, media_type=media)


def _not_acceptable(request: Request, headers: dict[str, str]) -> Response:
    text = ("Aucun des formats demandés (Accept) n'est disponible ; formats : " + ", ".join(OFFERS) + "\n"
            "None of the formats asked for (Accept) is available; formats: " + ", ".join(OFFERS) + "\n")
    return _answer(request, text.encode(), "text/plain; charset=utf-8", headers, 406)


def _not_found(state: ServerState, request: Request, iri: str, media: str, headers: dict[str, str]) -> Response:
    """404: an HTML page when the client wants HTML, else a line of text."""
    message = (f"Le graphe ne dit rien de {iri} : aucun triplet n'a cette IRI pour sujet ni pour objet. / "
               f"The graph says nothing of {iri}: no triple has this IRI as its subject or object.")
    if media != "text/html":
        return _answer(request, (message + "\n").encode(), "text/plain; charset=utf-8", headers, 404)
    page = state.page(request, "error", 404, headers, title="IRI inconnue / Unknown IRI", message=message)
    return _answer(request, page.body, "text/html; charset=utf-8", headers, 404)


def _negotiated(state: ServerState, request: Request, path: str) -> tuple[str, str | None, dict[str, str]]:
    """``path`` without its format suffix, the media type the suffix or ``Accept`` chooses (None: none acceptable), and the headers."""
    path, media = _split(path)
    suffixed = media is not None
    if media is None:
        media = negotiate(request.headers.get("accept"), OFFERS, ALIASES)
    return path, media, _headers(state, request, path, media, suffixed)


async def _serve(request: Request, state: ServerState, iri: str, path: str) -> Response:
    """Answer ``iri`` (whose page is at ``path`` plus, maybe, a format suffix) in the negotiated format."""
    path, media, headers = _negotiated(state, request, path)
    if media is None:
        return _not_acceptable(request, headers)
    try:
        ox.NamedNode(iri)
    except ValueError:  # a path no IRI has (spaces, brackets…): the graph says nothing of it
        return _not_found(state, request, iri, media, headers)
    try:
        found = await _thing(state, request, iri, media == "text/html")
    except ServerLimit as exc:
        return _answer(request, (str(exc) + "\n").encode(), "text/plain; charset=utf-8", {**headers, **exc.headers}, exc.status)
    d = found.description
    if not d.exists:
        return _not_found(state, request, iri, media, headers)
    if media != "text/html":
        body = ox.serialize(d.triples(), format=RDF_MEDIA[media], prefixes=PREFIXES)
        return _answer(request, body, media, headers)
    page = state.page(request, "thing", 200, headers, **_context(state, request, found, path))
    return _answer(request, page.body, "text/html; charset=utf-8", headers)


def _context(state: ServerState, request: Request, found: Thing, path: str) -> dict:
    """What ``templates/thing.html`` shows of a thing."""
    d = found.description
    labels = {**found.labels, **d.labels}
    certainty = {g: s.value.value for s in d.statements if s.predicate == str(CMQ.certainty) for g in s.graphs}
    kind_iri = main_type(d.types)
    view = state.href(request, "view_page", {"campus": d.label}) if d.kind == "campus" else None
    groups: dict[str, list] = {}
    for statement in d.statements:
        groups.setdefault(statement.predicate, []).append(statement)
    incoming: dict[str, list] = {}
    for link in d.incoming:
        incoming.setdefault(link.predicate, []).append(link)
    return {
        "d": d, "s": found.sections or {}, "groups": list(groups.items()), "incoming": list(incoming.items()), "labels": labels,
        "term": term_label, "label_of": lambda iri: labels.get(iri) or _tail(iri),
        "link": lambda iri: state.thing_href(request, iri) or (iri if iri.startswith(("http://", "https://")) else None),
        "kind_iri": kind_iri, "kind_label": term_label(kind_iri) if kind_iri else None, "certainty_of": certainty,
        "formats": {_FORMAT_NAMES[m]: url for m, url in _links(state, request, path).items()}, "view": view,
        "has_map": d.kind in ("campus", "cluster", "territory") and "map_panel.html" in state.templates.env.list_templates(),
        "public_url": state.settings.public_url, "page_url": state.base(request) + path, "BASE": BASE, "CMQ": str(CMQ),
        "version": __version__,
    }


def _tail(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].split("#")[-1] or iri


@router.api_route("/id/{path:path}", methods=["GET", "HEAD"], name="thing")
async def thing(request: Request, path: str, state: State) -> Response:
    """The page or the description of ``https://w3id.org/cmqgraph/id/{path}``."""
    bare, _ = _split(path)
    return await _serve(request, state, BASE + "id/" + bare, "/id/" + path)


@router.api_route("/graph/{name}", methods=["GET", "HEAD"], name="graph_page")
async def graph_page(request: Request, name: str, state: State) -> Response:
    """The page or the description of the named graph ``https://w3id.org/cmqgraph/graph/{name}`` (its source)."""
    bare, _ = _split(name)
    return await _serve(request, state, BASE + "graph/" + bare, "/graph/" + name)


def _vocabulary(request: Request, state: ServerState, path: str) -> Response:
    """The vocabulary at ``path`` (``/ontology`` or its version's path, with maybe a format suffix): its page (every class
    and property at its anchor) or ``ontology/cmq.ttl`` in an RDF syntax."""
    path, media, headers = _negotiated(state, request, path)
    if media is None:
        return _not_acceptable(request, headers)
    if media != "text/html":
        return _answer(request, ox.serialize(ontology_triples(), format=RDF_MEDIA[media], prefixes=PREFIXES), media, headers)
    page = state.page(request, "thing", 200, headers, ontology=vocabulary_terms(), term=term_label, CMQ=str(CMQ),
                      formats={_FORMAT_NAMES[m]: url for m, url in _links(state, request, path).items()},
                      link=lambda iri: state.thing_href(request, iri) or iri, label_of=_tail, d=None, s={})
    return _answer(request, page.body, "text/html; charset=utf-8", headers)


@router.api_route("/ontology", methods=["GET", "HEAD"], name="ontology")
async def ontology(request: Request, state: State) -> Response:
    """The vocabulary ``https://w3id.org/cmqgraph/ontology`` (its terms are ``…/ontology#Term``)."""
    return _vocabulary(request, state, "/ontology")


@router.api_route("/ontology.{suffix}", methods=["GET", "HEAD"], name="ontology_file")
async def ontology_file(request: Request, suffix: str, state: State) -> Response:
    """The vocabulary in the syntax of ``suffix`` (``ttl``, ``jsonld``, ``nt``, ``rdf``, ``html``)."""
    if suffix not in SUFFIX_MEDIA:
        return _not_found(state, request, f"{ONTOLOGY_IRI}.{suffix}", "text/plain", {"Vary": "Accept"})
    return _vocabulary(request, state, f"/ontology.{suffix}")


@router.api_route("/ontology/{version}", methods=["GET", "HEAD"], name="ontology_version")
async def ontology_version(request: Request, version: str, state: State) -> Response:
    """The vocabulary's version IRI (``owl:versionIRI``, ``…/ontology/0.1.0``): this version, the one the server holds."""
    bare, _ = _split(version)
    if ox.NamedNode(f"{ONTOLOGY_IRI}/{bare}") not in {t.object for t in ontology_triples() if t.predicate.value == str(OWL.versionIRI)}:
        return _not_found(state, request, f"{ONTOLOGY_IRI}/{bare}", negotiate(request.headers.get("accept"), OFFERS, ALIASES) or "text/plain",
                          {"Vary": "Accept"})
    return _vocabulary(request, state, f"/ontology/{version}")
