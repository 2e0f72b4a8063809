"""The ``cmqgraph`` command line: a thin click layer over the Python API.

Exit codes: 0 success; 1 the graph does not conform to the shapes (``validate``); 2 wrong usage
(an option's value, such as an ``--endpoint`` that is not an http(s) URL); 3 a source file cannot be
read (missing, wrong encoding or separator, missing column); 4 no built graph, or the store cannot be
opened or replaced; 5 a query problem (unknown saved query, wrong or missing parameter, a value not in
the graph's list, a query file that is empty or not UTF-8, SPARQL syntax error, a local query stopped at
its timeout); 6 a remote endpoint is unreachable, timed out or answered an error, or a push left
different triple counts on the server; 7 a build would lose a large share of an entity kind (the
previous graph is kept; ``--accept-shrink``); 130 interrupted (Ctrl-C, SIGINT), a running query stopped.
"""

from __future__ import annotations

import functools
import json
import math
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import IO, NoReturn

import click
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax
from rich.table import Table

from .builder import SourceReport
from .builder import build as build_graph
from .engine import GRAPH_FORMS, TABLE_FORMATS, TableAnswer, answer, check_endpoint, endpoint_of, format_frame, query_form, run_query
from .errors import (
    CmqGraphError,
    EndpointError,
    ExportWarning,
    NotConforming,
    OutputError,
    QueryError,
    ShrinkError,
    SourceFileError,
    SourceOrderError,
    StoreError,
)
from .export import export as export_files
from .formats import export_formats
from .issues import write_issues
from .local import DEFAULT_TIMEOUT, TIMEOUT_ENV
from .network import metrics as overlap_metrics
from .network import project as project_graph
from .network import write_csv, write_gexf, write_graphml
from .output import atomic_file
from .push import push as push_graph
from .saved_queries import VIEW_FILTERS, decode_query, get_query, load_queries
from .search import KINDS, MAX_LIMIT, MAX_TEXT, search_with_facets
from .stats import class_counts, source_table
from .store import STORE_ENV, open_store, resolve_store_path
from .validate import ENGINES, violations
from .validate import validate as validate_graph
from .version import __version__
from .view import DEFAULT_MAX_NODES, screenshot
from .view import view as write_view

__all__ = [
    "main", "commands", "EXIT_NOT_CONFORMING", "EXIT_DATA_ERROR", "EXIT_STORE_ERROR", "EXIT_QUERY_ERROR", "EXIT_ENDPOINT_ERROR", "EXIT_SHRINK",
    "EXIT_OUTPUT_ERROR", "EXIT_SOURCE_ORDER", "EXIT_INTERRUPTED",
]

# The exit codes come from the error classes (cmqgraph.errors); these names are for scripts and tests.
EXIT_NOT_CONFORMING = NotConforming.exit_code
EXIT_DATA_ERROR = SourceFileError.exit_code
EXIT_STORE_ERROR = StoreError.exit_code
EXIT_QUERY_ERROR = QueryError.exit_code
EXIT_ENDPOINT_ERROR = EndpointError.exit_code
EXIT_SHRINK = ShrinkError.exit_code
EXIT_OUTPUT_ERROR = OutputError.exit_code
EXIT_SOURCE_ORDER = SourceOrderError.exit_code
#: Interrupted by SIGINT (Ctrl-C): 128 + 2, the shells' convention.
EXIT_INTERRUPTED = 130

console = Console()
errors = Console(stderr=True)


def _warn(message: str) -> None:
    errors.print(f"[bold yellow]warning:[/] {message}", highlight=False, soft_wrap=True)


def _fail(message: str, code: int) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=True)
    sys.exit(code)


