"""Benchmarks: the default graph in Oxigraph (the project's store) against rdflib's in-memory store.

1. Build: each run is a fresh subprocess, so that its peak memory (``ru_maxrss``) is its own.
2. Saved queries: the median latency of each saved query (its example parameters), through the rdflib
   API on both stores, in one subprocess per store.
3. Network projection and views, and the exports, on the default graph.
4. Validation: ``cmqgraph.validate.validate`` with each engine (the SPARQL one, and pySHACL, the reference)
   in a fresh process each, its time as a ratio to the build measured in the same run, and its peak memory.
5. Pages and search: the latency (p50, p99) of the thing pages (``/id/…``), of search (``/api/search``, and
   ``cmqgraph.search`` in-process) and, side by side, of the saved-query pages, one request at a time.
6. Server: ``cmqgraph serve`` on the default graph under the load of ``tests/load.py`` (a fixed mix of
   saved-query results, SPARQL SELECT and CONSTRUCT, and saved-query pages, every answer checked),
   at a few concurrency levels, against the same mix done in-process, sequentially (the baseline).
7. Scale: the shipped data at 1×, 4× and 16× (``tests/scale.py``), each built, validated, queried, served and exported;
   a table of each cost's growth per unit of data and a plot (``docs/bench-scale.png``).

Medians are written to BENCHMARKS.md with the ratio to the baseline measured in the same session
(the machines are shared and noisy: compare ratios, not absolute seconds).

Usage: ``python tests/bench.py --runs 3 --out BENCHMARKS.md`` (``make bench``). Only the server section,
merged into the existing file (the other sections keep their numbers):
``python tests/bench.py --only server --out BENCHMARKS.md`` (``--store PATH`` reuses a built store); the same
with ``--only pages`` for the pages and search section, ``--only validate`` for the validation, ``--only build``
for the build against its floor and the rebuild after one file changed, ``--only exports`` for the exports against
Oxigraph's own writer, ``--only scale`` for the scaling run (``--scales 1,4``
for fewer sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOAD = Path(__file__).with_name("load.py")

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, target = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if mode in ("oxigraph", "rebuild"):
    import cmqgraph
    report = cmqgraph.build(store=target, data_dir=sys.argv[3] if mode == "rebuild" else None)
    triples = report.triples
    size = sum(p.stat().st_size for p in Path(target).rglob("*") if p.is_file())
    kept = sum(s.kept for s in report.sources)
elif mode == "floor":
    import pyoxigraph
    store = pyoxigraph.Store(target)
    store.bulk_load(path=sys.argv[3], format=pyoxigraph.RdfFormat.N_QUADS)
    store.flush()
    triples, size, kept = None, None, None
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
    size, kept = None, None
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak_bytes": peak, "store_bytes": size, "triples": triples, "kept": kept}))
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
import json, sys, tempfile, time, warnings
from pathlib import Path
import pyoxigraph as ox
from cmqgraph.errors import ExportWarning
from cmqgraph.export import export, export_dcat
from cmqgraph.formats import export_formats
from cmqgraph.store import open_store

store = open_store(sys.argv[1])
UNION = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


def raw_dump(fmt, folder):
    # Oxigraph's own writer of the same data: the store's quads for N-Quads, the union of its graphs otherwise
    started = time.perf_counter()
    if fmt.name == "nq":
        store.dump(str(folder / "raw"), fmt.pyoxigraph)
    else:
        store.query(UNION, use_default_graph_as_union=True).serialize(str(folder / "raw"), fmt.pyoxigraph)
    return time.perf_counter() - started


rows, so_far = [], []
with tempfile.TemporaryDirectory(prefix="cmqgraph-bench-export-") as tmp:
    for fmt in export_formats():
        row = {"format": fmt.name}
        if fmt.family == "rdf":
            (Path(tmp) / "raw").mkdir(exist_ok=True)
            row["raw_seconds"] = round(raw_dump(fmt, Path(tmp) / "raw"), 2)
        started = time.perf_counter()
        if fmt.name == "dcat":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExportWarning)  # timed in a temporary folder: never published
                files = list(export_dcat(store, Path(tmp) / fmt.name, so_far))
        else:
            files = export(store, Path(tmp) / fmt.name, [fmt.name])
            so_far += files
        row.update(seconds=round(time.perf_counter() - started, 2), bytes=sum(p.stat().st_size for p in files), files=len(files))
        rows.append(row)
print(json.dumps(rows))
"""


