"""The README documents every input file with its required columns, and the commands a new user runs."""

from __future__ import annotations

from pathlib import Path

from cmqgraph import cli
from cmqgraph.sources import all_sources

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_file_and_column_is_documented():
    table = {line.split("|")[1].strip(" `"): line for line in README.splitlines() if line.startswith("| `") and (".csv` |" in line or ".json` |" in line)}
    for source in all_sources():
        for spec in source.files:
            assert spec.name in table, f"{spec.name} is not in the README's format table"
            for column in spec.columns:
                assert f"`{column}`" in table[spec.name], f"{spec.name}: column {column!r} is not documented"


def test_readme_shows_the_two_commands():
    assert "make demo" in README and "make test" in README


def test_the_exit_code_table_lists_every_code_the_command_line_uses():
    section = README[README.index("**Exit codes.**") :]
    section = section[: section.index("\n\n", section.index("| code |"))]
    documented = {int(line.split("|")[1]) for line in section.splitlines() if line.startswith("| ") and line.split("|")[1].strip().isdigit()}
    used = {value for name, value in vars(cli).items() if name.startswith("EXIT_")} | {0, 2}  # 0 success, 2 click's usage errors
    assert documented == used
    assert {code for _, code in cli._EXIT_CODES} <= documented
