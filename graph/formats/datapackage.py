"""The CSV tables of an export, one per entity kind and relation, and their Frictionless ``datapackage.json``.

The tables and their columns are those of :mod:`cmqgraph.tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..output import atomic_file
from . import ExportJob, Format

__all__ = ["write", "existing"]


def write(job: ExportJob, formats: Sequence[Format]) -> list[Path]:
    """Write the CSV tables and ``datapackage.json`` into ``job.out``; return the CSV files then the package."""
    from ..tables import write_tables

    return write_tables(job.store, job.out, atomic_file)


def existing(out: Path, fmt: Format) -> list[Path]:
    """Return the tables and the data package already in ``out``."""
    from ..tables import TABLES

    names = [f"{t.name}.csv" for t in TABLES] + ["datapackage.json"]
    return [out / n for n in names if (out / n).exists()]