def _fail_cleanly(command):
    """Turn cmqgraph's own errors, and Ctrl-C, into a one-line message and an exit code (no traceback)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except CmqGraphError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrompu / interrupted (Ctrl-C)", EXIT_INTERRUPTED)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=STORE_ENV,
    help=f"Folder of the graph store (default: ${STORE_ENV}, else the checkout's var/store that make demo built, else the user data folder).",
)
@click.version_option(__version__, prog_name="cmqgraph")
@click.pass_context
def main(ctx: click.Context, store: Path | None) -> None:
    """cmqgraph: the knowledge graph of France's Campus des métiers et des qualifications.

    Build the graph from the shipped real data (or your newer files), check it, and see what it holds.
    """
    ctx.obj = resolve_store_path(store)


def commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """Return every command under ``group`` with its path (``("query", "run")``), in name order, a group before its commands.

    The commands are those registered when this is called (the whole command line once the module is imported).
    """
    found = []
    for name, command in sorted(group.commands.items()):
        found.append(((*prefix, name), command))
        if isinstance(command, click.Group):
            found.extend(commands(command, (*prefix, name)))
    return found


class _RichProgress:
    def __init__(self, progress: Progress):
        self.progress = progress
        self.task = None

    def source_started(self, source, expected_rows: int) -> None:
        self.task = self.progress.add_task(source.name, total=expected_rows or None)

    def row_read(self) -> None:
        self.progress.advance(self.task)

    def source_finished(self, report: SourceReport) -> None:
        self.progress.update(self.task, total=report.rows or 1, completed=report.rows or 1)


def _files_cell(s: SourceReport) -> str:
    """Whose files a source read: ``vôtre`` (yours), ``livré`` (the shipped copy), or both."""
    kinds = {"livré / shipped" if name in s.shipped else "vôtre / yours" for name in s.files}
    return " + ".join(sorted(kinds))


def _change(s: SourceReport) -> str:
    if s.previous_rows is None:
        return ""
    return f"{s.rows - s.previous_rows:+d}" if s.rows != s.previous_rows else "="


@main.command()
@click.option("--data", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Folder of source files in the shipped formats (default: the shipped real data).")
@click.option("--with-defaults", is_flag=True, help="Take the shipped copy of any file missing from --data.")
@click.option(
    "--accept-shrink", is_flag=True,
    help="Replace the previous graph even if a kind of entity lost more than a fifth of its instances (otherwise the build stops, exit code 7).",
)
@click.option(
    "--full", is_flag=True,
    help="Rerun every source (by default, over a store an earlier build made, only the sources whose files changed rerun).",
)
@click.option("--show-issues", type=int, default=10, show_default=True, help="How many row issues to list per source (all are counted).")
@click.option("--issues-file", type=click.Path(dir_okay=False, path_type=Path), help="Write every row issue to this CSV file.")
@click.pass_obj
@_fail_cleanly
def build(
    store: Path, data: Path | None, with_defaults: bool, accept_shrink: bool, full: bool, show_issues: int, issues_file: Path | None
) -> None:
    """Build the graph from the source files into the store.

    The new graph is built beside the old one and swapped in only when the build succeeds, and only if it
    did not lose a large share of an entity kind (--accept-shrink). The store folder must be new, empty
    or a graph an earlier build made. Every file's structure is checked before the build; rows with a bad
    value are skipped and reported at the end with their file, line and value. Over a graph an earlier
    build made, only the sources whose files changed, and those that read what they publish, rerun: the
    others keep their graph (« gardé / kept »), and the store holds the same quads as after --full.
    """
    with Progress(
        TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=False
    ) as progress:
        report = build_graph(
            store=store, data_dir=data, with_defaults=with_defaults, progress=_RichProgress(progress), accept_shrink=accept_shrink,
            full=full,
        )
    table = Table(title=f"Graph built in {report.seconds:.1f} s at {report.store}")
    columns = ("source", "files", "rows", "change", "triples", "errors", "skipped", "warnings", "seconds")
    for column in columns:
        table.add_column(column, justify="left" if column in ("source", "files") else "right")
    for s in report.sources:
        kinds = Counter(i.severity for i in s.issues)
        table.add_row(
            s.name, _files_cell(s), str(s.rows), _change(s), str(s.triples), str(kinds["error"]), str(kinds["skipped"]), str(kinds["warning"]),
            "gardé / kept" if s.kept else f"{s.seconds:.2f}",
        )
    table.add_row("total", "", str(sum(s.rows for s in report.sources)), "", str(report.triples), "", "", "", f"{report.seconds:.1f}", style="bold")
    console.print(table)
    _print_notes(report)
    _print_issues(report, show_issues)
    if issues_file:
        write_issues(report, issues_file)


def _print_notes(report) -> None:
    """Say what the build did not read, what it cleaned up, and what it could not compare."""
    for name, closest in report.inputs.unknown:
        hint = f" (did you mean {closest!r}? it was not read{', the shipped copy was' if closest in report.inputs.shipped else ''})" if closest else ""
        _warn(f"{report.inputs.folder / name}: not a file the build reads{hint}")
    for path in report.removed:
        console.print(f"removed the leftover of a killed build: {path}", highlight=False)
    if report.previous_note:
        _warn(report.previous_note)
    if report.search_note:
        _warn(report.search_note)


def _print_issues(report, limit: int) -> None:
    for s in report.sources:
        shown = [i for i in s.issues if i.severity != "skipped"]
        if not shown:
            continue
        console.print(f"[bold]{s.name}[/]: {len(shown)} row issue(s)", highlight=False)
        for issue in shown[:limit]:
            console.print(f"  {issue.severity}: {issue}", highlight=False, soft_wrap=True)
        if len(shown) > limit:
            console.print(f"  … and {len(shown) - limit} more (--issues-file to get them all)", highlight=False)


@main.command()
@click.pass_obj
@_fail_cleanly
def stats(store: Path) -> None:
    """Show what the graph holds: instances per class and triples per source."""
    table = Table(title="Instances per class")
    table.add_column("class")
    table.add_column("instances", justify="right")
    for name, count in class_counts(store=store):
        table.add_row(name, str(count))
    console.print(table)
    by_source = Table(title="Triples per source (named graph)")
    for column in ("source", "rows", "skipped", "triples"):
        by_source.add_column(column, justify="left" if column == "source" else "right")
    for row in source_table(store=store):
        by_source.add_row(row["name"], str(row["rows"]), str(row["skipped"]), str(row["triples"]))
    console.print(by_source)


@main.command()
@click.option("--shapes", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="SHACL shapes file (default: the shipped ontology/shapes.ttl).")
@click.option("--limit", type=int, default=50, show_default=True, help="How many violations to list.")
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="sparql",
    show_default=True,
    help="sparql: the shapes compiled into SPARQL on the store (pySHACL if the shapes use a feature it does not compile); "
    "pyshacl: the reference, same results, slower.",
)
@click.pass_obj
@_fail_cleanly
def validate(store: Path, shapes: Path | None, limit: int, engine: str) -> None:
    """Check the graph against the SHACL shapes; exit code 1 if it does not conform."""
    with console.status(f"Validating with {'SPARQL on the store' if engine == 'sparql' else 'pySHACL'}…"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        conforms, report, _ = validate_graph(store=store, shapes=shapes, engine=engine)
    for warning in caught:
        console.print(f"[yellow]note:[/] {warning.message}", highlight=False)
    found = violations(report)
    if found:
        table = _results_table(found, limit)
        console.print(table)
        if len(found) > limit:
            console.print(f"… and {len(found) - limit} more (--limit to see them)")
    if conforms:
        console.print(f"[bold green]The graph conforms to the shapes[/] ({len(found)} warning(s) or note(s)).")
        return
    sys.exit(EXIT_NOT_CONFORMING)


def _results_table(found, limit: int) -> Table:
    table = Table(title=f"{len(found)} SHACL result(s)")
    for column in ("severity", "focus node", "path", "value", "message"):
        table.add_column(column, overflow="fold")
    for v in found[:limit]:
        table.add_row(v.severity, v.focus, v.path, v.value[:60], v.message)
    return table


@main.command()
@click.option("--full", is_flag=True, help="Also show each source's upstream, licence and known gaps.")
@click.pass_obj
@_fail_cleanly
def sources(store: Path, full: bool) -> None:
    """List the sources the graph was built from, with their triple counts and provenance."""
    table = Table(title="Sources (one named graph each)")
    columns = ["name", "title", "rows", "skipped", "triples"] + (["licence", "temporal", "upstream", "completeness"] if full else [])
    for column in columns:
        table.add_column(column, overflow="fold", justify="right" if column in ("rows", "skipped", "triples") else "left")
    for row in source_table(store=store):
        table.add_row(*(str(row[c]) for c in columns))
    console.print(table)


OUTPUT_FORMATS = ("table", *TABLE_FORMATS)


def _emit(frame, fmt: str, output: Path | None, title: str | None = None) -> None:
    """Print ``frame`` as a rich table, or write it as CSV/TSV/JSON to ``output`` (atomically) or stdout."""
    if fmt == "table" and output is None:
        table = Table(title=title, caption=f"{len(frame)} row(s)")
        for column in frame.columns:
            table.add_column(str(column), overflow="fold")
        for row in frame.itertuples(index=False):
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)
        return
    text = format_frame(frame, fmt)
    _deliver(text, output, newline=not text.endswith("\n"))


def _deliver(text: str, output: Path | None, newline: bool) -> None:
    """Write ``text`` to ``output`` (UTF-8, atomically), or print it to stdout (with a final ``newline`` added if asked)."""
    if output is None:
        click.echo(text, nl=newline)
        return
    with atomic_file(output) as f:
        f.write(text.encode("utf-8"))


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--param")
        key, value = pair.split("=", 1)
        params[key.strip()] = value
    return params


def _endpoint_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse, as a usage error, an endpoint that is not an http(s) URL with a host (before anything is sent)."""
    try:
        return None if value is None else check_endpoint(value)
    except EndpointError as exc:
        raise click.BadParameter(str(exc)) from exc


