"""Helpers shared by the sources curated by hand from web pages (CMQ list, pôles, projects, facts).

Every curated row keeps its web sources (``dct:source``), its remark verbatim
(``skos:editorialNote``) and a certainty derived from the remark's own words.
:class:`ProjectSource` is the common part of the two project lists (``territoires_innovation`` and
``pia3``); :func:`membership` and :func:`organisation` mint what they and the ``links`` and
``faits_bfc`` sources say about organisations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SKOS

from .. import iris
from ..iris import CMQ, slug
from .base import Row, Source, Triple

__all__ = [
    "CERTAINTY_WORDS",
    "certainty_of",
    "provenance",
    "resolve_regions",
    "resolve_academies",
    "tokens",
    "name_score",
    "membership",
    "organisation",
    "ProjectSource",
]

#: Words of a remark that lower a row's certainty, strongest doubt first.
CERTAINTY_WORDS: tuple[tuple[str, str], ...] = (
    ("non vérifié", "non-verifie"),
    ("non confirmé", "non-verifie"),
    ("à vérifier", "non-verifie"),
    ("hypothèse", "deduit"),
    ("déduit", "deduit"),
    ("calculée", "deduit"),
    ("probable", "probable"),
)


def certainty_of(*remarks: str) -> URIRef:
    """Return the certainty concept that the words of ``remarks`` call for (``confirme`` if none).

    >>> certainty_of("filière déduite du thème").rsplit("/", 1)[-1]
    'deduit'
    """
    lowered = " ".join(remarks).lower()
    for word, level in CERTAINTY_WORDS:
        if word in lowered or word.replace("é", "e") in lowered:
            return iris.certainty(level)
    return iris.certainty("confirme")


def provenance(node: URIRef, row: Row, url_column: str = "source_url", remark_column: str = "remarque") -> Iterator[Triple]:
    """Yield the web sources, the remark and the certainty of a curated row about ``node``."""
    for url in re.split(r"\s+[|;]\s+", row[url_column]):
        if url.startswith("http"):
            yield node, DCTERMS.source, URIRef(url.strip())
    if row[remark_column]:
        yield node, SKOS.editorialNote, Literal(row[remark_column], lang="fr")
    yield node, CMQ.certainty, certainty_of(row[remark_column])
    yield node, CMQ.sourceRowNumber, Literal(row.line)


def _split_names(value: str) -> list[str]:
    value = re.sub(r"\([^)]*\)", "", value)
    return [part.strip() for part in re.split(r"\s*[,/]\s*|\s+et\s+", value) if part.strip()]


def _resolve(source: Source, row: Row, column: str, index: str, what: str) -> list[str]:
    names = source.read(index)
    codes = []
    for name in _split_names(row[column]):
        code = names.get(slug(name))
        if code:
            codes.append(code)
        else:
            source.ctx.issue(row, column, f"not {what} of the territoires table", "warning", name)
    return codes


def resolve_regions(source: Source, row: Row, column: str) -> list[str]:
    """Return the INSEE codes of the régions named in ``row[column]`` (comma or slash separated).

    ``source`` reads ``regions_by_name``. Names that match no région are reported as a warning (the row is kept).
    """
    return _resolve(source, row, column, "regions_by_name", "a région")


def resolve_academies(source: Source, row: Row, column: str) -> list[str]:
    """Return the codes of the académies named in ``row[column]`` (``Amiens / Lille``, ``Normandie (ex-Rouen)``).

    ``source`` reads ``academies_by_name``.
    """
    return _resolve(source, row, column, "academies_by_name", "an académie")


#: Words too common in French organisation names to tell two apart.
STOPWORDS = frozenset(
    "a au aux d de des du en et l la le les lp lpo lycee lycees polyvalent professionnel professionnelle general regional "
    "generale technologique metiers metier campus cmq qualifications qualification support etablissement prive "
    "public sur sous pour par the of and".split()
)


def tokens(name: str) -> frozenset[str]:
    """Return the significant words of an organisation name (slugged, stop words removed)."""
    return frozenset(t for t in slug(name, max_length=400).split("-") if t and t not in STOPWORDS and not t.isdigit())


def name_score(wanted: frozenset[str], candidate: frozenset[str]) -> float:
    """Return the share of the words of ``wanted`` found in ``candidate``: |w ∩ c| / |w| (0 when either is empty)."""
    if not wanted or not candidate:
        return 0.0
    return len(wanted & candidate) / len(wanted)


def membership(member: URIRef, organization: URIRef, role: str) -> tuple[URIRef, list[Triple]]:
    """Return the IRI and triples of an ``org:Membership`` of ``member`` in ``organization``."""
    node = iris.membership(member, organization, role)
    return node, [
        (node, RDF.type, ORG.Membership),
        (node, ORG.member, member),
        (node, ORG.organization, organization),
        (node, ORG.role, iris.role(role)),
    ]


def organisation(name: str) -> tuple[URIRef, list[Triple]]:
    """Return the IRI and triples of an organisation known only by its name (no official code)."""
    node = iris.organisation(slug(name))
    return node, [(node, RDF.type, ORG.Organization), (node, RDFS.label, Literal(name, lang="fr"))]


class ProjectSource(Source):
    """A list of regional projects curated by hand: each row a ``cmq:RegionalProject`` with its lead and amounts."""

    licence_note = "Facts collected from public web pages, not open data; the compilation is published under the project's licence."

    def _project(self, row: Row, programme: str, name: str, lead: str) -> Iterator[Triple]:
        node = iris.project(programme, name)
        yield node, RDF.type, CMQ.RegionalProject
        yield node, RDFS.label, Literal(name, lang="fr")
        yield node, CMQ.programme, iris.programme(programme)
        if lead:
            org, triples = organisation(lead)
            yield from triples
            yield node, CMQ.lead, org
            _, triples = membership(org, node, "porteur")
            yield from triples
        yield from provenance(node, row)

    def _amount(self, row: Row, node: URIRef, column: str, prop: URIRef) -> Iterator[Triple]:
        """Yield ``row[column]`` as an amount (million euros) when it is a plain number, and always as a note."""
        value = row[column]
        if not value:
            return
        amount = self.ctx.number(row, column, minimum=0, action="kept as a note only")
        if amount is not None:
            yield node, prop, amount
        yield node, CMQ.amountNote, Literal(f"{column}: {value}", lang="fr")
