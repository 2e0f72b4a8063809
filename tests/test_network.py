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


@pytest.fixture
def small():
    G = nx.Graph()
    G.add_node(ACA, kind="territory", level="academie", label="Bordeaux")
    G.add_node(R75, kind="territory", level="region", label="Nouvelle-Aquitaine")
    G.add_node(R84, kind="territory", level="region", label="Auvergne-Rhône-Alpes")
    G.add_node(THIVIERS, kind="campus", label="Cuir, textile, mode et luxe (Thiviers)", trades=T_THIVIERS,
               territories=[ACA, R75], sectors=["creation-design-audiovisuel"])
    G.add_node(MARTRES, kind="campus", label="Forêt-bois d'Aquitaine – Campus Jean-Louis Martres", trades=T_MARTRES,
               territories=[ACA, R75], sectors=["infrastructures-batiment-eco-construction"])
    G.add_node(XYLOFUTUR, kind="cluster", label="Xylofutur", territories=[R75, R84], sectors=["chimie-et-biotechnologies"])
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


def _trades_of_school(store, uai: str) -> set[str]:
    """The ROME codes the trainings a school offers lead to, read from the store with SPARQL."""
    cmq, skos = "https://w3id.org/cmqgraph/ontology#", "http://www.w3.org/2004/02/skos/core#"
    sparql = f"SELECT DISTINCT ?code ?uai WHERE {{ ?s <{cmq}uai> ?uai ; <{cmq}offers> ?f . ?f <{cmq}leadsToTrade>/<{skos}notation> ?code }}"
    solutions = cmqgraph.open_store(store).query(
        sparql, use_default_graph_as_union=True, substitutions={ox.Variable("uai"): ox.Literal(uai)}
    )
    return {row["code"].value for row in solutions}


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
