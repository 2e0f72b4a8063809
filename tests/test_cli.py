"""Every command of the CLI has help text, and the exit codes are the documented ones."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from cmqgraph.cli import main

def walk(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Return the path of every command, nested groups included (``("query", "run")``)."""
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(walk(command, (*prefix, name)))
    return paths


COMMANDS = walk(main)


def resolve(path: tuple[str, ...]) -> click.Command:
    command = main
    for name in path:
        command = command.commands[name]
    return command


def test_the_commands_exist():
    names = {" ".join(p) for p in COMMANDS}
    assert {"build", "stats", "validate", "sources", "query", "query list", "query describe", "query run", "sparql", "serve"} <= names


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help(path):
    command = resolve(path)
    name = " ".join(path)
    assert command.help and len(command.help.split()) >= 5, f"{name} needs a real help text"
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert command.help.split("\n")[0].strip() in " ".join(result.output.split())
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"option {param.name} of {name} has no help"


def test_group_help_lists_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in main.commands:
        assert name in result.output


def test_commands_without_a_graph_exit_4(tmp_path):
    for name in ("stats", "sources", "validate", "serve"):
        result = CliRunner().invoke(main, ["--store", str(tmp_path / "none"), name])
        assert result.exit_code == 4, (name, result.output)
        assert "run 'cmqgraph build' first" in result.output
