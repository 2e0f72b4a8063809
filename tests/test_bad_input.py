"""Bad input gets a clear error naming the file, line and value, and never harms the built graph."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from cmqgraph import build
from cmqgraph.errors import SourceFileError
from cmqgraph.sources import BuildContext
from cmqgraph.sources.cmq import CampusList
from cmqgraph.sources.filieres import Filieres
from cmqgraph.sources.territoires import Territoires

DATA = Path(__file__).parent / "data"
TERRITOIRES = ("orion_departements_academies_regions.csv", "academies_geo.json", "regions_geo.json")


def context_with(tmp_path: Path, name: str, content: bytes, *others: str) -> BuildContext:
    """A context over the territoires and filières extracts (and ``others``), with file ``name`` holding ``content``."""
    (tmp_path / name).write_bytes(content)
    files = {n: DATA / n for n in TERRITOIRES + ("cmq_filieres_12.csv", *others)}
    files[name] = tmp_path / name
    return BuildContext(files=files)


def real(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_missing_file(tmp_path):
    ctx = BuildContext(files={"cmq_filieres_12.csv": tmp_path / "cmq_filieres_12.csv"})
    with pytest.raises(SourceFileError, match="file not found") as err:
        list(Filieres(ctx).triples())
    assert err.value.path.name == "cmq_filieres_12.csv"


def test_missing_column(tmp_path):
    content = real("cmq_filieres_12.csv").replace(b"filiere_cmq", b"filiere", 1)
    with pytest.raises(SourceFileError, match="missing column.*'filiere_cmq'") as err:
        list(Filieres(context_with(tmp_path, "cmq_filieres_12.csv", content)).triples())
    assert err.value.line == 1


def test_wrong_separator(tmp_path):
    content = real("cmq_filieres_12.csv").replace(b";", b",")
    with pytest.raises(SourceFileError, match="wrong separator: expected ';'; it seems to use ','") as err:
        list(Filieres(context_with(tmp_path, "cmq_filieres_12.csv", content)).triples())
    assert "cmq_filieres_12.csv, line 1" in str(err.value)


def test_wrong_encoding_names_the_line(tmp_path):
    content = real("cmq_filieres_12.csv").decode("utf-8").encode("cp1252")
    with pytest.raises(SourceFileError, match="not valid UTF-8") as err:
        list(Filieres(context_with(tmp_path, "cmq_filieres_12.csv", content)).triples())
    assert err.value.line == 2  # "Mobilité, …" is the first value with an accent


def test_duplicated_key_is_warned_and_first_kept(tmp_path):
    lines = real("cmq_filieres_12.csv").decode("utf-8").splitlines()
    content = "\n".join(lines + [lines[3]]).encode("utf-8")
    ctx = context_with(tmp_path, "cmq_filieres_12.csv", content)
    triples = list(Filieres(ctx).triples())
    assert len({s for s, p, o in triples if str(o).endswith("#Sector")}) == 12
    [issue] = ctx.issues
    assert (issue.line, issue.severity, issue.value) == (len(lines) + 1, "warning", "Création, design, audiovisuel")


def test_territoire_feature_with_unknown_code(tmp_path):
    content = real("regions_geo.json").replace(b'"reg": "27"', b'"reg": "X7"')
    ctx = context_with(tmp_path, "regions_geo.json", content)
    with pytest.raises(SourceFileError, match="unknown code in property 'reg'") as err:
        list(Territoires(ctx).triples())
    assert err.value.value == "X7"


def test_failed_build_leaves_previous_store_and_exits_3(tmp_path):
    store = tmp_path / "store"
    previous = ox.Store(str(store))
    meta = ox.NamedNode("https://w3id.org/cmqgraph/graph/meta")  # a store an earlier cmqgraph built
    marker = ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"), ox.Literal("before"), meta)
    previous.add(marker)
    previous.flush()
    del previous
    data = tmp_path / "data"
    data.mkdir()
    bad = real("orion_departements_academies_regions.csv").replace(b";", b"\t")
    (data / "orion_departements_academies_regions.csv").write_bytes(bad)
    with pytest.raises(SourceFileError):
        build(store=store, data_dir=data, with_defaults=True)
    result = subprocess.run(
        [sys.executable, "-m", "cmqgraph", "--store", str(store), "build", "--data", str(data), "--with-defaults"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "orion_departements_academies_regions.csv, line 1: wrong separator" in result.stderr
    assert list(ox.Store.read_only(str(store)).quads_for_pattern(None, None, None)) == [marker]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".store")] == []


def test_missing_file_in_data_folder_exits_3(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "cmq_filieres_12.csv", data)
    result = subprocess.run(
        [sys.executable, "-m", "cmqgraph", "--store", str(tmp_path / "store"), "build", "--data", str(data)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 3
    assert "orion_departements_academies_regions.csv: file not found" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "store").exists()


# ------------------------------------------------------------------------------ the structure of every CSV

CAMPUSES = "cmq_campus_list.csv"


def campus_lines() -> list[str]:
    return real(CAMPUSES).decode("utf-8").splitlines()


def campus_context(tmp_path: Path, lines: list[str]) -> BuildContext:
    return context_with(tmp_path, CAMPUSES, ("\n".join(lines) + "\n").encode("utf-8"))


def read_campuses(ctx: BuildContext) -> list[int]:
    """The lines of the campus rows the reader yields (structure checks only, no source logic)."""
    return [row.line for row in ctx.read_csv(CampusList.files[0])]


def frictionless_rows(path: Path) -> dict[str, list[int]]:
    """Row numbers of frictionless's structural errors: the independent check of ours."""
    from frictionless import Dialect, Resource, formats, validate

    report = validate(Resource(path=path.name, basepath=str(path.parent), dialect=Dialect(controls=[formats.CsvControl(delimiter=";")])))
    found: dict[str, list[int]] = {}
    for error in report.tasks[0].errors:
        if error.type in ("extra-cell", "missing-cell", "duplicate-label"):
            found.setdefault(error.type, [])
            row = getattr(error, "row_number", None)
            if row is not None and row not in found[error.type]:
                found[error.type].append(row)
    return found