def _seconds(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """A finite number of seconds; 0 means no limit (None) where the option allows it (``--timeout`` of the queries)."""
    if value is None:
        return None
    if not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of seconds")
    return value or None


_ENDPOINT = click.option(
    "--endpoint", metavar="URL", callback=_endpoint_url, help="Run on this SPARQL 1.1 endpoint (http or https) instead of the local store."
)
_TIMEOUT = click.option(
    "--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT, envvar=TIMEOUT_ENV, show_default=True, show_envvar=True,
    callback=_seconds, metavar="SECONDS",
    help="Seconds a query may run, on the local store or an endpoint, before it is stopped (exit code 5; 6 for an endpoint); 0: no limit.",
)
_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True,
    help="Output format (csv-fr: separated by ';', with a decimal comma, for a spreadsheet in French).",
)
_OUTPUT = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the result to this file.")


@main.group()
def query() -> None:
    """Saved queries for policy staff: list them, describe one, run one with parameters."""


@query.command("list")
@click.option("--lang", type=click.Choice(("fr", "en")), default="fr", show_default=True, help="Language of the titles.")
@_fail_cleanly
def query_list(lang: str) -> None:
    """List the saved queries with their titles."""
    table = Table(title="Requêtes enregistrées / saved queries")
    table.add_column("name")
    table.add_column("title")
    table.add_column("parameters")
    for name, saved in load_queries().items():
        table.add_row(name, saved.title[lang], ", ".join(p.name + ("" if p.required else "?") for p in saved.parameters))
    console.print(table)


