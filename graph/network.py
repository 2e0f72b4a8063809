"""Project the RDF graph into networkx graphs, and measure where campuses, pôles and projects overlap.

:func:`project` runs a handful of SPARQL SELECTs on the built store and returns a :class:`networkx.Graph`
whose nodes are the **actors** (campus, cluster = pôle de compétitivité, project = PIA3 regional project)
and what ties them (school, training, trade, territory, sector; on demand, the schools of a campus's
sector scope, kind ``scope_school``). Every node carries ``kind``, ``label`` (French), ``iri``, ``code``
and ``source`` (the named graph it comes from); every edge carries ``relation`` and ``weight``:

=================  ==========================================================  ========================
relation           between                                                      weight
=================  ==========================================================  ========================
``membership``     school–campus (``role``: ``support``, ``membre``,            1
                   ``partenaire``, joined by ``+``), campus–project (role
                   ``campus-associe``)
``in_scope``       scope school–campus, only with ``project(scope=True)``:      1
                   derived (graph ``sector_scope``), never a membership
``offers``         school–training                                              1
``leads_to``       training–trade                                               1
``in_territory``   actor or school–territory (région, académie, département)    1
``within``         département–académie, académie–région, département–région   1
``in_sector``      campus or cluster–sector (CMQ filière)                       1
``overlap``        actor–actor; ``kinds`` lists ``shared_trades``,              shared items (trades +
                   ``shared_schools``, ``same_territory``, ``same_sector``      schools + territories +
                                                                                sectors)
=================  ==========================================================  ========================

**Sets of an actor** (the basis of every overlap metric, :func:`actor_sets`):

* trades *T(a)*: for a campus, the ROME trades reached by the trainings its member schools offer
  (``org:member`` of a membership of the campus, any role, or its ``cmq:supportEstablishment``, a
  ``cmq:School``, ``cmq:offers`` a training that ``cmq:leadsToTrade``). The graph links no trade to a pôle
  or a project, and many campuses have no member school with an offer: *T(a)* is then **unknown**
  (``None``), not empty;
* territories *R(a)*: the territories the actor is tied to (campus: académie and région; pôle: its
  régions; project: its ``cmq:territory``), **closed upward** (a département adds its académie and région,
  an académie its région), so that sets given at different levels can be compared;
* sectors *S(a)*: the CMQ filières (campus, pôle); unknown for projects;
* members *M(a)* (node attribute ``members``): every ``org:member`` of a membership of the actor, **any
  role**, schools (``cmq:School``, by UAI) and other organisations (universities, the Région, the
  académie, companies: ``org:Organization``) alike, with a campus's ``cmq:supportEstablishment``; for a
  project, its campuses (``campus-associe``) and organisations (``porteur``, ``partenaire``). Unknown when
  the graph gives none, as for every pôle. A campus is no member of itself, so the members a campus and a
  project share are organisations of both; the campus's own place in the project is its ``membership`` edge;
* scope trades *P(a)* (node attribute ``scope_trade_iris``): the ``cmq:scopeTrade`` of the actor's
  ``cmq:SectorScope`` (graph ``sector_scope``), the trades of the trainings of its filières offered in its
  territory — **derived**, read apart from *T(a)* and never mixed with it. Unknown when it has no scope
  (projects; campuses with no filière or territory), empty when its scope reaches no trade.

:func:`pair_overlaps` gives, for each pair, the Jaccard of each set and the mean ``overlap`` of the first
three; the member and scope trade terms are columns of their own, outside the mean.

Examples
--------
>>> import networkx as nx
>>> from cmqgraph.network import jaccard, pair_overlaps
>>> G = nx.Graph()
>>> G.add_node("c1", kind="campus", label="C1", trades=["A", "B"], territories=["R"], sectors=["S"], members=["L"])
>>> G.add_node("p1", kind="cluster", label="P1", territories=["R", "R2"], sectors=["S"])
>>> frame = pair_overlaps(G)
>>> frame[["a", "b", "territory_jaccard", "sector_jaccard", "overlap"]].to_dict("records")
[{'a': 'c1', 'b': 'p1', 'territory_jaccard': 0.5, 'sector_jaccard': 1.0, 'overlap': 0.75}]
>>> frame.member_jaccard.isna().tolist()  # a pôle has no known member
[True]
"""

from __future__ import annotations

import difflib
import math
import os
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from itertools import combinations
from pathlib import Path

import networkx as nx
import pandas as pd
from networkx.algorithms import bipartite
from rdflib import URIRef

from .engine import select
from .errors import FilterError
from .iris import CMQ, role, source_name
from .output import atomic_file, source_date_epoch
from .resources import internal_query
from .saved_queries import insert_values
from .spreadsheet import frame_text
from .version import __version__

__all__ = [
    "ACTOR_KINDS",
    "KINDS",
    "SET_ATTRIBUTES",
    "PAIR_TERMS",
    "OVERLAP_TERMS",
    "FilterError",
    "project",
    "actor_sets",
    "jaccard",
    "pair_overlaps",
    "overlap_network",
    "communities",
    "centrality",
    "territory_scores",
    "aggregate",
    "graphml_safe",
    "write_gexf",
    "write_graphml",
    "write_csv",
    "metrics",
]

#: Node kinds, in legend order.
KINDS = ("campus", "school", "scope_school", "training", "trade", "cluster", "project", "territory", "sector")
#: The kinds whose pairs are measured.
ACTOR_KINDS = ("campus", "cluster", "project")

_LEVEL = {str(CMQ.Region): "region", str(CMQ.Academie): "academie", str(CMQ.Departement): "departement", str(CMQ.Commune): "commune"}


# --------------------------------------------------------------------------------------------- rows read


@dataclass(frozen=True)
class TerritoryRow:
    """A territory and one territory it lies in (``network_territories.rq``)."""

    iri: str
    type: str
    label: str | None
    code: str | None
    parent: str | None


@dataclass(frozen=True)
class SectorRow:
    """A CMQ filière (``network_sectors.rq``)."""

    iri: str
    label: str
    code: str | None


@dataclass(frozen=True)
class CampusRow:
    """A campus, with one of each of its optional values (``network_campuses.rq``)."""

    iri: str
    label: str
    sector: str | None
    academie: str | None
    region: str | None
    city: str | None
    graph: str | None


@dataclass(frozen=True)
class ClusterRow:
    """A pôle de compétitivité, with one of each of its optional values (``network_clusters.rq``)."""

    iri: str
    label: str
    sector: str | None
    region: str | None
    theme: str | None
    city: str | None
    graph: str | None


