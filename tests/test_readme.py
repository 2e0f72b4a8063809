"""The README documents every input file with its required columns, and the commands a new user runs."""

from __future__ import annotations

from pathlib import Path

from cmqgraph import cli, errors
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
    assert documented == used == set(errors.EXIT_CODES)


def _error_classes() -> list[type]:
    found, todo = [], [errors.CmqGraphError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found[1:]


def test_every_error_class_lives_in_the_errors_module_and_has_a_documented_code():
    import cmqgraph.cli, cmqgraph.server.app  # noqa: F401, E401 - import every module that could define an error class

    classes = _error_classes()
    assert len(classes) >= 19
    for cls in classes:
        assert cls.__module__ == "cmqgraph.errors", f"{cls.__qualname__} is defined in {cls.__module__}, not in cmqgraph.errors"
        assert cls.exit_code in errors.EXIT_CODES and cls.exit_code not in (0, 2), cls
