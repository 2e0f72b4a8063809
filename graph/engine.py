"""Run SPARQL on the local store or on a remote SPARQL 1.1 endpoint, with results as pandas DataFrames.

The same conversion serves both engines: IRIs and plain literals become strings, numbers and booleans
Python numbers and booleans, so that results from the local store and from a server compare equal.

Every query has a timeout (:mod:`cmqgraph.local`): ``timeout=`` seconds, else the environment variable
``CMQGRAPH_QUERY_TIMEOUT``, else 60 s; ``timeout=None`` sets no limit. A local query runs in a worker
process that is killed past its timeout (:class:`~cmqgraph.errors.QueryTimeoutError`) or when the caller
is interrupted (Ctrl-C raises ``KeyboardInterrupt`` as usual, the query stopped); a remote one gives up
waiting (:class:`EndpointError`). A graph opened by the caller (``store=`` an rdflib ``Dataset``, as the
server's workers pass) is queried in the caller's process, which cannot stop it: it takes no timeout.

Examples
--------
>>> import cmqgraph.engine as engine
>>> frame = engine.run_query("campus_excellence", {"region": "Bourgogne-Franche-Comté"})  # doctest: +SKIP
>>> frame.columns.tolist()  # doctest: +SKIP
['iri_campus', 'nom_campus', 'nom_region', 'annee_excellence', 'date_excellence', 'vague', 'certitude', 'note']
"""

from __future__ import annotations

import math
import os
import re
import socket
import urllib.error
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier
from SPARQLWrapper import JSON, N3, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from .errors import TIMEOUT_ENV, EndpointError, QueryError, QueryTimeoutError
from .formats import TABLE, of_kind
from .iris import is_web_url
from .local import DEFAULT, Timeout, graph_job, local_query, prefixed, resolve_timeout, table_job, to_python
from .saved_queries import CHOICE_LISTS, SavedQuery, blank_comments, get_query
from .spreadsheet import frame_text
from .version import __version__

__all__ = [
    "EndpointError", "QueryTimeoutError", "USER_AGENT", "TABLE_FORMATS", "GRAPH_FORMS", "TableAnswer", "GraphAnswer", "format_frame",
    "prefixed", "select", "construct", "answer", "query_form", "run_query", "choice_values", "check_endpoint", "endpoint_of", "to_python",
]

#: How cmqgraph introduces itself to SPARQL servers.
USER_AGENT = f"cmqgraph/{__version__} (+https://w3id.org/cmqgraph)"


#: The text formats of a result table (``cmqgraph query run --format``, the server's downloads), the ``table`` rows of
#: :mod:`cmqgraph.formats`: the CSV dialects of :data:`cmqgraph.spreadsheet.DIALECTS` (``csv``, ``csv-fr``, ``tsv``) and JSON.
TABLE_FORMATS = tuple(of_kind(TABLE))


def format_frame(frame: pd.DataFrame, fmt: str) -> str:
    """Return ``frame`` as CSV (``csv``, ``csv-fr``), TSV or JSON (a list of records) text.

    CSV and TSV cells that a spreadsheet would read as a formula are neutralised
    (:func:`cmqgraph.spreadsheet.neutralise`); JSON keeps every value exact.

    >>> print(format_frame(pd.DataFrame({"uai": ["0250058C"], "n": [3]}), "csv"), end="")
    uai,n
    0250058C,3
    """
    if fmt == "json":
        return frame.to_json(orient="records", force_ascii=False, indent=1, default_handler=str)
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"format must be one of {', '.join(TABLE_FORMATS)}, not {fmt!r}")
    return frame_text(frame, fmt)


def _frame(columns: list[str], rows: list[list[Identifier | None]]) -> pd.DataFrame:
    return pd.DataFrame([[to_python(v) for v in row] for row in rows], columns=columns)


def _term_from_json(value: Mapping[str, str] | None) -> Identifier | None:
    if value is None:
        return None
    kind = value["type"]
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    datatype = value.get("datatype")
    if datatype == str(XSD.string):
        datatype = None
    return Literal(value["value"], lang=value.get("xml:lang"), datatype=URIRef(datatype) if datatype else None)


def check_endpoint(url: str) -> str:
    """Return ``url`` if it can be a SPARQL endpoint's URL (``http`` or ``https``, with a host); raise :class:`EndpointError`.

    >>> check_endpoint("ftp://example.org/sparql")
    Traceback (most recent call last):
    ...
    cmqgraph.errors.EndpointError: 'ftp://example.org/sparql' is not the URL of a SPARQL endpoint: expected http:// or https:// and a host, such as http://127.0.0.1:7878/query
    """
    if not is_web_url(url):
        raise EndpointError(
            f"{url!r} is not the URL of a SPARQL endpoint: expected http:// or https:// and a host, such as http://127.0.0.1:7878/query"
        )
    return url