def child(code: str, *args: str, env: dict | None = None):
    """Run the Python ``code`` with ``args`` in a fresh process; return the JSON of its last printed line."""
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def build_runs(runs: int) -> list[dict]:
    """Per run, in fresh processes: a full build, the floor (one bulk load of the same quads, from their N-Quads dump,
    into an empty on-disk store) and a rebuild of the same store after the CMQ list changed (its last campus dropped)."""
    import pyoxigraph

    from cmqgraph.builder import default_data_dir

    rows = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            store, data = tmp / "store", tmp / "data"
            full = child(CHILD, "oxigraph", str(store))
            pyoxigraph.Store.read_only(str(store)).dump(str(tmp / "all.nq"), pyoxigraph.RdfFormat.N_QUADS)
            floor = child(CHILD, "floor", str(tmp / "floor"), str(tmp / "all.nq"))
            shutil.copytree(default_data_dir(), data, ignore=shutil.ignore_patterns("*.py", "*.md", "__pycache__"))
            campuses = data / "cmq_campus_list.csv"
            campuses.write_text("".join(campuses.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
            rebuild = child(CHILD, "rebuild", str(store), str(data))
        rows.append({"build": full["seconds"], "floor": floor["seconds"], "rebuild": rebuild["seconds"], "kept": rebuild["kept"],
                     "quads": full["triples"]})
        print("build / floor / rebuild", json.dumps(rows[-1]), file=sys.stderr)
    return rows


def floor_section(rows: list[dict]) -> list[str]:
    build, floor, rebuild = (statistics.median(r[key] for r in rows) for key in ("build", "floor", "rebuild"))
    return [
        "## Build against its floor, and rebuild",
        "",
        f"Median of {len(rows)} runs, each step a fresh process, side by side in each run. The floor: one pyoxigraph `bulk_load` of "
        f"the build's own {rows[0]['quads']:,} quads, from their N-Quads dump, into an empty on-disk store. The rebuild: "
        "`cmqgraph build --data DIR` over the same store where only the CMQ list differs (its last campus dropped): "
        f"{rows[0]['kept']} of 25 sources keep their graph. Targets (issue 15): build ≤ 1.3× the floor, rebuild ≤ 0.35× the build.",
        "",
        "| measure | seconds | ratio | target |",
        "|---|---:|---:|---:|",
        f"| floor: one bulk load of the same quads | {floor:.1f} | 1.00 | |",
        f"| `cmqgraph build` (full) | {build:.1f} | {build / floor:.2f} × floor | ≤ 1.3 |",
        f"| rebuild after the CMQ list changed | {rebuild:.1f} | {rebuild / build:.2f} × build | ≤ 0.35 |",
        "",
    ]


#: The sizes of the scaling run, in multiples of the shipped data (``tests/scale.py``): 16× is about the national annuaire.
SCALES = (1, 4, 16)


def scale_runs(scales: tuple[int, ...], repeats: int, limit: int, server: argparse.Namespace) -> list[dict]:
    """At each factor of ``scales``, on a store built from the shipped data at that size (``tests/scale.py``): the build,
    the validation (the SPARQL engine), each saved query's p50, the pages and search, the exports and the server's
    requests/s (one load run at 16 in flight)."""
    from scale import scaled_data

    rows = []
    for factor in scales:
        with tempfile.TemporaryDirectory(prefix=f"cmqgraph-bench-{factor}x-") as tmp:
            data, store = scaled_data(factor, Path(tmp) / "data"), str(Path(tmp) / "store")
            row = {"factor": factor, "build": child(CHILD, "rebuild", store, str(data))}  # an empty store: a full build
            print(f"scale {factor}× build", json.dumps(row["build"]), file=sys.stderr)
            row["validate"] = child(VALIDATE_CHILD, store, "sparql")
            row["queries"] = query_latencies(store, repeats, limit, ("oxigraph",))["oxigraph"]
            row["pages"] = page_latencies(store, PAGE_ROUNDS)
            row["exports"] = export_runs(store)
            load = server_load(store, 1, server.server_seconds, [16], server.server_processes)["runs"]["16"][0]
            row["server"] = {key: load[key] for key in ("requests_per_s", "errors", "wrong")}
            print(f"scale {factor}×", json.dumps({k: v for k, v in row.items() if k not in ("queries", "pages")}), file=sys.stderr)
        rows.append(row)
    return rows


def scale_measures(row: dict) -> dict[str, float]:
    """The costs of one scaling run's row, by name: seconds, megabytes, milliseconds (p50), seconds per request."""
    exports = {f"export {r['format']} (s)": r["seconds"] for r in row["exports"]}
    return {
        "build (s)": row["build"]["seconds"],
        "build peak memory (MB)": row["build"]["peak_bytes"] / 1048576,
        "validate (s)": row["validate"]["seconds"],
        "validate peak memory (MB)": row["validate"]["peak_bytes"] / 1048576,
        "saved queries, sum of p50 (ms)": sum(q["median_ms"] for q in row["queries"].values() if q["median_ms"] is not None),
        "slowest saved query p50 (ms)": max(q["median_ms"] for q in row["queries"].values() if q["median_ms"] is not None),
        "search p50 (ms, cmqgraph.search)": row["pages"]["search (cmqgraph.search, in-process)"]["p50"],
        "search p50 (ms, /api/search)": row["pages"]["search (/api/search)"]["p50"],
        "page p50 (ms, first time)": row["pages"]["page, first time (HTML)"]["p50"],
        "page p50 (ms)": row["pages"]["page (HTML)"]["p50"],
        **exports,
        "exports, all (s)": sum(exports.values()),
        "server, time per request at 16 in flight (ms)": 1000 / row["server"]["requests_per_s"],
    }


#: The measures drawn in the scaling plot (the others are in its table).
PLOTTED = ("build (s)", "validate (s)", "exports, all (s)", "saved queries, sum of p50 (ms)", "search p50 (ms, cmqgraph.search)",
           "page p50 (ms)", "server, time per request at 16 in flight (ms)")


def scale_plot(rows: list[dict], path: Path) -> None:
    """Draw each :data:`PLOTTED` cost relative to its value at the smallest size, against the size, with the linear growth, as a PNG."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    from matplotlib import pyplot

    factors = [r["factor"] for r in rows]
    measures = [scale_measures(r) for r in rows]
    figure, axes = pyplot.subplots(figsize=(8, 5), dpi=100)
    axes.plot(factors, [f / factors[0] for f in factors], "k--", label="croissance linéaire / linear growth")
    quads = [r["build"]["triples"] for r in rows]
    axes.plot(factors, [q / quads[0] for q in quads], "k:", label="quads")
    for name in PLOTTED:
        axes.plot(factors, [m[name] / measures[0][name] for m in measures], marker="o", label=name)
    axes.set(xscale="log", yscale="log", xlabel="taille des données (× les données livrées) / data size (× the shipped data)",
             ylabel=f"coût / cost (÷ {factors[0]}×)", title="cmqgraph : coût selon la taille / cost against size")
    axes.set_xticks(factors, [f"{f}×" for f in factors])
    axes.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    axes.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, metadata={"Software": None})
    pyplot.close(figure)


def scale_section(rows: list[dict], plot: str, repeats: int) -> list[str]:
    factors = [r["factor"] for r in rows]
    measures = [scale_measures(r) for r in rows]
    first = measures[0]
    quads = [r["build"]["triples"] for r in rows]
    head = " | ".join(f"{f}×" for f in factors)
    growth = " | ".join(f"per unit at {f}×" for f in factors[1:]) + " | " + " | ".join(f"per quad at {f}×" for f in factors[1:])
    lines = [
        "## Cost at scale",
        "",
        f"Measured on {time.strftime('%Y-%m-%d')}: the shipped data at " + ", ".join(f"{f}×" for f in factors) + " (`tests/scale.py`: every "
        "file keyed by UAI — annuaire, IVAL lycées, Affelnet offers, InserJeunes, ACCE, campus members — gets its rows again with "
        "synthetic UAIs of the same départements; the national reference tables stay as shipped), each size built into its own store "
        "(a fresh process), then validated (the SPARQL engine), queried (each saved query's median of "
        f"{repeats} runs), served (pages and search as in « Pages and search », one load run of "
        "« Server » at 16 in flight) and exported. « Per unit » is the cost's growth over the data's: (cost at k× ÷ cost at "
        f"{factors[0]}×) ÷ (k ÷ {factors[0]}); at most 1.0 is no worse than linear. The references do not grow, so the quads grow less "
        "than the schools: « per quad » divides by the quads' growth instead. Targets (issue 15): no worse than linear, every "
        "saved query under 100 ms p50 at 16×. The measures of each size are in `docs/bench-scale.json`.",
        "",
        "| size | " + head + " |",
        "|---|" + "---:|" * len(factors),
        "| quads | " + " | ".join(f"{r['build']['triples']:,}" for r in rows) + " |",
        "| server requests/s (errors, wrong answers) | "
        + " | ".join(f"{r['server']['requests_per_s']:.1f} ({r['server']['errors']}, {r['server']['wrong']})" for r in rows) + " |",
        "",
        f"![Coût selon la taille / cost against size]({plot})",
        "",
        "| measure | " + head + " | " + growth + " |",
        "|---|" + "---:|" * (3 * len(factors) - 2),
    ]
    for name in first:
        values = " | ".join(f"{m[name]:.1f}" for m in measures)
        per_unit = " | ".join(f"{(m[name] / first[name]) / (f / factors[0]):.2f}" for f, m in zip(factors[1:], measures[1:]))
        per_quad = " | ".join(f"{(m[name] / first[name]) / (q / quads[0]):.2f}" for q, m in zip(quads[1:], measures[1:]))
        lines.append(f"| {name} | {values} | {per_unit} | {per_quad} |")
    lines += ["", "Each saved query's p50 (ms; rows at the largest size):", "",
              "| query | " + head + " | rows |", "|---|" + "---:|" * (len(factors) + 1)]
    for name in sorted(rows[-1]["queries"]):
        cells = [r["queries"][name]["median_ms"] for r in rows]
        text = " | ".join("–" if c is None else (f"**{c:.1f}**" if c >= 100 else f"{c:.1f}") for c in cells)
        lines.append(f"| `{name}` | {text} | {rows[-1]['queries'][name]['rows']} |")
    return lines + ["", "In bold: 100 ms or more.", ""]


def run_once(mode: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        return child(CHILD, mode, str(Path(tmp) / "store"))


def on_default_graph(repeats: int, limit: int, server: argparse.Namespace) -> tuple[dict[str, dict], list[dict], list[dict], dict, dict, dict]:
    """Return the saved-query latencies per store, the network projection and view timings, the export timings, the
    validation runs, the pages' and search's latencies and the server's load runs."""
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "store")
        child(CHILD, "oxigraph", store)
        return (
            query_latencies(store, repeats, limit),
            child(NETWORK_CHILD, store, str(repeats)),
            export_runs(store),
            validate_runs(store),
            page_latencies(store, PAGE_ROUNDS),
            server_load(store, server.server_runs, server.server_seconds, server.server_concurrency, server.server_processes),
        )


def load_run(*options: str) -> dict:
    """Run ``tests/load.py`` with ``options`` in a subprocess; return its report (errors and wrong answers included)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "load.json"
        done = subprocess.run([sys.executable, str(LOAD), *options, "--json", str(out)], capture_output=True, text=True)
        if done.returncode not in (0, 1) or not out.exists():
            raise RuntimeError(f"tests/load.py {' '.join(options)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
        return json.loads(out.read_text())


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its living descendants (Linux ``/proc``)."""
    stats = {}
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = path.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        stats[int(path.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    tree, total = {pid}, 0.0
    while True:
        more = {p for p, (parent, _) in stats.items() if parent in tree} - tree
        if not more:
            break
        tree |= more
    for member in tree:
        total += stats.get(member, (0, 0.0))[1]
    return total


def server_load(store: str, runs: int, seconds: float, levels: list[int], processes: int) -> dict:
    """Load ``cmqgraph serve`` on ``store`` at each concurrency level, ``runs`` times, with the in-process baseline between.

    Returns the load reports by level (``"baseline"`` for the in-process runs), and the server's settings.
    """
    from servers import start_cmqgraph

    reports: dict[str, list[dict]] = {"baseline": [], **{str(level): [] for level in levels}}
    load_average = os.getloadavg()[0]  # what else runs on the machine
    with tempfile.TemporaryDirectory() as tmp, start_cmqgraph(Path(store), Path(tmp), "--processes", str(processes)) as server:
        load_run("--base", server.base, "--seconds", "2", "--concurrency", str(max(levels)))  # warm-up, not counted
        for _ in range(runs):  # interleaved, so that the machine's noise falls on every series alike
            reports["baseline"].append(load_run("--baseline", "--store", store, "--seconds", str(seconds)))
            print("server baseline", f"{reports['baseline'][-1]['requests_per_s']:.1f}/s", file=sys.stderr)
            for level in levels:
                cpu = tree_cpu(server.process.pid)
                report = load_run("--base", server.base, "--store", store, "--seconds", str(seconds), "--concurrency", str(level))
                report["server_cpu_s"] = tree_cpu(server.process.pid) - cpu  # the checks before the timed phase included
                reports[str(level)].append(report)
                print(f"server concurrency {level}", f"{report['requests_per_s']:.1f}/s", f"errors {report['errors']}",
                      f"wrong {report['wrong']}", file=sys.stderr)
    return {"runs": reports, "processes": processes, "seconds": seconds, "levels": levels, "repeats": runs, "load_average": load_average}


#: What the search section types: the cases issue 14 names (a name, a typo, codes alone, words that narrow).
SEARCHES = ("mobicampus", "mobicampsu", "0250001R", "H2209", "nelson mandela audincourt", "vehicule du futur", "besancon", "mecanique auto")

#: Rounds of each kind of page and search (one request at a time: a round is cheap, and p99 needs a few hundred requests).
PAGE_ROUNDS = 20

#: Saved-query pages measured beside the thing pages: (name, parameters), run as a browser does (``?run=1``).
QUERY_PAGES = (("etablissements_du_campus", {"campus": "Mobicampus"}), ("metiers_du_campus", {"campus": "Mobicampus"}),
               ("poles_par_region", {"region": "Bourgogne-Franche-Comté"}))

SEARCH_CHILD = r"""
import json, statistics, sys, time
import cmqgraph
store, repeats, texts = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
cmqgraph.search("warm-up", store=store)
times = []
for _ in range(repeats):
    for text in texts:
        t0 = time.perf_counter()
        cmqgraph.search(text, store=store)
        times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({"p50": statistics.median(times), "p99": times[min(len(times) - 1, int(len(times) * 0.99))], "requests": len(times)}))
"""


VALIDATE_CHILD = r"""
import json, resource, sys, time
from cmqgraph.validate import validate
store, engine = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
conforms, _, _ = validate(store=store, engine=engine)
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "conforms": conforms}))
"""

#: Runs of each validation engine: pySHACL, the reference, takes minutes, so it runs once.
VALIDATE_RUNS = {"sparql": 3, "pyshacl": 1}


def validate_runs(store: str) -> dict[str, list[dict]]:
    """Validate ``store`` with each engine of :data:`VALIDATE_RUNS`, each run a fresh process (its own peak memory)."""
    runs: dict[str, list[dict]] = {}
    for engine, count in VALIDATE_RUNS.items():
        for _ in range(count):
            runs.setdefault(engine, []).append(child(VALIDATE_CHILD, store, engine))
            print("validate", engine, runs[engine][-1], file=sys.stderr)
    return runs


def validate_section(runs: dict[str, list[dict]], build_seconds: float | None) -> list[str]:
    lines = [
        "## Validation",
        "",
        "`cmqgraph.validate.validate` on the default graph, each run a fresh process: `sparql` (the shapes compiled into SPARQL on "
        "the Oxigraph store, `cmqgraph.shacl`; the default) and `pyshacl` (the reference, whose results it must equal; "
        f"{VALIDATE_RUNS['pyshacl']} run). The ratio is to the median build time of the same run. "
        "Targets (issue 15): ratio ≤ 1.0 and ≤ 600 MB peak.",
        "",
        "| engine | runs | seconds (median) | peak memory (MB, median) | ratio to the build | conforms |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for engine, results in runs.items():
        seconds = median(results, "seconds")
        ratio = f"{seconds / build_seconds:.2f}" if build_seconds else "–"
        conforms = " / ".join(sorted({str(r["conforms"]) for r in results}))
        lines.append(f"| {engine} | {len(results)} | {seconds:.1f} | {median(results, 'peak_bytes') / 1048576:.0f} | {ratio} | {conforms} |")
    return lines + [""]


def _percentiles(times: list[float]) -> dict:
    times = sorted(times)
    return {"p50": statistics.median(times), "p99": times[min(len(times) - 1, int(len(times) * 0.99))], "requests": len(times)}


#: The things whose pages are requested once each, before any other, so that no answer is cached (the first request of
#: a worker also builds its overlap network, as after a server start or a rebuild).
FIRST_PAGES = """PREFIX cmq: <https://w3id.org/cmqgraph/ontology#>
SELECT ?thing WHERE { { SELECT ?thing WHERE { ?thing a cmq:Campus } ORDER BY ?thing LIMIT 25 }
                      UNION { SELECT ?thing WHERE { ?thing a cmq:School } ORDER BY ?thing LIMIT 40 } }"""


def _first_pages(http) -> dict:
    """p50 and p99 (ms) of the HTML pages of :data:`FIRST_PAGES`, each requested once (nothing cached)."""
    answer = http.get("/sparql", params={"query": FIRST_PAGES}, headers={"Accept": "application/sparql-results+json"})
    answer.raise_for_status()
    times = []
    for row in answer.json()["results"]["bindings"]:
        t0 = time.perf_counter()
        http.get(row["thing"]["value"].removeprefix("https://w3id.org/cmqgraph"), headers={"Accept": "text/html"}).raise_for_status()
        times.append((time.perf_counter() - t0) * 1000)
    return _percentiles(times)


def page_latencies(store: str, repeats: int) -> dict[str, dict]:
    """Request each kind of page ``repeats`` times, one at a time, from ``cmqgraph serve`` on ``store``; p50 and p99 (ms) per kind.

    First, 25 campus and 40 school pages requested once each (:data:`FIRST_PAGES`: nothing cached yet); then the
    pages of what search finds first for Mobicampus and the Pôle Véhicule du Futur, and of two fixed IRIs (the
    lycée Nelson Mandela, 0250001R, and the trade H2209), each in HTML and in Turtle, after a warm-up.
    """
    import httpx
    from servers import start_cmqgraph

    with tempfile.TemporaryDirectory() as tmp, start_cmqgraph(Path(store), Path(tmp)) as server, httpx.Client(base_url=server.base, timeout=60) as http:
        def first(text: str) -> str:
            answer = http.get("/api/search", params={"q": text, "limit": 1})
            answer.raise_for_status()
            return answer.json()["results"][0]["iri"].removeprefix("https://w3id.org/cmqgraph")

        things = [first("mobicampus"), first("vehicule du futur"), "/id/etablissement/0250001R", "/id/rome/H2209"]
        kinds: dict[str, list[tuple[str, dict, dict]]] = {
            "page (HTML)": [(path, {}, {"Accept": "text/html"}) for path in things],
            "description (Turtle)": [(path, {}, {"Accept": "text/turtle"}) for path in things],
            "search (/api/search)": [("/api/search", {"q": text}, {}) for text in SEARCHES],
            "saved-query page": [(f"/queries/{name}", {**params, "run": "1"}, {}) for name, params in QUERY_PAGES],
        }
        for requests in kinds.values():  # warm-up (the server's caches and the workers' stores), not counted
            for path, params, headers in requests:
                http.get(path, params=params, headers=headers).raise_for_status()
        results = {"page, first time (HTML)": _first_pages(http)}
        for kind, requests in kinds.items():
            times = []
            for _ in range(repeats):
                for path, params, headers in requests:
                    t0 = time.perf_counter()
                    http.get(path, params=params, headers=headers).raise_for_status()
                    times.append((time.perf_counter() - t0) * 1000)
            results[kind] = _percentiles(times)
    results["search (cmqgraph.search, in-process)"] = child(SEARCH_CHILD, store, str(repeats), json.dumps(SEARCHES))
    return results


def pages_section(results: dict[str, dict], repeats: int) -> list[str]:
    reference = results["saved-query page"]["p50"]
    lines = [
        "## Pages and search",
        "",
        f"Measured on {time.strftime('%Y-%m-%d')}: `cmqgraph serve` on the default graph, one request at a time (httpx, keep-alive), "
        "first 25 campus and 40 school pages requested once each (nothing cached: « first time »), then "
        f"{repeats} rounds of each other kind after a warm-up. Pages: Mobicampus and the Pôle Véhicule du Futur (as search finds them), "
        "the lycée Nelson Mandela (0250001R) and the trade H2209. Searches: " + ", ".join(f"« {t} »" for t in SEARCHES) + ". "
        "Saved-query pages (" + ", ".join(f"`{n}`" for n, _ in QUERY_PAGES) + ") are the baseline: a page of the site that runs a query. "
        "Target (issue 14): search p50 ≤ 20 ms.",
        "",
        "| kind | requests | p50 (ms) | p99 (ms) | p50 ratio to a saved-query page |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, r in results.items():
        lines.append(f"| {kind} | {r['requests']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['p50'] / reference:.2f} |")
    return lines + [""]


def query_latencies(store: str, repeats: int, limit: int, modes: tuple[str, ...] = ("oxigraph", "rdflib")) -> dict[str, dict]:
    """Return, per store (``oxigraph``: ``store``; ``rdflib``: the default data in memory), the median latency (ms) and row
    count of each saved query."""
    return {mode: child(QUERIES_CHILD, mode, store, str(repeats), str(limit)) for mode in modes}


def export_runs(store: str) -> list[dict]:
    """Time each export format on ``store`` in a fresh process, with Oxigraph's own writer of each RDF dump beside it."""
    return child(EXPORT_CHILD, store, env={**os.environ, "SOURCE_DATE_EPOCH": "0"})


def export_section(rows: list[dict]) -> list[str]:
    lines = [
        "## Exports",
        "",
        "`cmqgraph.export.export` on the default graph, one call per export format of `cmqgraph.formats` (RDF dumps sorted and deduplicated, "
        "written beside and renamed after an fsync). Baseline, measured just before each RDF dump: Oxigraph's own writer of the same data in "
        "the same syntax, `Store.dump` for N-Quads and a `CONSTRUCT` of the union serialised for the others (unsorted; JSON-LD expanded, not "
        "compacted). Target: each dump within 1.3× its baseline.",
        "",
        "| format | files | size (MB) | seconds | Oxigraph's writer (s) | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        raw = r.get("raw_seconds")
        baseline = f"{raw:.1f} | {r['seconds'] / raw:.2f}" if raw else "– | –"
        lines.append(f"| {r['format']} | {r['files']} | {r['bytes'] / 1048576:.1f} | {r['seconds']:.1f} | {baseline} |")
    return lines + [""]


def server_section(results: dict) -> list[str]:
    runs, levels = results["runs"], results["levels"]

    def med(reports: list[dict], *path: str) -> float | None:
        values = []
        for report in reports:
            for key in path:
                report = report[key]
            values.append(report)
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    base_rate, base_p50 = med(runs["baseline"], "requests_per_s"), med(runs["baseline"], "latency_ms", "p50")
    mix = runs["baseline"][0]["mix"]
    lines = [
        "## Server",
        "",
        f"Measured on {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores. `cmqgraph serve --processes {results['processes']}` (default limits) "
        f"on the default graph, loaded by `tests/load.py` in its own process (httpx, keep-alive connections) for "
        f"{results['seconds']:g} s per run with 1 or more requests in flight; median of {results['repeats']} runs each, "
        "interleaved with the baseline's runs. The load cycles through a fixed mix of "
        f"{len(mix)} requests: saved-query results in CSV and JSON (with parameters), SPARQL SELECT by GET, form POST and "
        "direct POST (JSON and CSV), a CONSTRUCT in Turtle and saved-query pages (`/queries/NAME?run=1&…`). Every answer "
        "is checked against the local engine on the same store (`cmqgraph.engine.run_query` + `format_frame`, pyoxigraph): "
        "an error is a transport failure or a status other than 200, a wrong answer a 200 whose rows differ.",
        "",
        "Baseline: the same mix done in-process, one request after the other, with no HTTP and no worker process "
        "(`tests/load.py --baseline`: `run_query` + `format_frame`, pyoxigraph's query and serializer; a page without its HTML). "
        f"The server and the load generator share the machine's cores; before the runs, the machine's load average was "
        f"{results['load_average']:.1f} (other work on the shared machine).",
        "",
        "| load | requests/s | p50 (ms) | p99 (ms) | requests | errors | wrong answers | requests/s ratio to baseline | "
        "p50 ratio to baseline | server CPU (cores) | load generator CPU (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| in-process, sequential (baseline) | {base_rate:.1f} | {base_p50:.1f} | {med(runs['baseline'], 'latency_ms', 'p99'):.1f} | "
        f"{sum(r['requests'] for r in runs['baseline'])} | – | – | 1.00 | 1.00 | – | – |",
    ]
    for level in levels:
        reports = runs[str(level)]
        rate, p50, p99 = med(reports, "requests_per_s"), med(reports, "latency_ms", "p50"), med(reports, "latency_ms", "p99")
        cores = statistics.median(r["load_cpu_s"] / r["elapsed_s"] for r in reports)
        served = statistics.median(r["server_cpu_s"] / r["elapsed_s"] for r in reports)
        lines.append(
            f"| server, {level} in flight | {rate:.1f} | {p50:.1f} | {p99:.1f} | {sum(r['requests'] for r in reports)} | "
            f"{sum(r['errors'] for r in reports)} | {sum(r['wrong'] for r in reports)} | {rate / base_rate:.2f} | {p50 / base_p50:.1f} | "
            f"{served:.2f} | {cores:.2f} |"
        )
    lines += [
        "",
        f"With {max(levels)} requests in flight and {results['processes']} workers, a request mostly waits for a free worker: its "
        "latency is about the number in flight over the requests per second (Little's law), so the p50 ratio there measures "
        "queueing; the server's own cost per request is the p50 ratio with 1 in flight, and its throughput the requests/s ratio. "
        "The load generator (with its checks) runs on the same cores as the server. CPU is CPU seconds over the run's elapsed "
        "seconds: the server's, with its worker processes (from `/proc`, the untimed checks before each run included), and the load generator's.",
        "",
        "Median p50 latency (ms) per kind of request:",
        "",
        "| kind | baseline | " + " | ".join(f"server, {level} in flight" for level in levels) + " |",
        "|---|---:|" + "---:|" * len(levels),
    ]
    for kind in runs["baseline"][0]["kinds"]:
        cells = [med(runs[key], "kinds", kind, "latency_ms", "p50") for key in ("baseline", *map(str, levels))]
        lines.append(f"| {kind} | " + " | ".join("–" if c is None else f"{c:.1f}" for c in cells) + " |")
    problems = [p for key in map(str, levels) for r in runs[key] for p in r["problems"]]
    if problems:
        lines += ["", "Problems seen (first ones):", "", *[f"- {p}" for p in problems[:10]]]
    return lines + [""]


def kept_sections(path: Path, generated: tuple[str, ...]) -> list[str]:
    """The sections of the existing file at ``path`` that ``make bench`` does not measure (a one-off comparison, with its
    date and method), kept as they are when the file is written anew."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    kept: list[str] = []
    keep = False
    for line in lines:
        if line.startswith("## ") or line.startswith("Raw build runs"):
            keep = line.startswith("## ") and line not in generated and line != "## Building the default graph"
        if keep:
            kept.append(line)
    return kept


def merge_section(text: str, section: list[str]) -> str:
    """``text`` (a BENCHMARKS.md) with its section of the same heading replaced by ``section``, or ``section`` added before the raw runs."""
    heading = section[0]
    block = "\n".join(section)
    lines = text.splitlines()
    if heading in lines:
        start = lines.index(heading)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ") or lines[i].startswith("Raw build runs")), len(lines))
        return "\n".join([*lines[:start], block, *lines[end:]]) + "\n"
    raw = next((i for i, line in enumerate(lines) if line.startswith("Raw build runs")), len(lines))
    return "\n".join([*lines[:raw], block, *lines[raw:]]) + "\n"


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
    parser.add_argument("--only", choices=["build", "server", "pages", "validate", "exports", "scale"], help="measure only this section and merge it into --out (the others keep their numbers)")
    parser.add_argument("--store", type=Path, help="with --only: a built store to use (default: build one in a temporary folder)")
    parser.add_argument("--scales", type=lambda text: tuple(int(n) for n in text.split(",")), default=SCALES,
                        help="sizes of the scaling run, in multiples of the shipped data, comma-separated (default 1,4,16)")
    parser.add_argument("--scale-json", type=Path, help="with --only scale: write the section and plot from these measures "
                        "(docs/bench-scale.json, written by the last scaling run) instead of measuring again")
    parser.add_argument("--server-runs", type=int, default=5, help="load runs per concurrency level (the median is reported)")
    parser.add_argument("--server-seconds", type=float, default=10.0, help="seconds each load run lasts")
    parser.add_argument("--server-concurrency", type=lambda text: [int(n) for n in text.split(",")], default=[1, 16],
                        help="requests in flight, comma-separated levels (default 1,16)")
    parser.add_argument("--server-processes", type=int, default=2, help="worker processes of the server (its default: 2)")
    args = parser.parse_args()
    if args.only:
        only_section(args)
        return
    results = {}
    for mode in ("oxigraph", "rdflib"):
        results[mode] = [run_once(mode) for _ in range(args.runs)]
        print(mode, json.dumps(results[mode]), file=sys.stderr)
    ox, rd = results["oxigraph"], results["rdflib"]
    latencies, network_rows, export_rows, validation, pages, server = on_default_graph(args.query_runs, args.query_limit, args)
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
        *floor_section(build_runs(args.runs)),
        *query_section(latencies, args.query_runs, args.query_limit),
        *network_section(network_rows, args.query_runs),
        *export_section(export_rows),
        *validate_section(validation, median(ox, "seconds")),
        *pages_section(pages, PAGE_ROUNDS),
        *server_section(server),
        *scale_lines(args),
        *kept_sections(args.out, ("## Cost at scale", "## Build against its floor, and rebuild", "## Saved queries", "## Network projection and views", "## Exports", "## Validation", "## Pages and search", "## Server")),
        "Raw build runs (seconds, peak bytes, store bytes):",
        "",
        "```json",
        json.dumps(results, indent=1),
        "```",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


def scale_lines(args: argparse.Namespace) -> list[str]:
    """Run the scaling run of ``args.scales``; draw its plot beside ``args.out`` (``docs/bench-scale.png``, its measures in
    ``docs/bench-scale.json``); return its section."""
    plot = Path("docs") / "bench-scale.png"
    saved = (args.out.parent / plot).with_suffix(".json")
    if args.scale_json:
        rows = json.loads(args.scale_json.read_text(encoding="utf-8"))
    else:
        rows = scale_runs(args.scales, args.query_runs, args.query_limit, args)
        saved.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    scale_plot(rows, args.out.parent / plot)
    return scale_section(rows, plot.as_posix(), args.query_runs)


def only_section(args: argparse.Namespace) -> None:
    """Measure the section ``args.only`` alone (see the module's usage) and merge it into ``args.out``.

    The validation's ratio needs the build of the same run: without ``--store`` the store is built here and timed."""
    with tempfile.TemporaryDirectory() as tmp:
        store, build_seconds = args.store, None
        if store is None and args.only not in ("build", "scale"):
            store = Path(tmp) / "store"
            build_seconds = child(CHILD, "oxigraph", str(store))["seconds"]
        if args.only == "build":
            section = floor_section(build_runs(args.runs))
        elif args.only == "scale":
            section = scale_lines(args)
        elif args.only == "validate":
            section = validate_section(validate_runs(str(store)), build_seconds)
        elif args.only == "exports":
            section = export_section(export_runs(str(store)))
        elif args.only == "server":
            section = server_section(server_load(str(store), args.server_runs, args.server_seconds, args.server_concurrency, args.server_processes))
        else:
            section = pages_section(page_latencies(str(store), PAGE_ROUNDS), PAGE_ROUNDS)
    text = args.out.read_text(encoding="utf-8") if args.out.exists() else "# Benchmarks\n\n"
    args.out.write_text(merge_section(text, section), encoding="utf-8")
    print(f"wrote the {args.only} section of {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
