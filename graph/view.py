"""Interactive network views (pyvis / vis-network) that open offline: one self-contained HTML file.

:func:`view` projects the graph (:func:`cmqgraph.network.project`), folds the details away when the
view would be too large (:func:`cmqgraph.network.aggregate`: schools into their campus, trainings into
trades, communes into départements — the page says so), and writes an HTML page that embeds
vis-network (the copy shipped inside pyvis) so that it needs no network access: no CDN, no external
script or stylesheet.

The page exposes ``window.network`` (the vis ``Network``), ``window.nodes`` and ``window.edges``
(its ``DataSet``), and sets ``window.cmqStabilized = true`` and ``window.cmqSettleMs`` (time from
the start of drawing to the end of stabilisation, in ms) once the layout has settled; physics is then
switched off so the picture stays still.

On demand (``scope=True``), a campus's view also draws the schools of its sector scope that are not its
members: lighter nodes (grey, see-through, dashed border) tied by grey dashed ``in_scope`` edges, with their
own legend entry « périmètre (déduit) » and a tooltip that says they are no members. An aggregated view
leaves them out (:func:`cmqgraph.network.aggregate`).
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

import networkx as nx
from pyvis.network import Network

from . import network as net
from .iris import BASE
from .output import atomic_file, output_folder

__all__ = ["STYLE", "DEFAULT_MAX_NODES", "CHROMIUM_ARGS", "displayed_graph", "view", "render_html", "screenshot", "thing_link"]

#: Colour, vis shape and French name of each node kind (the legend).
STYLE: dict[str, dict[str, str]] = {
    "campus": {"color": "#d62728", "shape": "star", "name": "Campus des métiers et des qualifications"},
    "school": {"color": "#ff7f0e", "shape": "triangle", "name": "Établissement (UAI)"},
    "scope_school": {"color": "rgba(127,127,127,0.35)", "shape": "triangle", "name": "Établissement du périmètre (déduit), pas membre"},
    "training": {"color": "#bcbd22", "shape": "triangleDown", "name": "Formation (CFD)"},
    "trade": {"color": "#2ca02c", "shape": "dot", "name": "Métier (ROME)"},
    "cluster": {"color": "#1f77b4", "shape": "diamond", "name": "Pôle de compétitivité"},
    "project": {"color": "#9467bd", "shape": "hexagon", "name": "Projet PIA3"},
    "territory": {"color": "#7f7f7f", "shape": "square", "name": "Territoire"},
    "sector": {"color": "#17becf", "shape": "box", "name": "Filière"},
}
#: What the view says of a school of a sector scope, in its tooltip and on its tie: derived, never a member.
_NOT_A_MEMBER = "dans le périmètre sectoriel (déduit), pas membre"
_LEVEL_FR = {"region": "région", "academie": "académie", "departement": "département", "commune": "commune"}
_KIND_FR = {k: v["name"] for k, v in STYLE.items()}
_RELATION_FR = {
    "membership": "membre", "offers": "propose", "leads_to": "mène à", "reaches": "mène à (via ses établissements)",
    "in_territory": "situé dans", "within": "inclus dans", "in_sector": "filière", "overlap": "recouvrement",
    "in_scope": _NOT_A_MEMBER,
}
_SIZE = {"campus": 26, "cluster": 24, "project": 22, "sector": 18, "territory": 14, "school": 14, "scope_school": 10, "training": 10, "trade": 10}
#: What sets the derived (sector scope) nodes and edges apart from the stated ones, in vis-network options.
_DERIVED_NODE = {"shapeProperties": {"borderDashes": [3, 3]}, "font": {"size": 10, "color": "#8a8a8a"}}
_DERIVED_EDGE = {"dashes": [2, 6], "color": {"color": "#9e9e9e", "opacity": 0.45}}

#: Above this many nodes, the view is aggregated.
DEFAULT_MAX_NODES = 250


def displayed_graph(G: nx.Graph, max_nodes: int = DEFAULT_MAX_NODES, overlap_edges: bool | None = None) -> nx.Graph:
    """The graph the page draws: ``G`` aggregated when it has more than ``max_nodes`` nodes.

    Actor–actor ``overlap`` edges are kept when they share trades or schools, or, when
    ``overlap_edges`` is true (default: at most 30 actors), all of them.
    """
    D = net.aggregate(G) if G.number_of_nodes() > max_nodes else G.copy()
    actors = sum(1 for _, d in D.nodes(data=True) if d.get("kind") in net.ACTOR_KINDS)
    if overlap_edges is None:
        overlap_edges = actors <= 30
    if not overlap_edges:
        drop = [(u, v) for u, v, d in D.edges(data=True)
                if d.get("relation") == "overlap" and not (d.get("shared_trades") or d.get("shared_schools"))]
        D.remove_edges_from(drop)
    return D


def thing_link(iri: str, pages: str | None = None) -> str:
    """Where a node's link leads: the page of ``iri`` on a ``cmqgraph serve`` whose links start with ``pages`` (``""``: the
    same server, a path), else (None: a view opened as a file) the IRI itself, which the w3id.org redirect resolves.

    >>> thing_link("https://w3id.org/cmqgraph/id/etablissement/0250001R", "")
    '/id/etablissement/0250001R'
    >>> thing_link("https://w3id.org/cmqgraph/id/etablissement/0250001R", "https://cmq.example.org")
    'https://cmq.example.org/id/etablissement/0250001R'
    >>> thing_link("https://w3id.org/cmqgraph/id/etablissement/0250001R")
    'https://w3id.org/cmqgraph/id/etablissement/0250001R'
    """
    if pages is None or not iri.startswith(BASE):
        return iri
    return pages.rstrip("/") + "/" + iri[len(BASE):]


def _tooltip(d: dict, pages: str | None = None) -> str:
    kind = d.get("kind", "")
    lines = [f"<b>{html.escape(str(d.get('label', '')))}</b>", html.escape(_KIND_FR.get(kind, kind))]
    if kind == "territory" and d.get("level"):
        lines[-1] += f" ({_LEVEL_FR.get(d['level'], d['level'])})"
    if d.get("code"):
        lines.append(f"code : {html.escape(str(d['code']))}")
    for key, name in (("theme", "thème"), ("city", "ville"), ("school_kind", "type")):
        if d.get(key):
            lines.append(f"{name} : {html.escape(str(d[key]))}")
    if kind == "scope_school":
        lines.append(f"<i>{_NOT_A_MEMBER}</i>")
    if kind in net.ACTOR_KINDS:
        trades = d.get("trades")
        lines.append(f"métiers (par ses membres) : {len(trades) if trades is not None else 'inconnus'}")
        if d.get("scope_trainings") is not None:
            lines.append(f"périmètre sectoriel (déduit, pas des membres) : {d['scope_trainings']} formations, "
                         f"{d['scope_schools']} établissements, {d['scope_trades']} métiers")
    if d.get("source"):
        lines.append(f"source : {html.escape(str(d['source']))}")
    iri = str(d.get("iri", ""))
    lines.append(f'<a href="{html.escape(thing_link(iri, pages))}" target="_blank" rel="noopener">{html.escape(iri)}</a>')
    return "<br>".join(lines)


def _title(G: nx.Graph) -> str:
    filters = G.graph.get("filters") or {}
    if not filters:
        return "Campus des métiers et des qualifications — vue nationale"
    return "Recouvrements — " + " / ".join(str(v) for v in filters.values())


def _vis_network(D: nx.Graph, pages: str | None = None) -> tuple[list, list, dict]:
    """Return the nodes, edges and options vis-network draws ``D`` with (styles, sizes, weights, physics); the
    tooltips link to the nodes' pages under ``pages`` (:func:`thing_link`)."""
    pv = Network(height="100%", width="100%", directed=False, cdn_resources="in_line")
    for n, d in D.nodes(data=True):
        style = STYLE.get(d.get("kind", ""), {"color": "#333333", "shape": "dot"})
        label = str(d.get("label", n))
        short = label if len(label) <= 40 else label[:38] + "…"
        drawn = {"font": {"size": 14 if d.get("kind") in net.ACTOR_KINDS else 11}}
        pv.add_node(n, label=short, title=_tooltip(d, pages), color=style["color"], shape=style["shape"],
                    size=_SIZE.get(d.get("kind", ""), 10), **(_DERIVED_NODE if d.get("kind") == "scope_school" else drawn))
    for u, v, d in D.edges(data=True):
        w = float(d.get("weight", 1) or 1)
        rel = d.get("relation", "")
        detail = d.get("kinds") or (f"rôle : {d['role']}" if d.get("role") else "")
        tip = _RELATION_FR.get(rel, rel) + (f" ({detail})" if detail else "") + f" — poids {w:g}"
        drawn = {"dashes": rel == "overlap", "color": {"color": "#d62728" if rel == "overlap" else "#b0b0b0", "opacity": 0.7}}
        pv.add_edge(u, v, width=min(1 + 1.5 * math.log2(w), 10) if w >= 1 else 1, title=tip, **(_DERIVED_EDGE if rel == "in_scope" else drawn))
    nodes, edges, *_ = pv.get_network_data()
    n = len(nodes)
    iterations = 400 if n < 200 else 250
    options = {
        "physics": {
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 90, "springConstant": 0.06, "avoidOverlap": 0.3},
            "stabilization": {"enabled": True, "iterations": iterations, "updateInterval": 25, "fit": True},
            "minVelocity": 1.0, "maxVelocity": 60, "timestep": 0.5,
        },
        "interaction": {"hover": True, "tooltipDelay": 150, "navigationButtons": False, "hideEdgesOnDrag": n > 300},
        "edges": {"smooth": False},
        "nodes": {"borderWidth": 1},
    }
    return nodes, edges, options


