"""Real SPARQL servers on 127.0.0.1 for the tests: Oxigraph server and Virtuoso 7.

Each fixture is session-scoped: it starts the server on free ports with its data in a temporary
folder, waits (bounded) until it answers a SPARQL query, yields a :class:`Server`, and stops it at the
end (terminate, wait, kill).

A test module gets the fixtures of the whole session with ``pytest_plugins = ["servers"]``: every
module that does so shares one Oxigraph server and one Virtuoso (and one push of the default graph to
each, :func:`oxigraph_pushed` and :func:`virtuoso_pushed`). Imported by name instead
(``from servers import oxigraph_server``), a fixture is the module's own: pytest then starts a
server for that module alone (still stopped at the end of the session).

- Oxigraph server: the ``oxigraph`` executable of the PyPI package ``oxigraph`` (a test dependency),
  found next to ``sys.executable`` or on ``PATH``; started with ``--union-default-graph`` so that
  queries see every named graph, as the local store does.
- cmqgraph itself: ``cmqgraph serve`` (:func:`start_cmqgraph`) on a built store, read-only unless
  given an update token; the query endpoint is ``/sparql``, with no Graph Store.
- Virtuoso 7: the Debian package ``virtuoso-opensource`` (``tests/install-system-deps.sh``), started
  with ``virtuoso-t +foreground +configfile <tmp>/virtuoso.ini``; writes go to
  ``/sparql-graph-crud-auth`` with HTTP digest auth ``dba``/``dba`` (the password of a new database).

The session's servers hold the full default graph under https://w3id.org/cmqgraph/graph/, pushed once
(:func:`oxigraph_pushed`, :func:`virtuoso_pushed`); a test may add its own graphs outside that
namespace, but a test that changes what the graphs under it hold (another build, a push that fails
halfway) uses servers of its own: :func:`start_oxigraph` and :func:`start_virtuoso` in its own folder.

A :class:`Server` is a context manager that stops it on leaving. A server whose executable is missing makes the tests that use it skip, with the reason; a server that
is there but does not start makes them fail, with the tail of its log.

PYTEST_DONT_REWRITE: this module holds no ``assert``, and is often imported (by a test module) before it
is registered as a plugin, which would otherwise warn that it is too late to rewrite its asserts.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cmqgraph.push import PushReport, push

__all__ = [
    "Server", "cmqgraph_server", "free_port", "oxigraph_pushed", "oxigraph_server", "push_to", "start_cmqgraph", "start_oxigraph",
    "start_virtuoso", "virtuoso_pushed", "virtuoso_server",
]

#: Seconds a server may take to answer its first query.
START_TIMEOUT = 90.0

VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {dir}/virtuoso-temp.db
TransactionFile    = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{isql_port}
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 10
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
CheckpointAuditTrail     = 0
AllowOSCalls             = 0
SchedulerInterval        = 10
DirsAllowed              = ., {dir}, {vad}
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
VADInstallDir            = {vad}/
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxMemPoolSize           = 200000000
MaxQueryMem              = 1G
VectorSize               = 1000
MaxVectorSize            = 1000000
AdjustVectorSize         = 0
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 10
; about 700 MB of buffers (8 kB pages): room for the ~800,000 triples of the default graph
NumberOfBuffers          = 85000
MaxDirtyBuffers          = 65000

[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {dir}/vsp
MaxClientConnections        = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
ServerThreads               = 10
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
EnabledGzipContent          = 1

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[SPARQL]
ResultSetMaxRows           = 100000
MaxQueryCostEstimationTime = 0   ; 0: no refusal on estimated cost (the estimate is wrong for some saved queries)
MaxQueryExecutionTime      = 300
DeferInferenceRulesInit    = 0
"""


@dataclass
class Server:
    """A running SPARQL server: its URLs, credentials, process, folder and log."""

    name: str
    endpoint: str
    graph_store: str
    auth: tuple[str, str] | None
    auth_kind: str
    process: subprocess.Popen
    folder: Path
    log: Path
    seconds_to_start: float = 0.0
    ports: dict[str, int] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``: the server's root URL."""
        return f"http://127.0.0.1:{self.ports['http']}"

    def log_tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of the server's output."""
        return _tail(self.log, lines)

    def stop(self) -> None:
        """Terminate the server, wait for it, kill it if it does not stop."""
        _stop(self.process)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _answers(endpoint: str) -> bool:
    url = endpoint + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _wait(server: Server, logs: list[Path]) -> None:
    start = time.monotonic()
    while time.monotonic() - start < START_TIMEOUT:
        if server.process.poll() is not None:
            break
        if _answers(server.endpoint):
            server.seconds_to_start = time.monotonic() - start
            return
        time.sleep(0.25)
    code = server.process.poll()
    _stop(server.process)
    state = f"exited with code {code}" if code is not None else f"did not answer within {START_TIMEOUT:g} s"
    tails = "\n".join(f"--- {log} ---\n{_tail(log)}" for log in logs)
    raise RuntimeError(f"{server.name} ({' '.join(server.command)}) {state} at {server.endpoint}\n{tails}")


