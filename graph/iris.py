"""Namespaces and the rules that mint stable IRIs from official codes or documented slugs.

Every IRI of the default graph is minted here, so that building twice gives the same IRIs. The ``cmq:``
namespace is closed: its terms are those ``ontology/cmq.ttl`` declares, and any other name raises at once.

Examples
--------
>>> from cmqgraph.iris import school, slug
>>> str(school("0251349F"))
'https://w3id.org/cmqgraph/id/etablissement/0251349F'
>>> slug("Mobicampus – Automobile et mobilités du futur (Nord Franche-Comté)")
'mobicampus-automobile-et-mobilites-du-futur-nord-franche-comte'
>>> str(CMQ.Campus)
'https://w3id.org/cmqgraph/ontology#Campus'
>>> CMQ.Campsu
Traceback (most recent call last):
...
AttributeError: cmq:Campsu is not a term of ontology/cmq.ttl; did you mean cmq:Campus?
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SDO, SKOS, TIME, XSD, ClosedNamespace

from .resources import ontology_path

__all__ = [
    "BASE",
    "CMQ",
    "ID",
    "GRAPH",
    "GEO",
    "ADMS",
    "SPDX",
    "PREFIXES",
    "META_GRAPH",
    "BUILD",
    "ontology_terms",
    "slug",
    "is_web_url",
    "digest",
    "region",
    "academie",
    "departement",
    "commune",
    "school",
    "training",
    "mef",
    "rncp",
    "certification",
    "trade",
    "appellation",
    "domain",
    "onisep",
    "sector",
    "trade_family",
    "campus",
    "cluster",
    "project",
    "organisation",
    "label_type",
    "role",
    "certainty",
    "programme",
    "source_graph",
    "source_name",
    "source_dataset",
    "membership",
    "training_offer",
    "insertion_measure",
    "ival_measure",
    "school_point",
    "bassin_formation",
    "establishment_nature",
    "establishment_nature_scheme",
    "curated_fact",
    "name_mention",
    "speciality_link",
    "sector_scope",
]

BASE = "https://w3id.org/cmqgraph/"

#: A term of the vocabulary: a ``cmq:`` name at the start of a line of ``cmq.ttl`` (every term is
#: described there as a subject; tests/test_iris.py checks this against the parsed ontology).
_TERM = re.compile(r"^cmq:([A-Za-z_][A-Za-z0-9_-]*)", re.MULTILINE)


def ontology_terms() -> tuple[str, ...]:
    """Return the local names of the terms ``ontology/cmq.ttl`` declares, sorted.

    The file is read with a regular expression, not parsed: importing this module stays cheap (well
    under a millisecond; parsing the ontology with rdflib takes tens of milliseconds).
    """
    return tuple(sorted(set(_TERM.findall(ontology_path().read_text(encoding="utf-8")))))


class _Vocabulary(ClosedNamespace):
    """The closed ``cmq:`` namespace: a name the ontology does not declare raises, naming the closest terms."""

    def term(self, name: str) -> URIRef:
        """Return the IRI of the term ``name``; raise :class:`KeyError` if the ontology does not declare it."""
        try:
            return super().term(name)
        except KeyError as exc:
            import difflib  # only on the error path: importing this module stays cheap

            close = difflib.get_close_matches(name, dir(self), n=3)
            hint = f"; did you mean {', '.join(f'cmq:{c}' for c in close)}?" if close else ""
            raise KeyError(f"cmq:{name} is not a term of ontology/cmq.ttl{hint}") from exc

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):  # Python's special names are never terms
            raise AttributeError(name)
        try:
            return self.term(name)
        except KeyError as exc:
            raise AttributeError(exc.args[0]) from exc


CMQ = _Vocabulary(BASE + "ontology#", list(ontology_terms()))
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
#: The named graph that describes the sources and the build (``graph/meta``).
META_GRAPH = GRAPH["meta"]
#: The build, a ``prov:Activity`` described in :data:`META_GRAPH`.
BUILD = ID["build"]
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")

#: Prefixes bound in queries and serialisations.
PREFIXES: dict[str, str] = {
    "cmq": str(CMQ),
    "id": str(ID),
    "org": str(ORG),
    "schema": str(SDO),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "time": str(TIME),
    "foaf": str(FOAF),
    "dcat": str(DCAT),
    "geo": str(GEO),
    "adms": str(ADMS),
    "spdx": str(SPDX),
}

_NON_WORD = re.compile(r"[^a-z0-9]+")


def is_web_url(url: str, schemes: tuple[str, ...] = ("http", "https")) -> bool:
    """Tell whether ``url`` is an absolute URL of one of ``schemes`` with a host (and, if any, a valid port).

    >>> is_web_url("https://example.org/sparql"), is_web_url("not a url"), is_web_url("http://"), is_web_url("ftp://x")
    (True, False, False, False)
    """
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in schemes and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number, a malformed IPv6 address
        return False


def slug(text: str, max_length: int = 80) -> str:
    """Return the documented slug of ``text``: ASCII, lower case, words joined by ``-``.

    Accents are dropped (NFKD), every run of other characters becomes one ``-``, and the result
    is cut at ``max_length`` characters on a word boundary.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    if len(out) > max_length:
        out = out[:max_length].rsplit("-", 1)[0]
    return out


