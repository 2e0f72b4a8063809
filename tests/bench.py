"""Benchmarks: the default graph in Oxigraph (the project's store) against rdflib's in-memory store.

1. Build: each run is a fresh subprocess, so that its peak memory (``ru_maxrss``) is its own.
2. Saved queries: the median latency of each saved query (its example parameters), through the rdflib
   API on both stores, in one subprocess per store.

Medians are written to BENCHMARKS.md with the ratio to the rdflib baseline measured in the same session
(the machines are shared and noisy: compare ratios, not absolute seconds).

Usage: ``python tests/bench.py --runs 3 --out BENCHMARKS.md`` (``make bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, target = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if mode == "oxigraph":
    import cmqgraph
    report = cmqgraph.build(store=target)
    triples = report.triples
    size = sum(p.stat().st_size for p in Path(target).rglob("*") if p.is_file())
else:
    import rdflib
    from cmqgraph.builder import data_files, run_sources
    from cmqgraph.sources import BuildContext
    dataset = rdflib.Dataset()
    ctx = BuildContext(files=data_files())
    triples = 0
    for source in run_sources(ctx):
        graph = dataset.graph(source.graph)
        for triple in source.triples():
            graph.add(triple)
            triples += 1
    size = None
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak_bytes": peak, "store_bytes": size, "triples": triples}))
"""


QUERIES_CHILD = r"""
import json, signal, statistics, sys, time
import rdflib
from cmqgraph.engine import prefixed
from cmqgraph.saved_queries import load_queries
mode, store, repeats, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if mode == "oxigraph":
    import cmqgraph
    graph = cmqgraph.open_graph(store)
else:
    from cmqgraph.builder import data_files, run_sources
    from cmqgraph.sources import BuildContext
    graph = rdflib.Dataset(default_union=True)
    for source in run_sources(BuildContext(files=data_files())):
        named = graph.graph(source.graph)
        for triple in source.triples():
            named.add(triple)
def give_up(signum, frame):
    raise TimeoutError
signal.signal(signal.SIGALRM, give_up)
out = {}
for name, saved in load_queries().items():
    text = prefixed(saved.with_values({p.name: p.example for p in saved.parameters}))
    times = []
    for _ in range(repeats):
        signal.alarm(limit)
        t0 = time.perf_counter()
        try:
            rows = len(list(graph.query(text)))
        except TimeoutError:
            times = None
            break
        finally:
            signal.alarm(0)
        times.append(time.perf_counter() - t0)
    out[name] = {"median_ms": None if times is None else statistics.median(times) * 1000, "rows": None if times is None else rows}
print(json.dumps(out))
"""


NETWORK_CHILD = r"""
import json, statistics, sys, tempfile, time
from pathlib import Path
from cmqgraph import network, view
store, repeats = sys.argv[1], int(sys.argv[2])
out = []
for name, filters in (("national", {}), ("région Bourgogne-Franche-Comté", {"region": "Bourgogne-Franche-Comté"})):
    projection, rendering = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        graph = network.project(store, **filters)
        projection.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            view.view(store, out=Path(tmp) / "view.html", **filters)
            rendering.append(time.perf_counter() - t0)
    out.append({"view": name, "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
                "projection_s": statistics.median(projection), "view_s": statistics.median(rendering)})
print(json.dumps(out))
"""


EXPORT_CHILD = r"""
import json, sys
from cmqgraph.export import time_exports
print(json.dumps(time_exports(sys.argv[1])))
"""


def run_once(mode: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, mode, str(Path(tmp) / "store")], capture_output=True, text=True, check=True
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def on_default_graph(repeats: int, limit: int) -> tuple[dict[str, dict], list[dict], list[dict]]:
    """Return the saved-query latencies per store, the network projection and view timings, and the export timings."""
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "store")
        subprocess.run([sys.executable, "-c", CHILD, "oxigraph", store], capture_output=True, check=True)
        out = subprocess.run([sys.executable, "-c", NETWORK_CHILD, store, str(repeats)], capture_output=True, text=True, check=True)
        exports = subprocess.run(
            [sys.executable, "-c", EXPORT_CHILD, store], capture_output=True, text=True, check=True, env={**os.environ, "SOURCE_DATE_EPOCH": "0"}
        )
        return (
            query_latencies(store, repeats, limit),
            json.loads(out.stdout.strip().splitlines()[-1]),
            json.loads(exports.stdout.strip().splitlines()[-1]),
        )


def query_latencies(store: str, repeats: int, limit: int) -> dict[str, dict]:
    """Return, per store, the median latency (ms) and row count of each saved query."""
    results = {}
    for mode in ("oxigraph", "rdflib"):
        out = subprocess.run(
            [sys.executable, "-c", QUERIES_CHILD, mode, store, str(repeats), str(limit)], capture_output=True, text=True, check=True
        )
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    return results


