"""Build the graph: run every registered source, load each into its named graph, describe it.

:func:`build` is also ``cmqgraph.build``.

The new store is written beside the old one and swapped in only when the build succeeded, so a
build that fails halfway leaves the previous graph intact. Before anything is written, the build
checks that it may replace the store folder (:func:`cmqgraph.store.check_replaceable`: never a
folder of the user's) and the structure of every input file (a broken file fails in a second);
before the swap, it compares the new graph with the one it replaces (:mod:`cmqgraph.census`) and
stops if a kind of entity lost a large share of its instances. The search index (:mod:`cmqgraph.search`)
is written into the new store folder too, so that it is swapped in with the graph it indexes.
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import json
import os
import re
import shutil
import sqlite3
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, RDFS, XSD

from . import buildstate, iris
from .census import Census, census, shrinkage
from .errors import CmqGraphError, RowIssue, ShrinkError, SourceFileError, StoreError
from .iris import CMQ, SPDX
from .search import build_index
from .sources import REGISTRY, BuildContext, Source, all_sources, check_order
from .store import SEARCH_INDEX, STORE_MARKER, check_replaceable, open_store, resolve_store_path, store_kind
from .version import __version__

__all__ = [
    "BuildProgress",
    "InputFiles",
    "SourceReport",
    "BuildReport",
    "default_data_dir",
    "locate_files",
    "data_files",
    "check_inputs",
    "clear_leftovers",
    "run_sources",
    "build",
]

class BuildProgress(Protocol):
    """What a build reports as it goes (the CLI draws progress bars from it).

    A source's graph loads while the next source runs: its ``source_finished`` comes once it is loaded,
    after the next one's ``source_started``.
    """

    def source_started(self, source: type[Source], expected_rows: int) -> None: ...

    def row_read(self) -> None: ...

    def source_finished(self, report: SourceReport) -> None: ...


@dataclass(frozen=True)
class InputFiles:
    """The files a build reads, and where each comes from.

    Attributes
    ----------
    folder : Path or None
        The user's data folder (None: the shipped data only).
    paths : dict
        File name → the path read.
    shipped : frozenset of str
        The names read from the shipped copy.
    unknown : tuple of (str, str or None)
        Entries of ``folder`` that no source reads, each with the closest expected name (or None).
    """

    folder: Path | None
    paths: dict[str, Path]
    shipped: frozenset[str]
    unknown: tuple[tuple[str, str | None], ...] = ()


@dataclass
class SourceReport:
    """What one source produced, with the rows its previous build read (None when there was none).

    ``kept`` says the source did not rerun: its files were those of the previous build, and so is its graph.
    """

    name: str
    title: str
    files: dict[str, Path]
    rows: int
    triples: int
    issues: list[RowIssue]
    seconds: float
    shipped: frozenset[str] = frozenset()
    previous_rows: int | None = None
    kept: bool = False

    @property
    def skipped(self) -> int:
        """Rows skipped because of an error or by design."""
        return sum(1 for i in self.issues if i.severity in ("error", "skipped"))


@dataclass
class BuildReport:
    """What a build produced: the store, one report per source, the input files, and what it cleaned up.

    ``previous`` is the census of the graph replaced (None when there was none, or it could not be
    read: ``previous_note`` says why); ``removed`` lists the leftover folders of killed builds removed
    or restored; ``search_note`` says why the search index could not be written ("" when it was).
    """

    store: Path
    sources: list[SourceReport] = field(default_factory=list)
    seconds: float = 0.0
    inputs: InputFiles | None = None
    previous: Census | None = None
    previous_note: str = ""
    removed: list[Path] = field(default_factory=list)
    search_note: str = ""

    @property
    def issues(self) -> list[RowIssue]:
        return [i for s in self.sources for i in s.issues]

    @property
    def triples(self) -> int:
        return sum(s.triples for s in self.sources)


def default_data_dir() -> Path:
    """Return the folder of the real data files shipped inside the package."""
    return Path(str(files("cmqgraph.data")))


def _expected_names() -> list[str]:
    return [spec.name for source in all_sources() for spec in source.files]


def _unreadable(path: Path) -> str | None:
    """Say why the entry ``path`` (which exists, or is a link) cannot be read as a file; None if it can."""
    if path.is_symlink() and not path.exists():
        try:
            path.stat()
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "is a link loop"
        return f"is a broken link (to {os.readlink(path)})"
    if path.is_dir():
        return "is a folder, not a file"
    if not path.is_file():
        return "is not a regular file"
    try:
        path.open("rb").close()
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    return None


def _closest(name: str, expected: list[str]) -> str | None:
    lowered = {e.lower(): e for e in expected}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def locate_files(data_dir: str | os.PathLike | None = None, with_defaults: bool = False) -> InputFiles:
    """Find every file the sources read: in ``data_dir``, or the shipped copy (all of them, or with ``with_defaults`` those missing).

    Raises
    ------
    SourceFileError
        ``data_dir`` is not a folder; an entry of it has an expected name but cannot be read (a
        folder, a broken link, a link loop, no permission); or, without ``with_defaults``, a file is
        missing (the message names the first, how many more, and a file of the folder whose name is close).

    Examples
    --------
    >>> inputs = locate_files()
    >>> inputs.folder is None and len(inputs.shipped) == len(inputs.paths)
    True
    """
    shipped_dir = default_data_dir()
    expected = _expected_names()
    if data_dir is None:
        return InputFiles(None, {name: shipped_dir / name for name in expected}, frozenset(expected))
    folder = Path(data_dir)
    if not folder.is_dir():
        raise SourceFileError(folder, "data folder not found")
    paths: dict[str, Path] = {}
    missing = []
    for name in expected:
        path = folder / name
        if path.exists() or path.is_symlink():
            problem = _unreadable(path)
            if problem:
                raise SourceFileError(path, f"{problem}: the build cannot read it (remove it to use the shipped copy)" if with_defaults else problem)
            paths[name] = path
        elif with_defaults:
            paths[name] = shipped_dir / name
        else:
            missing.append(name)
    known = set(expected)
    unknown = tuple(
        (entry.name, _closest(entry.name, expected))
        for entry in sorted(os.scandir(folder), key=lambda e: e.name)
        if entry.name not in known and not entry.name.startswith(".")
    )
    if missing:
        near = [entry for entry, suggestion in unknown if suggestion == missing[0]]
        more = f" (and {len(missing) - 1} more: {', '.join(missing[1:4])}{'…' if len(missing) > 4 else ''})" if len(missing) > 1 else ""
        hint = f"; the folder has {near[0]!r}: rename it" if near else "; --with-defaults takes the shipped copy of each missing file"
        raise SourceFileError(folder / missing[0], f"file not found{more}{hint}")
    shipped = frozenset(name for name, path in paths.items() if path.parent.resolve() == shipped_dir.resolve())
    return InputFiles(folder, paths, shipped, unknown)


def data_files(data_dir: Path | None = None, with_defaults: bool = False) -> dict[str, Path]:
    """Map every file the sources read to its path (see :func:`locate_files`)."""
    return locate_files(data_dir, with_defaults).paths


def check_inputs(inputs: InputFiles) -> None:
    """Check the structure of every input file (encoding, header, quotes, cell sizes) before any source runs.

    Raises
    ------
    SourceFileError
        The first broken file, with its line and value.
    """
    ctx = BuildContext(files=inputs.paths)
    for source in all_sources():
        for spec in source.files:
            ctx.check(spec)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ours(path: Path) -> bool:
    """Whether ``path`` holds nothing but a store's files (a build's staging folder may be removed)."""
    return store_kind(path) in ("empty", "cmqgraph", "oxigraph")


def clear_leftovers(target: Path) -> list[Path]:
    """Remove the staging folders that killed builds left beside ``target``, and put back a store they had moved aside.

    Only folders named ``.{store}.building-PID`` or ``.{store}.old-PID`` whose process is gone, and
    that hold nothing but store files, are touched. Returns the folders removed or restored.
    """
    if not target.parent.is_dir():
        return []
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(building|old)-(\d+)")
    done = []
    for path in sorted(target.parent.iterdir()):
        match = pattern.fullmatch(path.name)
        if not match or _alive(int(match[2])) or not _ours(path):
            continue
        if match[1] == "old" and store_kind(target) == "missing":
            path.rename(target)
        else:
            shutil.rmtree(path)
        done.append(path)
    return done


def run_sources(ctx: BuildContext, progress: BuildProgress | None = None) -> Iterator[Source]:
    """Yield each registered source, ready to run, in registry order.

    The caller must exhaust each source's :meth:`~Source.run` before taking the next one: later
    sources read indexes that earlier ones publish while they run.
    """
    for source_cls in all_sources():
        source = source_cls(ctx)
        if progress is not None:
            progress.source_started(source_cls, source.expected_rows())
        yield source


_ESCAPE = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
#: The characters an IRI may not hold in N-Quads (rdflib's own check before it writes one).
_NOT_IN_IRI = re.compile(r'[<>" {}|\\^`]')


def _term(term: URIRef | Literal) -> str:
    if type(term) is Literal:
        lexical = str.translate(term, _ESCAPE)
        if term.language:
            return f'"{lexical}"@{term.language}'
        return f'"{lexical}"^^<{term.datatype}>' if term.datatype else f'"{lexical}"'
    if _NOT_IN_IRI.search(term):
        raise ValueError(f"{term!r} is not an IRI N-Quads can hold")
    return f"<{term}>"


def _ntriples(triples: Iterable[tuple]) -> bytes:
    """The N-Triples of ``triples`` (rdflib's ``n3()`` would write a literal with a line break as Turtle's triple quotes)."""
    return "".join([f"{_term(s)} {_term(p)} {_term(o)} .\n" for s, p, o in triples]).encode("utf-8")


def _load(ox_store: ox.Store, graph: URIRef, triples: bytes, replace: bool) -> None:
    """Load the N-Triples ``triples`` into named graph ``graph``; with ``replace``, make it hold exactly them.

    Replacing touches only the triples that differ: a graph's old triples, written by Oxigraph, are compared
    line by line with the new ones. A triple written two ways (Oxigraph writes ``"1.0"^^xsd:decimal`` as
    ``"1"``) is removed, then added again, so the graph ends right either way.
    """
    name = ox.NamedNode(graph)
    if not replace:
        ox_store.bulk_load(triples, ox.RdfFormat.N_TRIPLES, to_graph=name)
        return
    new = set(triples.splitlines())
    old = set(ox_store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name).splitlines())
    for triple in ox.parse(b"\n".join(old - new), ox.RdfFormat.N_TRIPLES):
        ox_store.remove(ox.Quad(triple.subject, triple.predicate, triple.object, name))
    added = new - old
    if added:
        ox_store.bulk_load(b"\n".join(added) + b"\n", ox.RdfFormat.N_TRIPLES, to_graph=name)


def _triples_in(ox_store: ox.Store, graph: URIRef) -> int:
    """Return how many distinct triples named graph ``graph`` holds (a source may yield a triple twice)."""
    rows = ox_store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", named_graphs=[ox.NamedNode(graph)])
    return int(next(iter(rows))["n"].value)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _describe(report: SourceReport, source: type[Source], checksums: dict[str, str]) -> Iterator[tuple]:
    node = iris.source_dataset(report.name)
    graph = iris.source_graph(report.name)
    yield node, RDF.type, CMQ.SourceDataset
    yield node, RDF.type, DCAT.Dataset
    yield node, RDF.type, PROV.Entity
    yield node, DCTERMS.title, Literal(source.title, lang="fr")
    yield node, CMQ.namedGraph, graph
    yield node, DCTERMS.license, URIRef(source.licence)
    yield node, RDFS.comment, Literal(source.licence_note, lang="en")
    yield node, CMQ.upstreamRepository, Literal(source.upstream)
    if source.temporal:
        yield node, DCTERMS.temporal, Literal(source.temporal)
    if source.completeness:
        yield node, CMQ.completenessNote, Literal(source.completeness, lang="en")
    yield node, CMQ.rowCount, Literal(report.rows, datatype=XSD.integer)
    yield node, CMQ.skippedRowCount, Literal(report.skipped, datatype=XSD.integer)
    yield node, CMQ.tripleCount, Literal(report.triples, datatype=XSD.integer)
    yield graph, PROV.wasDerivedFrom, node
    for name in sorted(report.files):
        file_node = URIRef(f"{node}/fichier/{iris.slug(name)}")
        yield node, PROV.wasDerivedFrom, file_node
        yield file_node, RDF.type, PROV.Entity
        yield file_node, CMQ.sourceFile, Literal(name)
        yield file_node, CMQ.shippedCopy, Literal(name in report.shipped)
        checksum = URIRef(f"{file_node}/sha256")
        yield file_node, SPDX.checksum, checksum
        yield checksum, RDF.type, SPDX.Checksum
        yield checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256
        yield checksum, SPDX.checksumValue, Literal(checksums[name], datatype=XSD.hexBinary)
    yield node, PROV.wasGeneratedBy, iris.BUILD


def _build_activity() -> Iterator[tuple]:
    activity = iris.BUILD
    yield activity, RDF.type, PROV.Activity
    yield activity, RDFS.label, Literal(f"cmqgraph {__version__} build", lang="en")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))
        yield activity, PROV.endedAtTime, Literal(stamp, datatype=XSD.dateTime)


def _previous(target: Path) -> tuple[Census | None, str]:
    """Return the census of the store at ``target`` (None when there is none), and why it was not read."""
    if store_kind(target) not in ("cmqgraph", "oxigraph"):
        return None, ""
    try:
        return census(open_store(target)), ""
    except (StoreError, OSError, RuntimeError) as exc:
        return None, f"the previous graph could not be read, so it was not compared: {exc}"


def build(
    store: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    with_defaults: bool = False,
    progress: BuildProgress | None = None,
    accept_shrink: bool = False,
    full: bool = False,
) -> BuildReport:
    """Build the graph from the data files into the store at ``store``.

    Parameters
    ----------
    store : path, optional
        Where the graph goes (see :func:`cmqgraph.store.resolve_store_path`): a new or empty folder, or
        a store an earlier build made. Any other folder is refused.
    data_dir : path, optional
        A folder of source files in the shipped formats (default: the shipped real data).
    with_defaults : bool
        Take the shipped copy of any file missing from ``data_dir``.
    progress : BuildProgress, optional
        Receives progress events.
    accept_shrink : bool
        Replace the previous graph even when a kind of entity lost more than
        :data:`cmqgraph.census.MAX_LOSS` of its instances.
    full : bool
        Rerun every source. By default, over a store an earlier build of the same code made, only the
        sources whose files changed (and those that read what they publish) rerun, and the others keep
        their named graphs (:func:`cmqgraph.buildstate.plan`): the store then holds the same quads a
        full build gives.

    Returns
    -------
    BuildReport

    Raises
    ------
    SourceOrderError
        A source reads an index that no source above it publishes (:func:`cmqgraph.sources.check_order`); no file was read.
    SourceFileError
        A file is missing, unreadable or broken; nothing was built.
    StoreError
        The store folder is not a store, overlaps the data folder, or cannot be written (full disk,
        read-only folder); the previous store is left as it was.
    ShrinkError
        The new graph lost a large share of an entity kind; the previous store is left as it was.
    """
    started = time.perf_counter()
    check_order()
    inputs = locate_files(data_dir, with_defaults)
    target = check_replaceable(resolve_store_path(store), [d for d in (inputs.folder, default_data_dir()) if d is not None])
    check_inputs(inputs)
    report = BuildReport(store=target, inputs=inputs, removed=clear_leftovers(target))
    report.previous, report.previous_note = _previous(target)
    staging = target.parent / f".{target.name}.building-{os.getpid()}"
    checksums = {name: _sha256(path) for name, path in inputs.paths.items()}
    plan = None if full or report.previous is None else buildstate.plan(target, checksums)
    ctx = BuildContext(files=inputs.paths)
    ctx.on_row = progress.row_read if progress else None
    if store_kind(staging) != "missing" and not _ours(staging):  # left by an earlier process that had this PID
        raise StoreError(f"{staging} holds files that are not a graph store's: move them away")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        current = _write(staging, ctx, report, _Inputs(inputs.shipped, checksums, target, plan), progress)
        if report.previous is not None and not accept_shrink:
            files_of = {r.name: tuple(r.files) for r in report.sources}
            shrinks = [replace(s, files=files_of.get(s.source, ())) for s in shrinkage(report.previous, current)]
            if shrinks:
                raise ShrinkError(target, shrinks)
        (staging / STORE_MARKER).write_text(json.dumps({"cmqgraph": __version__}) + "\n", encoding="utf-8")
    except OSError as exc:
        _discard(staging, exc)
        raise StoreError(f"impossible d'écrire le graphe / cannot write the new graph beside {target}: {exc.strerror or exc}") from exc
    except BaseException as exc:
        _discard(staging, exc)
        raise
    _swap(staging, target)
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class _Inputs:
    """What :func:`_write` writes from, besides the sources: shipped names, checksums, and the previous build to take graphs from."""

    shipped: frozenset[str]
    checksums: dict[str, str]
    target: Path
    plan: buildstate.Plan | None


def _write(staging: Path, ctx: BuildContext, report: BuildReport, inputs: _Inputs, progress: BuildProgress | None) -> Census:
    """Run the sources into a new store at ``staging``, describe them in ``graph/meta``, index it for search; return its census.

    Each source's quads are loaded in a thread while the next source runs (Oxigraph's bulk loader
    releases the GIL). With a plan, the new store starts as a checkpoint of the previous one (hard
    links: the previous store is not changed), the kept sources' indexes are read back instead of
    rerunning them, and only the triples that differ in the graphs of the sources that rerun change.
    The search index is written while Oxigraph compacts the store.
    """
    plan = inputs.plan
    if plan is not None:
        open_store(inputs.target).backup(str(staging))
    ox_store = ox.Store(str(staging))
    previous_rows = report.previous.rows if report.previous else {}
    meta: list[tuple] = list(_build_activity())
    states: dict[str, buildstate.SourceState] = {}

    def finish(ox_store: ox.Store, source_cls: type[Source], state: buildstate.SourceState, seconds: float, kept: bool) -> None:
        if not kept:
            state = replace(state, triples=_triples_in(ox_store, iris.source_graph(source_cls.name)))
        states[source_cls.name] = state
        used = {spec.name: ctx.files[spec.name] for spec in source_cls.files}
        source_report = SourceReport(
            name=source_cls.name,
            title=source_cls.title,
            files=used,
            rows=sum(state.rows_read.values()),
            triples=state.triples,
            issues=state.issues,
            seconds=seconds,
            shipped=frozenset(used) & inputs.shipped,
            previous_rows=previous_rows.get(source_cls.name),
            kept=kept,
        )
        report.sources.append(source_report)
        meta.extend(_describe(source_report, source_cls, inputs.checksums))
        if progress is not None:
            progress.source_finished(source_report)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cmqgraph-load") as loader:
        loading: Future | None = None
        pending: tuple | None = None
        for source in run_sources(ctx, progress):
            source_cls = type(source)
            if plan is not None and source_cls.name in plan.kept:
                buildstate.restore(plan.kept[source_cls.name], ctx)
                finish(ox_store, source_cls, plan.kept[source_cls.name], 0.0, kept=True)
                continue
            t0 = time.perf_counter()
            issues_before = len(ctx.issues)
            triples = _ntriples(source.run())
            state = buildstate.record(source, ctx, inputs.checksums, ctx.issues[issues_before:])
            if loading is not None:
                loading.result()
                finish(ox_store, *pending)
            loading = loader.submit(_load, ox_store, source.graph, triples, plan is not None)
            pending = (source_cls, state, time.perf_counter() - t0, False)
        if loading is not None:
            loading.result()
            finish(ox_store, *pending)
    order = {name: i for i, name in enumerate(REGISTRY)}
    report.sources.sort(key=lambda r: order[r.name])
    _load(ox_store, iris.META_GRAPH, _ntriples(meta), plan is not None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cmqgraph-optimize") as compactor:
        optimizing = compactor.submit(ox_store.optimize)
        report.search_note = _write_search_index(ox_store, staging)
        optimizing.result()
    ox_store.flush()
    buildstate.write_state(staging, states)
    current = census(ox_store)
    del ox_store
    return current


def _discard(staging: Path, exc: BaseException) -> None:
    """Remove the new store at ``staging`` after ``exc``, once its frames let go of the open store (which writes as it closes)."""
    traceback.clear_frames(exc.__traceback__)
    shutil.rmtree(staging, ignore_errors=True)


def _write_search_index(ox_store: ox.Store, staging: Path) -> str:
    """Write the search index of the new store ``ox_store`` into its folder ``staging``; return why it could not be ("" when it was).

    A graph without its index is still the graph: the build goes on, and its report says so
    (:func:`cmqgraph.search.open_index` tries again at the first search).
    """
    try:
        build_index(ox_store, staging / SEARCH_INDEX)
    except (CmqGraphError, sqlite3.Error, OSError, RuntimeError) as exc:
        return (f"l'index de recherche n'a pas été écrit / the search index was not written ({exc}); "
                "the first search will try again, or run 'cmqgraph build' once the cause is fixed")
    return ""


def _swap(staging: Path, target: Path) -> None:
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    try:
        if target.exists():
            target.rename(old)
        staging.rename(target)
    except OSError as exc:
        if old.exists() and not target.exists():
            old.rename(target)
        raise StoreError(f"cannot put the new graph in place at {target}: {exc}") from exc
    shutil.rmtree(old, ignore_errors=True)
