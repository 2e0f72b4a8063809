"""``cmqgraph serve``: the built graph on the web, for people who don't write SPARQL.

A SPARQL 1.1 Protocol endpoint, the saved queries as forms with tables and CSV downloads, the
network views, and a REST API described by OpenAPI (:mod:`cmqgraph.server.app`). Queries run in
worker processes that are stopped at the timeout (:mod:`cmqgraph.server.pool`).

Examples
--------
>>> from cmqgraph.server import Settings, serve
>>> serve(Settings(store="var/store"), host="127.0.0.1", port=8000)  # doctest: +SKIP
"""

from __future__ import annotations

import uvicorn

from .app import create_app
from .state import ROWS_HEADER, TRUNCATED_HEADER, Settings

__all__ = ["Settings", "create_app", "serve", "ROWS_HEADER", "TRUNCATED_HEADER", "LOOPBACK"]

#: Host names that only this machine reaches.
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Serve the graph of ``settings`` on ``host:port`` until interrupted (uvicorn)."""
    # uvicorn's own proxy headers would believe X-Forwarded-For from 127.0.0.1: the application believes
    # them from Settings.trusted_proxies only
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, proxy_headers=False)
