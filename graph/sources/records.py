"""What sources hand to the sources below them: every index, its type and its publisher, in one table.

A source publishes an index (:meth:`~cmqgraph.sources.Source.publish`) that the sources below it in
:data:`cmqgraph.sources.REGISTRY` read (:meth:`~cmqgraph.sources.Source.read`). Each source declares
the indexes it ``publishes``, ``reads`` and ``optional_reads``; :data:`INDEXES` says what each index
holds and which source publishes it, and :func:`cmqgraph.sources.check_order` checks the registry
against both before a build reads any file.

The records are frozen dataclasses and the containers read-only (a published mapping is wrapped in a
:class:`types.MappingProxyType`): a reader cannot change what another source reads after it.

The table, as :data:`INDEXES` holds it:

>>> for index in INDEXES.values():
...     print(f"{index.name:24} {index.type_name:25} {index.publisher}")
regions_by_name          Mapping[str, str]         territoires
region_labels            Mapping[str, str]         territoires
academies_by_name        Mapping[str, str]         territoires
academie_labels          Mapping[str, str]         territoires
region_of_academie       Mapping[str, str]         territoires
academie_of_departement  Mapping[str, str]         territoires
sectors                  frozenset[str]            filieres
rome_codes               frozenset[str]            rome
cfds                     frozenset[str]            bcn_formations
nsf_of_cfd               Mapping[str, str]         bcn_formations
cfd_of_mefstat11         Mapping[str, str]         bcn_mef
cpc_of_cfd               Mapping[str, str]         diplomes_pro
trades_of_cfd            Mapping[str, frozenset]   certifinfo
inserjeunes_schools      Mapping[str, School]      inserjeunes
schools                  Mapping[str, School]      acce
offers                   tuple[Offer, ...]         affelnet
campuses                 tuple[Campus, ...]        cmq
clusters                 tuple[Cluster, ...]       poles
ti_projects              tuple[Project, ...]       territoires_innovation
pia3_projects            tuple[Project, ...]       pia3
support_of_campus        Mapping[URIRef, Support]  links
organisation_aliases     Mapping[str, URIRef]      links
sectors_of_theme         Mapping[URIRef, tuple]    links
lycee_schools            Mapping[str, bool]        lycees_ival
departements_of_campus   Mapping[URIRef, tuple]    lycees_ival
bassin_of_school         Mapping[str, str]         annuaire_education
bassins_of_campus        Mapping[URIRef, tuple]    annuaire_education
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from rdflib import URIRef

__all__ = ["School", "Offer", "Campus", "Cluster", "Project", "Support", "Index", "INDEXES"]


@dataclass(frozen=True, slots=True)
class School:
    """A school (UAI) with the name a list gives it and its territory codes (None when unknown)."""

    uai: str
    name: str | None
    departement: str | None
    academie: str | None
    region: str | None


@dataclass(frozen=True, slots=True)
class Offer:
    """A training offer of Affelnet: the school (UAI), the MEF STAT 11 of the offer and the CFD that MEF prepares."""

    uai: str
    mefstat11: str
    cfd: str


@dataclass(frozen=True, slots=True)
class Campus:
    """A campus of the curated list: its IRI, name, académie and région codes, its support establishment as written,
    the slug of its filière (None when the list gives none of the 12), its ``ville`` as written and its row's line."""

    iri: URIRef
    name: str
    academies: tuple[str, ...]
    regions: tuple[str, ...]
    support: str
    sector: str | None = None
    town: str = ""
    line: int = 0

    @property
    def towns(self) -> list[str]:
        """The towns its ``ville`` names: brackets left out, split on ``/``, ``,`` and « et ».

        >>> Campus(URIRef("urn:x:c"), "C", (), (), "", town="Sévenans / Montbéliard").towns
        ['Sévenans', 'Montbéliard']
        >>> Campus(URIRef("urn:x:c"), "C", (), (), "", town="Clermont-Ferrand (plateau d'Aulnat)").towns
        ['Clermont-Ferrand']
        >>> Campus(URIRef("urn:x:c"), "C", (), (), "", town="(toute la région)").towns
        []
        """
        value = re.sub(r"\([^)]*\)", " ", self.town)
        return [part.strip() for part in re.split(r"\s*[,/]\s*|\s+et\s+", value) if part.strip()]


@dataclass(frozen=True, slots=True)
class Cluster:
    """A pôle de compétitivité: its IRI, name, theme as written and région codes (its main région first)."""

    iri: URIRef
    name: str
    theme: str
    regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Project:
    """A regional project: its IRI, the name it is known by, its programme code (``ti``, ``tip-cmq``…), its académie
    codes, its theme as written, and the région and département codes of its territory (a TI project's)."""

    iri: URIRef
    name: str
    programme: str
    academies: tuple[str, ...]
    theme: str = ""
    regions: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Support:
    """The support establishment of a campus (a School or an organisation) and the ``org:Membership`` that says so."""

    member: URIRef
    membership: URIRef


