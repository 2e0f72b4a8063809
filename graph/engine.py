"""Run SPARQL on the local store or on a remote SPARQL 1.1 endpoint, with results as pandas DataFrames.

The same conversion serves both engines: IRIs and plain literals become strings, numbers and booleans
Python numbers and booleans, so that results from the local store and from a server compare equal.

Examples
--------
>>> import cmqgraph.engine as engine
>>> frame = engine.run_query("campus_excellence", {"region": "Bourgogne-Franche-Comté"})  # doctest: +SKIP
>>> frame.columns.tolist()  # doctest: +SKIP
['iri_campus', 'nom_campus', 'nom_region', 'annee_excellence', 'date_excellence', 'vague', 'certitude', 'note']
"""

from __future__ import annotations

import os
import re
import socket
import urllib.error
from collections.abc import Mapping

import pandas as pd
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier
from SPARQLWrapper import JSON, N3, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from . import __version__
from .errors import CmqGraphError
from .iris import PREFIXES
from .saved_queries import QueryError, SavedQuery, blank_comments, get_query
from .spreadsheet import DIALECTS, frame_text
from .store import open_graph

__all__ = ["EndpointError", "USER_AGENT", "TABLE_FORMATS", "format_frame", "prefixed", "select", "construct", "query_form", "run_query", "to_python"]

#: How cmqgraph introduces itself to SPARQL servers.
USER_AGENT = f"cmqgraph/{__version__} (+https://w3id.org/cmqgraph)"

_NUMERIC = {
    str(XSD[name])
    for name in (
        "integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte",
    )
}


class EndpointError(CmqGraphError):
    """A remote SPARQL endpoint is unreachable, timed out, or answered an error."""


def prefixed(sparql: str) -> str:
    """Return ``sparql`` preceded by the PREFIX lines of :data:`cmqgraph.iris.PREFIXES` it does not declare."""
    lower = sparql.lower()
    missing = [f"PREFIX {p}: <{iri}>" for p, iri in PREFIXES.items() if f"prefix {p}:" not in lower]
    return "\n".join([*missing, sparql])


def to_python(term: Identifier | None) -> object:
    """Return the Python value of a result term (None when unbound)."""
    if term is None:
        return None
    if isinstance(term, Literal) and term.datatype is not None:
        datatype = str(term.datatype)
        if datatype in _NUMERIC:
            value = term.toPython()
            return value if not isinstance(value, Literal) else str(term)
        if datatype == str(XSD.boolean):
            return bool(term.toPython())
    return str(term)


#: The text formats of a result table (``cmqgraph query run --format``, the server's downloads): the CSV
#: dialects of :data:`cmqgraph.spreadsheet.DIALECTS` (``csv``, ``csv-fr`` for a French spreadsheet, ``tsv``) and JSON.
TABLE_FORMATS = (*DIALECTS, "json")


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


def _syntax_error(exc: SyntaxError, sparql: str) -> QueryError:
    """Return a QueryError whose positions are those of the user's text (before the added PREFIX lines)."""
    added = len(prefixed(sparql).splitlines()) - len(sparql.splitlines())
    message = re.sub(r"(\d+):(\d+)", lambda m: f"line {max(int(m[1]) - added, 1)}, column {m[2]}", str(exc))
    return QueryError(f"SPARQL syntax error: {message}")


def _query_local(sparql: str, store: str | os.PathLike | rdflib.Dataset | None):
    graph = store if isinstance(store, rdflib.Dataset) else open_graph(store)
    try:
        return graph.query(prefixed(sparql))
    except SyntaxError as exc:
        raise _syntax_error(exc, sparql) from exc


def _local(sparql: str, store: str | os.PathLike | rdflib.Dataset | None) -> pd.DataFrame:
    try:
        result = _query_local(sparql, store)
    except OSError as exc:
        raise QueryError(f"the store refused the query: {exc}") from exc
    if result.type == "ASK":
        return pd.DataFrame({"ask": [bool(result.askAnswer)]})
    if result.type != "SELECT":
        raise QueryError("only SELECT and ASK queries give a table; use 'cmqgraph sparql --rdf' for CONSTRUCT/DESCRIBE")
    columns = [str(v) for v in result.vars]
    return _frame(columns, [list(row) for row in result])


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


