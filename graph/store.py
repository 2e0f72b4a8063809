"""Where the built graph lives: a persistent Oxigraph store, reached through rdflib (oxrdflib).

The store path is, in order: the ``path`` argument (``--store`` on the command line), the
``CMQGRAPH_STORE`` environment variable, the graph ``make demo`` built in the checkout one works in
(:func:`checkout_store_path`: ``var/store`` beside the ``pyproject.toml`` of cmqgraph, found from the
current folder upwards, when it holds a built graph), or ``<user data dir>/cmqgraph/store`` (on Linux
``~/.local/share/cmqgraph/store``).

A build replaces only a folder that is a cmqgraph store: one that holds the marker file
:data:`STORE_MARKER` that every build writes, or an Oxigraph store holding cmqgraph's ``graph/meta``
(an earlier version's), or nothing at all (:func:`check_replaceable`). Any other folder is the
user's and is never touched. Beside Oxigraph's files and the marker, a store folder holds the search index
:data:`SEARCH_INDEX` (:mod:`cmqgraph.search`), built with the graph.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import rdflib
from oxrdflib import OxigraphStore
from platformdirs import user_data_path

from .errors import StoreError
from .iris import META_GRAPH, PREFIXES
from .resources import internal_query
from .saved_queries import insert_values

__all__ = [
    "STORE_ENV",
    "STORE_MARKER",
    "SEARCH_INDEX",
    "BUILD_STATE",
    "default_store_path",
    "checkout_store_path",
    "resolve_store_path",
    "store_kind",
    "check_replaceable",
    "open_store",
    "open_graph",
]

#: Environment variable that chooses the store path.
STORE_ENV = "CMQGRAPH_STORE"
#: The file every build writes into the store folder: it says the folder is a cmqgraph store.
STORE_MARKER = "cmqgraph-store.json"
#: The search index (:mod:`cmqgraph.search`, an SQLite FTS5 file) a build writes into the store folder beside the graph.
SEARCH_INDEX = "cmqgraph-search.sqlite"
#: What a build keeps for the next one to redo only what a changed file touches (:mod:`cmqgraph.buildstate`).
BUILD_STATE = "cmqgraph-build-state.pickle"
#: The files of cmqgraph's own in a store folder: the marker, the build state, the search index, and the index being written
#: (:func:`cmqgraph.output.atomic_file`'s temporary name) by a process that may have been killed.
_CMQGRAPH_FILE = re.compile(rf"^({re.escape(STORE_MARKER)}|{re.escape(BUILD_STATE)}|{re.escape(SEARCH_INDEX)}|\.{re.escape(SEARCH_INDEX)}\.part-\d+)$")
#: The names of the files RocksDB (Oxigraph's storage) keeps in a store folder.
_ROCKSDB_FILE = re.compile(r"^(CURRENT|IDENTITY|LOCK|LOG(\.old\.\d+)?|MANIFEST-\d+|OPTIONS-\d+(\.dbtmp)?|\d+\.(log|sst|blob|dbtmp))$")


def default_store_path() -> Path:
    """Return the store path used when neither ``--store`` nor ``CMQGRAPH_STORE`` is given."""
    return user_data_path("cmqgraph") / "store"


#: Where ``make demo`` builds the graph, in a checkout (the Makefile's ``CMQGRAPH_STORE``).
CHECKOUT_STORE = Path("var") / "store"


def checkout_store_path(start: str | os.PathLike | None = None) -> Path | None:
    """Return the graph ``make demo`` built in the cmqgraph checkout that holds ``start`` (default: the current folder).

    The checkout is the nearest folder, from ``start`` upwards, with a ``pyproject.toml`` naming the project
    ``cmqgraph``; its graph is its :data:`CHECKOUT_STORE`, returned only when a build made it (:func:`store_kind`
    ``cmqgraph``). None otherwise: outside a checkout, or before ``make demo``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "pyproject.toml").write_text('[project]\\nname = "cmqgraph"\\n')
    ...     checkout_store_path(folder) is None  # no graph built yet
    True
    """
    folder = Path(start or os.getcwd()).resolve()
    for candidate in (folder, *folder.parents):
        project = candidate / "pyproject.toml"
        if project.is_file():
            if not _NAMES_CMQGRAPH.search(project.read_text(encoding="utf-8", errors="replace")):
                return None
            store = candidate / CHECKOUT_STORE
            return store if store_kind(store) == "cmqgraph" else None
    return None


_NAMES_CMQGRAPH = re.compile(r'^name\s*=\s*"cmqgraph"', re.MULTILINE)


def resolve_store_path(path: str | os.PathLike | None = None) -> Path:
    """Return the store path: ``path``, else ``$CMQGRAPH_STORE``, else :func:`checkout_store_path`, else :func:`default_store_path`."""
    if path:
        return Path(path)
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    return checkout_store_path() or default_store_path()


def store_kind(path: str | os.PathLike) -> str:
    """Say what the folder ``path`` is: ``missing``, ``empty``, ``cmqgraph`` (a store a build wrote),
    ``oxigraph`` (only Oxigraph's own files), ``file`` (not a folder) or ``other`` (anything else).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     empty = store_kind(folder)
    ...     _ = (Path(folder) / "thesis.txt").write_text("mine")
    ...     (empty, store_kind(folder))
    ('empty', 'other')
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return "missing"
    if not path.is_dir():
        return "file"
    entries = list(os.scandir(path))
    if not entries:
        return "empty"
    if any(not entry.is_file(follow_symlinks=False) for entry in entries):
        return "other"
    names = {entry.name for entry in entries}
    if not all(_ROCKSDB_FILE.match(name) or _CMQGRAPH_FILE.match(name) for name in names):
        return "other"
    return "cmqgraph" if STORE_MARKER in names else "oxigraph"


def _foreign_entries(path: Path, limit: int = 3) -> str:
    entries = sorted(e.name + ("/" if e.is_dir() else "") for e in os.scandir(path) if not _ROCKSDB_FILE.match(e.name) and not _CMQGRAPH_FILE.match(e.name))
    more = f" and {len(entries) - limit} more" if len(entries) > limit else ""
    return ", ".join(entries[:limit]) + more


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


def _holds_cmqgraph_meta(path: Path) -> bool:
    """Tell whether the Oxigraph store at ``path`` (without the marker: built before it existed) holds cmqgraph's ``graph/meta``.

    The query is ``queries/internal/store_holds_meta.rq``, ``?meta`` bound to :data:`cmqgraph.iris.META_GRAPH`.
    """
    query = insert_values(internal_query("store_holds_meta"), {"meta": META_GRAPH})
    try:
        return bool(ox.Store.read_only(str(path)).query(query))
    except (OSError, RuntimeError):
        return False


def check_replaceable(path: str | os.PathLike, data_dirs: Iterable[str | os.PathLike] = ()) -> Path:
    """Return the resolved store folder ``path`` if a build may replace it; raise :class:`StoreError` otherwise.

    A build may replace a missing or empty folder, a store a build marked (:func:`store_kind`
    ``cmqgraph``), or an Oxigraph store that holds cmqgraph's ``graph/meta`` (built before the marker
    existed); never a file, a folder holding anything else, another Oxigraph store, nor a folder that
    is, holds or lies inside one of ``data_dirs`` (the folders the build reads).

    Raises
    ------
    StoreError
        The folder is not a store, or overlaps a data folder.
    """
    target = Path(path).expanduser().resolve()
    for data in data_dirs:
        data = Path(data).expanduser().resolve()
        if _overlaps(target, data):
            raise StoreError(
                f"le graphe et les données se chevauchent / the store {target} overlaps the data folder {data}: "
                "choose a store folder outside it"
            )
    try:
        kind = store_kind(target)
    except OSError as exc:
        raise StoreError(f"impossible de lire / cannot read the store folder {target}: {exc.strerror}") from exc
    if kind == "file":
        raise StoreError(f"{target} est un fichier, pas un graphe / is a file, not a graph store: choose a folder for --store (or {STORE_ENV})")
    if kind == "oxigraph" and not _holds_cmqgraph_meta(target):
        raise StoreError(
            f"{target} est une base Oxigraph que cmqgraph n'a pas construite / is an Oxigraph store that cmqgraph did not build "
            f"(no {META_GRAPH} graph, or it cannot be read), refusing to replace it: choose another folder for --store (or {STORE_ENV})"
        )
    if kind == "other":
        raise StoreError(
            f"{target} n'est pas un graphe cmqgraph, il n'est pas remplacé / is not a cmqgraph store, refusing to replace it "
            f"(it holds {_foreign_entries(target)}): choose a new or empty folder for --store (or {STORE_ENV})"
        )
    return target


def open_store(path: str | os.PathLike | None = None, read_only: bool = True) -> ox.Store:
    """Open the built pyoxigraph store.

    Raises
    ------
    StoreError
        Nothing was built at that path, or it cannot be opened.
    """
    location = resolve_store_path(path)
    if not location.is_dir():
        raise StoreError(f"no graph at {location}: run 'cmqgraph build' first (or pass --store / set {STORE_ENV})")
    try:
        return ox.Store.read_only(str(location)) if read_only else ox.Store(str(location))
    except OSError as exc:
        raise StoreError(f"cannot open the graph store at {location}: {exc}") from exc
    except RuntimeError as exc:  # pyoxigraph reports RocksDB corruption as RuntimeError
        raise StoreError(f"the graph store at {location} is damaged ({exc}); rebuild it with 'cmqgraph build'") from exc


def open_graph(path: str | os.PathLike | ox.Store | None = None) -> rdflib.Dataset:
    """Return the built graph as an rdflib :class:`~rdflib.Dataset` backed by Oxigraph, read-only.

    ``path`` is the store folder (see :func:`resolve_store_path`) or a pyoxigraph store already open.

    SPARQL queries see the union of all named graphs as their default graph; ``GRAPH ?g { … }``
    reaches each source's own graph.

    Examples
    --------
    >>> import cmqgraph
    >>> g = cmqgraph.open_graph()  # doctest: +SKIP
    >>> g.query("SELECT (COUNT(*) AS ?n) WHERE { ?c a cmq:Campus }")  # doctest: +SKIP
    """
    store = path if isinstance(path, ox.Store) else open_store(path)
    dataset = rdflib.Dataset(store=OxigraphStore(store=store), default_union=True)
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace, override=True, replace=True)
    return dataset