@pytest.mark.parametrize("cells", [500, 3])
def test_a_row_with_the_wrong_number_of_cells_is_a_row_issue(tmp_path, cells):
    lines = campus_lines()
    width = len(lines[0].split(";"))
    assert width == 13
    values = lines[3].split(";")
    lines[3] = ";".join(values[:cells] if cells < width else values + ["x"] * (cells - width))
    ctx = campus_context(tmp_path, lines)
    assert 4 not in read_campuses(ctx)
    [issue] = ctx.issues
    assert (issue.line, issue.severity) == (4, "error")
    assert issue.message == f"the row has {cells} cell(s), the header 13; row skipped"
    kind = "extra-cell" if cells > width else "missing-cell"
    assert frictionless_rows(tmp_path / CAMPUSES)[kind] == [issue.line]
    assert ctx.rows_read[CAMPUSES] == len(lines) - 1


def test_a_column_named_twice_is_fatal(tmp_path):
    lines = campus_lines()
    lines = [lines[0] + ";nom"] + [line + ";autre nom" for line in lines[1:]]
    ctx = campus_context(tmp_path, lines)
    with pytest.raises(SourceFileError, match=r"column 'nom' is named twice in the header \(columns 1, 14\)") as err:
        read_campuses(ctx)
    assert err.value.line == 1
    assert "duplicate-label" in frictionless_rows(tmp_path / CAMPUSES)


def test_an_unclosed_quote_that_swallows_rows_is_fatal(tmp_path):
    lines = campus_lines()
    lines[5] = lines[5].replace(";", ';"', 1)  # line 6 of the file: a quote opened and never closed
    ctx = campus_context(tmp_path, lines)
    with pytest.raises(SourceFileError, match=f"a quoted cell opened on line 6 runs on to line {len(lines)}") as err:
        read_campuses(ctx)
    assert err.value.line == 6


def test_a_quoted_cell_on_several_lines_is_kept():
    """The real kit file has one cell over several lines (the row of CFD 13511418 starts on line 2649: `grep -n ^13511418`): a cell, not a runaway quote."""
    from cmqgraph.builder import default_data_dir
    from cmqgraph.sources.kit_apprentissage import KitApprentissage

    ctx = BuildContext(files={"kit_apprentissage_cfd_rncp_20231218.csv": default_data_dir() / "kit_apprentissage_cfd_rncp_20231218.csv"})
    rows = list(ctx.read_csv(KitApprentissage.files[0]))
    assert len(rows) == 5707 and ctx.issues == []
    [multi] = [r for r in rows if "\n" in r["Intitulé diplôme (DEPP)"]]
    assert multi.line == 2649


