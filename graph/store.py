"""Where the built graph lives: a persistent Oxigraph store, reached through rdflib (oxrdflib).

The store path is, in order: the ``path`` argument (``--store`` on the command line), the
``CMQGRAPH_STORE`` environment variable, or ``<user data dir>/cmqgraph/store`` (on Linux
``~/.local/share/cmqgraph/store``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph as ox
import rdflib
from oxrdflib import OxigraphStore
from platformdirs import user_data_path

from .errors import StoreError
from .iris import PREFIXES

__all__ = ["STORE_ENV", "default_store_path", "resolve_store_path", "open_store", "open_graph"]

#: Environment variable that chooses the store path.
STORE_ENV = "CMQGRAPH_STORE"


def default_store_path() -> Path:
    """Return the store path used when neither ``--store`` nor ``CMQGRAPH_STORE`` is given."""
    return user_data_path("cmqgraph") / "store"


def resolve_store_path(path: str | os.PathLike | None = None) -> Path:
    """Return the store path: ``path``, else ``$CMQGRAPH_STORE``, else :func:`default_store_path`."""
    if path:
        return Path(path)
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else default_store_path()


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
