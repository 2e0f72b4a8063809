"""Overlap metrics: on a small hand-checkable graph of real rows, then on the default graph."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import networkx as nx
import pyoxigraph as ox
import pytest
from conftest import DATA

import cmqgraph
from cmqgraph import network as net

# Real rows of the default graph (académie de Bordeaux = 04, Nouvelle-Aquitaine = 75, Auvergne-Rhône-Alpes = 84):
# trades reached by the trainings of each campus's support school (Certif Info), the pôle's régions and filières.
ID = "https://w3id.org/cmqgraph/id/"
THIVIERS = ID + "campus/bordeaux/cuir-textile-mode-et-luxe-thiviers"
MARTRES = ID + "campus/bordeaux/foret-bois-d-aquitaine-campus-jean-louis-martres"
XYLOFUTUR = ID + "pole/xylofutur"
T_THIVIERS = ["B1802", "F1503", "F1607", "H2202", "H2206", "H2207", "H2208", "H2401"]
T_MARTRES = ["F1501", "F1503", "F1607", "H2206", "H2209", "K1302", "N1103", "N1303"]
ACA, R75, R84 = ID + "academie/04", ID + "region/75", ID + "region/84"
# Their members, any role (Thiviers: its support 0240039M and the member 0240984P; Martres: its support 0401002X;
# a pôle has none), and the ROME codes of their sector scopes (graph sector_scope, cmq:scopeTrade).
M_THIVIERS = [ID + "etablissement/0240039M", ID + "etablissement/0240984P"]
M_MARTRES = [ID + "etablissement/0401002X"]
P_THIVIERS = ["B1301", "B1302", "B1604", "B1802", "B1803", "B1805", "B1806", "D1506", "E1201", "E1205", "E1301", "E1306", "F1503",
              "H2206", "H2207", "H2208", "H2401", "H2505", "H2805"]
P_MARTRES = ["B1301", "B1302", "D1506", "F1104", "F1107", "F1202", "F1302", "F1501", "F1503", "F1603", "F1604", "F1606", "F1607",
             "F1608", "F1609", "F1610", "F1612", "F1701", "F1703", "H2202", "H2206", "H2207", "H2208", "H2209", "H2805", "I1203",
             "I1306", "I1308"]
P_XYLOFUTUR = ["H2102", "H2301", "H2701", "H3102", "K2301", "K2303"]
MOBICAMPUS = ID + "campus/besancon/mobicampus-automobile-et-mobilites-du-futur-nord-franche-comte"
MSI = ID + "campus/besancon/microtechniques-et-systemes-intelligents-m-si"
MANDELA = ID + "etablissement/0250001R"


@pytest.fixture
def small():
    G = nx.Graph()
    G.add_node(ACA, kind="territory", level="academie", label="Bordeaux")
    G.add_node(R75, kind="territory", level="region", label="Nouvelle-Aquitaine")
    G.add_node(R84, kind="territory", level="region", label="Auvergne-Rhône-Alpes")
    G.add_node(THIVIERS, kind="campus", label="Cuir, textile, mode et luxe (Thiviers)", trades=T_THIVIERS,
               territories=[ACA, R75], sectors=["creation-design-audiovisuel"], members=M_THIVIERS, scope_trade_iris=P_THIVIERS)
    G.add_node(MARTRES, kind="campus", label="Forêt-bois d'Aquitaine – Campus Jean-Louis Martres", trades=T_MARTRES,
               territories=[ACA, R75], sectors=["infrastructures-batiment-eco-construction"], members=M_MARTRES, scope_trade_iris=P_MARTRES)
    G.add_node(XYLOFUTUR, kind="cluster", label="Xylofutur", territories=[R75, R84], sectors=["chimie-et-biotechnologies"],
               scope_trade_iris=P_XYLOFUTUR)
    return G


def test_pairs_by_hand(small):
    pairs = net.pair_overlaps(small).set_index(["a", "b"])
    cc = pairs.loc[(THIVIERS, MARTRES)] if (THIVIERS, MARTRES) in pairs.index else pairs.loc[(MARTRES, THIVIERS)]
    # trades: ∩ = {F1503, F1607, H2206} = 3, ∪ = 8 + 8 - 3 = 13  →  3/13
    assert cc.shared_trades == 3 and cc.trade_jaccard == pytest.approx(3 / 13)
    # territories: both {académie 04, région 75}  →  1;  sectors differ  →  0
    assert cc.territory_jaccard == 1.0 and cc.sector_jaccard == 0.0
    # overlap = mean(3/13, 1, 0) = 0.41026
    assert cc.overlap == pytest.approx((3 / 13 + 1) / 3)
    cp = pairs.loc[(THIVIERS, XYLOFUTUR)]
    # the pôle has no trades in the graph: undefined; territories {04, 75} vs {75, 84}: 1/3; sectors 0
    assert math.isnan(cp.trade_jaccard)
    assert cp.territory_jaccard == pytest.approx(1 / 3) and cp.sector_jaccard == 0.0
    assert cp.overlap == pytest.approx(1 / 6)  # mean of the two defined values


def test_member_and_scope_terms_by_hand(small):
    pairs = net.pair_overlaps(small).set_index(["a", "b"])
    cc = pairs.loc[(THIVIERS, MARTRES)] if (THIVIERS, MARTRES) in pairs.index else pairs.loc[(MARTRES, THIVIERS)]
    # members: {0240039M, 0240984P} vs {0401002X}: ∩ = 0, ∪ = 3  →  0
    assert cc.shared_members == 0 and cc.member_jaccard == 0.0
    # scope trades: ∩ = {B1301, B1302, D1506, F1503, H2206, H2207, H2208, H2805} = 8, ∪ = 19 + 28 - 8 = 39  →  8/39
    assert cc.shared_scope_trades == 8 and cc.scope_trade_jaccard == pytest.approx(8 / 39)
    # neither is in the overlap mean, which stays mean(3/13, 1, 0)
    assert cc.overlap == pytest.approx((3 / 13 + 1) / 3)
    cp = pairs.loc[(THIVIERS, XYLOFUTUR)]
    # a pôle has no member in the graph: undefined; scope trades: nothing shared of 19 + 6  →  0
    assert math.isnan(cp.member_jaccard) and cp.shared_members == 0
    assert cp.shared_scope_trades == 0 and cp.scope_trade_jaccard == 0.0
    assert cp.overlap == pytest.approx(1 / 6)
    # the columns of before keep their place; the new terms follow
    assert list(pairs.reset_index().columns) == [
        "a", "b", "pair", "label_a", "label_b", "shared_trades", "shared_territories", "shared_sectors", "trade_jaccard",
        "territory_jaccard", "sector_jaccard", "overlap", "shared_members", "shared_scope_trades", "member_jaccard", "scope_trade_jaccard",
    ]


def test_territory_scores_by_hand(small):
    scores = net.territory_scores(small).set_index("territory")
    # région 75 holds the 3 actors: pairs (T,M)=0.41026, (T,X)=1/6, (M,X)=1/6  →  mean 0.24786
    assert scores.loc[R75, "pairs"] == 3
    assert scores.loc[R75, "score"] == pytest.approx(((3 / 13 + 1) / 3 + 1 / 6 + 1 / 6) / 3)
    # académie 04 holds the two campuses only
    assert scores.loc[ACA, "pairs"] == 1 and scores.loc[ACA, "score"] == pytest.approx((3 / 13 + 1) / 3)
    assert scores.loc[R84, "actors"] == 1 and math.isnan(scores.loc[R84, "score"])


def test_centrality_and_communities_by_hand(small):
    cent = net.centrality(small).set_index("node")
    # 3 territories in the bipartite graph: each actor touches 2  →  degree 2/3; each actor 1 of 3 sectors  →  1/3
    assert cent.loc[THIVIERS, "territory_degree"] == pytest.approx(2 / 3)
    assert cent.loc[XYLOFUTUR, "sector_degree"] == pytest.approx(1 / 3)
    first = net.communities(net.overlap_network(net.pair_overlaps(small), small), seed=7)
    again = net.communities(net.overlap_network(net.pair_overlaps(small), small), seed=7)
    assert first.equals(again) and set(first.node) == {THIVIERS, MARTRES, XYLOFUTUR}


def test_exports_are_graphml_safe(small, tmp_path):
    small.add_edge(THIVIERS, MARTRES, relation="overlap", weight=3, note=None)
    net.write_graphml(small, tmp_path / "g.graphml")
    net.write_gexf(small, tmp_path / "g.gexf")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.nodes[THIVIERS]["trades"].split("|") == sorted(T_THIVIERS)
    assert back.edges[THIVIERS, MARTRES]["relation"] == "overlap"
    paths = net.write_csv(net.metrics(small), tmp_path / "csv")
    assert sorted(p.name for p in paths) == ["centrality.csv", "communities.csv", "pairs.csv", "territories.csv"]


def test_jaccard():
    assert net.jaccard({"a"}, {"a", "b"}) == 0.5
    assert math.isnan(net.jaccard(set(), set())) and math.isnan(net.jaccard(None, {"a"}))


# ------------------------------------------------------------------------------------- the default graph


CMQ, SKOS, ORG = "https://w3id.org/cmqgraph/ontology#", "http://www.w3.org/2004/02/skos/core#", "http://www.w3.org/ns/org#"


def _column(store, sparql: str, bound: dict[str, ox.Literal | ox.NamedNode]) -> set[str]:
    """The values of ``?x`` in the answers of ``sparql`` on the store, its other variables bound to ``bound``."""
    solutions = cmqgraph.open_store(store).query(
        sparql, use_default_graph_as_union=True, substitutions={ox.Variable(k): v for k, v in bound.items()}
    )
    return {row["x"].value for row in solutions}


def _trades_of_school(store, uai: str) -> set[str]:
    """The ROME codes the trainings a school offers lead to, read from the store with SPARQL."""
    sparql = f"SELECT DISTINCT ?x ?uai WHERE {{ ?s <{CMQ}uai> ?uai ; <{CMQ}offers> ?f . ?f <{CMQ}leadsToTrade>/<{SKOS}notation> ?x }}"
    return _column(store, sparql, {"uai": ox.Literal(uai)})


def _members_of(store, actor: str) -> set[str]:
    """Every member of an actor, any role (a membership's org:member, or its support establishment), read with SPARQL."""
    sparql = f"SELECT DISTINCT ?x ?a WHERE {{ {{ ?m <{ORG}organization> ?a ; <{ORG}member> ?x }} UNION {{ ?a <{CMQ}supportEstablishment> ?x }} }}"
    return _column(store, sparql, {"a": ox.NamedNode(actor)})


def _scope_trades_of(store, actor: str, codes: bool = False) -> set[str]:
    """The trades (IRIs, or ROME codes) of an actor's sector scope, read with SPARQL."""
    path = f"<{CMQ}scopeTrade>" + (f"/<{SKOS}notation>" if codes else "")
    return _column(store, f"SELECT DISTINCT ?x ?a WHERE {{ ?s <{CMQ}scopeOf> ?a ; {path} ?x }}", {"a": ox.NamedNode(actor)})


def _scope_schools_of(store, actor: str) -> set[str]:
    """The schools of an actor's sector scope, read with SPARQL."""
    return _column(store, f"SELECT DISTINCT ?x ?a WHERE {{ ?s <{CMQ}scopeOf> ?a ; <{CMQ}scopeSchool> ?x }}", {"a": ox.NamedNode(actor)})


def test_real_rows_match_the_store(built):
    store, _ = built
    G = net.project(store, campus="Thiviers", cluster="Xylofutur")
    # Thiviers: its support, the lycée Porte d'Aquitaine (0240039M, whose trades are T_THIVIERS), and the lycée
    # Léonard de Vinci (0240984P), a member in cmq_membres.csv (line 132)
    assert _trades_of_school(store, "0240039M") == set(T_THIVIERS)
    expected = set(T_THIVIERS) | _trades_of_school(store, "0240984P")
    assert len(expected) > len(T_THIVIERS)
    assert {G.nodes[t]["code"] for t in G.nodes[THIVIERS]["trades"]} == expected
    assert set(G.nodes[XYLOFUTUR]["territories"]) == {R75, R84}
    M = net.project(store, campus="Campus Jean-Louis Martres")
    assert {M.nodes[t]["code"] for t in M.nodes[MARTRES]["trades"]} == set(T_MARTRES)


def test_mobicampus_and_vehicule_du_futur_overlap(built):
    store, _ = built
    G = net.project(store, campus="Mobicampus", cluster="Pôle Véhicule du Futur",
                    project="Transformation d'un territoire industriel")
    kinds = {d["kind"] for _, d in G.nodes(data=True)}
    assert {"campus", "cluster", "project", "territory", "sector"} <= kinds
    pairs = net.pair_overlaps(G)
    row = pairs[(pairs.pair == "campus-cluster") & pairs.label_b.eq("Pôle Véhicule du Futur")].iloc[0]
    assert row.overlap > 0 and row.sector_jaccard == 1.0 and row.territory_jaccard > 0
    project_row = pairs[pairs.pair == "campus-project"].iloc[0]
    assert project_row.territory_jaccard > 0


def test_national_projection(built):
    store, _ = built
    G = net.project(store)
    counts = {k: sum(1 for _, d in G.nodes(data=True) if d["kind"] == k) for k in net.KINDS}
    assert counts["campus"] >= 100 and counts["cluster"] >= 70 and counts["project"] >= 38
    assert all(d.get("relation") and d.get("weight", 0) >= 1 for _, _, d in G.edges(data=True))
    tables = net.metrics(G)
    assert len(tables["communities"]) == counts["campus"] + counts["cluster"] + counts["project"]
    assert tables["territories"].level.isin(["region", "academie"]).all()
    A = net.aggregate(G)
    assert not any(d["kind"] in ("school", "training") for _, d in A.nodes(data=True))


@pytest.mark.parametrize("kwargs, expected", [
    ({"region": "Bourgogne Franche Conte"}, "Bourgogne-Franche-Comté"),
    ({"campus": "Mobicampuss"}, "Mobicampus"),
    ({"academie": "Besancn"}, "Besançon"),
])
def test_bad_filters_suggest(built, kwargs, expected):
    store, _ = built
    with pytest.raises(net.FilterError, match=expected):
        net.project(store, **kwargs)


def test_gexf_and_graphml_do_not_depend_on_the_process_hash_seed(tmp_path):
    """Node order followed set iteration, which string hashing changes in each process: the files differed run to run."""
    store = tmp_path / "store"
    cmqgraph.build(store=store, data_dir=DATA)
    script = "import sys; from cmqgraph import network; G = network.project(sys.argv[1]); network.write_gexf(G, sys.argv[2]); network.write_graphml(G, sys.argv[3])"
    written = []
    for seed in ("1", "2"):
        gexf, graphml = tmp_path / f"{seed}.gexf", tmp_path / f"{seed}.graphml"
        env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1700000000"}
        subprocess.run([sys.executable, "-c", script, str(store), str(gexf), str(graphml)], check=True, env=env)
        written.append((gexf.read_bytes(), graphml.read_bytes()))
    assert written[0] == written[1]
    assert b'lastmodifieddate="2023-11-14"' in written[0][0] and f"<creator>cmqgraph {cmqgraph.__version__}</creator>".encode() in written[0][0]


def test_the_sector_scope_is_an_attribute_apart_from_the_members(built):
    """Mobicampus's scope (18 trainings, 7 schools, 15 trades: see test_export) rides on its node, not as member ties."""
    store, _ = built
    G = net.project(store, campus="Mobicampus")
    (campus,) = [n for n, d in G.nodes(data=True) if d["kind"] == "campus"]
    d = G.nodes[campus]
    assert (d["scope_trainings"], d["scope_schools"], d["scope_trades"]) == (18, 7, 15)
    member_schools = {v for v in G[campus] if G.nodes[v]["kind"] == "school"}
    assert "https://w3id.org/cmqgraph/id/etablissement/0251994G" not in member_schools  # in the scope, not a member


def test_the_small_graph_members_and_scopes_are_real_rows(built):
    store, _ = built
    assert _members_of(store, THIVIERS) == set(M_THIVIERS) and _members_of(store, MARTRES) == set(M_MARTRES)
    assert _members_of(store, XYLOFUTUR) == set()
    for actor, codes in ((THIVIERS, P_THIVIERS), (MARTRES, P_MARTRES), (XYLOFUTUR, P_XYLOFUTUR)):
        assert _scope_trades_of(store, actor, codes=True) == set(codes)


def test_msi_and_mobicampus_share_the_lycee_nelson_mandela(built):
    """The lycée Nelson Mandela (0250001R) is a member of both. Counted in the files: Mobicampus has 8 members
    (cmq_membres.csv: the lycée, the UTBM, the UFR STGI and the IUT; the BFC facts add the académie, the Région,
    Pays de Montbéliard Agglomération and the Université de Franche-Comté), M&SI 3 (the lycée, the lycée Edgar Faure
    0251671F, SUPMICROTECH-ENSMM): ∪ = 10."""
    store, _ = built
    mobicampus, msi = _members_of(store, MOBICAMPUS), _members_of(store, MSI)
    assert mobicampus & msi == {MANDELA} and len(mobicampus) == 8 and len(msi) == 3
    G = net.project(store, academie="Besançon")
    pairs = net.pair_overlaps(G)
    row = pairs[pairs.a.eq(MSI) & pairs.b.eq(MOBICAMPUS)].iloc[0]
    assert row.shared_members == 1 and row.member_jaccard == pytest.approx(1 / 10)
    scope_a, scope_b = _scope_trades_of(store, MSI), _scope_trades_of(store, MOBICAMPUS)
    assert row.shared_scope_trades == len(scope_a & scope_b) > 0
    assert row.scope_trade_jaccard == pytest.approx(len(scope_a & scope_b) / len(scope_a | scope_b))
    # the scope's trades are read apart: the campus's own trades are its member lycée's, its scope's are its scope's (15)
    d = G.nodes[MOBICAMPUS]
    assert {G.nodes[t]["code"] for t in d["trades"]} == _trades_of_school(store, "0250001R")
    assert set(d["scope_trade_iris"]) == scope_b and len(scope_b) == d["scope_trades"] == 15


def test_the_scope_schools_are_drawn_apart_on_demand(built):
    """Mobicampus's scope has 7 schools, none a member (the lycée Germaine Tillion, 0251994G, among them)."""
    store, _ = built
    expected = _scope_schools_of(store, MOBICAMPUS)
    assert len(expected) == 7 and not expected & _members_of(store, MOBICAMPUS)
    assert ID + "etablissement/0251994G" in expected
    plain = net.project(store, campus="Mobicampus")
    assert not [n for n, d in plain.nodes(data=True) if d["kind"] == "scope_school"] and "scope" not in plain.graph
    G = net.project(store, campus="Mobicampus", scope=True)
    drawn = {n for n, d in G.nodes(data=True) if d["kind"] == "scope_school"}
    assert drawn == expected and G.graph["scope"] is True
    for s in drawn:
        assert G.nodes[s]["source"] == "sector_scope" and G.nodes[s]["code"] == s.rsplit("/", 1)[-1]
        assert [(c, e["relation"]) for c, e in G[s].items()] == [(MOBICAMPUS, "in_scope")]
    assert G.edges[MANDELA, MOBICAMPUS]["relation"] == "membership" and G.edges[MANDELA, MOBICAMPUS]["role"] == "membre"
    # folded away, the scope's schools reach nothing: the same campus–trade ties as without them
    A, B = net.aggregate(G), net.aggregate(plain)
    assert not [n for n, d in A.nodes(data=True) if d["kind"] == "scope_school"] and A.graph["aggregated"]["scope_school"] == 7
    reaches = {(u, v, e["weight"]) for u, v, e in A.edges(data=True) if e["relation"] == "reaches"}
    assert reaches == {(u, v, e["weight"]) for u, v, e in B.edges(data=True) if e["relation"] == "reaches"} != set()