@query.command("describe")
@click.argument("name")
@_fail_cleanly
def query_describe(name: str) -> None:
    """Show a saved query: its titles and descriptions, parameters, columns and SPARQL."""
    saved = get_query(name)
    console.print(f"[bold]{saved.name}[/]: {saved.title['fr']} / {saved.title['en']}", highlight=False)
    console.print(f"{saved.description['fr']}\n{saved.description['en']}\n", highlight=False)
    params = Table(title="Paramètres / parameters")
    for column in ("name", "type", "required", "default", "example", "description"):
        params.add_column(column, overflow="fold")
    for p in saved.parameters:
        params.add_row(p.name, p.type, "yes" if p.required else "no", p.default or "", p.example, p.description.get("fr", ""))
    console.print(params)
    console.print(f"Columns: {', '.join(saved.columns)}\n", highlight=False)
    console.print(Syntax(saved.sparql, "sparql", word_wrap=True))


@query.command("run")
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE", help="A parameter value (repeatable).")
@_FORMAT
@_OUTPUT
@_ENDPOINT
@_TIMEOUT
@click.pass_obj
@_fail_cleanly
def query_run(
    store: Path, name: str, params: tuple[str, ...], fmt: str, output: Path | None, endpoint: str | None, timeout: float | None
) -> None:
    """Run a saved query; parameters are typed and bound as values, never pasted into the query."""
    saved = get_query(name)
    frame = run_query(saved, _parse_params(params), store=store, endpoint=endpoint, timeout=timeout)
    _emit(frame, fmt, output, title=saved.title["fr"])