@dataclass(frozen=True)
class ProjectRow:
    """A regional project, with one of each of its optional values (``network_projects.rq``)."""

    iri: str
    label: str
    programme: str | None
    territory: str | None
    theme: str | None
    graph: str | None


@dataclass(frozen=True)
class MembershipRow:
    """A member of a campus or a project, with the IRI of its role (``network_memberships.rq``)."""

    organization: str
    member: str
    role: str


@dataclass(frozen=True)
class SchoolRow:
    """A school of a campus, with one of each of its optional values (``network_schools.rq``)."""

    iri: str
    label: str
    uai: str | None
    kind: str | None
    departement: str | None
    commune: str | None
    graph: str | None


@dataclass(frozen=True)
class OfferRow:
    """A training a campus's school offers, and one trade it leads to (``network_offers.rq``)."""

    school: str
    training: str
    training_label: str | None
    cfd: str | None
    trade: str | None
    trade_label: str | None
    rome: str | None


@dataclass(frozen=True)
class ScopeRow:
    """The counts of a campus's or pôle's sector scope (``network_scopes.rq``): derived, not members."""

    entity: str
    trainings: str
    schools: str
    trades: str


@dataclass(frozen=True)
class ScopeTradeRow:
    """A ROME trade of a campus's or pôle's sector scope (``network_scope_trades.rq``): derived, not from members."""

    entity: str
    trade: str


@dataclass(frozen=True)
class ScopeSchoolRow:
    """A school of a campus's sector scope, with one of its labels (``network_scope_schools.rq``): derived, not a member."""

    entity: str
    school: str
    label: str | None
    uai: str | None


@dataclass(frozen=True)
class Rows:
    """Every row :func:`project` reads from the store, query by query (``scope_schools`` only when asked)."""

    campuses: tuple[CampusRow, ...]
    clusters: tuple[ClusterRow, ...]
    projects: tuple[ProjectRow, ...]
    memberships: tuple[MembershipRow, ...]
    schools: tuple[SchoolRow, ...]
    offers: tuple[OfferRow, ...]
    territories: tuple[TerritoryRow, ...]
    sectors: tuple[SectorRow, ...]
    scopes: tuple[ScopeRow, ...]
    scope_trades: tuple[ScopeTradeRow, ...]
    scope_schools: tuple[ScopeSchoolRow, ...] = ()


#: For each field of :class:`Rows`: the internal query that gives it, its record, and the query's bound parameters.
_READS: dict[str, tuple[str, type, dict[str, URIRef]]] = {
    "campuses": ("network_campuses", CampusRow, {}),
    "clusters": ("network_clusters", ClusterRow, {}),
    "projects": ("network_projects", ProjectRow, {}),
    "memberships": ("network_memberships", MembershipRow, {"role": role("support")}),
    "schools": ("network_schools", SchoolRow, {}),
    "offers": ("network_offers", OfferRow, {}),
    "territories": ("network_territories", TerritoryRow, {}),
    "sectors": ("network_sectors", SectorRow, {}),
    "scopes": ("network_scopes", ScopeRow, {}),
    "scope_trades": ("network_scope_trades", ScopeTradeRow, {}),
    "scope_schools": ("network_scope_schools", ScopeSchoolRow, {}),
}
#: The fields of :class:`Rows` read only when the scope's schools are drawn (``project(scope=True)``).
_SCOPE_READS = frozenset({"scope_schools"})


def _s(value) -> str | None:
    """Return ``value`` as a string, or None for a missing cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _read(store, scope: bool = False) -> Rows:
    """Run the projection's queries (``queries/internal/network_*.rq``) on ``store``; return their rows as records.

    The scope's schools are read only when ``scope`` is true (3,472 rows on the default graph).
    """
    read = {}
    for name, (query, record, bindings) in _READS.items():
        if name in _SCOPE_READS and not scope:
            continue
        frame = select(insert_values(internal_query(query), bindings), store=store)
        read[name] = tuple(record(**{k: _s(v) for k, v in row.items()}) for row in frame.to_dict("records"))
    return Rows(**read)


# --------------------------------------------------------------------------------------------- nodes


@dataclass(frozen=True)
class Node:
    """A node: its ``kind``, French ``label``, ``iri``, official ``code`` and ``source`` (the graph it comes from)."""

    kind: str
    label: str
    iri: str
    code: str
    source: str

    def attributes(self) -> dict[str, object]:
        """Return the node's attributes in the projected graph."""
        return {"kind": self.kind, "label": self.label, "iri": self.iri, "code": self.code, "source": self.source}


@dataclass(frozen=True)
class Territory(Node):
    """A territory, of ``level`` région, académie, département or commune."""

    level: str = ""

    def attributes(self) -> dict[str, object]:
        """Return the node's attributes, ``level`` among them."""
        return {"kind": self.kind, "level": self.level, "label": self.label, "iri": self.iri, "code": self.code, "source": self.source}


@dataclass(frozen=True)
class School(Node):
    """A school of a campus; ``territories`` are its département and commune (not node attributes)."""

    school_kind: str = ""
    territories: frozenset[str] = frozenset()

    def attributes(self) -> dict[str, object]:
        """Return the node's attributes, ``school_kind`` among them."""
        return {**super().attributes(), "school_kind": self.school_kind}


@dataclass(frozen=True)
class Actor(Node):
    """A campus, cluster or project, with its sets (see the module's docstring).

    ``territories`` are those the graph ties it to, ``closed`` the same closed upward; ``sectors`` is
    None for a project and ``trades`` None when unknown; ``members`` (schools and organisations, any
    role) is None when the graph gives none, as for every pôle; ``scope_trades`` (the trades of its sector
    scope, derived) is None when it has no scope. ``theme`` (pôles and projects) and ``city`` (campuses
    and pôles) are None for the kinds that have none.
    """

    theme: str | None = None
    city: str | None = None
    territories: frozenset[str] = frozenset()
    closed: frozenset[str] = frozenset()
    sectors: frozenset[str] | None = None
    trades: frozenset[str] | None = None
    members: frozenset[str] | None = None
    #: The counts of its sector scope (trainings, schools, trades), derived; None when it has none.
    scope: tuple[int, int, int] | None = None
    scope_trades: frozenset[str] | None = None

    def attributes(self) -> dict[str, object]:
        """Return the node's attributes: theme and city when it has them, its sets as sorted lists (absent when unknown),
        and its sector scope's counts as ``scope_trainings``, ``scope_schools``, ``scope_trades`` and its trades as
        ``scope_trade_iris`` (derived, not members)."""
        attrs = {**super().attributes(), "theme": self.theme, "city": self.city, "territories": sorted(self.closed)}
        for name, values in (("sectors", self.sectors), ("trades", self.trades), ("members", self.members)):
            attrs[name] = sorted(values) if values is not None else None
        if self.scope is not None:
            attrs.update(zip(("scope_trainings", "scope_schools", "scope_trades"), self.scope, strict=True))
            attrs["scope_trade_iris"] = sorted(self.scope_trades or ())
        return {k: v for k, v in attrs.items() if v is not None}


