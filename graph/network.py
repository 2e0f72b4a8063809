"""Project the RDF graph into networkx graphs, and measure where campuses, pôles and projects overlap.

:func:`project` runs a handful of SPARQL SELECTs on the built store and returns a :class:`networkx.Graph`
whose nodes are the **actors** (campus, cluster = pôle de compétitivité, project = PIA3 regional project)
and what ties them (school, training, trade, territory, sector). Every node carries ``kind``, ``label``
(French), ``iri``, ``code`` and ``source`` (the named graph it comes from); every edge carries
``relation`` and ``weight``:

=================  ==========================================================  ========================
relation           between                                                      weight
=================  ==========================================================  ========================
``membership``     school–campus (role ``support``), campus–project             1
                   (role ``campus-associe``)
``offers``         school–training                                              1
``leads_to``       training–trade                                               1
``in_territory``   actor or school–territory (région, académie, département)    1
``within``         département–académie, académie–région, département–région   1
``in_sector``      campus or cluster–sector (CMQ filière)                       1
``overlap``        actor–actor; ``kinds`` lists ``shared_trades``,              shared items (trades +
                   ``shared_schools``, ``same_territory``, ``same_sector``      schools + territories +
                                                                                sectors)
=================  ==========================================================  ========================

**Sets of an actor** (the basis of every overlap metric):

* trades *T(a)*: for a campus, the ROME trades reached by the trainings its support schools offer
  (``org:member`` of a membership of the campus, a ``cmq:School``, ``cmq:offers`` a training that
  ``cmq:leadsToTrade``). The graph links no trade to a pôle or a project, and most campuses' support
  establishment is not a school with an offer: *T(a)* is then **unknown** (``None``), not empty;
* territories *R(a)*: the territories the actor is tied to (campus: académie and région; pôle: its
  régions; project: its ``cmq:territory``), **closed upward** (a département adds its académie and région,
  an académie its région), so that sets given at different levels can be compared;
* sectors *S(a)*: the CMQ filières (campus, pôle); unknown for projects.

Examples
--------
>>> import networkx as nx
>>> from cmqgraph.network import jaccard, pair_overlaps
>>> G = nx.Graph()
>>> G.add_node("c1", kind="campus", label="C1", trades=["A", "B"], territories=["R"], sectors=["S"])
>>> G.add_node("p1", kind="cluster", label="P1", territories=["R", "R2"], sectors=["S"])
>>> frame = pair_overlaps(G)
>>> frame[["a", "b", "territory_jaccard", "sector_jaccard", "overlap"]].to_dict("records")
[{'a': 'c1', 'b': 'p1', 'territory_jaccard': 0.5, 'sector_jaccard': 1.0, 'overlap': 0.75}]
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
from itertools import combinations
from pathlib import Path

import networkx as nx
import pandas as pd
from networkx.algorithms import bipartite

from . import __version__
from .engine import select
from .output import atomic_file, source_date_epoch
from .errors import FilterError
from .spreadsheet import frame_text

__all__ = [
    "ACTOR_KINDS",
    "KINDS",
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
KINDS = ("campus", "school", "training", "trade", "cluster", "project", "territory", "sector")
#: The kinds whose pairs are measured.
ACTOR_KINDS = ("campus", "cluster", "project")

_GRAPH = "https://w3id.org/cmqgraph/graph/"
_ROLE = "https://w3id.org/cmqgraph/id/role/"
_LEVEL = {"Region": "region", "Academie": "academie", "Departement": "departement", "Commune": "commune"}


# --------------------------------------------------------------------------------------------- queries

_Q_CAMPUS = """
SELECT ?x ?label ?sector ?aca ?reg ?city ?g WHERE {
  ?x a cmq:Campus ; rdfs:label ?label .
  OPTIONAL { ?x cmq:sector ?sector } OPTIONAL { ?x cmq:inAcademie ?aca } OPTIONAL { ?x cmq:inRegion ?reg }
  OPTIONAL { ?x cmq:city ?city } OPTIONAL { GRAPH ?g { ?x a cmq:Campus } }
}"""

_Q_CLUSTER = """
SELECT ?x ?label ?sector ?reg ?theme ?city ?g WHERE {
  ?x a cmq:Cluster ; rdfs:label ?label .
  OPTIONAL { ?x cmq:sector ?sector } OPTIONAL { ?x cmq:inRegion|cmq:mainRegion ?reg }
  OPTIONAL { ?x cmq:theme ?theme } OPTIONAL { ?x cmq:city ?city } OPTIONAL { GRAPH ?g { ?x a cmq:Cluster } }
}"""

_Q_PROJECT = """
SELECT ?x ?label ?programme ?terr ?theme ?g WHERE {
  ?x a cmq:RegionalProject ; rdfs:label ?label .
  OPTIONAL { ?x cmq:programme ?programme } OPTIONAL { ?x cmq:territory ?terr } OPTIONAL { ?x cmq:theme ?theme }
  OPTIONAL { GRAPH ?g { ?x a cmq:RegionalProject } }
}"""

_Q_MEMBERS = """
SELECT DISTINCT ?org ?member ?role WHERE {
  { ?m a org:Membership ; org:organization ?org ; org:member ?member ; org:role ?role .
    { ?org a cmq:Campus . ?member a cmq:School } UNION { ?org a cmq:RegionalProject . ?member a cmq:Campus } }
  UNION
  { ?org a cmq:Campus ; cmq:supportEstablishment ?member . ?member a cmq:School . BIND(<%ssupport> AS ?role) }
}""" % _ROLE

_Q_SCHOOLS = """
SELECT ?x ?label ?uai ?kind ?dep ?com ?g WHERE {
  { SELECT DISTINCT ?x WHERE { { ?m org:organization ?c ; org:member ?x } UNION { ?c cmq:supportEstablishment ?x }
                              ?c a cmq:Campus . ?x a cmq:School } }
  ?x rdfs:label ?label .
  OPTIONAL { ?x cmq:uai ?uai } OPTIONAL { ?x cmq:schoolKind ?kind } OPTIONAL { ?x cmq:inDepartement ?dep }
  OPTIONAL { ?x cmq:inCommune ?com } OPTIONAL { GRAPH ?g { ?x a cmq:School } }
}"""

_Q_OFFERS = """
SELECT DISTINCT ?school ?training ?tlabel ?cfd ?trade ?rlabel ?rome WHERE {
  { SELECT DISTINCT ?school WHERE { { ?m org:organization ?c ; org:member ?school } UNION { ?c cmq:supportEstablishment ?school }
                                   ?c a cmq:Campus . ?school a cmq:School } }
  ?school cmq:offers ?training .
  OPTIONAL { ?training rdfs:label ?tlabel } OPTIONAL { ?training cmq:cfd ?cfd }
  OPTIONAL { ?training cmq:leadsToTrade ?trade . OPTIONAL { ?trade skos:prefLabel ?rlabel } OPTIONAL { ?trade skos:notation ?rome } }
}"""

_Q_TERRITORIES = """
SELECT ?x ?type ?label ?code ?parent WHERE {
  VALUES ?type { cmq:Region cmq:Academie cmq:Departement cmq:Commune }
  ?x a ?type .
  OPTIONAL { ?x rdfs:label ?label } OPTIONAL { ?x skos:notation ?code }
  OPTIONAL { ?x cmq:inRegion|cmq:inAcademie|cmq:inDepartement ?parent }
}"""

_Q_SECTORS = """
SELECT ?x ?label ?code WHERE { ?x a cmq:Sector ; rdfs:label ?label . OPTIONAL { ?x skos:notation ?code } }"""


def _s(value) -> str | None:
    """Return ``value`` as a string, or None for a missing cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _source(graph_iri) -> str:
    g = _s(graph_iri)
    return g[len(_GRAPH):] if g and g.startswith(_GRAPH) else (g or "")