def _read_query(file: IO[bytes]) -> tuple[str, str]:
    """The query in ``file`` (UTF-8, BOM allowed) and its form; :class:`QueryError` naming the file when it holds none."""
    name = getattr(file, "name", "<stdin>")  # the standard input, or the stream of a test runner, may have none
    where = "standard input" if name == "<stdin>" else name
    text = decode_query(file.read(), where)
    if not text.strip():
        raise QueryError(f"{where} is empty: no query to run")
    try:
        return text, query_form(text)
    except QueryError as exc:
        raise QueryError(f"{where}: {exc}") from exc


@main.command()
@click.argument("file", type=click.File("rb"))
@_FORMAT
@_OUTPUT
@_ENDPOINT
@_TIMEOUT
@click.pass_obj
@_fail_cleanly
def sparql(store: Path, file: IO[bytes], fmt: str, output: Path | None, endpoint: str | None, timeout: float | None) -> None:
    """Run an ad-hoc SPARQL query from FILE (or - for standard input).

    SELECT and ASK give a table (or CSV, TSV, JSON); CONSTRUCT and DESCRIBE give Turtle. The cmqgraph
    prefixes (cmq:, org:, skos:, dct:, prov:, rdfs:, …) are declared for you. The file is UTF-8 (a BOM is
    accepted).
    """
    text, form = _read_query(file)
    if form in GRAPH_FORMS and fmt != "table":
        raise click.BadParameter(f"a {form} query gives Turtle; --format {fmt} is for SELECT and ASK tables", param_hint="--format")
    result = answer(text, store=store, endpoint=endpoint, timeout=timeout)
    if isinstance(result, TableAnswer):
        _emit(result.table, fmt, output)
    else:
        _deliver(result.graph.serialize(format="turtle"), output, newline=True)