@dataclass(frozen=True)
class Territories:
    """The territories by IRI, and the IRIs of the territories each lies in."""

    nodes: dict[str, Territory]
    parents: dict[str, frozenset[str]]

    def closure(self, iris: Iterable[str]) -> frozenset[str]:
        """Return ``iris`` and every territory they lie in, transitively (a département adds its académie and région)."""
        out: set[str] = set()
        todo = [i for i in iris if i]
        while todo:
            t = todo.pop()
            if t not in out:
                out.add(t)
                todo.extend(self.parents.get(t, ()))
        return frozenset(out)

    def names(self, level: str) -> dict[str, set[str]]:
        """Return the IRIs of the territories of ``level`` by name and by code (what a filter may give)."""
        out: dict[str, set[str]] = defaultdict(set)
        for iri, t in self.nodes.items():
            if t.level == level:
                out[t.label].add(iri)
                if t.code:
                    out[t.code].add(iri)
        return out


@dataclass(frozen=True)
class Projection:
    """What :func:`project` draws from: the nodes by IRI, and who is tied to whom.

    ``members`` maps an organisation to its ``(member, role name)`` pairs, ``schools_of`` a campus to its
    schools, ``offers`` a school to its trainings and ``leads`` a training to its trades. ``in_scope`` maps a
    campus to the schools of its sector scope, and ``scope_schools`` holds their nodes (kind ``scope_school``):
    both are empty unless the scope was read (``project(scope=True)``).
    """

    territories: Territories
    sectors: dict[str, Node]
    actors: dict[str, Actor]
    schools: dict[str, School]
    trainings: dict[str, Node]
    trades: dict[str, Node]
    members: dict[str, frozenset[tuple[str, str]]]
    schools_of: dict[str, frozenset[str]]
    offers: dict[str, frozenset[str]]
    leads: dict[str, frozenset[str]]
    in_scope: dict[str, frozenset[str]]
    scope_schools: dict[str, Node]


# --------------------------------------------------------------------------------------------- from rows to nodes


def _territories(rows: Iterable[TerritoryRow]) -> Territories:
    """Return the territories (the first row of each gives its node) and the territories each lies in."""
    nodes: dict[str, Territory] = {}
    parents: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r.iri not in nodes:
            level = _LEVEL[r.type]
            source = "territoires" if level != "commune" else "acce"
            nodes[r.iri] = Territory("territory", r.label or r.code or r.iri, r.iri, r.code or "", source, level=level)
        if r.parent:
            parents[r.iri].add(r.parent)
    return Territories(nodes, {iri: frozenset(p) for iri, p in parents.items()})


def _actors(rows: Rows, territories: Territories) -> dict[str, Actor]:
    """Return the campuses, pôles and projects: the first row of each gives its attributes, all its rows its sets."""
    first: dict[str, Actor] = {}
    tied: dict[str, set[str]] = defaultdict(set)
    sectors: dict[str, set[str]] = defaultdict(set)
    for r in rows.campuses:
        first.setdefault(r.iri, Actor("campus", r.label, r.iri, "", source_name(r.graph), city=r.city or ""))
        tied[r.iri] |= {t for t in (r.academie, r.region) if t}
        sectors[r.iri] |= {r.sector} if r.sector else set()
    for r in rows.clusters:
        first.setdefault(r.iri, Actor("cluster", r.label, r.iri, "", source_name(r.graph), theme=r.theme or "", city=r.city or ""))
        tied[r.iri] |= {r.region} if r.region else set()
        sectors[r.iri] |= {r.sector} if r.sector else set()
    for r in rows.projects:
        code = (r.programme or "").rsplit("/", 1)[-1]
        first.setdefault(r.iri, Actor("project", r.label, r.iri, code, source_name(r.graph), theme=r.theme or ""))
        tied[r.iri] |= {r.territory} if r.territory else set()
    scope = {r.entity: (int(r.trainings), int(r.schools), int(r.trades)) for r in rows.scopes}
    scope_trades: dict[str, set[str]] = defaultdict(set)
    for r in rows.scope_trades:
        scope_trades[r.entity].add(r.trade)
    return {
        iri: replace(a, territories=frozenset(tied[iri]), closed=territories.closure(tied[iri]),
                     sectors=None if a.kind == "project" else frozenset(sectors[iri]), scope=scope.get(iri),
                     scope_trades=frozenset(scope_trades[iri]) if iri in scope else None)
        for iri, a in first.items()
    }


def _schools(rows: Iterable[SchoolRow]) -> dict[str, School]:
    """Return the campuses' schools (the last row of each gives its node and its département and commune)."""
    return {
        r.iri: School("school", r.label, r.iri, r.uai or "", source_name(r.graph), school_kind=r.kind or "",
                      territories=frozenset(t for t in (r.departement, r.commune) if t))
        for r in rows
    }


def _memberships(rows: Iterable[MembershipRow], actors: dict[str, Actor], schools: dict[str, School]) -> tuple[dict, dict]:
    """Return each organisation's ``(member, role name)`` pairs (schools and other organisations), and each campus's schools."""
    members: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for r in rows:
        members[r.organization].add((r.member, r.role.rsplit("/", 1)[-1]))
    schools_of = {
        org: frozenset(m for m, _ in ms if m in schools)
        for org, ms in members.items() if org in actors and actors[org].kind == "campus"
    }
    return {org: frozenset(ms) for org, ms in members.items()}, schools_of


def _offers(rows: Iterable[OfferRow]) -> tuple[dict, dict, dict[str, Node], dict[str, Node]]:
    """Return the trainings each school offers, the trades each training leads to, and their nodes (first row of each)."""
    offers: dict[str, set[str]] = defaultdict(set)
    leads: dict[str, set[str]] = defaultdict(set)
    trainings: dict[str, Node] = {}
    trades: dict[str, Node] = {}
    for r in rows:
        offers[r.school].add(r.training)
        if r.training not in trainings:
            trainings[r.training] = Node("training", r.training_label or r.cfd or r.training, r.training, r.cfd or "", "bcn-formations")
        if r.trade:
            leads[r.training].add(r.trade)
            if r.trade not in trades:
                trades[r.trade] = Node("trade", r.trade_label or r.rome or r.trade, r.trade, r.rome or "", "rome")
    return {k: frozenset(v) for k, v in offers.items()}, {k: frozenset(v) for k, v in leads.items()}, trainings, trades


