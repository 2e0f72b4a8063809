"""What the graph says of one thing: its own triples, the labels of what it links to, and what links to it.

:func:`describe` reads the description of an IRI from a built store (and from the vocabulary
``ontology/cmq.ttl``, which describes the ontology's terms and the few things it mints itself: the
certainty levels, roles, label types and programmes). Each fact keeps the named graphs that state it, so
that a page can say which source says what (:func:`source_infos`: the named graph → the source's title,
licence and period, from ``graph/meta``). What links to the thing is capped per property
(:data:`INCOMING_CAP`), with the count of every property.

:func:`sections` adds what a person looks for on the page of a campus, a school, a trade, a pôle or a
project (label history, members and, apart, the sector scope, trades, overlaps, offers, measures, place).

The description is plain data (picklable: the server's workers build it) and becomes RDF again with
:meth:`Description.triples` and :func:`serialize` (pyoxigraph's own serialisers). The queries are
``queries/internal/describe_*.rq``, the IRI bound at their ``# @values`` line.

Examples
--------
>>> store = ox.Store()
>>> mobi = ox.NamedNode("https://w3id.org/cmqgraph/id/campus/besancon/mobicampus")
>>> region = ox.NamedNode("https://w3id.org/cmqgraph/id/region/27")
>>> cmq = ox.NamedNode("https://w3id.org/cmqgraph/graph/cmq")
>>> store.add(ox.Quad(mobi, ox.NamedNode(str(RDFS.label)), ox.Literal("Mobicampus", language="fr"), cmq))
>>> store.add(ox.Quad(mobi, ox.NamedNode(str(CMQ.inRegion)), region, cmq))
>>> store.add(ox.Quad(region, ox.NamedNode(str(RDFS.label)), ox.Literal("Bourgogne-Franche-Comté", language="fr"), cmq))
>>> d = describe(store, mobi.value)
>>> d.label, d.kind, [property_label(s.predicate)[0] for s in d.statements]
('Mobicampus', 'other', ['libellé', 'dans la région'])
>>> d.labels[region.value], d.incoming_counts
('Bourgogne-Franche-Comté', {})
>>> len(d.triples()), serialize(d, "application/n-triples").count(b"\\n")
(3, 3)
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox
import rdflib
from rdflib import URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SDO, SKOS, TIME, XSD

from .errors import QueryError
from .formats import GRAPH as GRAPH_KIND
from .formats import of_kind
from .iris import ADMS, BASE, CMQ, GEO, META_GRAPH, PREFIXES, SPDX, source_name
from .resources import internal_query, ontology_path
from .saved_queries import insert_values

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

__all__ = [
    "INCOMING_CAP",
    "ONTOLOGY_IRI",
    "RDF_MEDIA",
    "SUFFIX_MEDIA",
    "Value",
    "Statement",
    "Link",
    "SourceInfo",
    "Description",
    "describe",
    "sections",
    "overlap_network",
    "section_iris",
    "labels_of",
    "main_type",
    "EXTERNAL_TERMS",
    "SECTION_CAP",
    "serialize",
    "source_infos",
    "ontology_store",
    "ontology_triples",
    "vocabulary_terms",
    "property_label",
    "term_label",
    "kind_of",
    "page_path",
]

#: Subjects kept per property among what links to a thing (the count says how many there are).
INCOMING_CAP = 200
#: Rows a section of a page keeps (members, offers, trainings, schools…); the count says how many there are.
SECTION_CAP = 200
#: The vocabulary's IRI: the named graph its triples are said to come from on a page.
ONTOLOGY_IRI = BASE + "ontology"
#: Media type → pyoxigraph format of a description (the graph formats the server answers in).
RDF_MEDIA: dict[str, ox.RdfFormat] = {f.media_type: f.pyoxigraph for f in of_kind(GRAPH_KIND).values() if f.param}
#: File suffix of a page's address (``/id/….ttl``) → media type; ``html`` is the page itself.
SUFFIX_MEDIA: dict[str, str] = {"html": "text/html", **{f.suffix: f.media_type for f in of_kind(GRAPH_KIND).values() if f.param}}

#: The properties whose values name a thing, best first.
_LABELS = (str(RDFS.label), str(SKOS.prefLabel), str(DCTERMS.title))
#: The properties that give a code (besides the vocabulary's sub-properties of these).
_CODES = (str(SKOS.notation), str(DCTERMS.identifier))
#: The kinds a page knows, by class: what its sections show.
_KINDS = {
    str(CMQ.Campus): "campus", str(CMQ.School): "school", str(CMQ.Trade): "trade", str(CMQ.Training): "training",
    str(CMQ.Cluster): "cluster", str(CMQ.RegionalProject): "project", str(CMQ.Region): "territory",
    str(CMQ.Academie): "territory", str(CMQ.Departement): "territory", str(CMQ.Commune): "territory",
    str(CMQ.BassinFormation): "territory", str(CMQ.Territory): "territory",
}

#: French and English names of the terms of other vocabularies the graph uses (the vocabulary's own are in cmq.ttl).
EXTERNAL_TERMS: dict[str, tuple[str, str]] = {
    str(RDF.type): ("type", "type"),
    str(RDF.value): ("valeur", "value"),
    str(RDFS.label): ("libellé", "label"),
    str(RDFS.comment): ("commentaire", "comment"),
    str(RDFS.seeAlso): ("voir aussi", "see also"),
    str(RDFS.isDefinedBy): ("défini par", "defined by"),
    str(RDFS.subClassOf): ("sous-classe de", "subclass of"),
    str(RDFS.subPropertyOf): ("sous-propriété de", "subproperty of"),
    str(RDFS.domain): ("domaine", "domain"),
    str(RDFS.range): ("portée", "range"),
    str(OWL.sameAs): ("identique à", "same as"),
    str(OWL.versionInfo): ("version", "version"),
    str(SKOS.prefLabel): ("libellé préféré", "preferred label"),
    str(SKOS.altLabel): ("autre libellé", "alternative label"),
    str(SKOS.notation): ("code", "notation"),
    str(SKOS.definition): ("définition", "definition"),
    str(SKOS.editorialNote): ("note de la liste", "editorial note"),
    str(SKOS.broader): ("plus général", "broader"),
    str(SKOS.narrower): ("plus précis", "narrower"),
    str(SKOS.inScheme): ("dans le référentiel", "in scheme"),
    str(SKOS.topConceptOf): ("tête du référentiel", "top concept of"),
    str(SKOS.hasTopConcept): ("concept de tête", "has top concept"),
    str(SKOS.exactMatch): ("correspondance exacte", "exact match"),
    str(SKOS.closeMatch): ("correspondance proche", "close match"),
    str(SKOS.relatedMatch): ("correspondance liée", "related match"),
    str(SKOS.Concept): ("concept", "concept"),
    str(SKOS.ConceptScheme): ("référentiel", "concept scheme"),
    str(DCTERMS.title): ("titre", "title"),
    str(DCTERMS.description): ("description", "description"),
    str(DCTERMS.source): ("page source", "source page"),
    str(DCTERMS.license): ("licence", "licence"),
    str(DCTERMS.temporal): ("période", "period"),
    str(DCTERMS.identifier): ("identifiant", "identifier"),
    str(DCTERMS.spatial): ("territoire", "spatial coverage"),
    str(DCTERMS.issued): ("publié le", "issued"),
    str(DCTERMS.modified): ("modifié le", "modified"),
    str(DCTERMS.creator): ("auteur", "creator"),
    str(DCTERMS.publisher): ("éditeur", "publisher"),
    str(DCTERMS.format): ("format", "format"),
    str(DCTERMS.Location): ("lieu", "location"),
    str(ORG.member): ("membre", "member"),
    str(ORG.organization): ("organisation", "organization"),
    str(ORG.role): ("rôle", "role"),
    str(ORG.memberDuring): ("période d'adhésion", "member during"),
    str(ORG.hasMember): ("a pour membre", "has member"),
    str(ORG.Membership): ("adhésion", "membership"),
    str(ORG.Organization): ("organisation", "organization"),
    str(ORG.Role): ("rôle", "role"),
    str(PROV.wasGeneratedBy): ("produit par", "was generated by"),
    str(PROV.wasDerivedFrom): ("tiré de", "was derived from"),
    str(PROV.wasAssociatedWith): ("associé à", "was associated with"),
    str(PROV.used): ("a utilisé", "used"),
    str(PROV.startedAtTime): ("commencé le", "started at"),
    str(PROV.endedAtTime): ("terminé le", "ended at"),
    str(PROV.Entity): ("entité (PROV)", "entity (PROV)"),
    str(PROV.Activity): ("activité (PROV)", "activity (PROV)"),
    str(DCAT.Dataset): ("jeu de données", "dataset"),
    str(DCAT.Distribution): ("distribution", "distribution"),
    str(GEO.hasGeometry): ("géométrie", "geometry"),
    str(GEO.asWKT): ("coordonnées (WKT)", "coordinates (WKT)"),
    str(GEO.Geometry): ("géométrie", "geometry"),
    str(SDO.address): ("adresse", "address"),
    str(SDO.postalCode): ("code postal", "postal code"),
    str(SDO.name): ("nom", "name"),
    str(SDO.url): ("site web", "web site"),
    str(SDO.about): ("au sujet de", "about"),
    str(SDO.mentions): ("mentionne", "mentions"),
    str(SDO.occupationalCategory): ("métier", "occupational category"),
    str(TIME.hasBeginning): ("début", "beginning"),
    str(TIME.hasEnd): ("fin", "end"),
    str(TIME.inXSDDate): ("date", "date"),
    str(TIME.inXSDgYear): ("année", "year"),
    str(TIME.Interval): ("intervalle", "interval"),
    str(TIME.Instant): ("instant", "instant"),
    str(FOAF.page): ("page", "page"),
    str(FOAF.homepage): ("site web", "home page"),
    str(SPDX.checksum): ("empreinte", "checksum"),
    str(SPDX.algorithm): ("algorithme", "algorithm"),
    str(SPDX.checksumValue): ("valeur de l'empreinte", "checksum value"),
    str(ADMS.identifier): ("identifiant", "identifier"),
}


# ------------------------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class Value:
    """An RDF term as plain data: ``kind`` is ``iri``, ``bnode`` or ``literal`` (with ``lang`` or ``datatype``)."""

    kind: str
    value: str
    lang: str = ""
    datatype: str = ""

    @classmethod
    def of(cls, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Value:
        """The value of a pyoxigraph term.

        >>> Value.of(ox.Literal("2020", datatype=ox.NamedNode(str(XSD.gYear)))).datatype
        'http://www.w3.org/2001/XMLSchema#gYear'
        """
        if isinstance(term, ox.NamedNode):
            return cls("iri", term.value)
        if isinstance(term, ox.BlankNode):
            return cls("bnode", term.value)
        if term.language:
            return cls("literal", term.value, lang=term.language)
        datatype = term.datatype.value
        return cls("literal", term.value, datatype="" if datatype == str(XSD.string) else datatype)

    def term(self) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        """The pyoxigraph term."""
        if self.kind == "iri":
            return ox.NamedNode(self.value)
        if self.kind == "bnode":
            return ox.BlankNode(self.value)
        if self.lang:
            return ox.Literal(self.value, language=self.lang)
        return ox.Literal(self.value, datatype=ox.NamedNode(self.datatype)) if self.datatype else ox.Literal(self.value)

    @property
    def is_iri(self) -> bool:
        """Whether it is an IRI."""
        return self.kind == "iri"


@dataclass(frozen=True)
class Statement:
    """One fact of a thing: ``predicate`` and ``value``, and the named graphs that state it."""

    predicate: str
    value: Value
    graphs: tuple[str, ...]


@dataclass(frozen=True)
class Link:
    """A thing that links to the described one: ``subject``, by ``predicate``, stated in ``graphs``."""

    subject: Value
    predicate: str
    graphs: tuple[str, ...]


@dataclass(frozen=True)
class SourceInfo:
    """What ``graph/meta`` says of the source behind a named graph: its dataset, title, licence and period."""

    graph: str
    name: str
    dataset: str = ""
    title: str = ""
    licence: str = ""
    temporal: str = ""


@dataclass
class Description:
    """The description of ``iri``: its facts, what links to it (capped, with counts) and the labels of both sides.

    ``labels`` names every IRI the description holds (the best label: French first); ``label_values`` are the
    label triples of the things it links to and that link to it, every language, as the RDF description
    carries them. ``sources`` describes each named graph the facts come from.
    """

    iri: str
    statements: list[Statement] = field(default_factory=list)
    incoming: list[Link] = field(default_factory=list)
    incoming_counts: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    label_values: list[tuple[str, str, Value]] = field(default_factory=list)
    sources: dict[str, SourceInfo] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        """Whether the graph holds any triple about the thing (as subject or object)."""
        return bool(self.statements or self.incoming_counts)

    @property
    def types(self) -> list[str]:
        """The classes of the thing (``rdf:type``)."""
        return [s.value.value for s in self.statements if s.predicate == str(RDF.type) and s.value.is_iri]

    @property
    def kind(self) -> str:
        """What a page shows it as: ``campus``, ``school``, ``trade``, ``training``, ``cluster``, ``project``,
        ``territory``, ``graph`` (a named graph) or ``other``."""
        return kind_of(self.iri, self.types)

    @property
    def label(self) -> str:
        """The thing's name: its best label, else its code, else the end of its IRI."""
        own = _best_label((s.predicate, s.value) for s in self.statements)
        if own:
            return own
        codes = self.codes
        return codes[0][1] if codes else _tail(self.iri)

    @property
    def codes(self) -> list[tuple[str, str]]:
        """The official codes of the thing: ``(property, code)``, each code once."""
        seen, out = set(), []
        generic = set(_CODES)
        for s in sorted(self.statements, key=lambda s: s.predicate in generic):  # a UAI, a CFD before the same skos:notation
            if s.predicate in _code_properties() and s.value.kind == "literal" and s.value.value not in seen:
                seen.add(s.value.value)
                out.append((s.predicate, s.value.value))
        return out

    def values(self, predicate: str) -> list[Value]:
        """The values of ``predicate`` among the thing's facts."""
        return [s.value for s in self.statements if s.predicate == predicate]

    def triples(self) -> list[ox.Triple]:
        """The description as RDF: the thing's triples, what links to it (capped), and the labels of both sides."""
        me = ox.NamedNode(self.iri)
        out = dict.fromkeys(ox.Triple(me, ox.NamedNode(s.predicate), s.value.term()) for s in self.statements)
        out.update(dict.fromkeys(ox.Triple(link.subject.term(), ox.NamedNode(link.predicate), me) for link in self.incoming))
        out.update(dict.fromkeys(ox.Triple(ox.NamedNode(x), ox.NamedNode(p), v.term()) for x, p, v in self.label_values))
        return list(out)