def _rows(frame: pd.DataFrame) -> Iterable[dict]:
    for record in frame.to_dict("records"):
        yield {k: _s(v) for k, v in record.items()}


def _load(store) -> dict[str, pd.DataFrame]:
    queries = {
        "campus": _Q_CAMPUS, "cluster": _Q_CLUSTER, "project": _Q_PROJECT, "members": _Q_MEMBERS,
        "schools": _Q_SCHOOLS, "offers": _Q_OFFERS, "territories": _Q_TERRITORIES, "sectors": _Q_SECTORS,
    }
    return {name: select(q, store=store) for name, q in queries.items()}


# --------------------------------------------------------------------------------------------- filters


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


# --------------------------------------------------------------------------------------------- projection


def project(
    store: str | os.PathLike | None = None,
    region: str | None = None,
    academie: str | None = None,
    campus: str | None = None,
    cluster: str | None = None,
    project: str | None = None,
    actor_edges: bool = True,
) -> nx.Graph:
    """Project the built graph (or part of it) into a :class:`networkx.Graph`.

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

    Returns
    -------
    networkx.Graph
        Nodes keyed by IRI with ``kind``, ``label``, ``iri``, ``code``, ``source`` (and, for actors, the
        lists ``trades`` (absent when unknown), ``territories`` and ``sectors``); ``G.graph["filters"]``
        records the filters.

    Raises
    ------
    FilterError
        A filter matches nothing (the message suggests close names).
    """
    data = _load(store)
    G = nx.Graph(filters={k: v for k, v in dict(region=region, academie=academie, campus=campus, cluster=cluster, project=project).items() if v})

    # territories, with their parents
    terr: dict[str, dict] = {}
    parents: dict[str, set[str]] = defaultdict(set)
    for r in _rows(data["territories"]):
        level = _LEVEL[r["type"].rsplit("#", 1)[-1]]
        terr.setdefault(r["x"], dict(kind="territory", level=level, label=r["label"] or r["code"] or r["x"], iri=r["x"], code=r["code"] or "", source="territoires" if level != "commune" else "acce"))
        if r["parent"]:
            parents[r["x"]].add(r["parent"])

    def closure(iris: Iterable[str]) -> set[str]:
        out, todo = set(), [i for i in iris if i]
        while todo:
            t = todo.pop()
            if t not in out:
                out.add(t)
                todo.extend(parents.get(t, ()))
        return out

    sectors = {r["x"]: dict(kind="sector", label=r["label"], iri=r["x"], code=r["code"] or "", source="filieres") for r in _rows(data["sectors"])}

    # actors
    actors: dict[str, dict] = {}
    for r in _rows(data["campus"]):
        a = actors.setdefault(r["x"], dict(kind="campus", label=r["label"], iri=r["x"], code="", source=_source(r["g"]), city=r["city"] or "", _terr=set(), _sect=set()))
        a["_terr"] |= {t for t in (r["aca"], r["reg"]) if t}
        if r["sector"]:
            a["_sect"].add(r["sector"])
    for r in _rows(data["cluster"]):
        a = actors.setdefault(r["x"], dict(kind="cluster", label=r["label"], iri=r["x"], code="", source=_source(r["g"]), theme=r["theme"] or "", city=r["city"] or "", _terr=set(), _sect=set()))
        if r["reg"]:
            a["_terr"].add(r["reg"])
        if r["sector"]:
            a["_sect"].add(r["sector"])
    for r in _rows(data["project"]):
        a = actors.setdefault(r["x"], dict(kind="project", label=r["label"], iri=r["x"], code=(r["programme"] or "").rsplit("/", 1)[-1], source=_source(r["g"]), theme=r["theme"] or "", _terr=set(), _sect=None))
        if r["terr"]:
            a["_terr"].add(r["terr"])
    for a in actors.values():
        a["_closed"] = closure(a["_terr"])

    schools = {r["x"]: dict(kind="school", label=r["label"], iri=r["x"], code=r["uai"] or "", source=_source(r["g"]), school_kind=r["kind"] or "", _terr={t for t in (r["dep"], r["com"]) if t}) for r in _rows(data["schools"])}
    members: dict[str, set[tuple[str, str]]] = defaultdict(set)  # org -> {(member, role)}
    for r in _rows(data["members"]):
        members[r["org"]].add((r["member"], r["role"].rsplit("/", 1)[-1]))
    school_of: dict[str, set[str]] = defaultdict(set)  # campus -> schools
    for org, ms in members.items():
        if org in actors and actors[org]["kind"] == "campus":
            school_of[org] |= {m for m, _ in ms if m in schools}
    offers: dict[str, set[str]] = defaultdict(set)
    leads: dict[str, set[str]] = defaultdict(set)
    trainings: dict[str, dict] = {}
    trades: dict[str, dict] = {}
    for r in _rows(data["offers"]):
        offers[r["school"]].add(r["training"])
        trainings.setdefault(r["training"], dict(kind="training", label=r["tlabel"] or r["cfd"] or r["training"], iri=r["training"], code=r["cfd"] or "", source="bcn-formations"))
        if r["trade"]:
            leads[r["training"]].add(r["trade"])
            trades.setdefault(r["trade"], dict(kind="trade", label=r["rlabel"] or r["rome"] or r["trade"], iri=r["trade"], code=r["rome"] or "", source="rome"))
    for c, a in actors.items():
        if a["kind"] == "campus":
            reached = {t for s in school_of.get(c, ()) for f in offers.get(s, ()) for t in leads.get(f, ())}
            a["_trades"] = reached if reached else None
        else:
            a["_trades"] = None

    # filters
    def names(kind: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for iri, a in actors.items():
            if a["kind"] == kind:
                out[a["label"]].add(iri)
        return out

    def territory_names(level: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for iri, t in terr.items():
            if t["level"] == level:
                out[t["label"]].add(iri)
                if t["code"]:
                    out[t["code"]].add(iri)
        return out

    keep: set[str] | None = None
    wanted_terr: list[set[str]] = []
    if region:
        wanted_terr.append(_match("région", region, territory_names("region")))
    if academie:
        wanted_terr.append(_match("académie", academie, territory_names("academie")))
    if wanted_terr:
        keep = {iri for iri, a in actors.items() if all(a["_closed"] & w for w in wanted_terr)}
    named: set[str] = set()
    for kind, value in (("campus", campus), ("cluster", cluster), ("project", project)):
        if value:
            named |= _match({"campus": "campus", "cluster": "pôle", "project": "project"}[kind], value, names(kind))
    if campus and not cluster and not project:
        for c in list(named):
            a = actors[c]
            named |= {org for org, ms in members.items() if any(m == c for m, _ in ms)}
            named |= {iri for iri, b in actors.items() if b["kind"] == "cluster" and b["_sect"] & a["_sect"] and b["_closed"] & a["_closed"] & {t for t in a["_closed"] if terr.get(t, {}).get("level") == "region"}}
    if named:
        keep = named | (keep or set())
    if keep is None:
        keep = set(actors)

    # nodes and edges
    def public(a: dict) -> dict:
        return {k: v for k, v in a.items() if not k.startswith("_")}

    def add_territories(node: str, iris: Iterable[str]) -> None:
        for t in iris:
            if t not in terr:
                continue
            G.add_node(t, **terr[t])
            G.add_edge(node, t, relation="in_territory", weight=1)
            for p in closure([t]) - {t}:
                if p in terr:
                    G.add_node(p, **terr[p])
            for child in closure([t]):
                for p in parents.get(child, ()):
                    if p in terr:
                        G.add_edge(child, p, relation="within", weight=1)

    for iri in sorted(keep):
        a = actors[iri]
        attrs = public(a)
        attrs["territories"] = sorted(a["_closed"])
        attrs["sectors"] = sorted(a["_sect"]) if a["_sect"] is not None else None
        attrs["trades"] = sorted(a["_trades"]) if a["_trades"] is not None else None
        G.add_node(iri, **{k: v for k, v in attrs.items() if v is not None})
        add_territories(iri, a["_terr"])
        for s in sorted(a["_sect"] or ()):
            if s in sectors:
                G.add_node(s, **sectors[s])
                G.add_edge(iri, s, relation="in_sector", weight=1)
    for iri in sorted(keep):
        a = actors[iri]
        if a["kind"] == "campus":
            for s in sorted(school_of.get(iri, ())):
                G.add_node(s, **public(schools[s]))
                G.add_edge(s, iri, relation="membership", role="support", weight=1)
                add_territories(s, schools[s]["_terr"])
                for f in sorted(offers.get(s, ())):
                    G.add_node(f, **trainings[f])
                    G.add_edge(s, f, relation="offers", weight=1)
                    for t in sorted(leads.get(f, ())):
                        G.add_node(t, **trades[t])
                        G.add_edge(f, t, relation="leads_to", weight=1)
        if a["kind"] == "project":
            for m, role in sorted(members.get(iri, ())):
                if m in keep:
                    G.add_edge(m, iri, relation="membership", role=role, weight=1)

    if actor_edges:
        kept = sorted(keep)
        for x, y in combinations(kept, 2):
            a, b = actors[x], actors[y]
            shared = {
                "shared_trades": len((a["_trades"] or set()) & (b["_trades"] or set())),
                "shared_schools": len(school_of.get(x, set()) & school_of.get(y, set())),
                "same_territory": len(a["_closed"] & b["_closed"]),
                "same_sector": len((a["_sect"] or set()) & (b["_sect"] or set())),
            }
            total = sum(shared.values())
            if not total:
                continue
            if G.has_edge(x, y):  # a membership already: keep it, record the overlap on it
                G.edges[x, y].update(shared, overlap_weight=total)
                continue
            G.add_edge(x, y, relation="overlap", kinds="+".join(k for k, v in shared.items() if v), weight=total, **shared)
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


def actor_sets(G: nx.Graph) -> dict[str, dict[str, set | None]]:
    """Return, for each actor node, its sets ``trades``, ``territories`` and ``sectors`` (None when unknown)."""
    out = {}
    for n, d in G.nodes(data=True):
        if d.get("kind") in ACTOR_KINDS:
            out[n] = {k: (set(d[k]) if d.get(k) is not None else None) for k in ("trades", "territories", "sectors")}
    return out


def pair_overlaps(G: nx.Graph, kinds: Iterable[tuple[str, str]] = (("campus", "cluster"), ("campus", "campus"), ("campus", "project"))) -> pd.DataFrame:
    """Overlap of each pair of actors: Jaccard of trades, territories and sectors, and their mean.

    For actors *a*, *b* with trade sets *T*, territory sets *R* (closed upward) and sector sets *S*:

    * ``trade_jaccard`` :math:`= J(T(a), T(b))`, ``territory_jaccard`` :math:`= J(R(a), R(b))`,
      ``sector_jaccard`` :math:`= J(S(a), S(b))` with :math:`J(A,B)=|A\\cap B|/|A\\cup B|` (NaN when a set
      is unknown);
    * ``overlap`` :math:`=` the mean of the three that are defined (0 when none is).

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
        (``shared_trades``, ``shared_territories``, ``shared_sectors``), the three Jaccards and ``overlap``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph()
    >>> G.add_node("a", kind="campus", label="A", trades=["t1", "t2"], territories=["r"], sectors=["s"])
    >>> G.add_node("b", kind="campus", label="B", trades=["t2", "t3"], territories=["r"], sectors=["s2"])
    >>> row = pair_overlaps(G).iloc[0]
    >>> float(row.trade_jaccard), float(row.territory_jaccard), float(row.sector_jaccard), round(float(row.overlap), 4)
    (0.3333333333333333, 1.0, 0.0, 0.4444)
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
            sx, sy = sets[x], sets[y]
            js = {f"{name[:-1] if name != 'territories' else 'territory'}_jaccard": jaccard(sx[name], sy[name]) for name in ("trades", "territories", "sectors")}
            defined = [v for v in js.values() if not math.isnan(v)]
            rows.append({
                "pair": f"{k1}-{k2}", "a": x, "label_a": label.get(x, x), "b": y, "label_b": label.get(y, y),
                "shared_trades": len((sx["trades"] or set()) & (sy["trades"] or set())),
                "shared_territories": len((sx["territories"] or set()) & (sy["territories"] or set())),
                "shared_sectors": len((sx["sectors"] or set()) & (sy["sectors"] or set())),
                **js, "overlap": sum(defined) / len(defined) if defined else 0.0,
            })
    columns = ["pair", "a", "label_a", "b", "label_b", "shared_trades", "shared_territories", "shared_sectors",
               "trade_jaccard", "territory_jaccard", "sector_jaccard", "overlap"]
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

    A campus then links directly to the trades its schools' trainings reach (``relation="reaches"``,
    ``weight`` = number of trainings); ``G.graph["aggregated"]`` says what was folded.

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
    folded = {"school": 0, "training": 0, "commune": 0}
    for n, d in G.nodes(data=True):
        if d.get("kind") in ("school", "training"):
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
        campuses = [c for c in G[s] if kind.get(c) == "campus"]
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