def _with_trades(actors: dict[str, Actor], members: dict, schools_of: dict, offers: dict, leads: dict) -> dict[str, Actor]:
    """Give each campus the trades its schools' trainings lead to (unknown, None, when they reach none), and each actor its
    members (None when it has none)."""
    out = {}
    for iri, a in actors.items():
        reached = {t for s in schools_of.get(iri, ()) for f in offers.get(s, ()) for t in leads.get(f, ())} if a.kind == "campus" else set()
        own = {m for m, _ in members.get(iri, ())}
        out[iri] = replace(a, trades=frozenset(reached) if reached else None, members=frozenset(own) if own else None)
    return out


def _scope_schools(rows: Iterable[ScopeSchoolRow]) -> tuple[dict[str, frozenset[str]], dict[str, Node]]:
    """Return the schools of each campus's scope, and their nodes (kind ``scope_school``; of several labels, the first in order)."""
    in_scope: dict[str, set[str]] = defaultdict(set)
    nodes: dict[str, Node] = {}
    for r in sorted(rows, key=lambda r: (r.school, r.label or "")):
        in_scope[r.entity].add(r.school)
        nodes.setdefault(r.school, Node("scope_school", r.label or r.uai or r.school, r.school, r.uai or "", "sector_scope"))
    return {k: frozenset(v) for k, v in in_scope.items()}, nodes


def _projection(rows: Rows) -> Projection:
    """Turn the rows read into the nodes and ties of the projection."""
    territories = _territories(rows.territories)
    schools = _schools(rows.schools)
    sectors = {r.iri: Node("sector", r.label, r.iri, r.code or "", "filieres") for r in rows.sectors}  # the last row of each
    actors = _actors(rows, territories)
    members, schools_of = _memberships(rows.memberships, actors, schools)
    offers, leads, trainings, trades = _offers(rows.offers)
    actors = _with_trades(actors, members, schools_of, offers, leads)
    in_scope, scope_schools = _scope_schools(rows.scope_schools)
    return Projection(territories, sectors, actors, schools, trainings, trades, members, schools_of, offers, leads, in_scope, scope_schools)


# --------------------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    """The filters of :func:`project`: a territory (région, académie) and actors by name."""

    region: str | None = None
    academie: str | None = None
    campus: str | None = None
    cluster: str | None = None
    project: str | None = None

    def given(self) -> dict[str, str]:
        """Return the filters given (``G.graph["filters"]``)."""
        return {k: v for k, v in asdict(self).items() if v}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(text.casefold().replace("’", "'").replace("-", " ").split())


def _match(what: str, wanted: str, candidates: dict[str, set[str]]) -> set[str]:
    """Return the IRIs whose name (or code) is ``wanted``: exact (accents and case ignored), else substring.

    ``candidates`` maps each searchable name to its IRIs. Raises :class:`FilterError` with the closest
    names (difflib) when nothing matches.
    """
    key = _fold(wanted)
    folded: dict[str, set[str]] = defaultdict(set)
    for name, iris in candidates.items():
        folded[_fold(name)] |= iris
    if key in folded:
        return set(folded[key])
    found = set().union(*(iris for name, iris in folded.items() if key and key in name)) if folded else set()
    if found:
        return found
    by_fold = {_fold(n): n for n in candidates}

    def score(name: str) -> float:
        pieces = [name, name[: len(key)], *name.split()]
        return max(difflib.SequenceMatcher(None, key, p).ratio() for p in pieces)

    close = [n for n in sorted(by_fold, key=lambda n: (-score(n), n)) if score(n) >= 0.6][:5]
    hint = f"; did you mean {', '.join(repr(by_fold[c]) for c in close)}?" if close else ""
    raise FilterError(f"no {what} named {wanted!r}{hint}")


def _in_territories(p: Projection, filters: Filters) -> set[str] | None:
    """Return the actors whose upward-closed territories contain every territory filter (None without one)."""
    levels = (("région", "region", filters.region), ("académie", "academie", filters.academie))
    wanted = [_match(what, value, p.territories.names(level)) for what, level, value in levels if value]
    if not wanted:
        return None
    return {iri for iri, a in p.actors.items() if all(a.closed & w for w in wanted)}


def _neighbourhood(p: Projection, campus: str) -> set[str]:
    """Return what a campus named alone brings: the projects it is a member of, the pôles of its filière in its région."""
    a = p.actors[campus]
    regions = {t for t in a.closed if t in p.territories.nodes and p.territories.nodes[t].level == "region"}
    projects = {org for org, ms in p.members.items() if any(m == campus for m, _ in ms)}
    clusters = {
        iri for iri, b in p.actors.items()
        if b.kind == "cluster" and (b.sectors or frozenset()) & (a.sectors or frozenset()) and b.closed & a.closed & regions
    }
    return projects | clusters


def _named(p: Projection, filters: Filters) -> set[str]:
    """Return the actors the filters name (and, for a campus named alone, its neighbourhood)."""
    named: set[str] = set()
    for kind, what, value in (("campus", "campus", filters.campus), ("cluster", "pôle", filters.cluster), ("project", "project", filters.project)):
        if value:
            names: dict[str, set[str]] = defaultdict(set)
            for iri, a in p.actors.items():
                if a.kind == kind:
                    names[a.label].add(iri)
            named |= _match(what, value, names)
    if filters.campus and not filters.cluster and not filters.project:
        named |= {iri for c in named for iri in _neighbourhood(p, c)}
    return named


def _select(p: Projection, filters: Filters) -> set[str]:
    """Return the actors to draw: those of the territory filters together with the named ones; all without filters."""
    keep = _in_territories(p, filters)
    named = _named(p, filters)
    if named:
        keep = named | (keep or set())
    return set(p.actors) if keep is None else keep


# --------------------------------------------------------------------------------------------- drawing


