"""The members of the campuses: which establishments take part in which CMQ, and in what role.

``cmq_membres.csv`` (``campus_nom;etablissement;ville;uai;role;source_url;remarque``) is a list curated
by hand from web pages, and the **drop-in format for official member lists**: a rectorat or a Région
exports its list in these columns and builds with ``--data DIR --with-defaults``. Every row becomes an
``org:Membership`` of its member in its campus, with its role (``membre``, ``partenaire``,
``support``), its web sources, its remark verbatim and the certainty the remark's words call for
(:func:`~cmqgraph.sources.curated.provenance`).

**Which campus.** ``campus_nom`` is compared with the names of the campus list (source ``cmq``),
accents and case ignored (:func:`~cmqgraph.iris.slug`):

1. a name with the same slug as one campus's is that campus;
2. otherwise both names lose their brackets (a town, a former name, an acronym) and are reduced to
   their significant words (:func:`~cmqgraph.sources.curated.tokens`). The score is the share of the
   shorter name's words found in the other, :math:`|a \\cap b| / \\min(|a|, |b|)`, so that a name that
   adds a qualifier to the list's (« Métiers d'art et patrimoine (Hauts-de-France) ») scores 1. The
   campus is taken when it alone has the best score (ties on the score and the number of common words
   are never broken), the score is at least 0.75 and a common word has four letters or more (the
   thresholds of :mod:`~cmqgraph.sources.links`). The membership keeps the name as written
   (``cmq:campusNameAsWritten``) and the score (``cmq:campusMatchScore``) whenever it differs from the
   list's.

A name that matches no campus, or two, is a row error naming the closest campus names; the row is
left out.

**Which member.**

- With a UAI: its format and check letter are checked (a wrong one is a row error naming the value,
  and the row is left out); the member is the ``cmq:School`` of that UAI, the node the other sources
  describe. A valid UAI that the schools index (InserJeunes, ACCE) lacks is warned and the school is
  described from the row (UAI and name).
- Without a UAI: the name, without its brackets, is matched to the schools of the campus's académies
  (or régions) with :func:`~cmqgraph.sources.links.best_match`, as the supports are, among the schools whose
  name holds the numbers of the member's (« GRETA 21 » is no other Greta). The schools index
  has no commune, so when the row names a town the match is taken only if the school's name holds
  every word of that town (or of one of the towns ``A / B``); otherwise the candidate is named in a
  warning and not taken. Without a school, the member is the organisation of that name (one node per
  name: a university named on two rows is one organisation), or the one an acronym of the supports
  names (« UTBM »).

**Duplicates.** A row giving the same campus, member and role as an earlier one is warned and left
out; the earlier row is kept.

>>> bracketless("Université de technologie de Belfort-Montbéliard (UTBM)")
'Université de technologie de Belfort-Montbéliard'
>>> overlap_score(tokens("Métiers d'art et patrimoine (Hauts-de-France)"), tokens("Métiers d'art et patrimoine"))
1.0
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from .. import iris
from ..iris import CMQ, slug
from .base import Row, Source, SourceFile, Triple, uai_is_valid
from .curated import membership, name_score, organisation, provenance, tokens
from .links import MIN_SCORE, MIN_WORD, best_match
from .records import Campus

__all__ = ["CampusMembers", "ROLES", "CampusMatch", "bracketless", "overlap_score", "match_campus"]

#: The roles a row may give.
ROLES = ("membre", "partenaire", "support")

#: How many close campus names a row issue names.
CLOSEST = 3

_BY_UAI = "UAI de la ligne (format et lettre de clé vérifiés)"
_BY_NAME = (
    "nom de l'établissement comparé aux noms des établissements (InserJeunes, ACCE) des académies du campus ; "
    "ville de la ligne, s'il y en a une, retrouvée dans le nom de l'établissement"
)
_NUMBER = re.compile(r"\d+")
_AS_ORGANISATION = "aucun établissement à UAI trouvé par le nom : organisation créée à partir du nom"


def bracketless(text: str) -> str:
    """Return ``text`` without the parts in brackets, spaces collapsed."""
    return " ".join(re.sub(r"\([^)]*\)", " ", text).split())


def overlap_score(a: frozenset[str], b: frozenset[str]) -> float:
    """Return the share of the shorter word set found in the other: |a ∩ b| / min(|a|, |b|) (0 when either is empty)."""
    return max(name_score(a, b), name_score(b, a))


@dataclass(frozen=True)
class CampusMatch:
    """What :func:`match_campus` found: the campus (None when unmatched or ambiguous), its score, and the closest names."""

    campus: Campus | None
    score: float
    closest: tuple[str, ...]
    ambiguous: bool = False


def match_campus(name: str, campuses: tuple[Campus, ...]) -> CampusMatch:
    """Return the campus of ``campuses`` that ``name`` designates, by the method of this module's docstring.

    The closest names of a failed match are ranked by the same score, then by the likeness of the slugs
    (:class:`difflib.SequenceMatcher`).

    >>> from rdflib import URIRef
    >>> listed = tuple(Campus(URIRef(f"urn:x:{slug(n)}"), n, (), (), "") for n in ("Métiers d'art et patrimoine", "Industries de la mer"))
    >>> found = match_campus("Métiers d'art et patrimoine (Hauts-de-France)", listed)
    >>> found.campus.name, found.score
    ("Métiers d'art et patrimoine", 1.0)
    >>> match_campus("Campus des métiers de la mer (Nouvelle-Aquitaine)", listed).closest
    ('Industries de la mer', "Métiers d'art et patrimoine")
    """
    key = slug(name, max_length=400)
    exact = [c for c in campuses if slug(c.name, max_length=400) == key]
    if len(exact) == 1:
        return CampusMatch(exact[0], 1.0, ())
    wanted = _words(name)
    scored = sorted(((*_score(wanted, campus.name), campus) for campus in campuses), key=lambda s: (-s[0], -s[1]))
    best = scored[0][:2] if scored else (0.0, 0)
    tied = len(scored) > 1 and scored[1][:2] == best
    if not exact and best[0] >= MIN_SCORE and not tied:
        return CampusMatch(scored[0][2], round(best[0], 3), ())
    ranked = sorted(scored, key=lambda s: (-s[0], -s[1], -difflib.SequenceMatcher(None, key, slug(s[2].name)).ratio(), s[2].name))
    return CampusMatch(None, best[0], tuple(s[2].name for s in ranked[:CLOSEST]), ambiguous=bool(exact) or best[0] >= MIN_SCORE)


def _score(wanted: frozenset[str], other: str) -> tuple[float, int]:
    """The overlap score of ``wanted`` and the words of ``other`` (0 without a common word of four letters), and the common words."""
    common = wanted & _words(other)
    return (overlap_score(wanted, _words(other)) if any(len(w) >= MIN_WORD for w in common) else 0.0), len(common)


@lru_cache(maxsize=4096)
def _words(name: str) -> frozenset[str]:
    """The significant words of ``name`` without its brackets (cached: every campus name is compared with every row's)."""
    return tokens(bracketless(name))


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f"« {n} »" for n in names)