@main.command("search")
@click.argument("text")
@click.option("--kind", type=click.Choice(tuple(KINDS)), help="Only things of this kind (the facets still count every kind).")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=10, show_default=True, help="How many things at most.")
@click.option(
    "--format", "fmt", type=click.Choice(("table", "csv", "json")), default="table", show_default=True,
    help="table: for people; csv: iri, label, kind, code, score, snippet; json: the API's answer (results and facets).",
)
@click.pass_obj
@_fail_cleanly
def search_command(store: Path, text: str, kind: str | None, limit: int, fmt: str) -> None:
    """Find campuses, schools, trainings, trades, pôles, projects and territories by name or code.

    Accents, case and punctuation do not count, each word may be the start of one (mobi), a typo is
    forgiven (mobicampsu), several words narrow (nelson mandela audincourt), and a code typed alone (a
    UAI, a CFD, an RNCP or ROME code) comes first. A graph built before the search existed gets its index
    at the first search (a few seconds).
    """
    if not text.strip():
        raise click.BadParameter("nothing to search: give a name or a code", param_hint="TEXT")
    if len(text) > MAX_TEXT:
        raise click.BadParameter(f"{len(text)} characters; {MAX_TEXT} at most", param_hint="TEXT")
    result = search_with_facets(text, kind=kind, limit=limit, store=store)
    rows = [hit.as_dict() for hit in result.hits]
    if fmt == "json":
        click.echo(json.dumps({"results": rows, "facets": result.facets}, ensure_ascii=False, indent=1))
    elif fmt == "csv":
        frame = pd.DataFrame(rows, columns=["iri", "label", "kind", "code", "score", "snippet"])
        click.echo(format_frame(frame, "csv"), nl=False)
    else:
        facets = " · ".join(f"{KINDS[k][0]} {n}" for k, n in result.facets.items()) or "rien / nothing"
        table = Table(title=f"« {text} » : {result.total} trouvé(s) / found", caption=facets)
        for column in ("genre / kind", "nom / label", "code", "pourquoi / snippet", "iri"):
            table.add_column(column, overflow="fold")
        for hit in result.hits:
            table.add_row(KINDS[hit.kind][0], hit.label, hit.code, hit.snippet, hit.iri)
        console.print(table)


class _PushBar:
    def __init__(self, progress: Progress):
        self.progress = progress
        self.task = None

    def started(self, total_triples: int) -> None:
        self.task = self.progress.add_task("push", total=total_triples)

    def advanced(self, n: int) -> None:
        self.progress.advance(self.task, n)

    def finished(self) -> None:
        self.progress.stop()


@main.command()
@click.option("--endpoint", required=True, metavar="URL", callback=_endpoint_url, help="The server's SPARQL query URL (used to check the counts).")
@click.option("--graph-store", metavar="URL", callback=_endpoint_url, help="The server's Graph Store HTTP Protocol URL (default: the --endpoint URL).")
@click.option("--user", help="User name for the Graph Store.")
@click.option("--password", envvar="CMQGRAPH_PUSH_PASSWORD", help="Password (or set CMQGRAPH_PUSH_PASSWORD).")
@click.option("--auth", "auth_kind", type=click.Choice(("basic", "digest")), default="basic", show_default=True, help="HTTP authentication scheme.")
@click.option("--chunk", type=click.IntRange(min=1), default=50_000, show_default=True, help="Triples per HTTP request.")
@click.option("--append", is_flag=True, help="Add to the remote graphs instead of replacing them.")
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True, callback=_seconds, metavar="SECONDS",
    help="Seconds to wait for each request to the server.",
)
@click.pass_obj
@_fail_cleanly
def push(
    store: Path, endpoint: str, graph_store: str | None, user: str | None, password: str | None, auth_kind: str, chunk: int,
    append: bool, timeout: float,
) -> None:
    """Load the built graph, named graphs included, into a remote store (SPARQL 1.1 Graph Store Protocol).

    Each named graph is sent in chunks (the first replaces the remote graph), then the server's triple
    count of each graph is checked against the local one.
    """
    if user and password is None:
        raise click.BadParameter("a --user needs a --password (or CMQGRAPH_PUSH_PASSWORD)", param_hint="--password")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        report = push_graph(
            graph_store or endpoint, endpoint, store, chunk_triples=chunk, auth=(user, password) if user else None,
            auth_kind=auth_kind, replace=not append, timeout=timeout, progress=_PushBar(bar),
        )
    table = Table(title=f"{report.triples:,} triples pushed in {report.seconds:.1f} s; counts checked on {endpoint}")
    for column in ("graph", "local", "remote"):
        table.add_column(column, justify="left" if column == "graph" else "right")
    for g in report.graphs:
        table.add_row(g.graph.rsplit("/", 1)[-1], str(g.local), "–" if g.remote is None else str(g.remote))
    console.print(table)