def _add_territories(G: nx.Graph, territories: Territories, node: str, iris: Iterable[str]) -> None:
    """Tie ``node`` to the territories ``iris`` (``in_territory``), drawn with those they lie in (``within``)."""
    for t in sorted(iris):
        if t not in territories.nodes:
            continue
        G.add_node(t, **territories.nodes[t].attributes())
        G.add_edge(node, t, relation="in_territory", weight=1)
        up = territories.closure([t])
        for u in sorted(up - {t}):
            if u in territories.nodes:
                G.add_node(u, **territories.nodes[u].attributes())
        for child in sorted(up):
            for parent in sorted(territories.parents.get(child, ())):
                if parent in territories.nodes:
                    G.add_edge(child, parent, relation="within", weight=1)


def _add_actors(G: nx.Graph, p: Projection, keep: set[str]) -> None:
    """Draw the kept actors, with their territories and sectors (``in_sector``)."""
    for iri in sorted(keep):
        a = p.actors[iri]
        G.add_node(iri, **a.attributes())
        _add_territories(G, p.territories, iri, a.territories)
        for s in sorted(a.sectors or ()):
            if s in p.sectors:
                G.add_node(s, **p.sectors[s].attributes())
                G.add_edge(iri, s, relation="in_sector", weight=1)


def _add_schools(G: nx.Graph, p: Projection, campus: str) -> None:
    """Draw the schools of ``campus`` (``membership``, ``role`` its roles joined by ``+``), the trainings they offer
    (``offers``) and their trades (``leads_to``)."""
    for s in sorted(p.schools_of.get(campus, ())):
        school = p.schools[s]
        G.add_node(s, **school.attributes())
        roles = "+".join(sorted({r for m, r in p.members.get(campus, ()) if m == s}))
        G.add_edge(s, campus, relation="membership", role=roles, weight=1)
        _add_territories(G, p.territories, s, school.territories)
        for f in sorted(p.offers.get(s, ())):
            G.add_node(f, **p.trainings[f].attributes())
            G.add_edge(s, f, relation="offers", weight=1)
            for t in sorted(p.leads.get(f, ())):
                G.add_node(t, **p.trades[t].attributes())
                G.add_edge(f, t, relation="leads_to", weight=1)


def _add_ties(G: nx.Graph, p: Projection, keep: set[str]) -> None:
    """Draw what ties the kept actors: each campus's schools, and each project's kept members (``membership``)."""
    for iri in sorted(keep):
        kind = p.actors[iri].kind
        if kind == "campus":
            _add_schools(G, p, iri)
        if kind == "project":
            for m, role_name in sorted(p.members.get(iri, ())):
                if m in keep:
                    G.add_edge(m, iri, relation="membership", role=role_name, weight=1)


def _add_scope(G: nx.Graph, p: Projection, keep: set[str]) -> None:
    """Draw the schools of each kept campus's sector scope (``in_scope``, derived), after the members.

    A school already drawn keeps its node (a member of another campus stays a member) and gets the
    ``in_scope`` tie; a member of the campus itself keeps its ``membership`` tie alone.
    """
    for campus in sorted(c for c in keep if c in p.in_scope):
        for s in sorted(p.in_scope[campus]):
            if G.has_edge(s, campus):
                continue
            if s not in G:
                G.add_node(s, **p.scope_schools[s].attributes())
            G.add_edge(s, campus, relation="in_scope", source="sector_scope", weight=1)


def _shared(p: Projection, x: str, y: str) -> dict[str, int]:
    """Return what actors ``x`` and ``y`` share: trades, schools, territories (closed upward) and sectors."""
    a, b = p.actors[x], p.actors[y]
    return {
        "shared_trades": len((a.trades or frozenset()) & (b.trades or frozenset())),
        "shared_schools": len(p.schools_of.get(x, frozenset()) & p.schools_of.get(y, frozenset())),
        "same_territory": len(a.closed & b.closed),
        "same_sector": len((a.sectors or frozenset()) & (b.sectors or frozenset())),
    }


def _add_overlaps(G: nx.Graph, p: Projection, keep: set[str]) -> None:
    """Join each pair of kept actors that share something (``overlap``, weight = the shared count).

    A pair already joined by a membership keeps that edge, which records the overlap (``overlap_weight``).
    """
    for x, y in combinations(sorted(keep), 2):
        shared = _shared(p, x, y)
        total = sum(shared.values())
        if not total:
            continue
        if G.has_edge(x, y):
            G.edges[x, y].update(shared, overlap_weight=total)
            continue
        G.add_edge(x, y, relation="overlap", kinds="+".join(k for k, v in shared.items() if v), weight=total, **shared)


# --------------------------------------------------------------------------------------------- projection


def project(
    store: str | os.PathLike | None = None,
    region: str | None = None,
    academie: str | None = None,
    campus: str | None = None,
    cluster: str | None = None,
    project: str | None = None,
    actor_edges: bool = True,
    scope: bool = False,
) -> nx.Graph:
    """Project the built graph (or part of it) into a :class:`networkx.Graph`.

    The steps: read the rows (:func:`_read`), turn them into nodes and ties (:func:`_projection`), keep
    the actors the filters select (:func:`_select`), then draw the actors, what ties them, the schools of
    their scopes when asked, and their overlaps.

    Parameters
    ----------
    store : path, optional
        The store folder (default: as :func:`cmqgraph.open_graph`).
    region, academie : str, optional
        A territory, by name or code (``"Bourgogne-Franche-Comté"``, ``"27"``; académie ``"Besançon"``,
        ``"03"``): keep the actors whose upward-closed territory set contains it (both: contains both).
    campus, cluster, project : str, optional
        Actors by name (accents and case ignored; an exact name first, else every name containing the
        text). Named actors are kept together with the territory selection. A campus named alone also
        brings its neighbourhood: the projects it is a member of, and the pôles of its filière in its région.
    actor_edges : bool
        Add the ``overlap`` edges between kept actors.
    scope : bool
        Also draw the schools of each kept campus's sector scope that are not its members: nodes of kind
        ``scope_school`` (``source`` ``sector_scope``) tied by ``in_scope`` edges, derived and never a
        membership; ``G.graph["scope"]`` is then true. Off by default.

    Returns
    -------
    networkx.Graph
        Nodes keyed by IRI with ``kind``, ``label``, ``iri``, ``code``, ``source`` (and, for actors, the
        lists ``trades`` and ``members`` (absent when unknown), ``territories`` and ``sectors``, and the
        counts and trades of its sector scope, see :meth:`Actor.attributes`); ``G.graph["filters"]``
        records the filters.

    Raises
    ------
    FilterError
        A filter matches nothing (the message suggests close names).
    """
    filters = Filters(region, academie, campus, cluster, project)
    p = _projection(_read(store, scope=scope))
    keep = _select(p, filters)
    G = nx.Graph(filters=filters.given(), **({"scope": True} if scope else {}))
    _add_actors(G, p, keep)
    _add_ties(G, p, keep)
    if scope:
        _add_scope(G, p, keep)
    if actor_edges:
        _add_overlaps(G, p, keep)
    return G


