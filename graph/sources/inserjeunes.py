"""InserJeunes (DEPP) 2022-2023 indicators by establishment: lycées with vocational pathways, and CFA.

Two files of the DEPP InserJeunes release, as copied in trajectoires-pro: one row per lycée and
population (``ensemble``, ``dont apprentis``, ``dont élèves en voie pro sco``) for the vocational
pathway of lycées, and one row per CFA (organisme de formation) for apprenticeship. They give each
UAI with its full name and its région, which makes them the reference name list of the graph.

Each UAI becomes a ``cmq:School`` (one node when a UAI is in both files, described by the first
row seen) placed in its département and académie (from the first three UAI digits) and in the
région named by the file. Each row becomes a ``cmq:InsertionMeasure``
``id/inserjeunes/{UAI}/{voie}/{population}`` with the indicators as ``xsd:decimal`` percentages
(``nd``, *non disponible*, and empty cells are left out).

``cmq:schoolKind`` is the kind of establishment read at the start of the label with the table
:data:`KIND_RULES` (spelling variants and abbreviations such as ``LP``, ``LPO`` or « Organisme de
foramtion » are folded into one wording, followed by « privé » when the label says so); a label that
matches no rule gets the generic kind of its file (:data:`GENERIC_KIND`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from .. import iris
from ..iris import CMQ, slug
from .base import Row, Source, SourceFile, Triple, text, uai_is_valid
from .records import School
from .territoires import insee_departement

__all__ = [
    "InserJeunes",
    "KIND_RULES",
    "GENERIC_KIND",
    "INDICATORS",
    "POPULATIONS",
    "school_kind",
    "uai_departement",
    "locate_school",
    "territory_triples",
]

UAI_COLUMN = "n°UAI de l'établissement"
NAME_COLUMN = "Libellé de l'établissement"
SCHOOL_YEAR = "2022-2023"

#: Indicator column → property (percentages, except the value added, in points).
INDICATORS: dict[str, URIRef] = {
    "Taux de poursuite d'études": CMQ.continuationRate,
    "Taux": CMQ.insertionRate,
    "Taux attendu": CMQ.expectedEmploymentRate,
    "Valeur ajoutée": CMQ.valueAdded,
    "Part en poursuite d'études": CMQ.shareInFurtherStudy,
    "Part en emploi 6 mois après la sortie": CMQ.shareEmployed6Months,
    "Part des autres situations": CMQ.shareOtherSituations,
}

#: Value of the lycées file's « Dont apprentis en EPLE » column → population slug.
POPULATIONS = {"ensemble": "ensemble", "dont apprentis": "apprentis", "dont élèves en voie pro sco": "scolaires"}

#: (pattern on the folded label start, kind). The label is folded to ASCII lower case with
#: hyphens, dots and repeated spaces turned into one space; the first matching rule wins.
KIND_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"(?:{pattern})(?= |$)"), kind)
    for pattern, kind in (
        (r"^(lycee (d )?(enseignement )?general et technologique|l ?e? ?g ?t)", "Lycée général et technologique"),
        (r"^(lycee polyvalent|l ?p ?o)", "Lycée polyvalent"),
        (r"^(lycee (d )?(enseignement )?professionnel|l ?p)", "Lycée professionnel"),
        (r"^lycee (d )?(enseignement )?technologique", "Lycée technologique"),
        (r"^lycee (d )?(enseignement )?general", "Lycée général"),
        (r"^lycee des metiers", "Lycée des métiers"),
        (
            r"^(etablissement regional d enseignement adapte|erea|lycee d enseignement adapte)",
            "Établissement régional d'enseignement adapté",
        ),
        (r"^section d enseignement professionnel", "Section d'enseignement professionnel"),
        (
            r"^(organisme (de )?(formation|foramtion) ?centre (de )?formation (d |des )?apprentis?|of ?cfa)",
            "Organisme de formation-Centre de formation d'apprentis",
        ),
        (r"^maison familiale rurale", "Maison familiale rurale"),
        (r"^(centre|ctre) (de )?formation (d |des )?apprentis?|^cfa", "Centre de formation d'apprentis"),
        (r"^site de formation (d |des )?apprentis?", "Site de formation d'apprentis"),
        (r"^section d apprentissage", "Section d'apprentissage"),
        (r"^centre de formation continue", "Centre de formation continue"),
        (r"^organisme (de )?formation", "Organisme de formation"),
        (r"^lycee", "Lycée"),
    )
)

#: Kind given when no rule of :data:`KIND_RULES` matches, by voie.
GENERIC_KIND = {"pro": "lycée (voie professionnelle)", "apprentissage": "organisme de formation / CFA"}

_PRIVATE = re.compile(r"^ ?(prive(e)?|pr)( |$)")
_FEMININE = ("Section", "Maison")


def _fold(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.sub(r"[-.'’,]", " ", ascii_text).split())


def school_kind(label: str, voie: str) -> str:
    """Return the kind of establishment read at the start of ``label`` (see :data:`KIND_RULES`).

    >>> school_kind("LP privé Saint-Joseph", "pro")
    'Lycée professionnel privé'
    >>> school_kind("Organisme de foramtion - Centre de formation d'apprentis X", "apprentissage")
    "Organisme de formation-Centre de formation d'apprentis"
    >>> school_kind("AFTRAL Besançon", "apprentissage")
    'organisme de formation / CFA'
    """
    folded = _fold(label)
    for pattern, kind in KIND_RULES:
        match = pattern.match(folded)
        if match:
            if _PRIVATE.match(folded[match.end() :]):
                return kind + (" privée" if kind.startswith(_FEMININE) else " privé")
            return kind
    return GENERIC_KIND[voie]


#: Département part of Corsican UAIs (``620``/``720``) → INSEE code.
_CORSICA = {"620": "2A", "720": "2B"}


def uai_departement(uai: str) -> str:
    """Return the INSEE code of the département written in the first three digits of ``uai``.

    >>> uai_departement("0251349F"), uai_departement("6200002H"), uai_departement("9741050M")
    ('25', '2A', '974')
    """
    head = uai[:3]
    return _CORSICA.get(head) or insee_departement(head)


def locate_school(source: Source, row: Row, column: str, uai: str) -> tuple[str | None, str | None]:
    """Return the département and académie codes of ``uai``, from the ``academie_of_departement`` index ``source`` reads.

    A département that is not in the index is reported as a warning on ``row``/``column`` and gives
    ``(None, None)``.
    """
    departement = uai_departement(uai)
    academie = source.read("academie_of_departement").get(departement)
    if academie is None:
        message = f"département {departement!r} of the UAI is not a known département; school left without territory"
        source.ctx.issue(row, column, message, "warning")
        return None, None
    return departement, academie


def territory_triples(node: URIRef, departement: str | None, academie: str | None, region: str | None) -> Iterator[Triple]:
    """Yield the ``cmq:inDepartement``/``inAcademie``/``inRegion`` triples of ``node`` (codes may be None)."""
    if departement:
        yield node, CMQ.inDepartement, iris.departement(departement)
    if academie:
        yield node, CMQ.inAcademie, iris.academie(academie)
    if region:
        yield node, CMQ.inRegion, iris.region(region)


class InserJeunes(Source):
    name = "inserjeunes"
    title = "InserJeunes 2022-2023 : indicateurs d'insertion par établissement (lycées professionnels et CFA)"
    files = (
        SourceFile(
            "inserjeunes_lycees_pro_uai_2022_2023.csv", (UAI_COLUMN, NAME_COLUMN, "Région", "Dont apprentis en EPLE", *INDICATORS)
        ),
        SourceFile("inserjeunes_cfa_uai_2022_2023.csv", (UAI_COLUMN, NAME_COLUMN, "Région", *INDICATORS)),
    )
    upstream = (
        "mission-apprentissage/trajectoires-pro: server/data/depp-2022-etablissements-2022_2023-pro.csv and "
        "server/data/depp-2022-etablissements-2022_2023-apprentissage.csv @ 2e96fe904bc8016e8afd671a59bee3cb0c7e067e"
    )
    temporal = "2022-2023"
    completeness = (
        "Only lycées with vocational pathways (2956 UAI) and CFA / organismes de formation (2527 UAI) that InserJeunes "
        "measured; no commune or address. Indicators marked 'nd' (not available, small numbers) are left out. "
        "The département is read from the UAI; the kind of establishment from the start of the name."
    )
    reads = ("academie_of_departement", "regions_by_name", "region_of_academie")
    publishes = ("inserjeunes_schools",)

    def triples(self) -> Iterator[Triple]:
        schools: dict[str, School] = {}
        measures: set[str] = set()
        for index, voie in ((0, "pro"), (1, "apprentissage")):
            for row in self.rows(index):
                yield from self._row(row, voie, schools, measures)
        self.publish("inserjeunes_schools", schools)

    def _row(self, row: Row, voie: str, schools: dict[str, School], measures: set[str]) -> Iterator[Triple]:
        uai = row[UAI_COLUMN]
        if not uai_is_valid(uai):
            self.ctx.issue(row, UAI_COLUMN, "malformed UAI or wrong check letter; row skipped")
            return
        if voie == "pro":
            population = POPULATIONS.get(row["Dont apprentis en EPLE"])
            if population is None:
                self.ctx.issue(row, "Dont apprentis en EPLE", "unknown population; row skipped")
                return
        else:
            population = "ensemble"
        key = f"{uai}/{voie}/{population}"
        if key in measures:
            self.ctx.issue(row, UAI_COLUMN, f"measure {key} given twice; first row kept", "warning")
            return
        measures.add(key)
        node = iris.school(uai)
        if uai not in schools:
            yield from self._school(row, uai, node, voie, schools)
        measure = iris.insertion_measure(key)
        yield measure, RDF.type, CMQ.InsertionMeasure
        yield measure, RDFS.label, Literal(f"InserJeunes {SCHOOL_YEAR} {uai} voie {voie} {population}", lang="fr")
        yield measure, CMQ.measuredSchool, node
        yield measure, CMQ.pathway, Literal(voie)
        yield measure, CMQ.population, Literal(population)
        yield measure, CMQ.schoolYear, Literal(SCHOOL_YEAR)
        for column, prop in INDICATORS.items():
            if row[column] == "nd":
                continue
            low = -100 if prop == CMQ.valueAdded else 0
            number = self.ctx.number(row, column, minimum=low, maximum=100, action="indicator left out")
            if number is not None:
                yield measure, prop, number

    def _school(self, row: Row, uai: str, node: URIRef, voie: str, schools: dict[str, School]) -> Iterator[Triple]:
        name = " ".join(row[NAME_COLUMN].split())
        departement, academie = locate_school(self, row, UAI_COLUMN, uai)
        region = self.read("regions_by_name").get(slug(row["Région"]))
        if region is None:
            self.ctx.issue(row, "Région", "unknown région name; school left without région", "warning")
        elif academie and self.read("region_of_academie").get(academie, region) != region:
            message = f"région differs from the région of académie {academie} (UAI département); file's région kept"
            self.ctx.issue(row, "Région", message, "warning")
        schools[uai] = School(uai, name or None, departement, academie, region)
        yield node, RDF.type, CMQ.School
        yield node, CMQ.uai, Literal(uai)
        yield node, SKOS.notation, Literal(uai)
        if name:
            yield node, RDFS.label, text(name)
            yield node, CMQ.schoolKind, text(school_kind(name, voie))
        else:
            self.ctx.issue(row, NAME_COLUMN, "empty establishment name", "warning")
        yield from territory_triples(node, departement, academie, region)