@pytest.mark.parametrize("size", [5_000_000, 30_000_000])
def test_an_oversized_cell_or_line_is_fatal_with_its_line(tmp_path, size):
    lines = campus_lines()
    lines[6] = lines[6] + ";" + "x" * size if size < 10_000_000 else "x" * size
    for read in (read_campuses, lambda ctx: ctx.check(CampusList.files[0])):
        with pytest.raises(SourceFileError, match="a cell holds more than 131,072 characters") as err:
            read(campus_context(tmp_path, lines))
        assert err.value.line == 7 and err.value.path.name == CAMPUSES


def test_a_long_line_of_short_cells_is_a_row_issue_not_a_long_cell(tmp_path):
    lines = campus_lines()
    lines[6] = lines[6] + ";x" * 70_000  # 140,000 characters in 70,013 cells
    ctx = campus_context(tmp_path, lines)
    ctx.check(CampusList.files[0])
    assert 7 not in read_campuses(ctx)
    assert [i.message for i in ctx.issues] == ["the row has 70013 cell(s), the header 13; row skipped"]


def test_a_nul_byte_is_fatal_and_other_control_characters_are_row_issues(tmp_path):
    lines = campus_lines()
    lines[2] = lines[2].replace("a", "\x0b", 1)
    ctx = campus_context(tmp_path, lines)
    assert 3 not in read_campuses(ctx)
    [issue] = ctx.issues
    assert issue.line == 3 and issue.message.startswith("control character U+000B in column")
    lines[4] = lines[4].replace("e", "\x00", 1)
    with pytest.raises(SourceFileError, match="NUL byte") as err:
        read_campuses(campus_context(tmp_path, lines))
    assert err.value.line == 5


def test_a_header_only_file_is_fatal_before_the_build(tmp_path):
    ctx = campus_context(tmp_path, campus_lines()[:1])
    with pytest.raises(SourceFileError, match="the file has a header but no rows") as err:
        ctx.check(CampusList.files[0])
    assert err.value.line == 2


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_error_offsets_count_the_bom(tmp_path, bom):
    content = bom + real("cmq_filieres_12.csv").decode("utf-8").encode("cp1252")
    ctx = context_with(tmp_path, "cmq_filieres_12.csv", content)
    with pytest.raises(SourceFileError, match="not valid UTF-8") as err:
        list(Filieres(ctx).triples())
    first_bad = next(i for i, byte in enumerate(content) if byte >= 0x80 and i >= len(bom))
    assert f"at offset {first_bad};" in str(err.value)
    assert err.value.line == 2


def test_a_geojson_file_that_is_a_list_is_a_clear_error(tmp_path):
    ctx = context_with(tmp_path, "regions_geo.json", b'[{"type": "Feature"}]')
    with pytest.raises(SourceFileError, match=r"not a GeoJSON FeatureCollection \(the file holds a JSON list\)"):
        list(Territoires(ctx).triples())


def test_a_geojson_file_that_is_not_json_names_its_line(tmp_path):
    ctx = context_with(tmp_path, "academies_geo.json", b'{"type": "FeatureCollection",\n "features": [,]}')
    with pytest.raises(SourceFileError, match="not JSON") as err:
        list(Territoires(ctx).triples())
    assert err.value.line == 2


def with_cells(name: str, changes: dict[str, str]) -> bytes:
    """The real extract ``name`` with the cells of its first row replaced by ``changes`` (column → value)."""
    lines = real(name).decode("utf-8").splitlines()
    header, cells = lines[0].split(";"), lines[1].split(";")
    for column, value in changes.items():
        cells[header.index(column)] = value
    return "\n".join([lines[0], ";".join(cells), *lines[2:]]).encode("utf-8") + b"\n"


def test_numbers_that_do_not_parse_or_are_out_of_range_are_row_issues(tmp_path):
    from cmqgraph.sources.inserjeunes import InserJeunes

    name = "inserjeunes_lycees_pro_uai_2022_2023.csv"
    ctx = context_with(tmp_path, name, with_cells(name, {"Taux": "-1e309", "Taux attendu": "150"}), "inserjeunes_cfa_uai_2022_2023.csv")
    list(Territoires(ctx).triples())
    list(InserJeunes(ctx).triples())
    found = {(i.line, i.column): i.message for i in ctx.issues if i.file == name and "indicator" in i.message}
    assert found == {
        (2, "Taux"): "not a number; indicator left out",
        (2, "Taux attendu"): "out of range (at most 100); indicator left out",
    }