# ------------------------------------------------------------------------------------------- the vocabulary


@functools.cache
def ontology_store() -> ox.Store:
    """The vocabulary ``ontology/cmq.ttl`` in an in-memory store, in the named graph :data:`ONTOLOGY_IRI` (read once)."""
    store = ox.Store()
    store.load(path=str(ontology_path()), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ONTOLOGY_IRI))
    return store


def ontology_triples() -> list[ox.Triple]:
    """The vocabulary's triples, as ``ontology/cmq.ttl`` states them."""
    return [q.triple for q in ontology_store().quads_for_pattern(None, None, None, ox.NamedNode(ONTOLOGY_IRI))]


@functools.cache
def _ontology_labels() -> dict[str, dict[str, str]]:
    """Every IRI the vocabulary labels (``rdfs:label``) → language → label."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for q in ontology_store().quads_for_pattern(None, ox.NamedNode(str(RDFS.label)), None, None):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal):
            out[q.subject.value].setdefault(q.object.language or "", q.object.value)
    return dict(out)


@functools.cache
def _code_properties() -> frozenset[str]:
    """The properties whose values are codes: :data:`_CODES` and their sub-properties in the vocabulary."""
    found = set(_CODES)
    for q in ontology_store().quads_for_pattern(None, ox.NamedNode(str(RDFS.subPropertyOf)), None, None):
        if isinstance(q.object, ox.NamedNode) and q.object.value in _CODES:
            found.add(q.subject.value)
    return frozenset(found | {str(CMQ.ogrCode), str(CMQ.ficheCode)})


@functools.cache
def _superclasses() -> dict[str, frozenset[str]]:
    """Each class of the vocabulary → every class above it (``rdfs:subClassOf``, transitively)."""
    parents: dict[str, set[str]] = defaultdict(set)
    for q in ontology_store().quads_for_pattern(None, ox.NamedNode(str(RDFS.subClassOf)), None, None):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            parents[q.subject.value].add(q.object.value)

    def up(c: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        direct = parents.get(c, set()) - seen - {c}
        return frozenset(direct).union(*(up(p, seen | {c}) for p in direct)) if direct else frozenset()

    return {c: up(c) for c in parents}


def vocabulary_terms() -> list[dict[str, object]]:
    """The vocabulary's classes and properties, for its page: name, kind, French and English labels and
    definitions, domain and range, in the order of ``kind`` then name.

    >>> campus = next(t for t in vocabulary_terms() if t["name"] == "Campus")
    >>> campus["kind"], campus["label_fr"]
    ('class', 'campus des métiers et des qualifications')
    """
    store, ns = ontology_store(), str(CMQ)
    kinds = {str(OWL.Class): "class", str(OWL.ObjectProperty): "property", str(OWL.DatatypeProperty): "property",
             str(OWL.AnnotationProperty): "property", str(RDFS.Datatype): "datatype"}
    terms: dict[str, dict[str, object]] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), None, None):
        iri = q.subject.value if isinstance(q.subject, ox.NamedNode) else ""
        if iri.startswith(ns) and q.object.value in kinds:
            terms.setdefault(iri, {"iri": iri, "name": iri[len(ns):], "kind": kinds[q.object.value]})
    for iri, term in terms.items():
        for key, predicate in (("label", RDFS.label), ("definition", SKOS.definition)):
            for lit in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(str(predicate)), None, None):
                if isinstance(lit.object, ox.Literal) and lit.object.language in ("fr", "en"):
                    term[f"{key}_{lit.object.language}"] = lit.object.value
        for key, predicate in (("domain", RDFS.domain), ("range", RDFS.range), ("parent", RDFS.subClassOf)):
            term[key] = sorted(o.object.value for o in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(str(predicate)), None, None)
                               if isinstance(o.object, ox.NamedNode))
    order = {"class": 0, "property": 1, "datatype": 2}
    return sorted(terms.values(), key=lambda t: (order[t["kind"]], str(t["name"]).casefold()))


def term_label(iri: str) -> tuple[str, str]:
    """The French and English names of a term (the vocabulary's labels, else :data:`EXTERNAL_TERMS`, else its CURIE).

    >>> term_label(str(CMQ.inRegion)), term_label(str(ORG.member))
    (('dans la région', 'in region'), ('membre', 'member'))
    >>> term_label("http://example.org/x")
    ('http://example.org/x', 'http://example.org/x')
    """
    own = _ontology_labels().get(iri)
    if own:
        fr = own.get("fr") or own.get("") or next(iter(own.values()))
        return fr, own.get("en") or fr
    if iri in EXTERNAL_TERMS:
        return EXTERNAL_TERMS[iri]
    curie = _curie(iri)
    return curie, curie


#: The French and English names of a property (:func:`term_label`).
property_label = term_label


def _curie(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def _tail(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/"))[-1] or iri


def kind_of(iri: str, types: Sequence[str]) -> str:
    """What a page shows a thing as, from its IRI and classes (see :attr:`Description.kind`).

    >>> kind_of("https://w3id.org/cmqgraph/id/etablissement/0250001R", [str(CMQ.School)])
    'school'
    >>> kind_of("https://w3id.org/cmqgraph/graph/cmq", [])
    'graph'
    """
    if iri.startswith(BASE + "graph/"):
        return "graph"
    for t in types:
        if t in _KINDS:
            return _KINDS[t]
    return "other"


def main_type(types: Sequence[str]) -> str | None:
    """The most specific of ``types``: a vocabulary class with no subclass among them first, else the first."""
    own = [t for t in types if t.startswith(str(CMQ))]
    above = set().union(*(_superclasses().get(t, frozenset()) for t in own)) if own else set()
    specific = [t for t in own if t not in above]
    return (specific or own or list(types) or [None])[0]


def page_path(iri: str) -> str | None:
    """The path of the page of ``iri`` on ``cmqgraph serve`` (under its public URL), or None for another vocabulary's IRI.

    >>> page_path("https://w3id.org/cmqgraph/id/etablissement/0250001R"), page_path("https://w3id.org/cmqgraph/ontology#Campus")
    ('/id/etablissement/0250001R', '/ontology#Campus')
    >>> page_path("https://schema.org/address") is None
    True
    """
    return "/" + iri[len(BASE):] if iri.startswith(BASE) else None


# ------------------------------------------------------------------------------------------- reading


def _bound(name: str, iri: str, **more: URIRef) -> str:
    """The internal query ``name`` with ``?iri`` (and ``more``) bound at its ``# @values`` line."""
    return insert_values(internal_query(name), {"iri": URIRef(iri), **more})


def _bound_rows(name: str, variable: str, iris: Iterable[str]) -> str:
    """The internal query ``name`` with ``?variable`` bound to each IRI (a ``VALUES`` row each, written by rdflib's ``n3``)."""
    rows = " ".join(URIRef(i).n3() for i in iris)
    return re.sub(r"^([ \t]*)# @values[ \t]*$", lambda m: f"{m.group(1)}VALUES ?{variable} {{ {rows} }}", internal_query(name), flags=re.MULTILINE)


def _query(store: ox.Store, sparql: str) -> ox.QuerySolutions:
    return store.query(sparql, prefixes=PREFIXES, use_default_graph_as_union=True)


def _best_label(pairs: Iterable[tuple[str, Value]]) -> str:
    """The best of the label values among ``(property, value)`` pairs: by property (:data:`_LABELS`), then French, untagged, English."""
    best, rank = "", None
    for predicate, value in pairs:
        if predicate not in _LABELS or value.kind != "literal":
            continue
        lang = {"fr": 0, "": 1, "en": 2}.get(value.lang, 3)
        r = (_LABELS.index(predicate), lang)
        if rank is None or r < rank:
            best, rank = value.value, r
    return best


def _ontology_value(predicate: URIRef, lang: str | None = None) -> str:
    """A value the vocabulary gives itself (its title in ``lang``, its licence, its version)."""
    for q in ontology_store().quads_for_pattern(ox.NamedNode(ONTOLOGY_IRI), ox.NamedNode(str(predicate)), None, None):
        if lang is None or (isinstance(q.object, ox.Literal) and q.object.language == lang):
            return q.object.value
    return ""


def source_infos(store: ox.Store) -> dict[str, SourceInfo]:
    """Each named graph of the store → what ``graph/meta`` says of its source (with the vocabulary's own entry).

    The query is ``queries/internal/describe_sources.rq``, ``?meta`` bound to :data:`cmqgraph.iris.META_GRAPH`.
    """
    out: dict[str, SourceInfo] = {}
    for row in _query(store, insert_values(internal_query("describe_sources"), {"meta": META_GRAPH})):
        graph = row["graph"].value
        text = {k: row[k].value if row[k] is not None else "" for k in ("title", "licence", "temporal")}
        out.setdefault(graph, SourceInfo(graph, source_name(graph), row["dataset"].value, **text))
    title = _ontology_value(DCTERMS.title, "fr") or "cmqgraph"
    licence = _ontology_value(DCTERMS.license)
    version = _ontology_value(OWL.versionInfo)
    out[ONTOLOGY_IRI] = SourceInfo(ONTOLOGY_IRI, "ontology", ONTOLOGY_IRI, title, licence, f"version {version}" if version else "")
    return out


def _statements(stores: Sequence[ox.Store], iri: str) -> list[Statement]:
    """The thing's facts in every store, each with its graphs, in the order of a page (labels, type, codes, the rest)."""
    graphs: dict[tuple[str, Value], list[str]] = {}
    for store in stores:
        for row in _query(store, _bound("describe_statements", iri)):
            key = (row["p"].value, Value.of(row["o"]))
            graphs.setdefault(key, []).append(row["g"].value)
    first = {p: i for i, p in enumerate((*_LABELS, str(RDF.type)))}
    codes = _code_properties()

    def order(item: tuple[tuple[str, Value], list[str]]) -> tuple:
        (p, v), _ = item
        return (first.get(p, len(first) + (0 if p in codes else 1)), term_label(p)[0].casefold(), p, v.value)

    return [Statement(p, v, tuple(sorted(set(g)))) for (p, v), g in sorted(graphs.items(), key=order)]


def _incoming(stores: Sequence[ox.Store], iri: str, cap: int) -> tuple[list[Link], dict[str, int]]:
    """What links to the thing: the first ``cap`` subjects of each property (with their graphs) and each property's count."""
    graphs: dict[tuple[str, Value], list[str]] = defaultdict(list)
    for store in stores:
        for row in _query(store, _bound("describe_incoming", iri)):
            graphs[(row["p"].value, Value.of(row["s"]))].append(row["g"].value)
    counts: dict[str, int] = defaultdict(int)
    for p, _ in graphs:
        counts[p] += 1
    kept: dict[str, list[Link]] = defaultdict(list)
    for (p, s), g in sorted(graphs.items(), key=lambda item: (item[0][0], item[0][1].value)):
        if len(kept[p]) < cap:
            kept[p].append(Link(s, p, tuple(sorted(set(g)))))
    order = sorted(kept, key=lambda p: term_label(p)[0].casefold())
    return [link for p in order for link in kept[p]], {p: counts[p] for p in sorted(counts)}


def _labels(stores: Sequence[ox.Store], iris: Iterable[str]) -> tuple[dict[str, str], list[tuple[str, str, Value]]]:
    """The best label of each IRI (:func:`_best_label`) and every label triple of them, from every store."""
    wanted = sorted(set(iris))
    values: list[tuple[str, str, Value]] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        for store in stores:
            values.extend((r["x"].value, r["p"].value, Value.of(r["label"])) for r in _query(store, _bound_rows("describe_labels", "x", chunk)))
    values = list(dict.fromkeys(values))
    by_iri: dict[str, list[tuple[str, Value]]] = defaultdict(list)
    for x, p, v in values:
        by_iri[x].append((p, v))
    return {x: _best_label(pairs) for x, pairs in by_iri.items()}, values


def describe(store: ox.Store, iri: str, cap: int = INCOMING_CAP, sources: Mapping[str, SourceInfo] | None = None) -> Description:
    """Return the description of ``iri`` in ``store`` and in the vocabulary (:func:`ontology_store`).

    Parameters
    ----------
    store : pyoxigraph.Store
        The built graph (the default graph is the union of the named graphs).
    iri : str
        The thing.
    cap : int
        Subjects kept per property among what links to it; ``incoming_counts`` counts them all.
    sources : mapping, optional
        :func:`source_infos` of the store, when the caller holds them (read otherwise).

    Raises
    ------
    QueryError
        ``iri`` is not an IRI.
    """
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise QueryError(f"not an IRI: {iri!r} ({exc})") from exc
    stores = (store, ontology_store())
    statements = _statements(stores, iri)
    incoming, counts = _incoming(stores, iri, cap)
    neighbours = [s.value.value for s in statements if s.value.is_iri] + [link.subject.value for link in incoming if link.subject.is_iri]
    labels, label_values = _labels(stores, neighbours)
    all_sources = sources if sources is not None else source_infos(store)
    used = {g for s in statements for g in s.graphs} | {g for link in incoming for g in link.graphs}
    return Description(iri, statements, incoming, counts, {k: v for k, v in labels.items() if v}, label_values,
                       {g: all_sources.get(g, SourceInfo(g, source_name(g))) for g in sorted(used)})


def serialize(description: Description, media_type: str) -> bytes:
    """The description in the RDF syntax of ``media_type`` (a key of :data:`RDF_MEDIA`), written by pyoxigraph."""
    return ox.serialize(description.triples(), format=RDF_MEDIA[media_type], prefixes=PREFIXES)


# ------------------------------------------------------------------------------------------- sections of a page


def _plain(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str | int | float | None:
    """A result cell as plain data: IRIs and strings as text, integers and decimals as numbers, unbound as None."""
    if term is None:
        return None
    if isinstance(term, ox.Literal) and term.datatype is not None and not term.language:
        kind = term.datatype.value
        try:
            if kind in (str(XSD.integer), str(XSD.int), str(XSD.long), str(XSD.nonNegativeInteger)):
                return int(term.value)
            if kind in (str(XSD.decimal), str(XSD.double), str(XSD.float)):
                return float(term.value)
        except ValueError:
            return term.value
        if kind == str(XSD.boolean):
            return term.value == "true"
    return term.value


def _rows(store: ox.Store, name: str, iri: str) -> list[dict[str, str | int | float | None]]:
    """The rows of the internal query ``describe_{name}`` for ``iri``, as plain dicts."""
    result = _query(store, _bound(f"describe_{name}", iri))
    names = [v.value for v in result.variables]
    rows = [{n: _plain(row[n]) for n in names} for row in result]
    for row in rows:
        for key in ("graphs", "pages"):  # a GROUP_CONCAT of IRIs: the named graphs that state the row, its source pages
            if key in row:
                row[key] = sorted(str(row[key] or "").split())
    return rows


def _capped(rows: list[dict], cap: int = SECTION_CAP) -> dict[str, object]:
    """A section's rows: the first ``cap`` and how many there are."""
    return {"rows": rows[:cap], "count": len(rows)}


def _timeline(store: ox.Store, iri: str) -> list[dict]:
    """The labellings of a campus or a pôle, oldest first (those without a date or year last)."""
    rows = _rows(store, "labellings", iri)
    return sorted(rows, key=lambda r: (str(r["date"] or r["year"] or "9999"), str(r["type"] or "")))


def _scope(store: ox.Store, iri: str) -> dict | None:
    """The sector scope of a campus, pôle or project (derived, never members), with its schools nearest first."""
    rows = _rows(store, "scope", iri)
    if not rows:
        return None
    scope = dict(rows[0])
    for key in ("territories", "locals", "sectors"):
        scope[key] = sorted(str(scope[key] or "").split())
    schools = _rows(store, "scope_schools", iri)
    scope["school_list"] = _capped(schools, 50)
    return scope


def overlap_network(graph: rdflib.Dataset) -> tuple[nx.Graph, pd.DataFrame]:
    """The whole graph's projection (:func:`cmqgraph.network.project`) and the overlaps of each campus with each pôle
    and project (:func:`cmqgraph.network.pair_overlaps`), which :func:`sections` reads each campus's from.

    About half a second on the default graph: the server's workers make it once per generation of the graph.
    """
    from . import network as net  # networkx and pandas: only for the campus pages

    G = net.project(graph)
    return G, net.pair_overlaps(G, kinds=(("campus", "cluster"), ("campus", "project")))


def _neighbours(G: nx.Graph, campus: str) -> set[str]:
    """The actors a campus's network view (``/view?campus=…``) draws with it: the projects it is a member of, and the
    pôles that share one of its filières and one of its régions (as :func:`cmqgraph.network.project` chooses them)."""
    me = G.nodes[campus]
    regions = {t for t in me.get("territories", ()) if G.nodes.get(t, {}).get("level") == "region"}
    projects = {n for n in G.neighbors(campus) if G.nodes[n].get("kind") == "project" and G.edges[campus, n].get("relation") == "membership"}
    clusters = {
        n for n, d in G.nodes(data=True)
        if d.get("kind") == "cluster" and set(d.get("sectors") or ()) & set(me.get("sectors") or ()) and set(d.get("territories", ())) & regions
    }
    return projects | clusters


def _overlaps(network: tuple[nx.Graph, pd.DataFrame], iri: str) -> list[dict]:
    """The pôles and projects a campus overlaps with, and why: the terms of :func:`cmqgraph.network.pair_overlaps`.

    The actors are those of the campus's network view (:func:`_neighbours`); a pair is kept when it shares
    something (``overlap``, members or scope trades), highest ``overlap`` first.
    """
    G, pairs = network
    if iri not in G:
        return []
    near = _neighbours(G, iri)
    pairs = pairs[(pairs["a"] == iri) & pairs["b"].isin(near)]
    pairs = pairs[(pairs["overlap"] > 0) | (pairs["shared_members"] > 0) | (pairs["shared_scope_trades"] > 0)]
    pairs = pairs.sort_values(["overlap", "label_b"], ascending=[False, True])
    out = []
    for row in pairs.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()} | {"kind": G.nodes[row["b"]].get("kind", "")})
    return out


