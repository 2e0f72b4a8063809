"""The examples in the docstrings run (numpydoc-style runnable examples)."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import cmqgraph

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(cmqgraph.__path__, "cmqgraph.")
    if not m.name.endswith("__main__") and ">>>" in (importlib.util.find_spec(m.name).loader.get_source(m.name) or "")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