def test_an_amount_that_is_not_a_number_is_a_row_issue(tmp_path):
    from cmqgraph.sources.territoires_innovation import TerritoiresInnovation

    name = "territoires_innovation_laureats.csv"
    ctx = context_with(tmp_path, name, with_cells(name, {"montant_millions_eur": "-1e309"}))
    list(Territoires(ctx).triples())
    list(TerritoiresInnovation(ctx).triples())
    [issue] = [i for i in ctx.issues if i.column == "montant_millions_eur"]
    assert (issue.line, issue.value, issue.message) == (2, "-1e309", "not a number; kept as a note only")


# --------------------------------------------------------------------------- files checked before the build


class Recorder:
    """A build progress that records which sources started."""

    def __init__(self):
        self.started: list[str] = []

    def source_started(self, source, expected_rows: int) -> None:
        self.started.append(source.name)

    def row_read(self) -> None: ...

    def source_finished(self, report) -> None: ...


def test_a_broken_campus_list_fails_before_any_source_runs(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    lines = campus_lines()
    lines[5] = lines[5].replace(";", ';"', 1)
    (data / CAMPUSES).write_text("\n".join(lines) + "\n", encoding="utf-8")
    progress = Recorder()
    with pytest.raises(SourceFileError, match="line 6"):
        build(store=tmp_path / "store", data_dir=data, with_defaults=True, progress=progress)
    assert progress.started == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


# ------------------------------------------------------------------------------------- say which files were yours


@pytest.mark.parametrize("misnamed", ["CMQ_campus_list.csv", "cmq_campus_list (1).csv"])
def test_a_misnamed_file_is_listed_with_the_expected_name(tmp_path, misnamed):
    from cmqgraph.builder import locate_files

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "poles_competitivite.csv", data)
    shutil.copy(DATA / CAMPUSES, data / misnamed)
    (data / ".DS_Store").write_bytes(b"")
    inputs = locate_files(data, with_defaults=True)
    assert inputs.unknown == ((misnamed, CAMPUSES),)
    assert CAMPUSES in inputs.shipped and "poles_competitivite.csv" not in inputs.shipped
    assert inputs.paths["poles_competitivite.csv"] == data / "poles_competitivite.csv"
    with pytest.raises(SourceFileError, match=f"file not found.*the folder has {re.escape(repr(misnamed))}: rename it"):
        _without_defaults(data)


def _without_defaults(data: Path) -> None:
    """Without --with-defaults, a folder holding every file but the misnamed one: the error points at it."""
    from cmqgraph.builder import default_data_dir, locate_files

    for path in default_data_dir().iterdir():
        if path.suffix in (".csv", ".json") and path.name != CAMPUSES and not (data / path.name).exists():
            (data / path.name).symlink_to(path)
    locate_files(data, with_defaults=False)


@pytest.mark.parametrize("kind", ["folder", "broken link", "link loop"])
def test_an_entry_that_cannot_be_read_is_an_error_not_absent(tmp_path, kind):
    from cmqgraph.builder import locate_files

    data = tmp_path / "data"
    data.mkdir()
    entry = data / CAMPUSES
    if kind == "folder":
        entry.mkdir()
    elif kind == "broken link":
        entry.symlink_to(tmp_path / "nowhere.csv")
    else:
        entry.symlink_to(data / "other.csv")
        (data / "other.csv").symlink_to(entry)
    expected = {"folder": "is a folder, not a file", "broken link": "is a broken link", "link loop": "is a link loop"}[kind]
    with pytest.raises(SourceFileError, match=expected) as err:
        locate_files(data, with_defaults=True)
    assert err.value.path == entry


@pytest.mark.slow  # builds the full default graph with some of the user's files
def test_the_build_says_which_files_were_yours_and_which_it_did_not_read(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "poles_competitivite.csv", data)
    shutil.copy(DATA / CAMPUSES, data / "cmq_campus_list (1).csv")
    result = subprocess.run(
        [sys.executable, "-m", "cmqgraph", "--store", str(tmp_path / "store"), "build", "--data", str(data), "--with-defaults"],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    rows = {row.split("│")[1].strip(): row.split("│")[2].strip() for row in result.stdout.splitlines() if row.startswith("│ ")}
    assert rows["poles"] == "vôtre / yours" and rows["cmq"] == "livré / shipped"
    assert (
        f"warning: {data / 'cmq_campus_list (1).csv'}: not a file the build reads (did you mean 'cmq_campus_list.csv'? "
        "it was not read, the shipped copy was)"
    ) in " ".join(result.stderr.split())