def sections(store: ox.Store, description: Description, network: tuple[nx.Graph, pd.DataFrame] | None = None) -> dict[str, object]:
    """What the page of the thing shows besides its facts, by its kind (:attr:`Description.kind`).

    Every thing: ``facts`` (collected by hand about it: attribute, value, certainty, page) and ``place``
    (its WGS 84 point). Campus and pôle: ``timeline`` (label history). Campus and project: ``members``
    (any role). Campus, pôle and project: ``scope`` (the sector scope: derived, never a membership).
    Campus: ``trades`` (reached through its members) and, with ``network`` (:func:`overlap_network` of the same
    graph), ``overlaps`` with pôles and projects. School: ``member_of``, ``offers``, ``measures``. Trade:
    ``trainings`` and ``schools`` that lead to it. Lists are capped (``rows``) with their ``count``.

    The queries are ``queries/internal/describe_*.rq``.
    """
    iri, kind = description.iri, description.kind
    out: dict[str, object] = {"facts": _rows(store, "curated_facts", iri), "place": [r["wkt"] for r in _rows(store, "place", iri)]}
    if kind in ("campus", "cluster"):
        out["timeline"] = _timeline(store, iri)
    if kind in ("campus", "project"):
        out["members"] = _capped(sorted(_rows(store, "members", iri), key=lambda r: (str(r["role"]), str(r["uai"] or "~"), str(r["member"]))))
    if kind in ("campus", "cluster", "project"):
        out["scope"] = _scope(store, iri)
    if kind == "campus":
        out["trades"] = _capped(_rows(store, "campus_trades", iri))
        out["overlaps"] = _overlaps(network, iri) if network is not None else None
    if kind == "school":
        out["member_of"] = _rows(store, "member_of", iri)
        out["offers"] = _capped(_rows(store, "school_offers", iri))
        out["measures"] = _measures(_rows(store, "measures", iri))
    if kind == "trade":
        out["trainings"] = _capped(_rows(store, "trade_trainings", iri))
        out["schools"] = _capped(_rows(store, "trade_schools", iri))
    return out


def _measures(rows: list[dict]) -> list[dict]:
    """The rows of ``describe_measures`` as one dict per measure: its IRI, class and ``values`` (property → value)."""
    out: dict[str, dict] = {}
    for r in rows:
        m = out.setdefault(str(r["measure"]), {"measure": r["measure"], "class": r["class"], "values": {}})
        m["values"][str(r["p"])] = r["value"]
    return list(out.values())


def section_iris(found: Mapping[str, object]) -> set[str]:
    """Every IRI of the graph's namespace that :func:`sections` found (to label them all at once)."""
    out: set[str] = set()

    def walk(x: object) -> None:
        if isinstance(x, str):
            if x.startswith(BASE) and not re.search(r"[\s<>\"{}|\\^`]", x):
                out.add(x)
        elif isinstance(x, Mapping):
            for v in x.values():
                walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)

    walk(found)
    return out


def labels_of(store: ox.Store, iris: Iterable[str]) -> dict[str, str]:
    """The best label of each of ``iris`` in ``store`` and in the vocabulary (those without a label are left out)."""
    labels, _ = _labels((store, ontology_store()), iris)
    return {k: v for k, v in labels.items() if v}