def digest(*parts: str) -> str:
    """Return a short stable hash of ``parts`` (for IRIs of n-ary relations)."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _minter(path: str):
    def mint(code: str) -> URIRef:
        return ID[f"{path}/{code}"]

    mint.__name__ = path.replace("-", "_")
    mint.__doc__ = f"Return the IRI ``{BASE}id/{path}/{{code}}``."
    return mint


region = _minter("region")
academie = _minter("academie")
departement = _minter("departement")
commune = _minter("commune")
school = _minter("etablissement")
training = _minter("formation")
mef = _minter("mef")
rncp = _minter("rncp")
certification = _minter("certifinfo")
trade = _minter("rome")
appellation = _minter("rome-appellation")
domain = _minter("rome-domaine")
onisep = _minter("onisep")
trade_family = _minter("famille-metiers")
label_type = _minter("label")
role = _minter("role")
certainty = _minter("certitude")
programme = _minter("programme")
organisation = _minter("organisation")


def sector(name: str) -> URIRef:
    """Return the IRI of a CMQ filière from its official name."""
    return ID[f"filiere/{slug(name)}"]


def campus(academie_name: str, name: str) -> URIRef:
    """Return the IRI of a campus from its académie (may be empty) and its name."""
    return ID[f"campus/{slug(academie_name or 'sans-academie')}/{slug(name)}"]


def cluster(name: str) -> URIRef:
    """Return the IRI of a pôle de compétitivité from its name."""
    return ID[f"pole/{slug(name)}"]


def project(programme_slug: str, name: str) -> URIRef:
    """Return the IRI of a regional project from its programme and its name."""
    return ID[f"projet/{programme_slug}/{slug(name)}"]


def membership(member: URIRef, organization: URIRef, role_name: str) -> URIRef:
    """Return the IRI of the membership of ``member`` in ``organization`` with a role."""
    return ID[f"adhesion/{digest(str(member), str(organization), role_name)}"]


def source_graph(name: str) -> URIRef:
    """Return the IRI of the named graph built from source ``name``."""
    return GRAPH[name]


def source_name(graph: str | None) -> str:
    """Return the name of the source whose named graph is ``graph`` (the inverse of :func:`source_graph`).

    A graph that is not a source's is returned as it is, and None as ``""``.

    >>> source_name("https://w3id.org/cmqgraph/graph/rome"), source_name("http://example.org/g"), source_name(None)
    ('rome', 'http://example.org/g', '')
    """
    if graph is None:
        return ""
    return graph[len(GRAPH):] if graph.startswith(GRAPH) else graph


def source_dataset(name: str) -> URIRef:
    """Return the IRI of the description of source ``name``."""
    return ID[f"source/{name}"]


def training_offer(uai: str, mefstat11: str) -> URIRef:
    """Return the IRI of the offer of a training (by its MEF STAT 11) at a school (Affelnet)."""
    return ID[f"offre/{uai}/{mefstat11}"]


def insertion_measure(key: str) -> URIRef:
    """Return the IRI of an InserJeunes measure; ``key`` is ``{UAI}/{voie}/{population}``.

    >>> str(insertion_measure("0251349F/pro/ensemble"))
    'https://w3id.org/cmqgraph/id/inserjeunes/0251349F/pro/ensemble'
    """
    return ID[f"inserjeunes/{key}"]


def ival_measure(uai: str, pathway: str, session: str) -> URIRef:
    """Return the IRI of the IVAL/IPS measure of a lycée for one pathway (``gt`` or ``pro``) and one baccalauréat session.

    >>> str(ival_measure("0250001R", "pro", "2025"))
    'https://w3id.org/cmqgraph/id/ival/0250001R/pro/2025'
    """
    return ID[f"ival/{uai}/{pathway}/{session}"]


def school_point(uai: str) -> URIRef:
    """Return the IRI of the geometry (a WGS 84 point) of the school ``uai``.

    >>> str(school_point("0250001R"))
    'https://w3id.org/cmqgraph/id/etablissement/0250001R/position'
    """
    return ID[f"etablissement/{uai}/position"]


def bassin_formation(code: str) -> URIRef:
    """Return the IRI of a bassin de formation from its code in the Annuaire de l'éducation.

    >>> str(bassin_formation("3009"))
    'https://w3id.org/cmqgraph/id/bassin-formation/3009'
    """
    return ID[f"bassin-formation/{code}"]


def establishment_nature(code: str) -> URIRef:
    """Return the IRI of a nature of establishment (the three-digit ``code_nature`` of the UAI directory).

    >>> str(establishment_nature("320"))
    'https://w3id.org/cmqgraph/id/nature-uai/320'
    """
    return ID[f"nature-uai/{code}"]


def establishment_nature_scheme() -> URIRef:
    """Return the IRI of the concept scheme of the natures of establishment (``id/nature-uai``)."""
    return ID["nature-uai"]


def curated_fact(entity: str, attribute: str) -> URIRef:
    """Return the IRI of a curated fact from the names of its entity and attribute."""
    return ID[f"fait/{digest(entity, attribute)}"]


def name_mention(name: str) -> URIRef:
    """Return the IRI of a campus name seen in another tool."""
    return ID[f"mention/{slug(name)}"]


def speciality_link(sector_name: str, nsf_group: str, cpc: str = "") -> URIRef:
    """Return the IRI of a row of the filière → NSF group table: the filière's slug, the group, and the CPC's slug when the row has one.

    >>> str(speciality_link("Tourisme, gastronomie", "334"))
    'https://w3id.org/cmqgraph/id/filiere-nsf/tourisme-gastronomie/334'
    >>> str(speciality_link("Création, design, audiovisuel", "223", "CPC Arts, spectacles et médias"))
    'https://w3id.org/cmqgraph/id/filiere-nsf/creation-design-audiovisuel/223/cpc-arts-spectacles-et-medias'
    """
    tail = f"/{slug(cpc)}" if cpc else ""
    return ID[f"filiere-nsf/{slug(sector_name)}/{nsf_group}{tail}"]


def sector_scope(entity: URIRef) -> URIRef:
    """Return the IRI of the sector scope of a campus, pôle or project: ``id/perimetre/`` and the entity's path under ``id/``.

    >>> str(sector_scope(cluster("Pôle Véhicule du Futur")))
    'https://w3id.org/cmqgraph/id/perimetre/pole/pole-vehicule-du-futur'

    Raises
    ------
    ValueError
        ``entity`` is not an IRI of the ``id/`` namespace.
    """
    if not entity.startswith(ID):
        raise ValueError(f"not an IRI of {ID}: {entity}")
    return ID[f"perimetre/{entity[len(ID):]}"]