def _legend(D: nx.Graph) -> str:
    """Return the legend's items: one per kind of node drawn, with its colour, shape and count."""
    counts = {}
    for _, d in D.nodes(data=True):
        counts[d.get("kind", "")] = counts.get(d.get("kind", ""), 0) + 1
    return "".join(
        f'<li><span class="sw" style="background:{s["color"]}"></span>{html.escape(s["name"])} '
        f'<small>({s["shape"]}, {counts.get(k, 0)})</small></li>'
        for k, s in STYLE.items() if counts.get(k)
    )


def _aggregation_note(D: nx.Graph) -> str:
    """Return the note saying what an aggregated view folded (empty for a detailed view)."""
    aggregated = D.graph.get("aggregated")
    if aggregated is None:
        return ""
    parts = {"school": "établissements regroupés dans leur campus", "training": "formations regroupées dans les métiers",
             "commune": "communes regroupées dans leur département", "scope_school": "établissements du périmètre (déduit) omis"}
    folded = ", ".join(f"{v} {parts[k]}" for k, v in aggregated.items()) or "rien à regrouper"
    return (f'<p class="agg"><b>Vue agrégée</b> : {html.escape(folded)}. Pour le détail, filtrez une région '
            f'ou un campus (<code>cmqgraph view --region …</code>, <code>--campus …</code>).</p>')


