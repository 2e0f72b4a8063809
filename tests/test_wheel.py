"""An installed wheel (not the editable checkout) carries its data and builds from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds the wheel and the full default graph from it

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


def test_wheel_builds_the_graph_from_another_directory(tmp_path):
    dist, site, elsewhere = tmp_path / "dist", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    made = run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT))
    assert made.returncode == 0, made.stderr
    [wheel] = dist.glob("cmqgraph-*.whl")
    installed = run(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel))
    assert installed.returncode == 0, installed.stderr
    env = dict(os.environ, PYTHONPATH=str(site), CMQGRAPH_STORE=str(tmp_path / "store"))
    where = run(sys.executable, "-c", "import cmqgraph; print(cmqgraph.__file__)", cwd=elsewhere, env=env)
    assert where.stdout.strip().startswith(str(site)), where.stdout + where.stderr
    resources = run(
        sys.executable,
        "-c",
        "from cmqgraph.resources import ontology_path, shapes_path, context_path; from cmqgraph.builder import default_data_dir;"
        "print(all(p.is_file() for p in (ontology_path(), shapes_path(), context_path())), "
        "*sorted(p.name for p in default_data_dir().iterdir() if p.suffix in ('.csv', '.json')))",
        cwd=elsewhere,
        env=env,
    )
    shipped = sorted(p.name for p in (ROOT / "graph" / "data").iterdir() if p.suffix in (".csv", ".json"))
    assert resources.stdout.split() == ["True", *shipped], resources.stderr
    built = run(sys.executable, "-m", "cmqgraph", "build", "--show-issues", "0", "--issues-file", "issues.csv", cwd=elsewhere, env=env)
    assert built.returncode == 0, built.stderr[-2000:]
    issues = (elsewhere / "issues.csv").read_text(encoding="utf-8").splitlines()
    assert issues[0] == "source,severity,file,line,column,value,message"
    assert "territoires,skipped,orion_departements_academies_regions.csv,104,codeDepartement,130," in "\n".join(issues)  # Andorre
    listed = run(sys.executable, "-m", "cmqgraph", "sources", cwd=elsewhere, env=env)
    assert listed.returncode == 0 and "faits_bfc" in listed.stdout
    # the web pages' templates ship in the wheel: the installed server renders a saved query's page
    page = run(
        sys.executable,
        "-c",
        "import os\nfrom fastapi.testclient import TestClient\nfrom cmqgraph.server import Settings, create_app\n"
        "with TestClient(create_app(Settings(store=os.environ['CMQGRAPH_STORE'], processes=1))) as client:\n"
        "    answer = client.get('/queries/campus_excellence', params={'run': '1', 'region': 'Occitanie'})\n"
        "    print(answer.status_code, answer.text.count('<tr>') - 1)",
        cwd=elsewhere,
        env=env,
    )
    status, rows = page.stdout.split()
    assert status == "200" and int(rows) >= 1, page.stderr[-2000:]
