"""Every error cmqgraph raises on purpose, each with the exit code the command line gives it.

Every error says what was broken and where: the file, the line and the value, and chains
its cause (``raise ... from exc``). Like pySHACL's ``errors.py``, this module is the one home of
the error classes: each carries ``exit_code`` (:data:`EXIT_CODES` lists them with their meaning,
the README's table is checked against it), and the server's also carry their HTTP ``status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .push import PushReport

__all__ = [
    "EXIT_CODES",
    "TIMEOUT_ENV",
    "CmqGraphError",
    "NotConforming",
    "SourceFileError",
    "SourceOrderError",
    "StoreError",
    "QueryError",
    "ParameterError",
    "QueryNotFound",
    "ShapesNotCompiled",
    "FilterError",
    "QueryTimeoutError",
    "WorkerError",
    "EndpointError",
    "PushError",
    "ShrinkError",
    "OutputError",
    "ExportError",
    "ServerLimit",
    "QueryTimeout",
    "Busy",
    "NotAcceptable",
    "ProtocolError",
    "ExportWarning",
    "RowIssue",
]

#: Exit code → what it means (French, then English). 0 is success, 2 is click's wrong usage, 130 an interruption.
EXIT_CODES: dict[int, str] = {
    0: "succès / success",
    1: "le graphe n'est pas conforme aux formes / the graph does not conform to the shapes",
    2: "mauvais usage / wrong usage",
    3: "un fichier source est illisible ou cassé / a source file cannot be read or is broken",
    4: "le magasin est absent, endommagé ou ne peut être remplacé / the store is missing, damaged or cannot be replaced",
    5: "un problème de requête / a query problem",
    6: "un point d'accès distant a échoué / a remote endpoint failed",
    7: "la construction perdrait une grande part d'une sorte d'entités / the build would lose a large share of an entity kind",
    8: "un fichier de sortie ne peut être écrit / an output file cannot be written",
    9: "la table des sources est dans le mauvais ordre / the source table is out of order",
    130: "interrompu / interrupted",
}

#: The environment variable holding the default time limit of local queries, in seconds.
TIMEOUT_ENV = "CMQGRAPH_QUERY_TIMEOUT"


class CmqGraphError(Exception):
    """Base class of every error cmqgraph raises on purpose; each subclass sets its ``exit_code``."""

    #: The command line's exit code for this error (a key of :data:`EXIT_CODES`).
    exit_code: ClassVar[int]


class NotConforming(CmqGraphError):
    """``validate``: the graph does not conform to the shapes."""

    exit_code = 1


class SourceFileError(CmqGraphError):
    """A source file cannot be read at all (missing, wrong encoding, wrong separator, missing column).

    Parameters
    ----------
    path : Path
        The file.
    message : str
        What is wrong.
    line : int, optional
        The 1-based line where the problem was seen.
    value : str, optional
        The offending value.
    """

    exit_code = 3

    def __init__(self, path: Path | str, message: str, line: int | None = None, value: str | None = None):
        self.path = Path(path)
        self.line = line
        self.value = value
        self.message = message
        where = f"{self.path}" + (f", line {line}" if line is not None else "")
        what = f" (value {value!r})" if value is not None else ""
        super().__init__(f"{where}: {message}{what}")


class SourceOrderError(CmqGraphError):
    """The source table is out of order: a source reads what no source above it publishes; nothing was read."""

    exit_code = 9


class StoreError(CmqGraphError):
    """The graph store is missing, locked or unusable."""

    exit_code = 4


class QueryError(CmqGraphError):
    """A query is malformed (bad metadata, SPARQL syntax error) or its engine refused it."""

    exit_code = 5


class ParameterError(QueryError):
    """A parameter is unknown, missing or of the wrong type; ``parameter`` names it (None: several)."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


class QueryNotFound(QueryError):
    """No saved query has that name."""


class ShapesNotCompiled(QueryError):
    """``validate``: the shapes use a SHACL feature the SPARQL engine does not compile; ``feature`` names it.

    :func:`cmqgraph.validate.validate` then validates that shapes file with pySHACL instead.
    """

    def __init__(self, message: str, feature: str):
        super().__init__(message)
        self.feature = feature


class FilterError(QueryError, ValueError):
    """A filter (région, académie, campus, pôle, project) matches nothing; the message suggests close names."""


