"""CSV for spreadsheets, read the way a spreadsheet reads it: a hostile campus name through the export and Calc.

The graph is built from the small real extracts of tests/data with one mutation: in a copy of
``cmq_campus_list.csv``, the campus « Maroquinerie et métiers d'art » is renamed to a live formula.

LibreOffice Calc comes from the Debian package ``libreoffice-calc-nogui`` (``tests/install-system-deps.sh``).
Each test starts ``soffice --headless`` with a fresh profile (``-env:UserInstallation``), imports the CSV with
the options of a French user's Calc (the import filter's tokens, ``ScAsciiOptions::ReadFromString`` in
LibreOffice's ``sc/source/ui/dbgui/asciiopt.cxx``: separator, text quote ``"``, UTF-8, first line 1, language
French (1036), formulas evaluated — Calc's default, ``bEvaluateFormulas(true)``) and converts it to flat
OpenDocument (.fods), which the test reads with the standard library. Without ``soffice`` the Calc tests are
skipped, unless ``CMQGRAPH_REQUIRE_SERVERS`` is set (as in CI).
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import build_with_campus_renamed
from servers import missing

import cmqgraph
from cmqgraph import engine, spreadsheet, tables
from cmqgraph import export as ex

DATA = Path(__file__).parent / "data"
HOSTILE = '=HYPERLINK("http://evil.example","x")'
RENAMED = "Maroquinerie et métiers d'art"
#: Calc's CSV import options (tokens 0-12 of the filter string) for a French user: comma or semicolon.
CALC_CSV = "44,34,76,1,,1036,false,false,false,false,false,0,true"
CALC_CSV_FR = "59,34,76,1,,1036,false,false,false,false,false,0,true"
#: Seconds Calc may take to convert one file (it takes 1-3 s here; the bound only proves it does not hang).
CALC_TIMEOUT = 180
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A store built from tests/data with one campus renamed ``=HYPERLINK(…)``."""
    return build_with_campus_renamed(tmp_path_factory.mktemp("hostile"), RENAMED, HOSTILE)


@pytest.fixture(scope="module")
def exported(hostile, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile-export")
    ex.export(hostile, out, ["nt", "csv"])
    return out


def _csv_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_a_formula_name_goes_out_neutralised_in_csv_and_exact_in_rdf(exported):
    rows = _csv_rows(exported / "campuses.csv")
    names = [row[1] for row in rows[1:]]
    assert "'" + HOSTILE in names and HOSTILE not in names
    assert all(not name.startswith(spreadsheet.FORMULA_STARTS) for name in names)
    with open(exported / "cmqgraph.nt", "rb") as f:
        labels = {t.object.value for t in ox.parse(f, ox.RdfFormat.N_TRIPLES)
                  if t.predicate.value == "http://www.w3.org/2000/01/rdf-schema#label"}
    assert HOSTILE in labels and "'" + HOSTILE not in labels
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(exported / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:10]


# --------------------------------------------------------------------------------------------- LibreOffice Calc


@dataclass(frozen=True)
class Cell:
    """A cell as Calc stored it: its type (string, float, date… or '' when empty), value, formula and text."""

    kind: str
    value: str
    formula: str
    text: str


@pytest.fixture(scope="module")
def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        missing("no soffice (LibreOffice Calc): run tests/install-system-deps.sh (libreoffice-calc-nogui)")
    return found


def calc_open(soffice: str, path: Path, options: str, work: Path) -> list[list[Cell]]:
    """Import ``path`` in Calc with the CSV ``options``, save it as .fods and return its first sheet's rows."""
    out = work / "fods"
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
         f"--infilter=Text - txt - csv (StarCalc):{options}", "--convert-to", "fods", "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=CALC_TIMEOUT, check=False,
    )
    result = out / f"{path.stem}.fods"
    assert done.returncode == 0 and result.exists(), done.stdout + done.stderr
    sheet = ET.parse(result).getroot().find(".//table:table", NS)
    rows = []
    for row in sheet.iterfind("table:table-row", NS):
        cells = []
        for cell in row.iterfind("table:table-cell", NS):
            def attr(ns: str, name: str, cell=cell) -> str:
                return cell.get(f"{{{NS[ns]}}}{name}", "")

            text = "\n".join("".join(p.itertext()) for p in cell.iterfind("text:p", NS))
            value = attr("office", "value") or attr("office", "date-value") or attr("office", "boolean-value")
            found = Cell(attr("office", "value-type"), value, attr("table", "formula"), text)
            cells += [found] * int(attr("table", "number-columns-repeated") or 1)
        while cells and cells[-1] == Cell("", "", "", ""):
            cells.pop()
        rows += [cells] * int(row.get(f"{{{NS['table']}}}number-rows-repeated", "1"))
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _no_formula(rows: list[list[Cell]]) -> None:
    formulas = [cell for row in rows for cell in row if cell.formula]
    assert not formulas, formulas[:3]


