"""CSV meant for spreadsheets: the dialects cmqgraph writes, and formula injection neutralised.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a
carriage return) as a formula: a campus named ``=HYPERLINK("http://…")`` would become a live link
in the user's spreadsheet. Every CSV or TSV that cmqgraph writes for people (the export tables, the
saved queries' downloads, the network metrics) goes through :func:`neutralise`, which prefixes such a
text cell with an apostrophe, as OWASP recommends; a plain number (``-1.5``) is left alone. The RDF
dumps, the JSON answers and the SPARQL endpoint's results stay exact.

The dialects (:data:`DIALECTS`):

``csv``
    Comma-separated, UTF-8 without BOM, ``\\n`` line ends: what pandas, R, frictionless and most tools
    expect (RFC 4180 apart from the line ends).
``csv-fr``
    For a spreadsheet in French (Excel, LibreOffice Calc): ``;``-separated, UTF-8 with a BOM (so that
    Excel reads the accents right), ``\\r\\n`` line ends, decimal comma.
``tsv``
    Tab-separated, UTF-8, ``\\n``.

Examples
--------
>>> neutralise('=HYPERLINK("http://example.org")')
'\\'=HYPERLINK("http://example.org")'
>>> neutralise("-1.5"), neutralise("Mobicampus")
('-1.5', 'Mobicampus')
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

__all__ = ["Dialect", "DIALECTS", "FORMULA_STARTS", "neutralise", "rows_text", "frame_text"]

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Dialect:
    """How a CSV file is written: separator, BOM, line end and decimal mark."""

    delimiter: str
    bom: bool
    lineterminator: str
    decimal: str = "."


#: The dialects by name (see the module's documentation).
DIALECTS: dict[str, Dialect] = {
    "csv": Dialect(",", bom=False, lineterminator="\n"),
    "csv-fr": Dialect(";", bom=True, lineterminator="\r\n", decimal=","),
    "tsv": Dialect("\t", bom=False, lineterminator="\n"),
}


def neutralise(value: str) -> str:
    """Return ``value`` with an apostrophe before it if a spreadsheet would read it as a formula.

    A plain number (``-3``, ``+1.5``, ``-1e-3``) is returned unchanged.

    >>> neutralise("@SUM(A1)"), neutralise("+33 3 81 00 00 00"), neutralise("+2")
    ("'@SUM(A1)", "'+33 3 81 00 00 00", '+2')
    """
    if value.startswith(FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value


def _dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"CSV dialect must be one of {', '.join(DIALECTS)}, not {name!r}") from None


def rows_text(header: Sequence[str], rows: Iterable[Sequence[str]], dialect: str = "csv") -> str:
    """Return ``header`` and ``rows`` (cells as text) as CSV text in ``dialect``, text cells neutralised.

    >>> print(rows_text(["nom"], [["=1+1"], ["Mobicampus"]]), end="")
    nom
    '=1+1
    Mobicampus
    """
    spec = _dialect(dialect)
    buffer = io.StringIO()
    if spec.bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=spec.delimiter, lineterminator=spec.lineterminator)
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def _text_cell(value: object, decimal: str) -> object:
    """A cell of a column that pandas does not type as numbers: text neutralised, a number with the ``decimal`` mark."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, (float, Decimal)) and not pd.isna(value):
        return str(value).replace(".", decimal)
    return value


def frame_text(frame: pd.DataFrame, dialect: str = "csv") -> str:
    """Return ``frame`` as CSV text in ``dialect``: text cells neutralised, numbers with the dialect's decimal mark.

    >>> frame = pd.DataFrame({"nom": ["=1+1"], "taux": [0.5]})
    >>> print(frame_text(frame, "csv"), end="")
    nom,taux
    '=1+1,0.5
    >>> frame_text(frame, "csv-fr")
    "\\ufeffnom;taux\\r\\n'=1+1;0,5\\r\\n"
    """
    spec = _dialect(dialect)
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(lambda v: _text_cell(v, spec.decimal))
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    text = safe.to_csv(index=False, sep=spec.delimiter, lineterminator=spec.lineterminator, decimal=spec.decimal)
    return ("\ufeff" + text) if spec.bom else text
