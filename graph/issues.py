"""The row issues of a build as a CSV file (``cmqgraph build --issues-file``), for a spreadsheet or a script.

One line per issue, in the order of the sources and of their rows, under the header
:data:`ISSUE_COLUMNS`. The file is written like every CSV cmqgraph writes for people: atomically
(:func:`cmqgraph.output.atomic_file`), in one of the dialects of :mod:`cmqgraph.spreadsheet` (``csv`` by
default), a value a spreadsheet would read as a formula neutralised.

Examples
--------
>>> from cmqgraph.builder import BuildReport, SourceReport
>>> from cmqgraph.errors import RowIssue
>>> issue = RowIssue("pia3_cmq_laureats.csv", 5, "montant_meur", "0,05 (maximum par campus)", "not a number", "warning")
>>> report = BuildReport(store=None, sources=[SourceReport("pia3", "PIA3", {}, 4, 40, [issue], 0.1)])
>>> print(issues_text(report), end="")
source,severity,file,line,column,value,message
pia3,warning,pia3_cmq_laureats.csv,5,montant_meur,"0,05 (maximum par campus)",not a number
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .output import atomic_file
from .spreadsheet import rows_text

if TYPE_CHECKING:
    from .builder import BuildReport

__all__ = ["ISSUE_COLUMNS", "issue_rows", "issues_text", "write_issues"]

#: The columns of the issues file: the source (its registry name), then the :class:`~cmqgraph.errors.RowIssue`'s fields.
ISSUE_COLUMNS = ("source", "severity", "file", "line", "column", "value", "message")


def issue_rows(report: BuildReport) -> Iterator[tuple[str, ...]]:
    """Yield one row of text cells per issue of ``report``, in the order of :data:`ISSUE_COLUMNS`."""
    for source in report.sources:
        for i in source.issues:
            yield source.name, i.severity, i.file, str(i.line), i.column, i.value, i.message


def issues_text(report: BuildReport, dialect: str = "csv") -> str:
    """Return the issues of ``report`` as CSV text in ``dialect`` (``csv``, ``csv-fr`` or ``tsv``), header first."""
    return rows_text(ISSUE_COLUMNS, issue_rows(report), dialect)


def write_issues(report: BuildReport, path: str | os.PathLike, dialect: str = "csv") -> Path:
    """Write every row issue of ``report`` to the CSV file ``path`` (atomically) and return its path.

    Parameters
    ----------
    report : BuildReport
        What :func:`cmqgraph.build` returned.
    path : path
        The file to write; its folder must exist.
    dialect : str, optional
        A dialect of :data:`cmqgraph.spreadsheet.DIALECTS`: ``csv`` (default), ``csv-fr`` for a
        spreadsheet in French, ``tsv``.

    Raises
    ------
    OutputError
        The file cannot be written (the file already there, if any, is left as it was).
    ValueError
        ``dialect`` is not one of the dialects.
    """
    text = issues_text(report, dialect)
    path = Path(path)
    with atomic_file(path) as f:
        f.write(text.encode("utf-8"))
    return path
