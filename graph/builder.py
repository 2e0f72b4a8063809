"""Build the graph: run every registered source, load each into its named graph, describe it.

:func:`build` is also ``cmqgraph.build``.

The new store is written beside the old one and swapped in only when the build succeeded, so a
build that fails halfway leaves the previous graph intact.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, RDFS, XSD

from . import __version__, iris
from .errors import RowIssue, SourceFileError, StoreError
from .iris import CMQ, SPDX
from .sources import BuildContext, Source, all_sources
from .store import resolve_store_path

__all__ = [
    "BuildProgress",
    "SourceReport",
    "BuildReport",
    "default_data_dir",
    "data_files",
    "run_sources",
    "build",
]

META_GRAPH = iris.GRAPH["meta"]


class BuildProgress(Protocol):
    """What a build reports as it goes (the CLI draws progress bars from it)."""

    def source_started(self, source: type[Source], expected_rows: int) -> None: ...

    def row_read(self) -> None: ...

    def source_finished(self, report: SourceReport) -> None: ...


@dataclass
class SourceReport:
    """What one source produced."""

    name: str
    title: str
    files: dict[str, Path]
    rows: int
    triples: int
    issues: list[RowIssue]
    seconds: float

    @property
    def skipped(self) -> int:
        """Rows skipped because of an error or by design."""
        return sum(1 for i in self.issues if i.severity in ("error", "skipped"))


@dataclass
class BuildReport:
    """What a build produced: the store, one report per source, and the time it took."""

    store: Path
    sources: list[SourceReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def issues(self) -> list[RowIssue]:
        return [i for s in self.sources for i in s.issues]

    @property
    def triples(self) -> int:
        return sum(s.triples for s in self.sources)


def default_data_dir() -> Path:
    """Return the folder of the real data files shipped inside the package."""
    return Path(str(files("cmqgraph.data")))


def data_files(data_dir: Path | None = None, with_defaults: bool = False) -> dict[str, Path]:
    """Map every file the sources read to its path.

    Parameters
    ----------
    data_dir : Path, optional
        A folder of files in the shipped formats. Default: the shipped data.
    with_defaults : bool
        Take the shipped copy of any file missing from ``data_dir`` (otherwise a missing file is an error
        when its source runs).
    """
    shipped = default_data_dir()
    folder = Path(data_dir) if data_dir else shipped
    if not folder.is_dir():
        raise SourceFileError(folder, "data folder not found")
    mapping = {}
    for source in all_sources():
        for spec in source.files:
            path = folder / spec.name
            if not path.is_file() and with_defaults:
                path = shipped / spec.name
            mapping[spec.name] = path
    return mapping


def run_sources(ctx: BuildContext, progress: BuildProgress | None = None) -> Iterator[Source]:
    """Yield each registered source, ready to run, in registry order.

    The caller must exhaust each source's :meth:`~Source.triples` before taking the next one: later
    sources read indexes that earlier ones publish while they run.
    """
    for source_cls in all_sources():
        source = source_cls(ctx)
        if progress is not None:
            progress.source_started(source_cls, source.expected_rows())
        yield source


def _nquads(triples: Iterable[tuple], graph: URIRef) -> tuple[bytes, int]:
    g = graph.n3()
    buffer = io.StringIO()
    count = 0
    for s, p, o in triples:
        buffer.write(f"{s.n3()} {p.n3()} {o.n3()} {g} .\n")
        count += 1
    return buffer.getvalue().encode("utf-8"), count


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _describe(report: SourceReport, source: type[Source], shipped: Path) -> Iterator[tuple]:
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
    for name, path in sorted(report.files.items()):
        file_node = URIRef(f"{node}/fichier/{iris.slug(name)}")
        yield node, PROV.wasDerivedFrom, file_node
        yield file_node, RDF.type, PROV.Entity
        yield file_node, CMQ.sourceFile, Literal(name)
        yield file_node, CMQ.shippedCopy, Literal(path.parent.resolve() == shipped.resolve())
        checksum = URIRef(f"{file_node}/sha256")
        yield file_node, SPDX.checksum, checksum
        yield checksum, RDF.type, SPDX.Checksum
        yield checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256
        yield checksum, SPDX.checksumValue, Literal(_sha256(path), datatype=XSD.hexBinary)
    yield node, PROV.wasGeneratedBy, iris.ID["build"]


def _build_activity() -> Iterator[tuple]:
    activity = iris.ID["build"]
    yield activity, RDF.type, PROV.Activity
    yield activity, RDFS.label, Literal(f"cmqgraph {__version__} build", lang="en")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))
        yield activity, PROV.endedAtTime, Literal(stamp, datatype=XSD.dateTime)


def build(
    store: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    with_defaults: bool = False,
    progress: BuildProgress | None = None,
) -> BuildReport:
    """Build the graph from the data files into the store at ``store``.

    Parameters
    ----------
    store : path, optional
        Where the graph goes (see :func:`cmqgraph.store.resolve_store_path`).
    data_dir : path, optional
        A folder of source files in the shipped formats (default: the shipped real data).
    with_defaults : bool
        Take the shipped copy of any file missing from ``data_dir``.
    progress : BuildProgress, optional
        Receives progress events.

    Returns
    -------
    BuildReport

    Raises
    ------
    SourceFileError
        A file is missing or unreadable; the previous store is left as it was.
    """
    started = time.perf_counter()
    target = resolve_store_path(store)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    report = BuildReport(store=target)
    shipped = default_data_dir()
    ctx = BuildContext(files=data_files(Path(data_dir) if data_dir else None, with_defaults))
    ctx.on_row = progress.row_read if progress else None
    try:
        ox_store = ox.Store(str(staging))
        meta: list[tuple] = list(_build_activity())
        for source in run_sources(ctx, progress):
            source_cls = type(source)
            t0 = time.perf_counter()
            issues_before = len(ctx.issues)
            payload, count = _nquads(source.triples(), source.graph)
            ox_store.bulk_load(payload, ox.RdfFormat.N_QUADS)
            used = {spec.name: ctx.files[spec.name] for spec in source_cls.files}
            source_report = SourceReport(
                name=source_cls.name,
                title=source_cls.title,
                files=used,
                rows=sum(ctx.rows_read.get(name, 0) for name in used),
                triples=count,
                issues=ctx.issues[issues_before:],
                seconds=time.perf_counter() - t0,
            )
            report.sources.append(source_report)
            meta.extend(_describe(source_report, source_cls, shipped))
            if progress is not None:
                progress.source_finished(source_report)
        payload, _ = _nquads(meta, META_GRAPH)
        ox_store.bulk_load(payload, ox.RdfFormat.N_QUADS)
        ox_store.optimize()
        ox_store.flush()
        del ox_store
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap(staging, target)
    report.seconds = time.perf_counter() - started
    return report


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