# --------------------------------------------------------------------------------------------- metrics


def jaccard(a: Iterable | None, b: Iterable | None) -> float:
    """Jaccard overlap :math:`J(A, B) = |A \\cap B| / |A \\cup B|`; NaN when a set is unknown or both are empty.

    Examples
    --------
    >>> jaccard({"M1101", "H2903"}, {"H2903", "I1304", "H2909"})
    0.25
    >>> jaccard(None, {"x"})
    nan
    """
    if a is None or b is None:
        return math.nan
    a, b = set(a), set(b)
    union = a | b
    return len(a & b) / len(union) if union else math.nan


#: The node attribute that holds each set of :func:`actor_sets`.
SET_ATTRIBUTES = {"trades": "trades", "territories": "territories", "sectors": "sectors", "members": "members", "scope_trades": "scope_trade_iris"}

#: The terms of a pair, in column order: the set of :func:`actor_sets` compared, its shared-count column and its
#: Jaccard column. The first :data:`OVERLAP_TERMS` make ``overlap``; the others are shown beside it, apart.
PAIR_TERMS = (
    ("trades", "shared_trades", "trade_jaccard"),
    ("territories", "shared_territories", "territory_jaccard"),
    ("sectors", "shared_sectors", "sector_jaccard"),
    ("members", "shared_members", "member_jaccard"),
    ("scope_trades", "shared_scope_trades", "scope_trade_jaccard"),
)
#: How many of :data:`PAIR_TERMS` (the first ones) the ``overlap`` mean takes.
OVERLAP_TERMS = 3


def actor_sets(G: nx.Graph) -> dict[str, dict[str, set | None]]:
    """Return, for each actor node, its sets ``trades``, ``territories``, ``sectors``, ``members`` and ``scope_trades``
    (None when unknown), read from the node attributes of :data:`SET_ATTRIBUTES`."""
    out = {}
    for n, d in G.nodes(data=True):
        if d.get("kind") in ACTOR_KINDS:
            out[n] = {k: (set(d[a]) if d.get(a) is not None else None) for k, a in SET_ATTRIBUTES.items()}
    return out


def _pair_terms(sx: dict[str, set | None], sy: dict[str, set | None]) -> dict[str, float]:
    """Return the shared counts, the Jaccards of :data:`PAIR_TERMS` and ``overlap`` of two actors' sets."""
    row: dict[str, float] = {}
    for name, shared, column in PAIR_TERMS:
        row[shared] = len((sx[name] or set()) & (sy[name] or set()))
        row[column] = jaccard(sx[name], sy[name])
    defined = [row[column] for _, _, column in PAIR_TERMS[:OVERLAP_TERMS] if not math.isnan(row[column])]
    row["overlap"] = sum(defined) / len(defined) if defined else 0.0
    return row


def pair_overlaps(G: nx.Graph, kinds: Iterable[tuple[str, str]] = (("campus", "cluster"), ("campus", "campus"), ("campus", "project"))) -> pd.DataFrame:
    """Overlap of each pair of actors: Jaccard of trades, territories and sectors, and their mean; apart, of members and scope trades.

    For actors *a*, *b* with trade sets *T*, territory sets *R* (closed upward), sector sets *S*, member sets
    *M* and scope trade sets *P* (see the module's docstring), and :math:`J(A,B)=|A\\cap B|/|A\\cup B|`
    (NaN when a set is unknown, or both are empty):

    * ``trade_jaccard`` :math:`= J(T(a), T(b))`, ``territory_jaccard`` :math:`= J(R(a), R(b))`,
      ``sector_jaccard`` :math:`= J(S(a), S(b))`;
    * ``overlap`` :math:`=` the mean of those three that are defined (0 when none is);
    * ``member_jaccard`` :math:`= J(M(a), M(b))`: the schools and organisations both count as members, any role
      (a pôle has none in the graph: NaN for every campus–pôle pair);
    * ``scope_trade_jaccard`` :math:`= J(P(a), P(b))`: the trades both sector scopes lead to (derived).

    The last two are **not** in ``overlap``, which keeps its meaning: they are shown beside it, each with its
    shared count, so that a user sees *why* two actors overlap — a member stated by a source, or a sector
    scope deduced from the filière → NSF table and the offers of a territory — and ranks pairs by the term
    they care about. Members are known for some campuses only (often just their support establishment):
    mixing them in would move ``overlap`` with what is documented rather than with what is shared.

    Parameters
    ----------
    G : networkx.Graph
        A graph from :func:`project` (actor nodes need ``kind`` and the list attributes).
    kinds : pairs of kinds
        Which pairs to measure (campus–cluster, campus–campus, campus–project by default).

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``pair``, ``a``, ``label_a``, ``b``, ``label_b``, the shared counts
        (``shared_trades``, ``shared_territories``, ``shared_sectors``), the three Jaccards and ``overlap``;
        then ``shared_members``, ``shared_scope_trades``, ``member_jaccard`` and ``scope_trade_jaccard``.

    Examples
    --------
    Two campuses: trades 1 shared of 3, same territory, other sector; one member shared of 4 (a lycée; a
    university and the Région are members of one only, a company of the other); scope trades 2 shared of 4:

    >>> import networkx as nx
    >>> G = nx.Graph()
    >>> G.add_node("a", kind="campus", label="A", trades=["t1", "t2"], territories=["r"], sectors=["s"],
    ...            members=["lycee", "univ", "region"], scope_trade_iris=["H2903", "H2909", "I1304"])
    >>> G.add_node("b", kind="campus", label="B", trades=["t2", "t3"], territories=["r"], sectors=["s2"],
    ...            members=["lycee", "company"], scope_trade_iris=["H2909", "I1304", "N1101"])
    >>> row = pair_overlaps(G).iloc[0]
    >>> float(row.trade_jaccard), float(row.territory_jaccard), float(row.sector_jaccard), round(float(row.overlap), 4)
    (0.3333333333333333, 1.0, 0.0, 0.4444)
    >>> int(row.shared_members), float(row.member_jaccard), int(row.shared_scope_trades), float(row.scope_trade_jaccard)
    (1, 0.25, 2, 0.5)
    """
    sets = actor_sets(G)
    label = nx.get_node_attributes(G, "label")
    kind_of = nx.get_node_attributes(G, "kind")
    by_kind: dict[str, list[str]] = defaultdict(list)
    for n in sorted(sets):
        by_kind[kind_of[n]].append(n)
    rows = []
    for k1, k2 in kinds:
        pairs = combinations(by_kind[k1], 2) if k1 == k2 else ((x, y) for x in by_kind[k1] for y in by_kind[k2])
        for x, y in pairs:
            rows.append({"pair": f"{k1}-{k2}", "a": x, "label_a": label.get(x, x), "b": y, "label_b": label.get(y, y), **_pair_terms(sets[x], sets[y])})
    stated, apart = PAIR_TERMS[:OVERLAP_TERMS], PAIR_TERMS[OVERLAP_TERMS:]
    columns = ["pair", "a", "label_a", "b", "label_b", *(t[1] for t in stated), *(t[2] for t in stated), "overlap",
               *(t[1] for t in apart), *(t[2] for t in apart)]
    return pd.DataFrame(rows, columns=columns)


