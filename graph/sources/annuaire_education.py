"""The Annuaire de l'éducation (export ``fr-en-annuaire-education``): communes, bassins de formation and schools' places.

The source reads the **official export** of data.education.gouv.fr as it is downloaded (``;``, UTF-8, one row
per establishment, the columns of :data:`COLUMNS` among its 70-odd): a user drops the national file (about
70,000 rows) into a data folder and builds with ``--data DIR --with-defaults``. The shipped copy is the
extract of the 3,531 establishments of Bourgogne-Franche-Comté. ``SIREN_SIRET`` is never read (the shipped
extract went through a spreadsheet that rounded it).

**Territories, from every row.** Each INSEE commune code (``Code_commune``) becomes a ``cmq:Commune``
``id/commune/{code}`` in its département, labelled with the ``Nom_commune`` its rows give most often (a
multi-site establishment may name the town of a site beside its main commune's code). Each
``code_bassin_formation`` becomes a ``cmq:BassinFormation`` ``id/bassin-formation/{code}`` with its label,
inside the académie of the row (``Code_academie``). A commune whose rows all give the same bassin (rows
without a bassin aside) is in that bassin (``cmq:inBassinFormation``); with two bassins it is in none.

**Which establishments become schools.** The second degree and what trains after it: ``Type_etablissement``
``Lycée``, ``Collège`` (with their SEGPA sections), ``EREA`` and ``Autre`` (maisons familiales rurales), every
nature ``3xx`` and ``4xx`` (second degree; schools of STS and CPGE only), and any row that says it offers a
pathway, apprenticeship, post-bac training or a GRETA. The **écoles** (first degree: 2,605 of the BFC rows),
the médico-social institutions, the administrative services and the CIO are left out (row issues of
severity ``skipped``): they teach no diploma that a CMQ's trades are reached by. Their rows still place their
communes and bassins.

**What a school gets.** The ``cmq:School`` of its UAI (one IRI with the other sources): its commune
(``cmq:inCommune``) and bassin, ``cmq:establishmentType`` and ``cmq:establishmentNature`` (a SKOS concept
``id/nature-uai/{code_nature}``), and the flags of :data:`FLAGS` as booleans (an empty cell says nothing).
A UAI listed on several rows (sites) is described by its first row; the flags are true when any row says
``1``. The address, postcode, sector and point (``latitude``/``longitude``, :func:`~cmqgraph.sources.lycees_ival.point_of`)
are given only where the lycées file (source ``lycees_ival``) gave none, so that a school has one point; a UAI
that neither the schools index nor the lycées file knows is described here (UAI, name, kind, territory read
from the UAI), and a known one gets the Annuaire's name as a ``skos:altLabel``.

**Campuses.** A campus of the list whose ``ville`` is known gets the commune of each town it names (towns
split on ``/``, ``,`` and « et », brackets left out), matched by name — accents, case and punctuation aside
(:func:`~cmqgraph.iris.slug`) — among the communes of the Annuaire in the campus's académies (or, without
one, its régions'). A town with no such commune, or with two, is a warning on the campus list's row, never a
guess; a campus whose académies the Annuaire does not cover (the shipped extract covers two) is left as it
is. Its bassin follows from its commune: ``?campus cmq:inCommune/cmq:inBassinFormation ?bassin``.

**Published** for the sector scope: ``bassin_of_school`` (UAI → bassin code, of the schools kept) and
``bassins_of_campus`` (campus IRI → the bassins of its communes that lie in one bassin).

"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SDO, SKOS, XSD

from .. import iris
from ..iris import CMQ, slug
from .base import Row, Source, SourceFile, Triple, concept, concept_scheme, text, uai_is_valid
from .cmq import campus_row
from .lycees_ival import new_school, point_of, point_triples, public_private
from .records import Campus

__all__ = ["AnnuaireEducation", "FILE", "COLUMNS", "FLAGS", "KEPT_TYPES", "in_scope"]

FILE = "fr-en-annuaire-education.csv"
UAI = "Identifiant_de_l_etablissement"

#: Column → boolean property of the school (``1`` true, ``0`` false, empty unknown).
FLAGS: dict[str, URIRef] = {
    "Voie_generale": CMQ.generalPathway,
    "Voie_technologique": CMQ.technologicalPathway,
    "Voie_professionnelle": CMQ.vocationalPathway,
    "Apprentissage": CMQ.apprenticeshipOffered,
    "Post_BAC": CMQ.postBacOffered,
    "GRETA": CMQ.gretaMember,
    "Lycee_des_metiers": CMQ.lyceeDesMetiers,
    "Lycee_Agricole": CMQ.agriculturalLycee,
}

#: The columns read (the official export has them all).
COLUMNS = (
    UAI, "Nom_etablissement", "Type_etablissement", "Statut_public_prive", "Adresse_1", "Adresse_2", "Adresse_3", "Code_postal",
    "Code_commune", "Nom_commune", "Code_academie", *FLAGS, "latitude", "longitude", "code_nature", "libelle_nature",
    "code_bassin_formation", "libelle_bassin_formation",
)

#: ``Type_etablissement`` values whose rows become schools (see the module's docstring).
KEPT_TYPES = frozenset({"Lycée", "Collège", "EREA", "Autre"})

#: Flags that make a row of another type a school all the same.
_TRAINING_FLAGS = ("Voie_generale", "Voie_technologique", "Voie_professionnelle", "Apprentissage", "Post_BAC", "GRETA")

_COMMUNE = re.compile(r"^([0-9]{5}|2[AB][0-9]{3})$")
_BASSIN = re.compile(r"^[0-9A-Z]{1,10}$")
_NATURE = re.compile(r"^[0-9]{3}$")
_POSTCODE = re.compile(r"^[0-9]{5}$")


def in_scope(row: Row) -> bool:
    """Tell whether ``row`` is an establishment this source makes a school of (see the module's docstring)."""
    return (
        row["Type_etablissement"] in KEPT_TYPES
        or row["code_nature"][:1] in ("3", "4")
        or any(row[column] == "1" for column in _TRAINING_FLAGS)
    )


def _bassin(row: Row) -> bool:
    """Tell whether ``row`` gives a well-formed bassin de formation code."""
    return bool(_BASSIN.match(row["code_bassin_formation"]))


def _departement(commune: str) -> str:
    return commune[:3] if commune.startswith("97") else commune[:2]


@dataclass
class _Commune:
    """What the rows say of one commune: the names they give it and the bassins they put it in."""

    names: Counter = field(default_factory=Counter)
    bassins: set[str] = field(default_factory=set)


class AnnuaireEducation(Source):
    name = "annuaire_education"
    title = "Annuaire de l'éducation : communes, bassins de formation et établissements du second degré (export officiel)"
    files = (SourceFile(FILE, COLUMNS),)
    upstream = (
        "data.education.gouv.fr export fr-en-annuaire-education; shipped: its Bourgogne-Franche-Comté extract, "
        "sandrinefuster/enquete-atss-2026: data/fr-en-annuaire-education.csv @ 59ce94b5013db36d4b58ba96bf702defd87b10a0"
    )
    licence_note = "Licence Ouverte 2.0 (data.education.gouv.fr); the repository the extract was copied from states none."
    temporal = "2026-05-27 (date_maj_ligne of the shipped extract)"
    completeness = (
        "The shipped copy covers Bourgogne-Franche-Comté only (3,531 rows, académies de Besançon and Dijon); drop the national export "
        "in to cover France. Écoles, médico-social institutions, administrative services and CIO are left out as schools. "
        "Nombre_d_eleves is absent from the extract; SIREN_SIRET is not read (rounded upstream). Two postcodes lost their leading zero."
    )
    reads = ("academie_of_departement", "region_of_academie", "schools", "campuses", "lycee_schools")
    publishes = ("bassin_of_school", "bassins_of_campus")

    def triples(self) -> Iterator[Triple]:
        communes: dict[str, _Commune] = {}
        bassins: dict[str, tuple[str, str | None]] = {}
        schools: dict[str, list[Row]] = {}
        for row in self.rows():
            uai = row[UAI]
            if not uai_is_valid(uai):
                self.ctx.issue(row, UAI, "UAI mal formé ou lettre de clé fausse : ligne écartée / malformed UAI or wrong check letter; row left out")
                continue
            kept = in_scope(row)
            self._note_place(row, kept, communes, bassins)
            if kept:
                schools.setdefault(uai, []).append(row)
            else:
                self.ctx.issue(row, "Type_etablissement", "établissement hors du second degré (école, médico-social, service, CIO) : "
                               "ligne écartée / not a second-degree establishment; row left out", "skipped")
        yield from self._bassins(bassins)
        yield from self._communes(communes)
        described = self.read("lycee_schools")
        natures: set[str] = set()
        for uai, rows in schools.items():
            yield from self._school(uai, rows, described, natures)
        self.publish("bassin_of_school", {uai: rows[0]["code_bassin_formation"] for uai, rows in schools.items() if _bassin(rows[0])})
        yield from self._campuses(communes)

    def _note_place(self, row: Row, kept: bool, communes: dict[str, _Commune], bassins: dict[str, tuple[str, str | None]]) -> None:
        """Record the commune and the bassin ``row`` names (its problems are reported only for a row kept as a school)."""
        bassin = row["code_bassin_formation"]
        if bassin and not _BASSIN.match(bassin):
            if kept:
                self.ctx.issue(row, "code_bassin_formation", "code de bassin mal formé : bassin écarté / malformed bassin code; bassin left out", "warning")
            bassin = ""
        if bassin and bassin not in bassins:
            academie = row["Code_academie"].zfill(2)
            bassins[bassin] = (row["libelle_bassin_formation"], academie if academie in self.read("region_of_academie") else None)
        code = row["Code_commune"]
        if not _COMMUNE.match(code) or code.startswith("99"):
            if kept:
                self.ctx.issue(row, "Code_commune", "pas un code INSEE de commune : commune écartée / not an INSEE commune code; commune left out", "warning")
            return
        commune = communes.setdefault(code, _Commune())
        if row["Nom_commune"]:
            commune.names[row["Nom_commune"]] += 1
        if bassin:
            commune.bassins.add(bassin)

    def _bassins(self, bassins: dict[str, tuple[str, str | None]]) -> Iterator[Triple]:
        for code, (label, academie) in bassins.items():
            node = iris.bassin_formation(code)
            yield node, RDF.type, CMQ.BassinFormation
            yield node, SKOS.notation, Literal(code)
            name = text(label)
            if name is not None:
                yield node, RDFS.label, name
            if academie:
                yield node, CMQ.inAcademie, iris.academie(academie)

    def _communes(self, communes: dict[str, _Commune]) -> Iterator[Triple]:
        departements = self.read("academie_of_departement")
        for code, commune in communes.items():
            node = iris.commune(code)
            yield node, RDF.type, CMQ.Commune
            yield node, SKOS.notation, Literal(code)
            if commune.names:
                yield node, RDFS.label, Literal(commune.names.most_common(1)[0][0], lang="fr")
            if _departement(code) in departements:
                yield node, CMQ.inDepartement, iris.departement(_departement(code))
            if len(commune.bassins) == 1:
                yield node, CMQ.inBassinFormation, iris.bassin_formation(next(iter(commune.bassins)))

    def _school(self, uai: str, rows: list[Row], described: dict[str, bool], natures: set[str]) -> Iterator[Triple]:
        """Yield the school of ``uai`` from its rows (the first describes it; the flags come from all)."""
        row, node = rows[0], iris.school(uai)
        for again in rows[1:]:
            self.ctx.issue(again, UAI, f"UAI déjà lu à la ligne {row.line} (autre site) : seuls ses indicateurs 0/1 sont ajoutés / "
                           "UAI already read (another site): only its 0/1 flags are added", "warning")
        if uai in self.read("schools") or uai in described:
            name = text(row["Nom_etablissement"])
            if name is not None:
                yield node, SKOS.altLabel, name
        else:
            kind = row["Type_etablissement"] if row["Type_etablissement"] not in ("", "Autre") else row["libelle_nature"]
            yield from new_school(self, row, UAI, row["Nom_etablissement"], kind)
        if _COMMUNE.match(row["Code_commune"]) and not row["Code_commune"].startswith("99"):
            yield node, CMQ.inCommune, iris.commune(row["Code_commune"])
        if _bassin(row):
            yield node, CMQ.inBassinFormation, iris.bassin_formation(row["code_bassin_formation"])
        kind = text(row["Type_etablissement"])
        if kind is not None:
            yield node, CMQ.establishmentType, kind
        yield from self._nature(node, row, natures)
        yield from self._flags(node, rows)
        if uai not in described:
            yield from self._address(node, row)
        if not described.get(uai):
            wkt, problem = point_of(row, "latitude", "longitude")
            if problem is not None:
                self.ctx.issue(row, *problem, "warning")
            if wkt is not None:
                yield from point_triples(uai, wkt)

    def _nature(self, node: URIRef, row: Row, natures: set[str]) -> Iterator[Triple]:
        code = row["code_nature"]
        if not code:
            return
        if not _NATURE.match(code):
            self.ctx.issue(row, "code_nature", "code de nature qui n'a pas 3 chiffres : nature écartée / nature code is not 3 digits; nature left out", "warning")
            return
        nature = iris.establishment_nature(code)
        yield node, CMQ.establishmentNature, nature
        if code in natures:
            return
        scheme = iris.establishment_nature_scheme()
        if not natures:
            yield from concept_scheme(scheme, "Natures d'établissement (répertoire des UAI)", "Natures of establishment (UAI directory)")
        natures.add(code)
        yield from concept(nature, CMQ.EstablishmentNature, scheme, text(row["libelle_nature"]), code)

    def _flags(self, node: URIRef, rows: list[Row]) -> Iterator[Triple]:
        """Yield each flag of :data:`FLAGS` the rows give: true when one row says ``1``, false when they say only ``0``."""
        for column, prop in FLAGS.items():
            values = set()
            for row in rows:
                if row[column] in ("0", "1"):
                    values.add(row[column])
                elif row[column]:
                    self.ctx.issue(row, column, "ni 0 ni 1 : indicateur écarté / neither 0 nor 1; flag left out", "warning")
            if values:
                yield node, prop, Literal("1" in values, datatype=XSD.boolean)

    def _address(self, node: URIRef, row: Row) -> Iterator[Triple]:
        """Yield the address, postcode and sector of a school the lycées file does not describe."""
        address = ", ".join(" ".join(row[c].split()) for c in ("Adresse_1", "Adresse_2", "Adresse_3") if row[c])
        if address:
            yield node, SDO.address, Literal(address)
        postcode = row["Code_postal"]
        if _POSTCODE.match(postcode):
            yield node, SDO.postalCode, Literal(postcode)
        elif postcode:
            self.ctx.issue(row, "Code_postal", "code postal qui n'a pas 5 chiffres : laissé dans l'adresse / postcode is not 5 digits; kept in the address only", "warning")
        sector = public_private(row["Statut_public_prive"])
        if sector:
            yield node, CMQ.publicPrivate, Literal(sector, lang="fr")
        elif row["Statut_public_prive"]:
            self.ctx.issue(row, "Statut_public_prive", "ni public ni privé : secteur écarté / neither public nor private; sector left out", "warning")

    def _campuses(self, communes: dict[str, _Commune]) -> Iterator[Triple]:
        """Yield the commune of each town of each campus of the list, matched by name within its académies."""
        departements = self.read("academie_of_departement")
        by_academie: dict[str, dict[str, set[str]]] = {}
        for code, commune in communes.items():
            academie = departements.get(_departement(code))
            if academie and commune.names:
                by_academie.setdefault(academie, {}).setdefault(slug(commune.names.most_common(1)[0][0]), set()).add(code)
        bassins_of: dict[URIRef, tuple[str, ...]] = {}
        for campus in self.read("campuses"):
            for code in self._campus_communes(campus, by_academie):
                yield campus.iri, CMQ.inCommune, iris.commune(code)
                if len(communes[code].bassins) == 1:
                    bassins_of[campus.iri] = tuple(dict.fromkeys((*bassins_of.get(campus.iri, ()), *communes[code].bassins)))
        self.publish("bassins_of_campus", bassins_of)

    def _campus_communes(self, campus: Campus, by_academie: dict[str, dict[str, set[str]]]) -> Iterator[str]:
        """Yield the INSEE code of each town of ``campus`` that one commune of its académies bears (a warning otherwise)."""
        regions = set(campus.regions)
        academies = campus.academies or tuple(a for a, r in self.read("region_of_academie").items() if r in regions)
        covered = [a for a in academies if a in by_academie]
        if not covered:
            return
        row, where = campus_row(campus), ", ".join(covered)
        for town in campus.towns:
            codes = sorted({code for a in covered for code in by_academie[a].get(slug(town), ())})
            if len(codes) == 1:
                yield codes[0]
            elif not codes:
                self.ctx.issue(row, "ville", f"aucune commune de l'Annuaire ne porte ce nom dans l'académie {where} : pas de commune / "
                               "no commune of the Annuaire has this name in the campus's académie; no commune given", "warning", town)
            else:
                self.ctx.issue(row, "ville", f"plusieurs communes de l'Annuaire portent ce nom ({', '.join(codes)}) : pas de commune / "
                               "several communes of the Annuaire have this name; no commune given", "warning", town)
