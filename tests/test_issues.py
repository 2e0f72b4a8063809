"""The issues file of a build (``cmqgraph build --issues-file``), read the way a script and a spreadsheet read it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from test_spreadsheet import CALC_CSV_FR, calc_open, soffice  # noqa: F401 - soffice is a fixture

from cmqgraph.builder import BuildReport, SourceReport
from cmqgraph.errors import OutputError, RowIssue
from cmqgraph.issues import ISSUE_COLUMNS, write_issues

HOSTILE = '=HYPERLINK("http://evil.example","x")'
#: Two sources' issues, with what a CSV writer must quote (commas, quotes, a line break), accents and a formula.
REPORT = BuildReport(store=Path("store"), sources=[
    SourceReport("territoires", "Territoires", {}, 110, 900, [
        RowIssue("orion_departements_academies_regions.csv", 104, "codeDepartement", "130",
                 "not a département (collectivity or foreign territory), skipped", "skipped"),
    ], 0.1),
    SourceReport("cmq", "Campus", {}, 20, 400, [
        RowIssue("cmq_campus_list.csv", 7, "nom", HOSTILE, "a name \"quoted\"\non two lines", "warning"),
        RowIssue("cmq_campus_list.csv", 9, "", "", "3 fields instead of 11", "error"),
    ], 0.2),
])
EXPECTED = [
    list(ISSUE_COLUMNS),
    ["territoires", "skipped", "orion_departements_academies_regions.csv", "104", "codeDepartement", "130",
     "not a département (collectivity or foreign territory), skipped"],
    ["cmq", "warning", "cmq_campus_list.csv", "7", "nom", "'" + HOSTILE, "a name \"quoted\"\non two lines"],
    ["cmq", "error", "cmq_campus_list.csv", "9", "", "", "3 fields instead of 11"],
]


def test_the_columns_are_those_scripts_read():
    assert ISSUE_COLUMNS == ("source", "severity", "file", "line", "column", "value", "message")


def test_one_row_per_issue_quoted_and_neutralised(tmp_path):
    path = write_issues(REPORT, tmp_path / "issues.csv")
    assert path == tmp_path / "issues.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"source,severity,file,line,column,value,message\n") and b"\r\n" not in raw
    with open(path, encoding="utf-8", newline="") as f:
        assert list(csv.reader(f)) == EXPECTED


def test_the_french_dialect(tmp_path):
    path = write_issues(REPORT, tmp_path / "issues-fr.csv", dialect="csv-fr")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfsource;severity;")
    with open(path, encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f, delimiter=";")) == EXPECTED
    with pytest.raises(ValueError, match="CSV dialect must be one of csv, csv-fr, tsv, not 'xlsx'"):
        write_issues(REPORT, tmp_path / "issues.xlsx", dialect="xlsx")


def test_an_unwritable_file_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="cannot write .*missing/issues.csv"):
        write_issues(REPORT, tmp_path / "missing" / "issues.csv")
    assert list(tmp_path.iterdir()) == []


def test_calc_reads_the_issues_as_text_with_their_line_numbers(soffice, tmp_path):  # noqa: F811 - the fixture
    path = write_issues(REPORT, tmp_path / "issues.csv", dialect="csv-fr")
    rows = calc_open(soffice, path, CALC_CSV_FR, tmp_path / "calc")
    assert not [cell for row in rows for cell in row if cell.formula]
    assert [[cell.text for cell in row] for row in rows] == EXPECTED
    assert (rows[1][3].kind, rows[1][3].value) == ("float", "104")
    assert rows[2][5].kind == "string"