def endpoint_of(public_url: str) -> str:
    """Return the SPARQL endpoint of a ``cmqgraph serve`` reached at ``public_url``: its ``/sparql``.

    ``cmqgraph export --public-url`` describes this endpoint in the catalogue, and the server names it in
    its service description.

    >>> endpoint_of("https://cmq.example.org/graphe/")
    'https://cmq.example.org/graphe/sparql'
    >>> endpoint_of("https://cmq.example.org")
    'https://cmq.example.org/sparql'
    """
    return public_url.rstrip("/") + "/sparql"


def _ask_remote(sparql: str, endpoint: str, timeout: Timeout, fmt: str) -> object:
    check_endpoint(endpoint)
    seconds = resolve_timeout(timeout)
    client = SPARQLWrapper(endpoint, agent=USER_AGENT)
    client.setQuery(sparql)
    client.setMethod(POST)
    client.setReturnFormat(fmt)
    if seconds is not None:
        client.setTimeout(math.ceil(seconds))  # whole seconds: 0 would mean no limit to SPARQLWrapper
    try:
        return client.queryAndConvert()
    except SPARQLWrapperException as exc:
        raise EndpointError(f"{endpoint} answered an error: {str(exc).strip()[:500]}") from exc
    except urllib.error.HTTPError as exc:
        raise EndpointError(f"{endpoint} answered HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, ConnectionError) as exc:
        raise EndpointError(f"cannot reach {endpoint}: {getattr(exc, 'reason', exc)}") from exc
    except (TimeoutError, socket.timeout) as exc:
        within = f"within {math.ceil(seconds)} s (raise the limit with --timeout, timeout= or {TIMEOUT_ENV})" if seconds else "in time"
        raise EndpointError(f"{endpoint} did not answer {within}") from exc


def _remote(sparql: str, endpoint: str, timeout: Timeout) -> pd.DataFrame:
    reply = _ask_remote(sparql, endpoint, timeout, JSON)
    if not isinstance(reply, dict):
        raise EndpointError(f"{endpoint} did not answer with SPARQL JSON results")
    if "boolean" in reply:
        return pd.DataFrame({"ask": [bool(reply["boolean"])]})
    columns = reply["head"]["vars"]
    rows = [[_term_from_json(b.get(c)) for c in columns] for b in reply["results"]["bindings"]]
    return _frame(columns, rows)


def select(
    sparql: str, store: str | os.PathLike | rdflib.Dataset | None = None, endpoint: str | None = None, timeout: Timeout = DEFAULT
) -> pd.DataFrame:
    """Run a SELECT (or ASK) query on the local store, or on ``endpoint`` when given; return a DataFrame.

    The cmqgraph prefixes are added when the query does not declare them.

    Parameters
    ----------
    sparql : str
        The query.
    store : path or rdflib.Dataset, optional
        The store's folder (default: as :func:`cmqgraph.open_graph`); the query runs in the worker process
        (:mod:`cmqgraph.local`). Or a graph already open (:func:`cmqgraph.open_graph`): the query runs in
        this process, without a timeout (the server's workers, themselves stopped at their timeout, do so).
    endpoint : str, optional
        A SPARQL 1.1 endpoint to run the query on instead.
    timeout : float or None, optional
        Seconds the query may run (default: ``CMQGRAPH_QUERY_TIMEOUT``, else 60); None: no limit.

    Raises
    ------
    QueryError
        Syntax error, or a query that does not return a table.
    QueryTimeoutError
        The local query ran past ``timeout`` and was stopped (a :class:`QueryError`).
    StoreError
        No built graph at the store path.
    EndpointError
        The endpoint is unreachable, timed out or answered an error.
    KeyboardInterrupt
        Interrupted while the local query ran: it was stopped.
    """
    if endpoint:
        return _remote(prefixed(sparql), endpoint, timeout)
    columns, rows = local_query(table_job, sparql, store, timeout)
    return pd.DataFrame(rows, columns=columns)


_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
#: The first keyword of a SPARQL Update operation (not a variable, nor a prefix such as ``add:``).
_UPDATE = re.compile(r"(?<![?$])\b(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD)\b(?!:)", re.IGNORECASE)


def query_form(sparql: str) -> str:
    """Return ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``: the form of ``sparql`` (comments and strings ignored).

    Raises
    ------
    QueryError
        ``sparql`` has none of them (a SPARQL Update is named as such).
    """
    text = blank_comments(sparql)
    match = _FORM.search(text)
    update = _UPDATE.search(text)
    if update is not None and (match is None or update.start() < match.start()):
        raise QueryError(f"a SPARQL Update ({update.group(1).upper()}) is not a query: cmqgraph only reads the graph")
    if match is None:
        raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")
    return match.group(1).upper()


def construct(
    sparql: str, store: str | os.PathLike | rdflib.Dataset | None = None, endpoint: str | None = None, timeout: Timeout = DEFAULT
) -> rdflib.Graph:
    """Run a CONSTRUCT or DESCRIBE query on the local store or on ``endpoint``; return the triples as a graph.

    ``store``, ``endpoint`` and ``timeout`` are those of :func:`select`, and so are the errors.
    """
    if endpoint:
        reply = _ask_remote(prefixed(sparql), endpoint, timeout, N3)
        return rdflib.Graph().parse(data=reply, format="turtle") if isinstance(reply, (bytes, str)) else reply
    return local_query(graph_job, sparql, store, timeout)


#: The query forms whose answer is a graph (triples, given as Turtle by ``cmqgraph sparql``); SELECT and ASK give a table.
GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")


@dataclass(frozen=True, eq=False)
class TableAnswer:
    """The answer to a SELECT or ASK query (``form``): a table; an ASK's has one column, ``ask``, and one row."""

    form: str
    table: pd.DataFrame


@dataclass(frozen=True, eq=False)
class GraphAnswer:
    """The answer to a CONSTRUCT or DESCRIBE query (``form``, one of :data:`GRAPH_FORMS`): the triples."""

    form: str
    graph: rdflib.Graph


def answer(
    sparql: str, store: str | os.PathLike | rdflib.Dataset | None = None, endpoint: str | None = None, timeout: Timeout = DEFAULT
) -> TableAnswer | GraphAnswer:
    """Run any query, whatever its form: a table for SELECT and ASK (:func:`select`), triples for CONSTRUCT and DESCRIBE (:func:`construct`).

    ``store``, ``endpoint`` and ``timeout`` are those of :func:`select`, and so are the errors; a text
    that is not a query (:func:`query_form`) raises :class:`QueryError` before anything runs.

    >>> g = rdflib.Dataset()
    >>> _ = g.add((rdflib.URIRef("https://w3id.org/cmqgraph/id/region/27"), rdflib.RDFS.label, Literal("Bourgogne-Franche-Comté")))
    >>> answer("SELECT ?nom WHERE { ?r rdfs:label ?nom }", store=g).table.to_dict("records")
    [{'nom': 'Bourgogne-Franche-Comté'}]
    >>> reply = answer("CONSTRUCT { ?r rdfs:comment ?nom } WHERE { ?r rdfs:label ?nom }", store=g)
    >>> type(reply).__name__, reply.form, len(reply.graph)
    ('GraphAnswer', 'CONSTRUCT', 1)
    """
    form = query_form(sparql)
    if form in GRAPH_FORMS:
        return GraphAnswer(form, construct(sparql, store=store, endpoint=endpoint, timeout=timeout))
    return TableAnswer(form, select(sparql, store=store, endpoint=endpoint, timeout=timeout))


def choice_values(
    name: str, store: str | os.PathLike | rdflib.Dataset | None = None, endpoint: str | None = None, timeout: Timeout = DEFAULT
) -> list[str]:
    """Return the values of the list ``name`` of :data:`~cmqgraph.saved_queries.CHOICE_LISTS`, read from the graph.

    ``store``, ``endpoint`` and ``timeout`` are those of :func:`select`.
    """
    return [str(v) for v in select(CHOICE_LISTS[name].sparql, store=store, endpoint=endpoint, timeout=timeout)["value"]]


def run_query(
    query: str | SavedQuery,
    params: Mapping[str, object] | None = None,
    store: str | os.PathLike | rdflib.Dataset | None = None,
    endpoint: str | None = None,
    timeout: Timeout = DEFAULT,
    lists: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Run a saved query (by name or object) with its parameters bound as values; return a DataFrame.

    The parameters are checked first (:meth:`~cmqgraph.saved_queries.SavedQuery.bind`), then a value given
    for a parameter whose choices are a closed list of the graph (régions, académies, filières) against
    that list: the one in ``lists`` when the caller already holds it (a server's cache), else read from the
    same store or endpoint (:func:`choice_values`).
    ``store``, ``endpoint`` and ``timeout`` are those of :func:`select`; the timeout applies to each query
    (the lists', then the saved query's). The columns are those the query's metadata declares, in that order.

    Raises
    ------
    ParameterError
        A parameter is unknown, missing, of the wrong type, or not in its list (with the closest names).
    """
    saved = get_query(query) if isinstance(query, str) else query
    sparql = saved.with_values(params)
    known = lists or {}
    saved.check_choices(params, {
        name: known[name] if name in known else choice_values(name, store=store, endpoint=endpoint, timeout=timeout)
        for name in saved.graph_lists(params)
    })
    frame = select(sparql, store=store, endpoint=endpoint, timeout=timeout)
    missing = [c for c in saved.columns if c not in frame.columns]
    if missing:
        raise QueryError(f"query {saved.name!r} returned no column {', '.join(missing)} (its metadata lists them)")
    return frame[list(saved.columns)]