def _ask_remote(sparql: str, endpoint: str, timeout: float, fmt: str) -> object:
    client = SPARQLWrapper(endpoint, agent=USER_AGENT)
    client.setQuery(sparql)
    client.setMethod(POST)
    client.setReturnFormat(fmt)
    client.setTimeout(int(timeout))
    try:
        return client.queryAndConvert()
    except SPARQLWrapperException as exc:
        raise EndpointError(f"{endpoint} answered an error: {str(exc).strip()[:500]}") from exc
    except urllib.error.HTTPError as exc:
        raise EndpointError(f"{endpoint} answered HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, ConnectionError) as exc:
        raise EndpointError(f"cannot reach {endpoint}: {getattr(exc, 'reason', exc)}") from exc
    except (TimeoutError, socket.timeout) as exc:
        raise EndpointError(f"{endpoint} did not answer within {timeout:g} s") from exc


def _remote(sparql: str, endpoint: str, timeout: float) -> pd.DataFrame:
    answer = _ask_remote(sparql, endpoint, timeout, JSON)
    if not isinstance(answer, dict):
        raise EndpointError(f"{endpoint} did not answer with SPARQL JSON results")
    if "boolean" in answer:
        return pd.DataFrame({"ask": [bool(answer["boolean"])]})
    columns = answer["head"]["vars"]
    rows = [[_term_from_json(b.get(c)) for c in columns] for b in answer["results"]["bindings"]]
    return _frame(columns, rows)


def select(
    sparql: str, store: str | os.PathLike | rdflib.Dataset | None = None, endpoint: str | None = None, timeout: float = 60.0
) -> pd.DataFrame:
    """Run a SELECT (or ASK) query on the local store, or on ``endpoint`` when given; return a DataFrame.

    ``store`` is the store's path, or a graph already open (:func:`cmqgraph.open_graph`), which a
    long-running process keeps instead of opening the store for each query.

    The cmqgraph prefixes are added when the query does not declare them.

    Raises
    ------
    QueryError
        Syntax error, or a query that does not return a table.
    EndpointError
        The endpoint is unreachable, timed out or answered an error.
    """
    return _remote(prefixed(sparql), endpoint, timeout) if endpoint else _local(sparql, store)


_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def query_form(sparql: str) -> str:
    """Return ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``: the form of ``sparql`` (comments and strings ignored)."""
    match = _FORM.search(blank_comments(sparql))
    if match is None:
        raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")
    return match.group(1).upper()


def construct(sparql: str, store: str | os.PathLike | None = None, endpoint: str | None = None, timeout: float = 60.0) -> rdflib.Graph:
    """Run a CONSTRUCT or DESCRIBE query on the local store or on ``endpoint``; return the triples as a graph."""
    if endpoint:
        answer = _ask_remote(prefixed(sparql), endpoint, timeout, N3)
        return rdflib.Graph().parse(data=answer, format="turtle") if isinstance(answer, (bytes, str)) else answer
    result = _query_local(sparql, store)
    if result.type != "CONSTRUCT":
        raise QueryError("expected a CONSTRUCT or DESCRIBE query")
    return result.graph


def run_query(
    query: str | SavedQuery,
    params: Mapping[str, object] | None = None,
    store: str | os.PathLike | rdflib.Dataset | None = None,
    endpoint: str | None = None,
    timeout: float = 60.0,
) -> pd.DataFrame:
    """Run a saved query (by name or object) with its parameters bound as values; return a DataFrame.

    The columns are those the query's metadata declares, in that order.
    """
    saved = get_query(query) if isinstance(query, str) else query
    frame = select(saved.with_values(params), store=store, endpoint=endpoint, timeout=timeout)
    missing = [c for c in saved.columns if c not in frame.columns]
    if missing:
        raise QueryError(f"query {saved.name!r} returned no column {', '.join(missing)} (its metadata lists them)")
    return frame[list(saved.columns)]