def overlap_network(pairs: pd.DataFrame, G: nx.Graph | None = None, min_overlap: float = 0.0) -> nx.Graph:
    """The weighted overlap network: actors joined when ``overlap > min_overlap``, ``weight = overlap``."""
    N = nx.Graph()
    for r in pairs.itertuples(index=False):
        for n, lab in ((r.a, r.label_a), (r.b, r.label_b)):
            if n not in N:
                N.add_node(n, label=lab, kind=(G.nodes[n].get("kind") if G is not None and n in G else ""))
        if r.overlap > min_overlap:
            N.add_edge(r.a, r.b, weight=float(r.overlap), relation="overlap")
    return N


def communities(network: nx.Graph, seed: int = 42, resolution: float = 1.0) -> pd.DataFrame:
    """Louvain communities of a weighted network (``networkx.community.louvain_communities``, fixed seed).

    Louvain maximises the modularity :math:`Q = \\frac{1}{2m}\\sum_{ij}\\big(w_{ij} - \\gamma\\frac{k_i k_j}{2m}\\big)\\delta(c_i, c_j)`
    (``resolution`` :math:`=\\gamma`); the same seed gives the same partition. Communities are numbered
    from 0 by decreasing size.

    Examples
    --------
    >>> import networkx as nx
    >>> N = nx.Graph([("a", "b", {"weight": 1}), ("c", "d", {"weight": 1}), ("b", "c", {"weight": 0.01})])
    >>> communities(N).sort_values("node").community.tolist()
    [0, 0, 1, 1]
    """
    found = nx.community.louvain_communities(network, weight="weight", resolution=resolution, seed=seed)
    found = sorted(found, key=lambda c: (-len(c), sorted(c)))
    label = nx.get_node_attributes(network, "label")
    kind = nx.get_node_attributes(network, "kind")
    rows = [{"node": n, "label": label.get(n, n), "kind": kind.get(n, ""), "community": i, "size": len(c)} for i, c in enumerate(found) for n in sorted(c)]
    return pd.DataFrame(rows, columns=["node", "label", "kind", "community", "size"])


def centrality(G: nx.Graph) -> pd.DataFrame:
    """Degree and betweenness of each actor in the bipartite actor–territory and actor–sector graphs.

    The bipartite graph *B* has the actors on one side and the territories (resp. sectors) on the other,
    an edge when the territory is in the actor's upward-closed set (resp. the sector in its sectors).
    ``networkx.algorithms.bipartite.degree_centrality`` normalises the degree by the size of the other
    side: :math:`d(a)/|\\text{territories}|`; ``bipartite.betweenness_centrality`` normalises the
    betweenness :math:`\\sum_{s \\ne a \\ne t}\\sigma_{st}(a)/\\sigma_{st}` by its maximum in a bipartite graph.

    Returns
    -------
    pandas.DataFrame
        ``node``, ``label``, ``kind``, ``territory_degree``, ``territory_betweenness``, ``sector_degree``,
        ``sector_betweenness``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph()
    >>> G.add_node("a", kind="campus", label="A", territories=["r1", "r2"], sectors=["s"])
    >>> G.add_node("b", kind="cluster", label="B", territories=["r2"], sectors=["s"])
    >>> centrality(G)[["node", "territory_degree", "sector_degree"]].to_dict("records")
    [{'node': 'a', 'territory_degree': 1.0, 'sector_degree': 1.0}, {'node': 'b', 'territory_degree': 0.5, 'sector_degree': 1.0}]
    """
    sets = actor_sets(G)
    actors = sorted(sets)
    out = pd.DataFrame({"node": actors})
    out["label"] = [G.nodes[n].get("label", n) for n in actors]
    out["kind"] = [G.nodes[n].get("kind", "") for n in actors]
    for name, key in (("territory", "territories"), ("sector", "sectors")):
        B = nx.Graph()
        B.add_nodes_from(actors, bipartite=0)
        for a in actors:
            for x in sorted(sets[a][key] or ()):
                B.add_node(("x", x), bipartite=1)
                B.add_edge(a, ("x", x))
        if B.number_of_nodes() > len(actors):
            degree = bipartite.degree_centrality(B, actors)
            try:
                between = bipartite.betweenness_centrality(B, actors)
            except ZeroDivisionError:  # a side too small for the bipartite normalisation: no betweenness
                between = {}
        else:
            degree, between = {}, {}
        out[f"{name}_degree"] = [float(degree.get(a, 0.0)) for a in actors]
        out[f"{name}_betweenness"] = [float(between.get(a, 0.0)) for a in actors]
    return out