def _filters(command):
    """Add the filters shared by ``view`` and ``network`` (names are matched ignoring accents and case)."""
    for name, view_filter in reversed(VIEW_FILTERS.items()):
        command = click.option(f"--{name}", help=view_filter.help)(command)
    return command


#: The option of ``view`` and ``network`` that also draws each campus's sector scope schools (derived, never members).
_SCOPE = click.option(
    "--scope", is_flag=True,
    help="Also add the schools of each campus's sector scope (derived from its filière and territory) that are not its members, "
         "kept apart: nodes of kind scope_school tied by in_scope edges, drawn lighter. Off by default; an aggregated view leaves them out.",
)


@main.command("view")
@_filters
@_SCOPE
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("view.html"), show_default=True, help="HTML file to write.")
@click.option("--max-nodes", type=int, default=DEFAULT_MAX_NODES, show_default=True, help="Aggregate the view above this many nodes.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="Also write a screenshot (headless Chromium).")
@click.pass_obj
@_fail_cleanly
def view_command(store, out, max_nodes, png, scope, **filters) -> None:
    """Write an interactive HTML view (it opens offline) of where campuses, pôles and projects overlap.

    Without filters the national view is aggregated and says so; --region, --academie or --campus drill
    down; --scope adds, lighter, the schools of a campus's sector scope that are not members. An unknown
    name gets close suggestions.
    """
    path = write_view(store, out=out, max_nodes=max_nodes, scope=scope, **filters)
    console.print(f"wrote {path}")
    if png:
        screenshot(path, png)
        console.print(f"wrote {png}")


@main.command("network")
@_filters
@_SCOPE
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path), help="Write pairs, centrality, communities and territories as CSV here.")
@click.option("--gexf", type=click.Path(dir_okay=False, path_type=Path), help="Write the network as GEXF (Gephi).")
@click.option("--graphml", type=click.Path(dir_okay=False, path_type=Path), help="Write the network as GraphML (Cytoscape).")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the Louvain communities.")
@click.pass_obj
@_fail_cleanly
def network_command(store, csv_dir, gexf, graphml, seed, scope, **filters) -> None:
    """Overlap metrics (Jaccard of trades, territories and filières, and apart of members and scope trades; centrality;
    Louvain communities) and exports."""
    graph = project_graph(store, scope=scope, **filters)
    tables = overlap_metrics(graph, seed=seed)
    if csv_dir:
        for path in write_csv(tables, csv_dir):
            console.print(f"wrote {path}")
    if gexf:
        console.print(f"wrote {write_gexf(graph, gexf)}")
    if graphml:
        console.print(f"wrote {write_graphml(graph, graphml)}")
    console.print(
        f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges, {len(tables['pairs'])} pairs, "
        f"{tables['communities']['community'].nunique()} communities"
    )


_PUBLIC_URL = click.option(
    "--public-url", envvar="CMQGRAPH_PUBLIC_URL", metavar="URL",
    help="The URL 'cmqgraph serve' is reached at by the public (or set CMQGRAPH_PUBLIC_URL); its /sparql is the endpoint.",
)


@main.command()
@click.option(
    "--format", "formats", type=click.Choice([*(f.name for f in export_formats()), "all"]), multiple=True, default=("all",), show_default=True,
    help="What to write (repeat the option): " + "; ".join(f"{f.name}: {f.label}" for f in export_formats()) + "; all: every one.",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("dist"), show_default=True, help="Folder of the files.")
