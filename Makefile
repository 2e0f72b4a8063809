# cmqgraph — the two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The demo's graph lives in the working copy (git-ignored); `cmqgraph` alone uses the user data folder.
export CMQGRAPH_STORE ?= $(CURDIR)/var/store

.PHONY: help install system-deps demo serve test check snapshots docs bench picture notebooks clean

help:
	@echo "make demo   - create .venv, install cmqgraph, build the default graph, validate it, show what it holds"
	@echo "make serve  - serve the graph on http://127.0.0.1:8000 (saved queries, SPARQL, views; builds it if needed)"
	@echo "make test   - run the whole test suite"
	@echo "make check  - run the fast tests (not those needing the full default graph, servers or a minute of work)"
	@echo "make snapshots - rewrite tests/snapshots from the current outputs (after a change meant to alter them)"
	@echo "make docs   - rewrite docs/cli.md, the command-line reference, from the commands' --help (after changing a command)"
	@echo "make bench  - measure build, queries, pages, server, exports, validation and their growth at 1x/4x/16x the data, write BENCHMARKS.md"
	@echo "make notebooks - open JupyterLab on notebooks/ (installs the notebooks extra, builds the graph if needed)"
	@echo "make picture - regenerate mobicampus.png, the README's first picture (needs Chromium; PICTURE=FILE to write elsewhere)"
	@echo "make clean  - remove the virtual environment, the built graph and build files"

$(BIN)/cmqgraph: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(BIN)/cmqgraph

# Debian packages the tests need (Virtuoso 7); the server tests are skipped where they cannot be installed.
system-deps:
	@bash tests/install-system-deps.sh || echo "warning: system packages missing: the tests that need them will be skipped"

demo: install
	$(BIN)/cmqgraph build
	$(BIN)/cmqgraph validate
	$(BIN)/cmqgraph stats
	$(BIN)/cmqgraph sources

serve: install
	$(BIN)/cmqgraph stats >/dev/null 2>&1 || $(BIN)/cmqgraph build
	$(BIN)/cmqgraph serve

# The modules run over TEST_WORKERS processes (pytest-xdist); each module stays in one of them.
TEST_WORKERS ?= 2

test: install system-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

# The edit-test loop: the tests not marked slow (those need the full default graph, servers or a minute of work).
check: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not slow"

snapshots: install
	$(BIN)/python -m pytest -q tests/test_snapshots.py --update-snapshots

docs: install
	$(BIN)/python tools/cli_docs.py docs/cli.md

bench: install
	$(BIN)/python tests/bench.py --out BENCHMARKS.md

# The README's first picture; `make picture PICTURE=/tmp/m.png` writes it elsewhere (to compare before replacing it).
PICTURE ?= mobicampus.png

picture: install system-deps
	$(BIN)/cmqgraph build
	$(BIN)/python tools/readme_picture.py $(PICTURE)

notebooks: install
	$(BIN)/python -m pip install --quiet -e ".[notebooks]"
	$(BIN)/cmqgraph stats >/dev/null 2>&1 || $(BIN)/cmqgraph build
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) var build dist *.egg-info graph/*.egg-info
