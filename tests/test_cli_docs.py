"""docs/cli.md is the commands' own --help, and every ``cmqgraph COMMAND --option`` the project names exists.

docs/cli.md is written by tools/cli_docs.py (``make docs``); these tests regenerate it in memory, as
sqlite-utils checks its CLI reference with ``cog --check``.
"""

from __future__ import annotations

import difflib
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import click

from cmqgraph.cli import commands, main

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cli.md"
TOOL = ROOT / "tools" / "cli_docs.py"
cli_docs = runpy.run_path(str(TOOL))


def test_docs_cli_md_is_the_commands_help():
    expected = cli_docs["reference"]()
    current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
    if current != expected:
        diff = "".join(difflib.unified_diff(current.splitlines(True), expected.splitlines(True), "docs/cli.md", "the commands' --help", n=1))
        raise AssertionError(f"docs/cli.md differs from the commands' --help: run make docs (python tools/cli_docs.py)\n{diff[:3000]}")


def test_every_command_has_its_section_and_its_row_in_the_index():
    text = PAGE.read_text(encoding="utf-8")
    for path, _ in commands():
        title = " ".join(("cmqgraph", *path))
        assert f"\n## {title}\n" in text, f"docs/cli.md has no section {title}"
        assert f"| [`{title}`](#{'-'.join(('cmqgraph', *path))}) |" in text, f"docs/cli.md's index has no row for {title}"
    assert "Usage: cmqgraph query run [OPTIONS] NAME" in text  # the program's name, not the test runner's


def test_the_page_does_not_depend_on_the_terminal(tmp_path):
    """The script, run as ``make docs`` runs it, in a narrow terminal, finds docs/cli.md up to date."""
    env = {**os.environ, "COLUMNS": "40", "LINES": "10"}
    done = subprocess.run([sys.executable, str(TOOL), str(PAGE), "--check"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    stale = tmp_path / "cli.md"
    stale.write_text("# old\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(TOOL), str(stale), "--check"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1 and done.stderr == f"{stale} is out of date: run make docs\n"


# --- the messages, pages and docs name only options that exist (issue 12: a message named `cmqgraph sparql --rdf`) ---

#: ``cmqgraph`` followed by words: a command path, its arguments and options (``[--data DIR]`` as the README writes them).
MENTION = re.compile(r"cmqgraph((?: +(?!cmqgraph\b)[\[\]|]*[\w=.,:/$<>-]+[\]|]*)+)")


def unknown_options(text: str) -> list[str]:
    """Return ``cmqgraph COMMAND --option`` for each option ``text`` names that the command does not have."""
    found = []
    for mention in MENTION.finditer(text):
        words = [w.strip("[]|").rstrip(".,:;)") for w in mention.group(1).split()]
        command, path = main, []
        while words and isinstance(command, click.Group) and words[0] in command.commands:
            path.append(words[0])
            command = command.commands[words.pop(0)]
        if not path:  # prose (« cmqgraph writes… »), or a top-level option first
            continue
        known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help", "-h"}
        # ``--gexf/--graphml``: two options; ``--format=csv``: the option's name before ``=``; ``-1``: a value
        options = {o.split("=", 1)[0] for w in words for o in w.split("/") if re.match(r"--?[A-Za-z]", o)}
        found += [f"cmqgraph {' '.join(path)} {option}" for option in sorted(options - known)]
    return found


def test_the_checker_finds_the_option_that_never_existed():
    old = "raise QueryError(\"only SELECT and ASK queries give a table; use 'cmqgraph sparql --rdf' for CONSTRUCT/DESCRIBE\")"
    assert unknown_options(old) == ["cmqgraph sparql --rdf"]
    assert unknown_options("`cmqgraph build [--data DIR] [--issues-file F]`, then cmqgraph writes --anything") == []
    assert unknown_options("cmqgraph network --gexf/--graphml, cmqgraph view --out=v.html --png/--pdf") == ["cmqgraph view --pdf"]
    assert unknown_options("cmqgraph query run NAME --timeout -1 exits 2") == []
    assert unknown_options("cmqgraph query run campus_excellence -p region=Occitanie --format csv-fr --lang fr") == [
        "cmqgraph query run --lang"
    ]


def test_every_option_the_project_names_exists():
    files = [
        *(ROOT / "graph").rglob("*.py"), *(ROOT / "graph").rglob("*.html"), *(ROOT / "queries").glob("*.rq"),
        *(ROOT / "notebooks").glob("*.ipynb"), *ROOT.glob("*.md"), *(ROOT / "docs").glob("*.md"),
    ]
    assert len(files) > 40
    wrong = [f"{path.relative_to(ROOT)}: {found}" for path in files for found in unknown_options(path.read_text(encoding="utf-8"))]
    assert not wrong, "options that do not exist:\n" + "\n".join(wrong)
