"""The package's modules import each other without a cycle, and the version has one home.

The import graph is read from each module's top-level ``import`` statements (an import inside a function is
a deliberate late import and is left out), so a cycle here is one Python would meet at import time.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "graph"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["cmqgraph", *parts])


def _imported(module: str, path: Path, node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.startswith("cmqgraph")]
    if node.level == 0:
        return [node.module] if node.module and node.module.startswith("cmqgraph") else []
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = ".".join(package[: len(package) - node.level + 1])
    if node.module:
        return [f"{base}.{node.module}"]
    return [f"{base}.{alias.name}" for alias in node.names]


def import_graph() -> nx.DiGraph:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _imported(module, path, node):
                    # "from . import iris" names a module; "from .store import open_graph" names its module
                    name = target if target in modules else target.rsplit(".", 1)[0]
                    if name in modules and name != module:
                        graph.add_edge(module, name)
    return graph


def test_the_import_graph_is_read():
    graph = import_graph()
    assert graph.has_edge("cmqgraph.cli", "cmqgraph.version")
    assert graph.has_edge("cmqgraph.builder", "cmqgraph.iris")
    assert graph.has_edge("cmqgraph", "cmqgraph.builder")


def test_no_import_cycle():
    cycles = list(nx.simple_cycles(import_graph()))
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c + [c[0]]) for c in cycles)


def test_the_version_has_one_home():
    from cmqgraph import __version__
    from cmqgraph.version import __version__ as home

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert __version__ is home
    spelled = [p for p in PACKAGE.rglob("*.py") if p.name != "version.py" and "__version__ =" in p.read_text(encoding="utf-8")]
    assert spelled == []
