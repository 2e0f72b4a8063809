"""What a build keeps beside the graph so that the next build redoes only what a changed file touches.

A build writes :data:`cmqgraph.store.BUILD_STATE` into the store folder with the graph: the fingerprint of the code
that built it, and for each source the checksum of each file it read, the indexes it published
(:data:`cmqgraph.sources.records.INDEXES`), the rows it read and the row issues it found. The next
build of the same store (:func:`plan`) compares the checksums of its input files with them: a source
reruns when one of its files changed or when it reads an index of a source that reruns; every other
source keeps its named graph, and its indexes are read back (:func:`restore`) for the sources that rerun.

The state is read with an unpickler that accepts only the types an index, a row issue or a path
holds (:class:`_StateUnpickler`): a state file from elsewhere can be refused, never run.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .errors import RowIssue
from .sources import BuildContext, Source, all_sources
from .sources.records import INDEXES
from .store import BUILD_STATE

__all__ = ["Plan", "SourceState", "code_fingerprint", "plan", "restore", "record", "write_state"]


_ALLOWED = {
    ("builtins", "frozenset"), ("builtins", "set"), ("builtins", "tuple"), ("builtins", "dict"), ("builtins", "list"),
    ("rdflib.term", "URIRef"), ("rdflib.term", "Literal"), ("pathlib", "PosixPath"), ("pathlib", "WindowsPath"),
    ("cmqgraph.errors", "RowIssue"), ("cmqgraph.buildstate", "SourceState"),
    *(("cmqgraph.sources.records", name) for name in ("School", "Offer", "Campus", "Cluster", "Project", "Support")),
}


class _StateUnpickler(pickle.Unpickler):
    """Unpickle only the builtin containers, rdflib terms, paths and cmqgraph's records and row issues."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a type a build state holds")
        return super().find_class(module, name)


@dataclass(frozen=True)
class SourceState:
    """What one source's run left for the next build: its files' checksums, indexes, rows read, issues, and triples in its graph."""

    files: dict[str, str]
    indexes: dict[str, Any]
    rows_read: dict[str, int]
    issues: list[RowIssue]
    triples: int = 0


@dataclass(frozen=True)
class Plan:
    """The sources a build keeps from the previous one, with their state; every other source reruns."""

    kept: dict[str, SourceState]


@cache
def code_fingerprint() -> str:
    """Return the SHA-256 of the package's Python files: a state written by other code is not reused."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def record(source: Source, ctx: BuildContext, checksums: Mapping[str, str], issues: list[RowIssue]) -> SourceState:
    """Return the state of ``source`` just after it ran over ``ctx``; ``checksums`` maps each input file name to its SHA-256."""
    names = [spec.name for spec in source.files]
    return SourceState(
        files={name: checksums[name] for name in names},
        indexes={index: _plain(ctx.indexes[index]) for index in source.publishes},
        rows_read={name: ctx.rows_read.get(name, 0) for name in names},
        issues=list(issues),
    )


def _plain(value: Any) -> Any:
    """A published index as pickle can write it (a read-only mapping as a dict)."""
    return dict(value) if isinstance(value, Mapping) else value


def write_state(folder: Path, states: Mapping[str, SourceState]) -> None:
    """Write ``states`` (source name → state) to :data:`BUILD_STATE` in the store folder ``folder``."""
    payload = {"fingerprint": code_fingerprint(), "sources": dict(states)}
    with open(folder / BUILD_STATE, "wb") as out:
        pickle.dump(payload, out, protocol=pickle.HIGHEST_PROTOCOL)


def _read_state(folder: Path) -> dict[str, SourceState] | None:
    """The sources' states of the build that wrote the store ``folder``; None when there is none this code can reuse."""
    try:
        data = (folder / BUILD_STATE).read_bytes()
        payload = _StateUnpickler(io.BytesIO(data)).load()
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("fingerprint") != code_fingerprint():
        return None
    sources = payload.get("sources")
    return sources if isinstance(sources, dict) and all(isinstance(s, SourceState) for s in sources.values()) else None


def plan(folder: Path, checksums: Mapping[str, str]) -> Plan | None:
    """Return which sources to rerun over the input files whose checksums are ``checksums``, against the store ``folder``.

    A source reruns when a file it reads differs from the previous build's, or when it reads (even
    optionally) an index that a rerun source publishes. Returns None when the previous build left no
    state this code can reuse, or when every source would rerun: the build is then a full one.
    """
    previous = _read_state(folder)
    if previous is None:
        return None
    publisher = {index.name: index.publisher for index in INDEXES.values()}
    rerun: set[str] = set()
    kept: dict[str, SourceState] = {}
    for source in all_sources():
        state = previous.get(source.name)
        names = [spec.name for spec in source.files]
        changed = state is None or state.files != {name: checksums.get(name) for name in names}
        if changed or any(publisher[index] in rerun for index in (*source.reads, *source.optional_reads)):
            rerun.add(source.name)
        else:
            kept[source.name] = state
    return Plan(kept=kept) if kept else None


def restore(state: SourceState, ctx: BuildContext) -> None:
    """Put back into ``ctx`` what a source published, read and found in the previous build (its ``state``), as if it had just run."""
    for index, value in state.indexes.items():
        ctx.indexes[index] = INDEXES[index].freeze(value)
    ctx.rows_read.update(state.rows_read)
    ctx.issues.extend(state.issues)
