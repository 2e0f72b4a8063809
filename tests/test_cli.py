"""Every command of the CLI has help text, and the exit codes are the documented ones."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from cmqgraph.cli import main

COMMANDS = sorted(main.commands)


def test_the_foundation_commands_exist():
    assert {"build", "stats", "validate", "sources"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name):
    command = main.commands[name]
    assert command.help and len(command.help.split()) >= 5, f"{name} needs a real help text"
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert command.help.split("\n")[0].strip() in " ".join(result.output.split())
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"option {param.name} of {name} has no help"


def test_group_help_lists_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_commands_without_a_graph_exit_4(tmp_path):
    for name in ("stats", "sources", "validate"):
        result = CliRunner().invoke(main, ["--store", str(tmp_path / "none"), name])
        assert result.exit_code == 4, (name, result.output)
        assert "run 'cmqgraph build' first" in result.output
