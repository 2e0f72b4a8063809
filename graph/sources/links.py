"""Links made across sources, each with the method that made it (named graph ``graph/links``).

1. **Support establishment → School**, by name within the campus's académies (or régions): the
   support text and the main part of each school name (before `` - Lycée des métiers …``) are reduced
   to their significant words (:func:`~cmqgraph.sources.curated.tokens`); the score is the share of
   the support's words found in the school's name. A match needs a score ≥ 0.75, at least one common
   word of four letters or more, and a single best school. The ``org:Membership`` (role ``support``) keeps
   the method, the score and the matched name. Without a match, the support becomes an
   ``org:Organization`` minted from its name, and the membership says so.
2. **TIP laureate → Campus**, the same way between the laureate's campus text and the campus names
   of its académie (role ``campus-associe``, the campus being a member of the project).
3. **Training → Trade**, through every Certif Info certification that certifies the training (its
   CFD in ``Code_Scolarité``) and names ROME codes.
4. **Pôle → Filière** and **Territoire d'innovation → Filière**, by the keyword table :data:`SECTOR_KEYWORDS`
   applied to the theme; each assignment is a ``cmq:SectorMatch`` with the keyword that made it (« Transformation
   d'un territoire industriel », theme « industrie du futur, hydrogène-énergie, compétences »: *hydrogen* →
   Transition énergétique, éco-industrie).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from .. import iris
from ..iris import CMQ, slug
from .base import Source, Triple
from .curated import membership, name_score, organisation, tokens
from .records import Support

__all__ = ["Links", "SECTOR_KEYWORDS", "clean_support_name", "best_match"]

#: Filière → word stems looked for at the start of a word of a pôle's or a project's theme (accents removed; a stem is a
#: regular expression, so that « bien-être animal » is not « bien-être »).
SECTOR_KEYWORDS: dict[str, tuple[str, ...]] = {
    "Mobilité, aéronautique, transports terrestres et maritimes": (
        "vehicul", "mobilit", "automobil", "aeronauti", "aerospati", "spatial", "ferroviaire", "transport", "maritim", "naval", "drone",
    ),
    "Tourisme, gastronomie": ("tourism", "gastronom", "hotel", "restaura"),
    "Création, design, audiovisuel": ("design", "audiovisuel", "image", "contenus", "creati", "metiers-d-art"),
    "Chimie et biotechnologies": ("chimi", "biotech", "cosmet", "parfum", "pharma", "sante", "biotherap", "medtech", "oncolog"),
    "Matériaux, matériaux innovants": ("materiau", "plasturg", "caoutchouc", "composite", "polymer", "textile", "metallurg", "fibres"),
    "Infrastructures, bâtiment, éco-construction": ("batiment", "btp", "infrastructure", "construction", "ville"),
    "Transition énergétique, éco-industrie": (
        "energ", "nucleaire", "eau", "environnement", "circulaire", "hydrogen", "renouvel", "transition-carbone",
    ),
    "Systèmes innovants, mécatronique": ("mecani", "mecatron", "microtech", "robot", "photoni", "laser", "optique", "production", "decolletage"),
    "Services à la personne, bien-être": ("bien-etre(?!-animal)", "longevite", "autonomie"),
    "Services aux entreprises, logistique": ("logisti", "commerce", "distribution", "financ", "transactions"),
    "Alimentaire, agroalimentaire": (
        "agroaliment", "aliment", "agric", "viticult", "elevage", "cereal", "vegetal", "nutrition", "produits-de-la-mer", "agro",
    ),
    "Numérique, télécommunications": ("numeri", "digital", "telecom", "cyber", "data", "iot", "reseau", "electroni", "deep-tech", "quantique"),
}

_PATTERNS = {
    sector: re.compile("(?:^|-)(" + "|".join(keywords) + ")")
    for sector, keywords in SECTOR_KEYWORDS.items()
}

#: Score and word length a name match needs.
MIN_SCORE = 0.75
MIN_WORD = 4


def clean_support_name(text: str) -> str:
    """Return the first organisation named in a support cell, without notes in brackets or dates.

    >>> clean_support_name("Université de technologie de Belfort-Montbéliard (UTBM), depuis le printemps 2019")
    'Université de technologie de Belfort-Montbéliard'
    """
    first = re.split(r"\s+/\s+|\s+et\s+(?=L|l)|,\s*(?:depuis|puis)\b", text)[0]
    return " ".join(re.sub(r"\([^)]*\)", " ", first).split()).strip(" ,;–-")


def best_match(name: str, candidates: list[tuple[URIRef, str]]) -> tuple[URIRef, str, float] | None:
    """Return the single best candidate ``(iri, name)`` for ``name`` with its score, or None.

    None when no candidate reaches :data:`MIN_SCORE` with a common word of :data:`MIN_WORD` letters,
    or when two candidates share the best score.
    """
    wanted = tokens(name)
    scored = []
    for iri, other in candidates:
        theirs = tokens(other)
        score = name_score(wanted, theirs)
        if score >= MIN_SCORE and any(len(w) >= MIN_WORD for w in wanted & theirs):
            scored.append((score, len(wanted & theirs), iri, other))
    if not scored:
        return None
    scored.sort(key=lambda s: (-s[0], -s[1], str(s[2])))
    if len(scored) > 1 and scored[0][:2] == scored[1][:2]:
        return None
    return scored[0][2], scored[0][3], round(scored[0][0], 3)


class Links(Source):
    name = "links"
    title = "Liens entre sources (établissement support, campus lauréats, formation → métier, pôle → filière)"
    upstream = "computed by cmqgraph from the other sources (see the method on each link)"
    licence_note = "Derived from the linked sources; same terms as them."
    completeness = (
        "Name matching finds a School only when the support is a lycée or CFA in the InserJeunes or ACCE lists; universities and "
        "schools outside those lists become organisations without UAI. Pôle sectors come from a keyword table, not an official mapping."
    )
    reads = ("schools", "campuses", "pia3_projects", "trades_of_cfd", "clusters", "ti_projects")
    publishes = ("support_of_campus", "organisation_aliases", "sectors_of_theme")

    def expected_rows(self) -> int:
        return 0

    def triples(self) -> Iterator[Triple]:
        yield from self._supports()
        yield from self._laureate_campuses()
        yield from self._training_trades()
        yield from self._theme_sectors()

    def _supports(self) -> Iterator[Triple]:
        by_area: dict[str, list[tuple[URIRef, str]]] = {}
        for school in self.read("schools").values():
            if school.name:
                for key in (f"a{school.academie}", f"r{school.region}"):
                    by_area.setdefault(key, []).append((iris.school(school.uai), school.name.split(" - ")[0]))
        supports: dict[URIRef, Support] = {}
        aliases: dict[str, URIRef] = {}
        for campus in self.read("campuses"):
            if not campus.support:
                continue
            name = clean_support_name(campus.support)
            if not name:
                continue  # the cell is only a note in brackets, kept verbatim on the campus
            areas = [f"a{a}" for a in campus.academies] or [f"r{r}" for r in campus.regions]
            candidates = [c for area in areas for c in by_area.get(area, [])]
            match = best_match(name, candidates)
            if match:
                member, matched, score = match
                method = "nom de l'établissement support comparé aux noms des établissements (InserJeunes, ACCE) de la même académie"
            else:
                member, triples = organisation(name)
                yield from triples
                for acronym in re.findall(r"\(([A-Z][A-Z0-9&-]{1,11})\)", campus.support):
                    aliases[slug(acronym)] = member
                    yield member, SKOS.altLabel, Literal(acronym)
                matched, score = None, None
                method = "aucun établissement à UAI trouvé par le nom : organisation créée à partir du nom"
            node, triples = membership(member, campus.iri, "support")
            yield from triples
            yield campus.iri, CMQ.supportEstablishment, member
            yield node, CMQ.matchMethod, Literal(method, lang="fr")
            if matched is not None:
                yield node, CMQ.matchedName, Literal(matched, lang="fr")
                yield node, CMQ.matchScore, Literal(score, datatype=XSD.decimal)
            supports[campus.iri] = Support(member, node)
        self.publish("support_of_campus", supports)
        self.publish("organisation_aliases", aliases)

    def _laureate_campuses(self) -> Iterator[Triple]:
        campuses = self.read("campuses")
        for project in self.read("pia3_projects"):
            if project.programme != "tip-cmq":
                continue
            candidates = [(c.iri, c.name) for c in campuses if set(c.academies) & set(project.academies) or not project.academies]
            match = best_match(re.sub(r"\([^)]*\)", " ", project.name), candidates)
            if match is None:
                continue
            campus, matched, score = match
            node, triples = membership(campus, project.iri, "campus-associe")
            yield from triples
            yield node, CMQ.matchMethod, Literal("nom du campus lauréat comparé aux noms des campus de la même académie", lang="fr")
            yield node, CMQ.matchedName, Literal(matched, lang="fr")
            yield node, CMQ.matchScore, Literal(score, datatype=XSD.decimal)

    def _training_trades(self) -> Iterator[Triple]:
        for cfd, romes in sorted(self.read("trades_of_cfd").items()):
            for rome in sorted(romes):
                yield iris.training(cfd), CMQ.leadsToTrade, iris.trade(rome)

    def _theme_sectors(self) -> Iterator[Triple]:
        """Yield the filières the keywords of each pôle's and each Territoire d'innovation's theme give, and publish them."""
        sectors_of: dict[URIRef, tuple[str, ...]] = {}
        themed = [(c.iri, c.theme, "du pôle") for c in self.read("clusters")]
        themed += [(p.iri, p.theme, "du projet") for p in self.read("ti_projects") if p.theme]
        for entity, theme_text, whose in themed:
            theme = slug(theme_text, max_length=400)
            for sector, pattern in _PATTERNS.items():
                found = pattern.search(theme)
                if not found:
                    continue
                sectors_of[entity] = (*sectors_of.get(entity, ()), slug(sector))
                node = URIRef(f"{entity}/filiere/{slug(sector)}")
                yield entity, CMQ.sector, iris.sector(sector)
                yield node, RDF.type, CMQ.SectorMatch
                yield node, CMQ.matchedEntity, entity
                yield node, CMQ.assignedSector, iris.sector(sector)
                yield node, CMQ.matchedKeyword, Literal(found.group(1))
                yield node, CMQ.matchMethod, Literal(f"mot-clé du thème {whose} (table SECTOR_KEYWORDS de cmqgraph)", lang="fr")
                yield node, RDFS.comment, Literal(f"thème : {theme_text}", lang="fr")
        self.publish("sectors_of_theme", sectors_of)