@dataclass(frozen=True)
class Index:
    """One index: its name, its publisher, and what it holds.

    Attributes
    ----------
    name : str
        The index name sources declare.
    publisher : str
        The registry name of the one source that publishes it.
    container : type
        ``Mapping``, ``frozenset`` or ``tuple``.
    item : type
        The type of the values (of a mapping) or of the members.
    key : type or None
        The type of the keys of a mapping.
    description : str
        What it holds.
    """

    name: str
    publisher: str
    container: type
    item: type
    key: type | None
    description: str

    @property
    def type_name(self) -> str:
        """The type as an annotation, e.g. ``Mapping[str, School]``."""
        if self.container is Mapping:
            return f"Mapping[{self.key.__name__}, {self.item.__name__}]"
        if self.container is tuple:
            return f"tuple[{self.item.__name__}, ...]"
        return f"{self.container.__name__}[{self.item.__name__}]"

    def freeze(self, value: Any) -> Any:
        """Return ``value`` read-only, or raise :class:`TypeError` if it is not of this index's type."""
        if not isinstance(value, self.container):
            raise TypeError(f"index {self.name!r} must be a {self.type_name}, not a {type(value).__name__}")
        if self.container is Mapping:
            wrong = next((f"{k!r}: {v!r}" for k, v in value.items() if not isinstance(k, self.key) or not isinstance(v, self.item)), None)
            value = MappingProxyType(dict(value))
        else:
            wrong = next((repr(v) for v in value if not isinstance(v, self.item)), None)
        if wrong is not None:
            raise TypeError(f"index {self.name!r} must be a {self.type_name}; it holds {wrong}")
        return value


def _table(*rows: tuple[str, str, type, type, type | None, str]) -> dict[str, Index]:
    return {row[0]: Index(*row) for row in rows}


#: Every index, in the order of the sources that publish them: name, publisher, container, item, key, what it holds.
INDEXES: dict[str, Index] = _table(
    ("regions_by_name", "territoires", Mapping, str, str, "slug of a région name → région code"),
    ("region_labels", "territoires", Mapping, str, str, "région code → label"),
    ("academies_by_name", "territoires", Mapping, str, str, "slug of an académie name (and « ex-Caen », « ex-Rouen ») → académie code"),
    ("academie_labels", "territoires", Mapping, str, str, "académie code → label"),
    ("region_of_academie", "territoires", Mapping, str, str, "académie code → région code"),
    ("academie_of_departement", "territoires", Mapping, str, str, "INSEE département code → académie code"),
    ("sectors", "filieres", frozenset, str, None, "slugs of the 12 filières"),
    ("rome_codes", "rome", frozenset, str, None, "ROME 4.0 fiche codes"),
    ("cfds", "bcn_formations", frozenset, str, None, "CFD codes of the BCN diploma table"),
    ("nsf_of_cfd", "bcn_formations", Mapping, str, str, "CFD → NSF group of the training (the three digits of GROUPE_SPECIALITE)"),
    ("cfd_of_mefstat11", "bcn_mef", Mapping, str, str, "MEF STAT 11 → CFD (the first when two CFDs share it)"),
    ("cpc_of_cfd", "diplomes_pro", Mapping, str, str, "CFD → CPC of the diplôme professionnel, as the list writes it (first row of a CFD listed twice)"),
    ("trades_of_cfd", "certifinfo", Mapping, frozenset, str, "CFD → ROME codes of the certifications that certify it"),
    ("inserjeunes_schools", "inserjeunes", Mapping, School, str, "UAI → School, as InserJeunes names it"),
    ("schools", "acce", Mapping, School, str, "UAI → School: InserJeunes' schools, then the ACCE CFA InserJeunes lacks"),
    ("offers", "affelnet", tuple, Offer, None, "the Affelnet offers, one per (UAI, MEF STAT 11) pair, in the file's order"),
    ("campuses", "cmq", tuple, Campus, None, "the campuses of the curated list, in its order"),
    ("clusters", "poles", tuple, Cluster, None, "the pôles de compétitivité, in the list's order"),
    ("ti_projects", "territoires_innovation", tuple, Project, None, "the Territoires d'innovation laureates"),
    ("pia3_projects", "pia3", tuple, Project, None, "the TIP-CMQ and campus connectés laureates"),
    ("support_of_campus", "links", Mapping, Support, URIRef, "campus IRI → its support establishment"),
    ("organisation_aliases", "links", Mapping, URIRef, str, "slug of an acronym (« UTBM ») → the organisation minted for it"),
    ("sectors_of_theme", "links", Mapping, tuple, URIRef, "pôle or TI project IRI → slugs of the filières its theme's keywords give (cmq:SectorMatch)"),
    ("lycee_schools", "lycees_ival", Mapping, bool, str, "UAI of a lycée the lycées file describes → whether it gave the school a point"),
    ("departements_of_campus", "lycees_ival", Mapping, tuple, URIRef, "campus IRI → codes of the départements of its towns (lycées' towns)"),
    ("bassin_of_school", "annuaire_education", Mapping, str, str, "UAI → code of its bassin de formation (Annuaire)"),
    ("bassins_of_campus", "annuaire_education", Mapping, tuple, URIRef, "campus IRI → codes of the bassins of its communes (Annuaire)"),
)