@dataclass(frozen=True)
class _Member:
    """A row's member: its IRI, the triples describing it, and what the membership says of how it was found."""

    node: URIRef
    triples: tuple[Triple, ...]
    how: tuple[tuple[URIRef, Literal], ...]


@dataclass(frozen=True)
class _NamedSchool:
    """A school of the index as name matching sees it: its IRI, full name, main name (before `` - ``) and the main name's words."""

    node: URIRef
    full_name: str
    main_name: str
    words: frozenset[str]


def _by_uai(node: URIRef, triples: tuple[Triple, ...] = ()) -> _Member:
    return _Member(node, triples, ((CMQ.matchMethod, Literal(_BY_UAI, lang="fr")),))


class CampusMembers(Source):
    name = "cmq_membres"
    title = "Membres des campus (liste constituée à la main ; format des listes officielles de membres)"
    files = (SourceFile("cmq_membres.csv", ("campus_nom", "etablissement", "ville", "uai", "role", "source_url", "remarque")),)
    upstream = "curated by hand from stored public web pages (académies, Régions, campus and lycée sites, press); every row has its source_url"
    licence_note = "Facts collected from public web pages, not open data; the compilation is published under the project's licence."
    temporal = "2013-2026"
    completeness = (
        "151 rows for 71 campus names; 69 rows carry a UAI checked against InserJeunes and the town. About 40 rows rest on a deduced "
        "role (the remark says so). No member was found for about 30 campuses of the list; Mobicampus has 4 of its 15 établissements. "
        "Campus names that designate no campus of the list (a merger, campuses the list lacks) are row issues, their rows left out."
    )
    reads = ("campuses", "schools", "organisation_aliases")

    def triples(self) -> Iterator[Triple]:
        campuses = self.read("campuses")
        matches: dict[str, CampusMatch] = {}
        seen: dict[tuple[URIRef, URIRef, str], int] = {}
        for row in self.rows():
            name = row["campus_nom"]
            if name not in matches:
                matches[name] = match_campus(name, campuses)
            campus = self._campus(row, matches[name])
            member = self._member(row, campus) if campus is not None and self._role_ok(row) else None
            if member is None:
                continue
            key = (campus.iri, member.node, row["role"])
            if key in seen:
                self.ctx.issue(row, "etablissement", f"même campus, membre et rôle qu'à la ligne {seen[key]} : ligne écartée / "
                               f"same campus, member and role as line {seen[key]}; row left out", "warning")
                continue
            seen[key] = row.line
            yield from member.triples
            node, triples = membership(member.node, campus.iri, row["role"])
            yield from triples
            yield from ((node, p, o) for p, o in member.how)
            if campus.name != name:
                yield node, CMQ.campusNameAsWritten, Literal(name, lang="fr")
                yield node, CMQ.campusMatchScore, Literal(matches[name].score, datatype=XSD.decimal)
            yield from provenance(node, row)

    def _campus(self, row: Row, match: CampusMatch) -> Campus | None:
        if not row["campus_nom"]:
            self.ctx.issue(row, "campus_nom", "ligne sans nom de campus : écartée / row without a campus name; left out")
        elif match.ambiguous:
            self.ctx.issue(row, "campus_nom", f"nom ambigu : plusieurs campus ont le meilleur score ({_quoted(match.closest)}) ; ligne écartée / "
                           "ambiguous campus name; row left out")
        elif match.campus is None:
            self.ctx.issue(row, "campus_nom", f"aucun campus de la liste ne porte ce nom (les plus proches : {_quoted(match.closest)}) ; "
                           "ligne écartée / no campus of the list has this name; row left out")
        return match.campus

    def _role_ok(self, row: Row) -> bool:
        if row["role"] in ROLES:
            return True
        self.ctx.issue(row, "role", f"rôle inconnu (attendu : {', '.join(ROLES)}) ; ligne écartée / unknown role; row left out")
        return False

    def _member(self, row: Row, campus: Campus) -> _Member | None:
        if row["uai"]:
            return self._school_by_uai(row)
        if not row["etablissement"]:
            self.ctx.issue(row, "etablissement", "ni UAI ni nom d'établissement ; ligne écartée / neither a UAI nor a name; row left out")
            return None
        name = bracketless(row["etablissement"]) or row["etablissement"]
        return self._school_by_name(row, name, campus) or self._organisation(row, name)

    def _school_by_uai(self, row: Row) -> _Member | None:
        uai = row["uai"]
        if not uai_is_valid(uai):
            self.ctx.issue(row, "uai", "UAI mal formé ou lettre de clé fausse ; ligne écartée / malformed UAI or wrong check letter; row left out")
            return None
        node = iris.school(uai)
        if uai in self.read("schools"):
            return _by_uai(node)
        self.ctx.issue(row, "uai", "UAI absent des listes d'établissements (InserJeunes, ACCE) : établissement décrit d'après la ligne / "
                       "UAI not in the school lists; school described from the row", "warning")
        label = [(node, RDFS.label, Literal(row["etablissement"], lang="fr"))] if row["etablissement"] else []
        return _by_uai(node, ((node, RDF.type, CMQ.School), (node, CMQ.uai, Literal(uai)), (node, SKOS.notation, Literal(uai)), *label))

    def _school_by_name(self, row: Row, name: str, campus: Campus) -> _Member | None:
        """Return the school ``name`` designates among the schools of the campus's territory, its town checked, or None.

        Only the schools sharing a word of :data:`~cmqgraph.sources.links.MIN_WORD` letters with ``name`` (the others
        cannot match) and holding every number of ``name`` (« GRETA 21 » is not the Greta de Besançon: the words
        leave numbers out) are handed to :func:`~cmqgraph.sources.links.best_match`.
        """
        wanted = {w for w in tokens(name) if len(w) >= MIN_WORD}
        numbers = set(_NUMBER.findall(name))
        areas = [f"a{a}" for a in campus.academies] or [f"r{r}" for r in campus.regions]
        pool = {
            s.node: s for area in areas for s in self._schools_by_area.get(area, ())
            if wanted & s.words and numbers <= set(_NUMBER.findall(s.full_name))
        }
        match = best_match(name, [(node, s.main_name) for node, s in pool.items()])
        if match is None:
            return None
        node, matched, score = match
        towns = [words for words in (tokens(part) for part in bracketless(row["ville"]).split("/")) if words]
        if towns and not any(town <= tokens(pool[node].full_name) for town in towns):
            self.ctx.issue(row, "ville", f"le nom désigne l'établissement {str(node).rsplit('/', 1)[-1]} « {matched} », dont le nom ne contient "
                           "pas la ville : non retenu / the name matches a school whose name lacks the town; not taken", "warning")
            return None
        return _Member(node, (), (
            (CMQ.matchMethod, Literal(_BY_NAME, lang="fr")),
            (CMQ.matchedName, Literal(matched, lang="fr")),
            (CMQ.matchScore, Literal(score, datatype=XSD.decimal)),
        ))

    def _organisation(self, row: Row, name: str) -> _Member:
        aliases = self.read("organisation_aliases")
        node, triples = (aliases[slug(name)], []) if slug(name) in aliases else organisation(name)
        if row["etablissement"] != name:
            triples.append((node, SKOS.altLabel, Literal(row["etablissement"], lang="fr")))
        return _Member(node, tuple(triples), ((CMQ.matchMethod, Literal(_AS_ORGANISATION, lang="fr")),))

    @cached_property
    def _schools_by_area(self) -> dict[str, list[_NamedSchool]]:
        """The named schools of the index by académie (``a03``) and by région (``r27``)."""
        areas: dict[str, list[_NamedSchool]] = {}
        for school in self.read("schools").values():
            if school.name:
                main = school.name.split(" - ")[0]
                named = _NamedSchool(iris.school(school.uai), school.name, main, tokens(main))
                for key in (f"a{school.academie}", f"r{school.region}"):
                    areas.setdefault(key, []).append(named)
        return areas