def export_section(rows: list[dict]) -> list[str]:
    lines = [
        "## Exports",
        "",
        "`cmqgraph.export.time_exports` on the default graph, one call per format (RDF dumps sorted and deduplicated; "
        "`all` computes the union once for ttl, nt and jsonld).",
        "",
        "| format | files | size (MB) | seconds |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {r['format']} | {r['files']} | {r['bytes'] / 1048576:.1f} | {r['seconds']:.1f} |" for r in rows]
    return lines + [""]


def network_section(rows: list[dict], repeats: int) -> list[str]:
    lines = [
        "## Network projection and views",
        "",
        f"Median of {repeats} runs on the default graph: `cmqgraph.network.project` (SPARQL to networkx) and "
        "`cmqgraph.view.view` (projection, aggregation and the HTML page).",
        "",
        "| view | nodes | edges | projection (s) | view (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| {row['view']} | {row['nodes']} | {row['edges']} | {row['projection_s']:.2f} | {row['view_s']:.2f} |")
    return lines + [""]


def query_section(results: dict[str, dict], repeats: int, limit: int) -> list[str]:
    ox, rd = results["oxigraph"], results["rdflib"]
    lines = [
        "## Saved queries",
        "",
        f"Median of {repeats} runs of each saved query with its example parameters, through the rdflib API "
        f"(`Dataset.query`): Oxigraph's engine behind oxrdflib, and rdflib's own SPARQL engine on the in-memory store "
        f"(given up after {limit} s). Target (issue 3): under 100 ms each on the Oxigraph store.",
        "",
        "| query | rows | Oxigraph (ms) | rdflib (ms) | ratio Oxigraph / rdflib |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in sorted(ox):
        a, b = ox[name]["median_ms"], rd.get(name, {}).get("median_ms")
        ratio = f"{a / b:.3f}" if a is not None and b else "–"
        lines.append(
            f"| `{name}` | {ox[name]['rows']} | {'–' if a is None else f'{a:.1f}'} | {f'> {limit * 1000}' if b is None else f'{b:.0f}'} | {ratio} |"
        )
    return lines + [""]


def median(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per store (the median is reported)")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"), help="Markdown file to write")
    parser.add_argument("--query-runs", type=int, default=5, help="runs per saved query (the median is reported)")
    parser.add_argument("--query-limit", type=int, default=60, help="seconds after which a query run is given up")
    args = parser.parse_args()
    results = {}
    for mode in ("oxigraph", "rdflib"):
        results[mode] = [run_once(mode) for _ in range(args.runs)]
        print(mode, json.dumps(results[mode]), file=sys.stderr)
    ox, rd = results["oxigraph"], results["rdflib"]
    latencies, network_rows, export_rows = on_default_graph(args.query_runs, args.query_limit)
    mb = 1024 * 1024

    def fmt(value, scale=1.0, digits=1):
        return "–" if value is None else f"{value / scale:.{digits}f}"

    rows = [
        ("build time (s, median)", fmt(median(ox, "seconds")), fmt(median(rd, "seconds")), median(ox, "seconds") / median(rd, "seconds")),
        ("peak memory (MB, median)", fmt(median(ox, "peak_bytes"), mb, 0), fmt(median(rd, "peak_bytes"), mb, 0),
         median(ox, "peak_bytes") / median(rd, "peak_bytes")),
        ("store on disk (MB)", fmt(median(ox, "store_bytes"), mb), "– (memory only)", None),
    ]
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` (`tests/bench.py`) on {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {args.runs} runs per store (medians). Each run is a fresh process.",
        "",
        "## Building the default graph",
        "",
        f"{ox[0]['triples']:,} triples generated from the shipped real data (all sources, links and provenance).",
        "Oxigraph: the project's on-disk store (`cmqgraph build`, bulk load of N-Quads per source). "
        "rdflib: the same triples added to rdflib's default in-memory `Dataset`, the baseline.",
        "",
        "| measure | Oxigraph (on disk) | rdflib (in memory) | ratio Oxigraph / rdflib |",
        "|---|---:|---:|---:|",
    ]
    for name, a, b, ratio in rows:
        lines.append(f"| {name} | {a} | {b} | {'–' if ratio is None else f'{ratio:.2f}'} |")
    lines += [
        "",
        "Targets (issue 2): the full default build well under a minute and under 1.5 GB peak on this 2-core machine.",
        "",
        *query_section(latencies, args.query_runs, args.query_limit),
        *network_section(network_rows, args.query_runs),
        *export_section(export_rows),
        "Raw build runs (seconds, peak bytes, store bytes):",
        "",
        "```json",
        json.dumps(results, indent=1),
        "```",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