@click.option("--gzip", "gzip_", is_flag=True, help="Gzip the RDF dumps (deterministic .gz).")
@click.option(
    "--base-url",
    help="URL the files are published under (download URLs in the catalogue). Without it: file: URLs of the export folder, "
    "to look at before publishing; a warning says so.",
)
@click.option("--sparql-endpoint", help="URL of a public SPARQL endpoint, described as a dcat:DataService (default: the --public-url's /sparql).")
@_PUBLIC_URL
@click.pass_obj
@_fail_cleanly
def export(
    store: Path, formats: tuple[str, ...], out: Path, gzip_: bool, base_url: str | None, sparql_endpoint: str | None, public_url: str | None
) -> None:
    """Write what a publisher uploads: RDF dumps, CSV tables with datapackage.json, a DCAT-AP 3 catalogue, the ontology pages.

    Every file is written under a temporary name and renamed when complete; the same graph gives the same
    bytes (set SOURCE_DATE_EPOCH for the dates, CMQGRAPH_CONTACT_URL for the catalogue's contact point).
    """
    if sparql_endpoint is None and public_url:
        sparql_endpoint = endpoint_of(public_url)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ExportWarning)
        files = export_files(store, out, formats, gzip=gzip_, base_url=base_url, sparql_endpoint=sparql_endpoint)
    table = Table(title=f"Exported to {out}")
    table.add_column("file")
    table.add_column("bytes", justify="right")
    for path in files:
        table.add_row(path.name, f"{path.stat().st_size:,}")
    console.print(table)
    for warning in caught:
        if issubclass(warning.category, ExportWarning):
            _warn(str(warning.message))
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (the default reaches only this machine).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True, help="Seconds a query may run; its process is then stopped (answer 503).")
@click.option("--max-rows", type=click.IntRange(min=1), default=50_000, show_default=True, help="Rows (or triples) an answer holds at most; the header X-Cmqgraph-Truncated says when it was cut.")
@click.option("--processes", type=click.IntRange(min=1), default=2, show_default=True, help="Worker processes answering queries in parallel.")
@click.option(
    "--queries-per-client", type=click.IntRange(min=1), default=1, show_default=True,
    help="Queries one client (IP address) may run at once; its others wait their turn. Below --processes, no client holds every worker.",
)
@click.option(
    "--queue-wait", type=click.FloatRange(min=0), default=10.0, show_default=True,
    help="Seconds a query may wait for a worker; then 429 (its client's own queries held it back) or 503, with Retry-After.",
)
@click.option(
    "--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
    help="Address or network (10.0.0.0/8) of a reverse proxy whose X-Forwarded-For names the client (repeatable); ignored from anyone else.",
)
@click.option(
    "--update-token", envvar="CMQGRAPH_UPDATE_TOKEN",
    help="Accept SPARQL Update from requests carrying 'Authorization: Bearer TOKEN' (prefer setting CMQGRAPH_UPDATE_TOKEN). Without it: read-only.",
)
@_PUBLIC_URL
@click.option("--queries", "query_folders", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path), help="A folder of more saved queries (.rq), repeatable.")
@click.pass_obj
@_fail_cleanly
def serve(
    store: Path, host: str, port: int, timeout: float, max_rows: int, processes: int, update_token: str | None,
    public_url: str | None, query_folders: tuple[Path, ...], queries_per_client: int, queue_wait: float, trusted_proxies: tuple[str, ...],
) -> None:
    """Serve the graph: a SPARQL endpoint, the saved queries as web forms with CSV downloads, the network views.

    Open http://127.0.0.1:8000/queries in a browser. The REST API is described at /openapi.json. Nothing a
    request sends can change the graph unless the server has an update token and the request carries it.
    """
    from .server import LOOPBACK, Settings
    from .server import serve as run_server

    open_store(store)  # fails now, with exit code 4, when nothing was built there
    if host not in LOOPBACK:
        hint = "" if public_url else " (set --public-url to the address they use: the service description names it)"
        _warn(f"listening on {host}: other machines can reach this server{hint}")
    try:
        settings = Settings(
            store=store, timeout=timeout, max_rows=max_rows, processes=processes, update_token=update_token or None,
            public_url=public_url, query_folders=query_folders, queries_per_client=queries_per_client, queue_wait=queue_wait,
            trusted_proxies=trusted_proxies,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--trusted-proxy") from exc
    run_server(settings, host=host, port=port)