def _executable(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def start_oxigraph(folder: Path) -> Server:
    """Start ``oxigraph serve`` on a free port of 127.0.0.1 with its data in ``folder``."""
    binary = _executable("oxigraph")
    if binary is None:
        missing("no 'oxigraph' executable (pip install oxigraph)")
    port = free_port()
    log = folder / "oxigraph.log"
    command = [
        binary,
        "serve",
        "--location",
        str(folder / "data"),
        "--bind",
        f"127.0.0.1:{port}",
        "--union-default-graph",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    server = Server(
        "oxigraph",
        f"{base}/query",
        f"{base}/store",
        None,
        "basic",
        process,
        folder,
        log,
        ports={"http": port},
        command=command,
    )
    _wait(server, [log])
    return server


def start_cmqgraph(store: Path, folder: Path, *options: str, env: dict[str, str] | None = None) -> Server:
    """Start ``cmqgraph serve`` on a free port of 127.0.0.1 over the built ``store``, with more CLI ``options``.

    ``env`` adds environment variables (``CMQGRAPH_UPDATE_TOKEN``, for example). The server's base URL
    is ``server.endpoint`` without ``/sparql``: ``server.base``.
    """
    port = free_port()
    log = folder / "cmqgraph-serve.log"
    command = [sys.executable, "-m", "cmqgraph", "--store", str(store), "serve", "--port", str(port), *options]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})}
        )
    base = f"http://127.0.0.1:{port}"
    server = Server("cmqgraph", f"{base}/sparql", "", None, "basic", process, folder, log, ports={"http": port}, command=command)
    _wait(server, [log])
    return server


def start_virtuoso(folder: Path) -> Server:
    """Start Virtuoso 7 (``virtuoso-t``) on two free ports of 127.0.0.1 with a new database in ``folder``."""
    binary = _executable("virtuoso-t")
    if binary is None:
        missing("no 'virtuoso-t' executable (run tests/install-system-deps.sh)")
    vad = "/usr/share/virtuoso-opensource-7/vad"
    isql_port, http_port = free_port(), free_port()
    while http_port == isql_port:
        http_port = free_port()
    (folder / "vsp").mkdir(exist_ok=True)
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=folder, isql_port=isql_port, http_port=http_port, vad=vad))
    log = folder / "virtuoso-t.out"
    command = [binary, "+foreground", "+configfile", str(ini)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{http_port}"
    server = Server(
        "virtuoso",
        f"{base}/sparql",
        f"{base}/sparql-graph-crud-auth",
        ("dba", "dba"),
        "digest",
        process,
        folder,
        log,
        ports={"http": http_port, "isql": isql_port},
        command=command,
    )
    _wait(server, [log, folder / "virtuoso.log"])
    return server


def push_to(server: Server, store, **options) -> PushReport:
    """Push ``store`` (a built store's path, or an open store) to ``server``'s Graph Store, with its credentials.

    ``options`` go to :func:`cmqgraph.push.push` (``chunk_triples``, ``replace``, ...); returns its report.
    """
    return push(server.graph_store, server.endpoint, store, auth=server.auth, auth_kind=server.auth_kind, **options)


def missing(reason: str) -> None:
    """Skip the test for want of a server, or fail when ``CMQGRAPH_REQUIRE_SERVERS`` is set (as in CI)."""
    if os.environ.get("CMQGRAPH_REQUIRE_SERVERS"):
        pytest.fail(f"{reason}; CMQGRAPH_REQUIRE_SERVERS is set, so the servers are required")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory) -> Iterator[Server]:
    """A running Oxigraph server (query ``/query``, Graph Store ``/store``, no auth, union default graph)."""
    with start_oxigraph(tmp_path_factory.mktemp("oxigraph-server")) as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory) -> Iterator[Server]:
    """A running Virtuoso 7 (query ``/sparql``, Graph Store ``/sparql-graph-crud-auth``, digest dba/dba)."""
    with start_virtuoso(tmp_path_factory.mktemp("virtuoso-server")) as server:
        yield server


@pytest.fixture(scope="session")
def cmqgraph_server(built, tmp_path_factory) -> Iterator[Server]:
    """``cmqgraph serve`` on the full default graph (read-only, default limits, 2 worker processes)."""
    with start_cmqgraph(built[0], tmp_path_factory.mktemp("cmqgraph-server")) as server:
        yield server


@pytest.fixture(scope="session")
def oxigraph_pushed(oxigraph_server, built) -> PushReport:
    """The report of the session's one push of the full default graph to :func:`oxigraph_server`."""
    return push_to(oxigraph_server, built[0])


@pytest.fixture(scope="session")
def virtuoso_pushed(virtuoso_server, built) -> PushReport:
    """The report of the session's one push of the full default graph to :func:`virtuoso_server`."""
    return push_to(virtuoso_server, built[0])