def _row_of(rows: list[list[Cell]], column: int, text: str) -> list[Cell]:
    (row,) = [row for row in rows if len(row) > column and row[column].text == text]
    return row


def test_calc_reads_the_exported_tables_as_text_not_formulas(soffice, exported, tmp_path):
    for name, width in (("campuses", 11), ("territories", 7)):
        expected = _csv_rows(exported / f"{name}.csv")
        rows = calc_open(soffice, exported / f"{name}.csv", CALC_CSV, tmp_path / name)
        _no_formula(rows)
        assert len(rows) == len(expected)
        assert all(len(row) <= width for row in rows) and len(rows[0]) == width
        assert [cell.text for cell in rows[0]] == expected[0]
    campuses = calc_open(soffice, exported / "campuses.csv", CALC_CSV, tmp_path / "again")
    hostile = _row_of(campuses, 1, "'" + HOSTILE)
    assert hostile[1].kind == "string"
    msi = _row_of(campuses, 1, "Microtechniques et systèmes intelligents (M&SI)")
    assert (msi[9].kind, msi[9].value) == ("float", "2024")  # excellence_year, a number
    territories = calc_open(soffice, exported / "territories.csv", CALC_CSV, tmp_path / "territories-again")
    region = _row_of(territories, 0, "https://w3id.org/cmqgraph/id/region/27")
    assert region[3].text == "Bourgogne-Franche-Comté"


def test_calc_reads_the_french_dialect_with_accents_and_decimal_commas(soffice, hostile, tmp_path):
    campuses = engine.run_query("campus_par_territoire", {}, store=hostile)
    projects = engine.run_query("projets_regionaux", {}, store=hostile)
    for name, frame in (("campus", campuses), ("projets", projects)):
        path = tmp_path / f"{name}-fr.csv"
        path.write_text(engine.format_frame(frame, "csv-fr"), encoding="utf-8", newline="")
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        rows = calc_open(soffice, path, CALC_CSV_FR, tmp_path / name)
        _no_formula(rows)
        assert len(rows) == len(frame) + 1
        assert [cell.text for cell in rows[0]] == list(frame.columns)
        assert all(len(row) <= len(frame.columns) for row in rows)
        if name == "campus":
            row = _row_of(rows, list(frame.columns).index("nom_campus"), "'" + HOSTILE)
            assert row[list(frame.columns).index("nom_region")].text == "Bourgogne-Franche-Comté"
        else:
            # Dijon's State funding, 9.8 million euros in the curated list: a number in a French Calc
            column = list(frame.columns).index("financement_etat_meur")
            dijon = [row for row in rows[1:] if row[1].text.startswith("Dijon, alimentation durable")]
            assert dijon and all((row[column].kind, row[column].value) == ("float", "9.8") for row in dijon)


def test_the_same_rows_unneutralised_would_be_live_formulas_in_calc(soffice, hostile, tmp_path):
    """What the neutralisation prevents: the campus table written as plain CSV gives Calc a HYPERLINK formula."""
    table = next(t for t in tables.TABLES if t.name == "campuses")
    rows = tables.table_rows(cmqgraph.open_store(hostile), table)
    path = tmp_path / "plain.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([[n for n, _, _ in table.fields], *rows])
    calc = calc_open(soffice, path, CALC_CSV, tmp_path / "plain")
    formulas = [cell.formula for row in calc for cell in row if cell.formula]
    assert formulas and all("HYPERLINK" in f for f in formulas)
