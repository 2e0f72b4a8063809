"""Errors and row-level issues raised while reading source files or using the store.

Every error says what was broken and where: the file, the line and the value, and chains
its cause (``raise ... from exc``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CmqGraphError",
    "SourceFileError",
    "RowIssue",
    "StoreError",
    "ShrinkError",
]


class CmqGraphError(Exception):
    """Base class of every error cmqgraph raises on purpose."""


class SourceFileError(CmqGraphError):
    """A source file cannot be read at all (missing, wrong encoding, wrong separator, missing column).

    Parameters
    ----------
    path : Path
        The file.
    message : str
        What is wrong.
    line : int, optional
        The 1-based line where the problem was seen.
    value : str, optional
        The offending value.
    """

    def __init__(self, path: Path | str, message: str, line: int | None = None, value: str | None = None):
        self.path = Path(path)
        self.line = line
        self.value = value
        self.message = message
        where = f"{self.path}" + (f", line {line}" if line is not None else "")
        what = f" (value {value!r})" if value is not None else ""
        super().__init__(f"{where}: {message}{what}")


class StoreError(CmqGraphError):
    """The graph store is missing, locked or unusable."""


class ShrinkError(CmqGraphError):
    """A build would lose a large share of an entity kind compared with the graph it replaces; nothing was replaced.

    Parameters
    ----------
    store : Path
        The store kept as it was.
    shrinks : list
        The losses (:class:`cmqgraph.census.Shrink`), largest first.
    """

    def __init__(self, store: Path, shrinks: list):
        self.store = Path(store)
        self.shrinks = shrinks
        shown = "; ".join(str(s) for s in shrinks[:3]) + (f"; and {len(shrinks) - 3} more" if len(shrinks) > 3 else "")
        super().__init__(
            f"le nouveau graphe perdrait une grande part de ses entités / the new graph would lose a large share of its entities "
            f"({shown}): the graph at {self.store} is kept; check the input files, or run again with --accept-shrink if the loss is intended"
        )


@dataclass(frozen=True)
class RowIssue:
    """A problem with one row of a source file: the row is skipped (``error``) or kept (``warning``).

    Attributes
    ----------
    file : str
        File name.
    line : int
        1-based line number in the file (the header is line 1).
    column : str
        The column holding the value (empty when the problem is the row's structure).
    value : str
        The offending value, verbatim.
    message : str
        What is wrong with it.
    severity : str
        ``"error"`` (row skipped) or ``"warning"`` (row kept).
    """

    file: str
    line: int
    column: str
    value: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        column = f", column {self.column!r}" if self.column else ""
        return f"{self.file}, line {self.line}{column}: {self.message} (value {self.value!r})"