def _scope_note(D: nx.Graph) -> str:
    """Return the sentence on the scope's schools when the view draws some (else empty)."""
    if not any(d.get("kind") == "scope_school" for _, d in D.nodes(data=True)):
        return ""
    return ("Nœuds gris et liens gris pointillés : établissements du périmètre sectoriel (déduit de la filière et du territoire), "
            "pas des membres.\n")


def render_html(
    D: nx.Graph, title: str | None = None, note: str = "", links: Sequence[tuple[str, str]] = (), pages: str | None = None,
) -> str:
    """Return the self-contained HTML page drawing ``D`` (built with pyvis, vis-network inlined).

    ``links`` are ``(URL, text)`` pairs shown above the title (``cmqgraph serve`` links back to its pages).
    ``pages`` is where the pages of the nodes are (``cmqgraph serve``'s links: a path prefix, ``""``, or its
    public URL): each tooltip links to its node's page; None (a view opened as a file) links to the IRIs.
    The function is mostly the page itself (HTML, CSS and the script that lays the network out).
    """
    nodes, edges, options = _vis_network(D, pages)
    lib = files("pyvis") / "templates" / "lib" / "vis-9.1.2"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    legend = _legend(D)
    agg_note = _aggregation_note(D)
    title = title or _title(D)
    nav = " · ".join(f'<a href="{html.escape(url)}">{html.escape(text)}</a>' for url, text in links)
    nav = f'<nav id="site">{nav}</nav>' if nav else ""
    data = json.dumps({"nodes": nodes, "edges": edges, "options": options}, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{css}
html,body{{margin:0;height:100%;font-family:system-ui,sans-serif}}
#page{{display:flex;height:100%}} #graph{{flex:1;height:100%;background:#fff}}
#side{{width:300px;overflow:auto;padding:8px 12px;border-left:1px solid #ddd;font-size:13px}}
#side h1{{font-size:15px}} ul.legend{{list-style:none;padding:0}} .sw{{display:inline-block;width:12px;height:12px;margin-right:6px;border-radius:2px}}
.agg{{background:#fff3cd;padding:6px;border-radius:4px}} #info{{word-break:break-all}} #status{{color:#555}}
</style></head>
<body><div id="page"><div id="graph"></div><div id="side">
{nav}<h1>{html.escape(title)}</h1>
<p id="status">Mise en page…</p>
{agg_note}
<p>{len(nodes)} nœuds, {len(edges)} liens. {html.escape(note)}</p>
<h2 style="font-size:14px">Légende</h2><ul class="legend">{legend}</ul>
<p>Épaisseur d'un lien : son poids (nombre d'éléments partagés). Liens rouges pointillés : recouvrement entre acteurs.
{_scope_note(D)}Cliquez un nœud pour ses détails.</p>
<div id="info"></div>
<p><small>Données : cmqgraph (sources publiques, voir <code>cmqgraph sources</code>).</small></p>
</div></div>
<script>{js}</script>
<script>
(function() {{
  const data = {data};
  for (const n of data.nodes) {{ const el = document.createElement("div"); el.innerHTML = n.title; n.htmlTitle = n.title; n.title = el; }}
  for (const e of data.edges) {{ delete e.arrows; }}
  window.nodes = new vis.DataSet(data.nodes);
  window.edges = new vis.DataSet(data.edges);
  window.cmqStabilized = false;
  const t0 = performance.now();
  const network = new vis.Network(document.getElementById("graph"), {{nodes: window.nodes, edges: window.edges}}, data.options);
  window.network = network;
  function done() {{
    if (window.cmqStabilized) return;
    network.setOptions({{physics: false}});
    window.cmqSettleMs = performance.now() - t0;
    window.cmqStabilized = true;
    document.getElementById("status").textContent = "Mise en page stabilisée en " + (window.cmqSettleMs / 1000).toFixed(1) + " s.";
  }}
  network.on("stabilizationIterationsDone", done);
  network.once("stabilized", done);
  network.on("click", function(p) {{
    if (!p.nodes.length) return;
    const n = window.nodes.get(p.nodes[0]);
    document.getElementById("info").innerHTML = n.htmlTitle;
  }});
}})();
</script></body></html>
"""


def view(
    store: str | os.PathLike | None = None,
    region: str | None = None,
    academie: str | None = None,
    campus: str | None = None,
    cluster: str | None = None,
    project: str | None = None,
    out: str | os.PathLike = "view.html",
    max_nodes: int = DEFAULT_MAX_NODES,
    scope: bool = False,
) -> Path:
    """Write an interactive, self-contained (offline) HTML view of the overlaps; return its path.

    Parameters are those of :func:`cmqgraph.network.project`; ``max_nodes`` is the size above which
    the view is aggregated (schools folded into campuses, trainings into trades, communes into
    départements), which the page says. ``scope`` also draws the schools of each campus's sector scope
    that are not its members, lighter (off by default; an aggregated view leaves them out).

    Raises
    ------
    cmqgraph.errors.FilterError
        A filter matches nothing (the message suggests close names).
    """
    G = net.project(store, region=region, academie=academie, campus=campus, cluster=cluster, project=project, scope=scope)
    D = displayed_graph(G, max_nodes=max_nodes)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as f:
        f.write(render_html(D).encode("utf-8"))
    return out


#: Chromium flags for a quiet, offline headless run.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def screenshot(html_path: str | os.PathLike, png: str | os.PathLike, chromium: str = "/usr/bin/chromium",
               size: tuple[int, int] = (1400, 900), timeout_ms: int = 60_000) -> dict:
    """Open ``html_path`` in headless Chromium (Playwright), wait for the layout to settle, write ``png``.

    Returns ``{"nodes": …, "settle_ms": …, "errors": [...]}`` (node count on the page, time to settle,
    console errors). Needs ``playwright`` (Python) and a Chromium binary; no ``playwright install``.
    """
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(Path(html_path).resolve().as_uri())
            page.wait_for_function("window.cmqStabilized === true", timeout=timeout_ms)
            page.evaluate("window.network.fit()")
            page.wait_for_timeout(200)
            result = {"nodes": page.evaluate("window.nodes.length"), "settle_ms": page.evaluate("window.cmqSettleMs"), "errors": errors}
            picture = page.screenshot()
        finally:
            browser.close()
    with atomic_file(output_folder(Path(png).parent) / Path(png).name) as f:
        f.write(picture)
    return result