def territory_scores(G: nx.Graph, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Overlap score of each région and académie: the mean ``overlap`` of the measured pairs inside it.

    A pair is *inside* territory *X* when *X* belongs to both actors' upward-closed territory sets.
    :math:`\\text{score}(X) = \\frac{1}{|P_X|}\\sum_{(a,b)\\in P_X} \\text{overlap}(a,b)` (NaN when
    :math:`P_X` is empty). ``actors`` counts the actors tied to *X*, ``pairs`` the pairs inside it.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph()
    >>> G.add_node("R", kind="territory", level="region", label="Région")
    >>> G.add_node("a", kind="campus", label="A", territories=["R"], sectors=["s"])
    >>> G.add_node("b", kind="cluster", label="B", territories=["R"], sectors=["s2"])
    >>> territory_scores(G)[["territory", "actors", "pairs", "score"]].to_dict("records")
    [{'territory': 'R', 'actors': 2, 'pairs': 1, 'score': 0.5}]
    """
    if pairs is None:
        pairs = pair_overlaps(G)
    sets = actor_sets(G)
    rows = []
    for t, d in G.nodes(data=True):
        if d.get("kind") != "territory" or d.get("level") not in ("region", "academie"):
            continue
        inside = {a for a, s in sets.items() if t in (s["territories"] or ())}
        mask = pairs["a"].isin(inside) & pairs["b"].isin(inside) if len(pairs) else []
        chosen = pairs[mask] if len(pairs) else pairs
        rows.append({
            "territory": t, "label": d.get("label", t), "level": d["level"], "actors": len(inside), "pairs": len(chosen),
            "score": float(chosen["overlap"].mean()) if len(chosen) else math.nan,
            "mean_trade_jaccard": float(chosen["trade_jaccard"].mean()) if len(chosen) else math.nan,
        })
    frame = pd.DataFrame(rows, columns=["territory", "label", "level", "actors", "pairs", "score", "mean_trade_jaccard"])
    return frame.sort_values(["level", "score", "label"], ascending=[False, False, True], na_position="last").reset_index(drop=True)


def metrics(G: nx.Graph, seed: int = 42) -> dict[str, pd.DataFrame]:
    """All the tables at once: ``pairs``, ``centrality``, ``communities``, ``territories``."""
    pairs = pair_overlaps(G)
    return {
        "pairs": pairs,
        "centrality": centrality(G),
        "communities": communities(overlap_network(pairs, G), seed=seed),
        "territories": territory_scores(G, pairs),
    }


def write_csv(frames: dict[str, pd.DataFrame], folder: str | os.PathLike) -> list[Path]:
    """Write each frame as ``folder/{name}.csv`` (UTF-8, comma, formulas neutralised); return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in frames.items():
        path = folder / f"{name}.csv"
        with atomic_file(path) as f:
            f.write(frame_text(frame).encode("utf-8"))
        paths.append(path)
    return paths


# --------------------------------------------------------------------------------------------- aggregation and export


def aggregate(G: nx.Graph) -> nx.Graph:
    """Fold the details away: schools into their campus, trainings into their trades, communes into départements.

    A campus then links directly to the trades its member schools' trainings reach (``relation="reaches"``,
    ``weight`` = number of trainings); the schools of a sector scope (``scope_school``) are left out, and
    reach nothing; ``G.graph["aggregated"]`` says what was folded or left out.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph()
    >>> G.add_node("c", kind="campus"); G.add_node("s", kind="school"); G.add_node("f", kind="training"); G.add_node("t", kind="trade")
    >>> G.add_edges_from([("s", "c", {"relation": "membership"}), ("s", "f", {"relation": "offers"}), ("f", "t", {"relation": "leads_to"})])
    >>> A = aggregate(G)
    >>> sorted(A.nodes), A.edges["c", "t"]["weight"]
    (['c', 't'], 1)
    """
    A = nx.Graph(**G.graph)
    kind = nx.get_node_attributes(G, "kind")
    folded = {"school": 0, "training": 0, "commune": 0, "scope_school": 0}
    for n, d in G.nodes(data=True):
        if d.get("kind") in ("school", "training", "scope_school"):
            folded[d["kind"]] += 1
        elif d.get("kind") == "territory" and d.get("level") == "commune":
            folded["commune"] += 1
        else:
            A.add_node(n, **d)
    for u, v, d in G.edges(data=True):
        if u in A and v in A:
            A.add_edge(u, v, **d)
    reach: dict[tuple[str, str], int] = defaultdict(int)
    for s in (n for n in G if kind.get(n) == "school"):
        campuses = [c for c, e in G[s].items() if kind.get(c) == "campus" and e.get("relation") == "membership"]
        for f in (f for f in G[s] if kind.get(f) == "training"):
            for t in (t for t in G[f] if kind.get(t) == "trade"):
                for c in campuses:
                    reach[c, t] += 1
    for (c, t), w in reach.items():
        A.add_edge(c, t, relation="reaches", weight=w)
    A.graph["aggregated"] = {k: v for k, v in folded.items() if v}
    for n in [n for n in A if kind.get(n) == "trade" and A.degree(n) == 0]:
        A.remove_node(n)
    return A


def graphml_safe(G: nx.Graph) -> nx.Graph:
    """A copy whose attributes GraphML/GEXF accept: lists joined by ``|``, None dropped, other values str/int/float/bool.

    Nodes, edges and attributes are in sorted order, so that the files written from the copy do not depend on
    the order the graph was built in (which follows Python's string hashing, different in each process).
    """

    def clean(attrs: dict) -> dict:
        out = {}
        for k, v in sorted(attrs.items()):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            if isinstance(v, (list, tuple, set, frozenset)):
                v = "|".join(sorted(str(x) for x in v))
            elif isinstance(v, dict):
                v = "|".join(f"{a}={b}" for a, b in sorted(v.items()))
            elif not isinstance(v, (str, int, float, bool)):
                v = str(v)
            out[k] = v
        return out

    H = nx.Graph()
    H.graph.update(clean(G.graph))
    for n in sorted(G.nodes, key=str):
        H.add_node(n, **clean(G.nodes[n]))
    for u, v in sorted((tuple(sorted((u, v), key=str)) for u, v in G.edges), key=lambda e: (str(e[0]), str(e[1]))):
        H.add_edge(u, v, **clean(G.edges[u, v]))
    return H


def write_gexf(G: nx.Graph, path: str | os.PathLike) -> Path:
    """Write ``G`` as GEXF (Gephi) with its node and edge attributes; return the path.

    The file's ``lastmodifieddate`` is ``$SOURCE_DATE_EPOCH``'s day when it is set (else today) and its
    creator is cmqgraph, so the same graph gives the same bytes.
    """
    day = time.strftime("%Y-%m-%d", time.gmtime(source_date_epoch()))
    text = "\n".join(nx.generate_gexf(graphml_safe(G)))
    text = re.sub(r'lastmodifieddate="[^"]*"', f'lastmodifieddate="{day}"', text, count=1)
    text = re.sub(r"<creator>[^<]*</creator>", f"<creator>cmqgraph {__version__}</creator>", text, count=1)
    with atomic_file(Path(path)) as f:
        f.write(f'<?xml version="1.0" encoding="utf-8"?>\n{text}\n'.encode("utf-8"))
    return Path(path)


def write_graphml(G: nx.Graph, path: str | os.PathLike) -> Path:
    """Write ``G`` as GraphML (Cytoscape, yEd, Gephi) with its node and edge attributes; return the path."""
    with atomic_file(Path(path)) as f:
        nx.write_graphml(graphml_safe(G), f)
    return Path(path)
