"""Synthetic data at k× the shipped data, for the scaling run of ``tests/bench.py`` (issue 15).

The schools and what hangs on them are multiplied; the national reference tables are not. Each file keyed by
UAI (:data:`SCALED`) gets, beside each real row, ``k - 1`` copies in which every UAI of the row is replaced by a
synthetic one: the same row shape, values and name, so a copy joins the other files exactly as its original
does (its offers, InserJeunes rates, point, ACCE record, annuaire entry and campus memberships). The
references (BCN, RNCP, ROME, the CMQ list, pôles, territories, projects) stay as shipped: they already cover
France. So at 16× the annuaire (a Bourgogne-Franche-Comté extract of 3,531 UAI) reaches the national
annuaire's size (about 70,000 UAI); the lycées of the IVAL file and the Affelnet offers, national already,
go beyond it.

A synthetic UAI keeps its original's département (its first three digits, from which sources read the
territory) and takes a number that no real UAI of the files uses, with its check letter; when a département
runs out of the 10,000 numbers, the copy takes one in the département of the same académie with the most
left. Rows are otherwise unchanged, so the records stay real in everything but their identifiers.

Usage: ``python tests/scale.py 4 OUT`` writes the shipped data at 4× into the folder ``OUT`` (created), for
``cmqgraph build --data OUT``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from cmqgraph.builder import default_data_dir
from cmqgraph.sources.base import UAI_LETTERS, uai_is_valid

__all__ = ["SCALED", "scaled_data", "synthetic_uais"]

#: The files multiplied, by name: every UAI in any of their fields is replaced in a copy (a school's own,
#: its parent's, the one in its e-mail address). The IVAL file is JSON (its ``lycees`` records' ``uai``).
SCALED = (
    "fr-en-annuaire-education.csv",
    "lycees_geolocalisation_ival_2025.json",
    "orion_uai_mefstat_attractivite_2022.csv",
    "inserjeunes_lycees_pro_uai_2022_2023.csv",
    "inserjeunes_cfa_uai_2022_2023.csv",
    "cfa_sous_convention_regionale_uai.csv",
    "cmq_membres.csv",
)

_TOKEN = re.compile(r"\b[0-9]{7}[A-Z]\b")
_ACADEMIES = "orion_departements_academies_regions.csv"


def _csv_rows(path: Path) -> tuple[str, str, list[list[str]]]:
    """The BOM (or ``""``), line ending and rows of the ``;``-separated file ``path``."""
    text = path.read_text(encoding="utf-8")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    ending = "\r\n" if "\r\n" in text[: text.find("\n") + 1] else "\n"
    return bom, ending, list(csv.reader(io.StringIO(text.removeprefix(bom), newline=""), delimiter=";"))


def _uais_in(folder: Path) -> set[str]:
    """Every valid UAI written in the scaled files of ``folder``."""
    found: set[str] = set()
    for name in SCALED:
        found.update(t for t in _TOKEN.findall((folder / name).read_text(encoding="utf-8")) if uai_is_valid(t))
    return found


def _academy_of(folder: Path) -> dict[str, str]:
    """Three-digit département part of a UAI → its académie code, from the Orion table of ``folder``."""
    _, _, rows = _csv_rows(folder / _ACADEMIES)
    header = rows[0]
    dep, academy = header.index("codeDepartement"), header.index("codeAcademie")
    return {row[dep].zfill(3): row[academy] for row in rows[1:] if row}


def synthetic_uais(real: set[str], copies: int, academy_of: dict[str, str]) -> list[dict[str, str]]:
    """For each copy 1 … ``copies``, a map from each UAI of ``real`` to a new valid UAI none of ``real`` uses.

    The new one keeps the département part while that département has free numbers, then takes one from the
    département of the same académie with the most left (ties: the lowest code); maps are deterministic.

    >>> maps = synthetic_uais({"0251349F"}, 2, {"025": "3"})
    >>> [m["0251349F"] for m in maps]
    ['0250000P', '0250001R']
    """
    free: dict[str, Iterator[int]] = {}
    left: dict[str, int] = {}
    used = {u[:7] for u in real}
    for head in {u[:3] for u in real} | set(academy_of):
        numbers = [n for n in range(10000) if f"{head}{n:04d}" not in used]
        free[head], left[head] = iter(numbers), len(numbers)
    maps: list[dict[str, str]] = []
    for _ in range(copies):
        mapping = {}
        for uai in sorted(real):
            head = uai[:3]
            if not left[head]:
                academy = academy_of.get(head)
                peers = [h for h in sorted(free) if academy and academy_of.get(h) == academy and left[h]]
                if not peers:
                    raise ValueError(f"no free UAI number left in the académie of {uai}")
                head = max(peers, key=lambda h: left[h])
            left[head] -= 1
            digits = f"{head}{next(free[head]):04d}"
            mapping[uai] = digits + UAI_LETTERS[int(digits) % 23]
        maps.append(mapping)
    return maps


def _renamed(value: str, mapping: dict[str, str]) -> str:
    return _TOKEN.sub(lambda m: mapping.get(m.group(), m.group()), value)


def _scale_csv(path: Path, out: Path, maps: list[dict[str, str]]) -> None:
    bom, ending, rows = _csv_rows(path)
    header, body = rows[0], [r for r in rows[1:] if r]
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write(bom)
        writer = csv.writer(handle, delimiter=";", lineterminator=ending)
        writer.writerow(header)
        writer.writerows(body)
        for mapping in maps:
            writer.writerows([_renamed(v, mapping) for v in row] for row in body if any(_TOKEN.search(v) for v in row))


def _scale_json(path: Path, out: Path, maps: list[dict[str, str]]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    records = data["lycees"]
    data["lycees"] = records + [{**r, "uai": mapping.get(r["uai"], r["uai"])} for mapping in maps for r in records]
    data["meta"]["counts"] = {k: v * (len(maps) + 1) for k, v in data["meta"].get("counts", {}).items()}
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def scaled_data(factor: int, out: Path, source: Path | None = None) -> Path:
    """Write the data folder ``source`` (default: the shipped one) at ``factor``× into the new folder ``out``.

    Rows of the :data:`SCALED` files that name no UAI (a campus member known only by its name) are not copied.
    Returns ``out``.
    """
    source = source or default_data_dir()
    if factor < 1:
        raise ValueError(f"factor must be at least 1, not {factor}")
    shutil.copytree(source, out, ignore=shutil.ignore_patterns("*.py", "*.md", "__pycache__", "dcat-ap-*"))
    maps = synthetic_uais(_uais_in(source), factor - 1, _academy_of(source))
    for name in SCALED:
        (_scale_json if name.endswith(".json") else _scale_csv)(source / name, out / name, maps)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("factor", type=int, help="how many times the schools (1: the shipped data)")
    parser.add_argument("out", type=Path, help="folder to create")
    args = parser.parse_args()
    scaled_data(args.factor, args.out)


if __name__ == "__main__":
    main()