class QueryTimeoutError(QueryError):
    """A query ran past its timeout and was stopped; ``seconds`` is the limit."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(
            f"la requête a dépassé la limite de {seconds:g} s et a été arrêtée ; augmentez-la avec --timeout SECONDES "
            f"(0 : sans limite), timeout= en Python ou {TIMEOUT_ENV} / the query ran past the limit of {seconds:g} s and "
            f"was stopped; raise it with --timeout SECONDS (0: no limit), timeout= in Python or {TIMEOUT_ENV}"
        )


class WorkerError(QueryError):
    """The worker process ended before it answered (killed from outside, out of memory)."""


class EndpointError(CmqGraphError):
    """A remote SPARQL endpoint is unreachable, timed out, or answered an error."""

    exit_code = 6


class PushError(EndpointError):
    """A push failed: server unreachable, timed out, refused a request, or holds other counts.

    Parameters
    ----------
    message : str
        What went wrong (it already names the URL, the graph and the HTTP status when known).
    url : str, optional
        The URL that failed.
    graph : str, optional
        The graph being sent (its IRI, or ``"default"``).
    status : int, optional
        The HTTP status the server answered.
    """

    def __init__(self, message: str, url: str | None = None, graph: str | None = None, status: int | None = None):
        super().__init__(message)
        self.url = url
        self.graph = graph
        self.status = status
        #: The :class:`~cmqgraph.push.PushReport` when the push went through but the counts differ, else None.
        self.report: PushReport | None = None


class ShrinkError(CmqGraphError):
    """A build would lose a large share of an entity kind compared with the graph it replaces; nothing was replaced.

    Parameters
    ----------
    store : Path
        The store kept as it was.
    shrinks : list
        The losses (:class:`cmqgraph.census.Shrink`), largest first.
    """

    exit_code = 7

    def __init__(self, store: Path, shrinks: list):
        self.store = Path(store)
        self.shrinks = shrinks
        shown = "; ".join(str(s) for s in shrinks[:3]) + (f"; and {len(shrinks) - 3} more" if len(shrinks) > 3 else "")
        super().__init__(
            f"le nouveau graphe perdrait une grande part de ses entités / the new graph would lose a large share of its entities "
            f"({shown}): the graph at {self.store} is kept; check the input files, or run again with --accept-shrink if the loss is intended"
        )


class OutputError(CmqGraphError):
    """An output could not be written (unwritable folder, full disk…; nothing partial is left) or would not be publishable."""

    exit_code = 8


#: The name :class:`OutputError` had when only ``cmqgraph export`` raised it.
ExportError = OutputError


class ServerLimit(CmqGraphError):
    """A limit of the server stopped a job or kept it from starting: answer HTTP ``status``, with ``headers``."""

    exit_code = 5
    status = 503

    @property
    def headers(self) -> dict[str, str]:
        """The response headers that go with the answer."""
        return {}


class QueryTimeout(ServerLimit):
    """A query ran past the server's timeout; its worker process was stopped (503)."""


class Busy(ServerLimit):
    """A job did not get a worker in time: 429 (the client was at its limit) or 503 (no worker was free).

    ``retry_after`` is the number of seconds until one of the jobs that held it back must end (sent as ``Retry-After``).
    """

    def __init__(self, message: str, status: int, retry_after: int):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        """``Retry-After``."""
        return {"Retry-After": str(self.retry_after)}


class NotAcceptable(CmqGraphError):
    """The client accepts no format in which this kind of result can be written (HTTP 406)."""

    exit_code = 5
    status = 406


class ProtocolError(CmqGraphError):
    """A request the SPARQL protocol does not allow; ``status`` is the HTTP status to answer."""

    exit_code = 5

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class ExportWarning(UserWarning):
    """An export was written but is not ready to publish as is (a catalogue without a base URL)."""


@dataclass(frozen=True)
class RowIssue:
    """A problem with one row of a source file: the row is skipped (``error``) or kept (``warning``).

    Attributes
    ----------
    file : str
        File name.
    line : int
        1-based line number in the file (the header is line 1).
    column : str
        The column holding the value (empty when the problem is the row's structure).
    value : str
        The offending value, verbatim.
    message : str
        What is wrong with it.
    severity : str
        ``"error"`` (row skipped) or ``"warning"`` (row kept).
    """

    file: str
    line: int
    column: str
    value: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        column = f", column {self.column!r}" if self.column else ""
        return f"{self.file}, line {self.line}{column}: {self.message} (value {self.value!r})"
