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
        The column holding the value.
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
        return f"{self.file}, line {self.line}, column {self.column!r}: {self.message} (value {self.value!r})"
