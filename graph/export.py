"""Exports for open-data portals: RDF dumps, CSV tables with a data package, a DCAT-AP 3 catalogue, HTML docs.

Every file is written to a temporary name in its target folder (``.{name}.part-{pid}``) and renamed only
when it is complete, so a failed export (unwritable folder, full disk, an error halfway) never leaves a
half-written file under the final name.

Determinism: the same graph gives the same bytes. The RDF dumps are sorted (an external merge sort of
the N-Triples / N-Quads lines, in byte order = code point order, bounded memory), gzip members carry
``mtime = $SOURCE_DATE_EPOCH`` (0 when unset) and no file name, and the dates in the catalogue come from
``SOURCE_DATE_EPOCH`` (else from the build's ``prov:endedAtTime``, else from the newest source file).

Examples
--------
>>> from cmqgraph.export import export
>>> files = export("var/store", "dist", formats=("ttl", "csv", "dcat"))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import json
import os
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from importlib.resources import files as package_files
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from rdflib.namespace import PROV

from .errors import ExportError, ExportWarning
from .iris import BUILD, PREFIXES, is_web_url
from .output import atomic_file, output_folder, source_date_epoch
from .store import open_store

__all__ = [
    "ExportError",
    "ExportWarning",
    "RDF_FORMATS",
    "ALL_FORMATS",
    "export_rdf",
    "export_csv",
    "export_dcat",
    "export_docs",
    "export",
    "time_exports",
    "load_context",
]

#: RDF dump formats: key → (file suffix, media type).
RDF_FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("ttl", "text/turtle"),
    "nt": ("nt", "application/n-triples"),
    "nq": ("nq", "application/n-quads"),
    "jsonld": ("jsonld", "application/ld+json"),
}
#: Everything ``export`` can write (``all`` = every one of them).
ALL_FORMATS = (*RDF_FORMATS, "csv", "dcat", "docs")

#: Base name of the dump files (``cmqgraph.ttl``, ``cmqgraph.nq.gz``…).
DUMP_NAME = "cmqgraph"

#: Lines held in memory per run of the external sort (about 150 MB of N-Quads at most).
SORT_RUN_LINES = 1_000_000


#: The warning of a catalogue written without a base URL (French, then English).
NO_BASE_URL_WARNING = (
    "catalogue sans --base-url : ses URL de téléchargement sont les fichiers locaux (file://) ; avant de publier, relancez "
    "l'export avec --base-url URL, l'adresse où les fichiers seront en ligne / catalogue without --base-url: its download "
    "URLs are the local files (file://); before publishing, export again with --base-url URL, the address the files will be online at"
)


def _as_store(store) -> ox.Store:
    if isinstance(store, ox.Store):
        return store
    return open_store(store)


# ---------------------------------------------------------------------------------------------------------
# sorting lines with bounded memory


def _sorted_runs(lines: Iterable[bytes], workdir: Path, run_lines: int) -> list[Path]:
    runs: list[Path] = []
    chunk: list[bytes] = []

    def flush() -> None:
        chunk.sort()
        handle, name = tempfile.mkstemp(prefix=".sort-", dir=workdir)
        with os.fdopen(handle, "wb") as out:
            out.writelines(chunk)
        runs.append(Path(name))
        chunk.clear()

    for line in lines:
        chunk.append(line)
        if len(chunk) >= run_lines:
            flush()
    if chunk or not runs:
        flush()
    return runs


def _merge_unique(runs: list[Path]) -> Iterator[bytes]:
    handles = [open(r, "rb") for r in runs]  # noqa: SIM115 - closed below
    try:
        previous = None
        for line in heapq.merge(*handles):
            if line != previous:
                yield line
                previous = line
    finally:
        for h in handles:
            h.close()


def _sort_unique(lines: Iterable[bytes], workdir: Path, run_lines: int = SORT_RUN_LINES) -> Iterator[bytes]:
    """Yield ``lines`` sorted byte-wise without duplicates, keeping at most ``run_lines`` in memory."""
    runs = _sorted_runs(lines, workdir, run_lines)
    try:
        yield from _merge_unique(runs)
    finally:
        for r in runs:
            with contextlib.suppress(OSError):
                r.unlink()


# ---------------------------------------------------------------------------------------------------------
# RDF dumps


def _strip_graph(line: bytes) -> bytes:
    """Turn an N-Quads line whose graph is an IRI into the N-Triples line of its triple."""
    return line[: line.rindex(b" <")] + b" .\n"


def _write_sorted_nquads(store: ox.Store, out: IO[bytes], workdir: Path) -> None:
    handle, name = tempfile.mkstemp(prefix=".dump-", suffix=".nq", dir=workdir)
    os.close(handle)
    try:
        store.dump(name, ox.RdfFormat.N_QUADS)
        with open(name, "rb") as raw:
            out.writelines(_sort_unique(raw, workdir))
    finally:
        os.unlink(name)


def _write_sorted_ntriples(store: ox.Store, out: IO[bytes], workdir: Path) -> None:
    """Write the union of all graphs (default and named) as sorted, duplicate-free N-Triples."""
    handle, name = tempfile.mkstemp(prefix=".dump-", suffix=".nq", dir=workdir)
    os.close(handle)
    try:
        default_empty = next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is None
        if default_empty:
            # every line ends with its graph IRI, which cannot hold a space or '<': cut it off
            store.dump(name, ox.RdfFormat.N_QUADS)
            with open(name, "rb") as raw:
                out.writelines(_sort_unique((_strip_graph(line) for line in raw), workdir))
        else:
            ox.serialize((q.triple for q in store), name, ox.RdfFormat.N_TRIPLES)
            with open(name, "rb") as raw:
                out.writelines(_sort_unique(raw, workdir))
    finally:
        os.unlink(name)


def _turtle_header() -> bytes:
    return "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in sorted(PREFIXES.items())).encode()


def _write_turtle(ntriples: Path, out: IO[bytes], workdir: Path) -> None:
    """Write Turtle from sorted N-Triples with Oxigraph's serialiser and a sorted prefix header."""
    handle, name = tempfile.mkstemp(prefix=".dump-", suffix=".ttl", dir=workdir)
    os.close(handle)
    try:
        with open(ntriples, "rb") as source:
            ox.serialize(ox.parse(source, ox.RdfFormat.N_TRIPLES), name, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        # Oxigraph writes the prefixes in an order of its own: write them sorted instead.
        with open(name, "rb") as ttl:
            out.write(_turtle_header())
            body = False
            for line in ttl:
                if not body and (line.startswith(b"@prefix ") or line.strip() == b""):
                    continue
                body = True
                out.write(line)
    finally:
        os.unlink(name)


def load_context() -> dict:
    """Return the JSON-LD context that ships in ``ontology/context.jsonld`` (the object under ``@context``)."""
    text = (package_files("cmqgraph.ontology") / "context.jsonld").read_text(encoding="utf-8")
    return json.loads(text)["@context"]


# ---------------------------------------------------------------------------------------------------------
# JSON-LD: compact, one node object per subject, keys and values from the shipped context

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_UNSET = object()


class JsonLdCompactor:
    """Compact triples with a JSON-LD context, with the context's own rules (so that expansion gives them back).

    For each predicate the first term of the context that maps to it is the key (else a compact IRI
    ``prefix:local``, else the absolute IRI). A value is written in its short form (a bare string) only
    when the term's coercion gives back exactly that RDF term (``@type: @id``, the term's datatype, its
    ``@language`` or the context's default language, ``@language: null`` for ``xsd:string``); otherwise it
    is an explicit value object (``{"@id"}``, ``{"@value", "@type"}``, ``{"@value", "@language"}``,
    ``{"@value"}``), which no coercion touches.
    """

    def __init__(self, context: dict):
        self.context = context
        self.default_language = context.get("@language")
        self.prefixes: list[tuple[str, str]] = []
        self.classes: dict[str, str] = {}
        self.properties: dict[str, tuple[str, object, object, bool]] = {}
        raw: list[tuple[str, str, dict]] = []
        for term, definition in context.items():
            if term.startswith("@"):
                continue
            if isinstance(definition, str):
                if definition.endswith(("/", "#")) and ":" not in term:
                    self.prefixes.append((term, definition))
                else:
                    raw.append((term, definition, {}))
            elif isinstance(definition, dict) and "@id" in definition:
                raw.append((term, definition["@id"], definition))
        self.prefixes.sort(key=lambda item: -len(item[1]))
        self.terms = {t for t, _, _ in raw} | {p for p, _ in self.prefixes}
        for term, iri, definition in raw:
            full = self.expand(iri)
            if not definition:
                self.classes.setdefault(full, term)
                self.properties.setdefault(full, (term, _UNSET, _UNSET, False))
                continue
            coercion = definition.get("@type", _UNSET)
            if isinstance(coercion, str) and not coercion.startswith("@"):
                coercion = self.expand(coercion)
            language = definition.get("@language", _UNSET)
            is_set = definition.get("@container") == "@set"
            self.properties.setdefault(full, (term, coercion, language, is_set))

    def expand(self, value: str) -> str:
        prefix, sep, local = value.partition(":")
        if sep and not local.startswith("//") and prefix in dict(self.prefixes):
            return dict(self.prefixes)[prefix] + local
        return value

    def compact_iri(self, iri: str) -> str:
        """Return ``prefix:local`` for ``iri`` when a context prefix covers it safely, else ``iri``."""
        for prefix, namespace in self.prefixes:
            if iri.startswith(namespace):
                local = iri[len(namespace) :]
                candidate = f"{prefix}:{local}"
                if not local.startswith("//") and candidate not in self.terms:
                    return candidate
        return iri

    def key(self, predicate: str) -> tuple[str, object, object, bool]:
        if predicate in self.properties:
            return self.properties[predicate]
        return self.compact_iri(predicate), _UNSET, _UNSET, False

    def node_ref(self, term) -> str:
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        return self.compact_iri(term.value)

    def value(self, obj, coercion, language):
        if isinstance(obj, (ox.NamedNode, ox.BlankNode)):
            ref = self.node_ref(obj)
            return ref if coercion == "@id" else {"@id": ref}
        datatype = obj.datatype.value
        if obj.language:
            effective = self.default_language if language is _UNSET else language
            if coercion is _UNSET and effective == obj.language:
                return obj.value
            return {"@value": obj.value, "@language": obj.language}
        if datatype == _XSD_STRING:
            if coercion is _UNSET and language is None:
                return obj.value
            return {"@value": obj.value}
        if coercion == datatype:
            return obj.value
        return {"@value": obj.value, "@type": self.compact_iri(datatype)}

    def node(self, subject, triples: list) -> dict:
        node: dict = {"@id": self.node_ref(subject)}
        types = [self.classes.get(t.object.value) or self.compact_iri(t.object.value) for t in triples
                 if t.predicate.value == _RDF_TYPE and isinstance(t.object, ox.NamedNode)]
        if types:
            node["@type"] = types[0] if len(types) == 1 else types
        for t in triples:
            if t.predicate.value == _RDF_TYPE and isinstance(t.object, ox.NamedNode):
                continue
            key, coercion, language, _ = self.key(t.predicate.value)
            node.setdefault(key, []).append(self.value(t.object, coercion, language))
        for key, values in node.items():
            if key.startswith("@"):
                continue
            if len(values) == 1 and not self.key_is_set(key):
                node[key] = values[0]
        return node

    def key_is_set(self, key: str) -> bool:
        definition = self.context.get(key)
        return isinstance(definition, dict) and definition.get("@container") == "@set"


def write_jsonld(triples: Iterable, out: IO[bytes], context: dict) -> None:
    """Write ``triples`` (sorted by subject) as compact JSON-LD: the context inline, one node per line in ``@graph``."""
    compactor = JsonLdCompactor(context)
    out.write(b'{"@context": ')
    out.write(json.dumps(context, ensure_ascii=False, indent=1).encode("utf-8"))
    out.write(b',\n"@graph": [')
    first = True
    subject = None
    group: list = []

    def emit() -> None:
        nonlocal first
        line = json.dumps(compactor.node(subject, group), ensure_ascii=False, separators=(",", ":"))
        out.write((b"\n" if first else b",\n") + line.encode("utf-8"))
        first = False

    for triple in triples:
        if subject is not None and triple.subject != subject:
            emit()
            group = []
        subject = triple.subject
        group.append(triple)
    if group:
        emit()
    out.write(b"\n]}\n")


def export_rdf(
    store,
    out_dir,
    formats: Sequence[str] = ("ttl", "nt", "nq", "jsonld"),
    gzip: bool = False,
) -> list[Path]:
    """Write RDF dumps of the graph: Turtle, N-Triples, JSON-LD (union of all graphs) and N-Quads (named graphs kept).

    Parameters
    ----------
    store : pyoxigraph.Store or path, optional
        The built graph (a path or None opens it read-only, see :func:`cmqgraph.store.open_store`).
    out_dir : path
        Folder of the files ``cmqgraph.{ttl,nt,nq,jsonld}`` (created if needed).
    formats : sequence of str
        Any of ``ttl``, ``nt``, ``nq``, ``jsonld``.
    gzip : bool
        Write ``.gz`` files (deterministic: no name, mtime from ``SOURCE_DATE_EPOCH`` or 0).

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.
    """
    unknown = [f for f in formats if f not in RDF_FORMATS]
    if unknown:
        raise ValueError(f"unknown RDF format(s) {unknown}: choose among {list(RDF_FORMATS)}")
    ox_store = _as_store(store)
    out = output_folder(out_dir)

    def target(fmt: str) -> Path:
        return out / f"{DUMP_NAME}.{RDF_FORMATS[fmt][0]}{'.gz' if gzip else ''}"

    written: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix=".cmqgraph-export-", dir=out) as work:
        workdir = Path(work)
        if "nq" in formats:
            with atomic_file(target("nq"), gzip) as f:
                _write_sorted_nquads(ox_store, f, workdir)
            written["nq"] = target("nq")
        if {"nt", "ttl", "jsonld"} & set(formats):
            sorted_nt = workdir / "union.nt"
            try:
                with open(sorted_nt, "wb") as f:
                    _write_sorted_ntriples(ox_store, f, workdir)
            except OSError as exc:
                raise ExportError(f"cannot write in {out}: {exc}") from exc
            if "nt" in formats:
                with atomic_file(target("nt"), gzip) as f, open(sorted_nt, "rb") as src:
                    while chunk := src.read(1 << 20):
                        f.write(chunk)
                written["nt"] = target("nt")
            if "ttl" in formats:
                with atomic_file(target("ttl"), gzip) as f:
                    _write_turtle(sorted_nt, f, workdir)
                written["ttl"] = target("ttl")
            if "jsonld" in formats:
                with atomic_file(target("jsonld"), gzip) as f, open(sorted_nt, "rb") as src:
                    write_jsonld(ox.parse(src, ox.RdfFormat.N_TRIPLES), f, load_context())
                written["jsonld"] = target("jsonld")
    return [written[f] for f in formats if f in written]


# ---------------------------------------------------------------------------------------------------------
# CSV tables + data package


def export_csv(store, out_dir) -> list[Path]:
    """Write one CSV per entity kind and relation, and their Frictionless ``datapackage.json``.

    See :mod:`cmqgraph.tables` for the tables and columns. Returns the CSV files then ``datapackage.json``.
    """
    from .tables import write_tables

    return write_tables(_as_store(store), output_folder(out_dir), atomic_file)


# ---------------------------------------------------------------------------------------------------------
# DCAT-AP 3 catalogue


def release_date(store) -> dt.date:
    """Return the date of the release: ``SOURCE_DATE_EPOCH``, else the build's ``prov:endedAtTime``, else today (UTC)."""
    epoch = source_date_epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, dt.UTC).date()
    ox_store = _as_store(store)
    for quad in ox_store.quads_for_pattern(ox.NamedNode(BUILD), ox.NamedNode(str(PROV.endedAtTime)), None, None):
        return dt.date.fromisoformat(quad.object.value[:10])
    return dt.datetime.now(dt.UTC).date()


def _sorted_jsonld(graph) -> bytes:
    """Serialise an rdflib graph as JSON-LD with a deterministic order (nodes by @id, values sorted)."""
    data = json.loads(graph.serialize(format="json-ld", context={p: str(ns) for p, ns in graph.namespaces() if p}))
    context = data.get("@context", {})
    nodes = data.get("@graph", [data] if "@id" in data else [])
    for node in nodes:
        for key, value in list(node.items()):
            if isinstance(value, list):
                node[key] = sorted(value, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    nodes = sorted((n for n in nodes if set(n) - {"@context"}), key=lambda n: n.get("@id", ""))
    for n in nodes:
        n.pop("@context", None)
    document = {"@context": dict(sorted(context.items())), "@graph": nodes}
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _check_base_url(base_url: str) -> None:
    if not is_web_url(base_url, ("http", "https", "ftp", "ftps")):
        raise ExportError(
            f"--base-url doit être une URL http(s) ou ftp(s) absolue, pas {base_url!r} / "
            f"--base-url must be an absolute http(s) or ftp(s) URL, not {base_url!r}"
        )


def export_dcat(store, out_dir, files: Sequence[Path], base_url: str | None = None, sparql_endpoint: str | None = None) -> tuple[Path, Path]:
    """Write ``catalog.ttl`` and ``catalog.jsonld``: a DCAT-AP 3 catalogue of ``files`` (one distribution each).

    ``base_url`` gives the download URLs (``{base_url}/{file name}``); without it they are ``file:`` URLs of
    the files, for a look before publishing: the catalogue says so and an :class:`ExportWarning` is issued.
    ``sparql_endpoint`` adds a ``dcat:DataService`` (and a distribution served by it).

    Raises
    ------
    ExportError
        ``base_url`` is not an absolute http(s) (or ftp) URL, or a file cannot be written.
    """
    from .dcat import catalogue

    if base_url is None:
        warnings.warn(NO_BASE_URL_WARNING, ExportWarning, stacklevel=2)
    else:
        _check_base_url(base_url)
    ox_store = _as_store(store)
    out = output_folder(out_dir)
    graph = catalogue(ox_store, [Path(f) for f in files], base_url, sparql_endpoint, release_date(ox_store))
    ttl, jsonld = out / "catalog.ttl", out / "catalog.jsonld"
    with atomic_file(ttl) as f:
        f.write(graph.serialize(format="turtle").encode("utf-8"))
    with atomic_file(jsonld) as f:
        f.write(_sorted_jsonld(graph))
    return ttl, jsonld


# ---------------------------------------------------------------------------------------------------------
# ontology documentation

#: Languages of the ontology pages.
DOC_LANGUAGES = ("fr", "en")


def _ontology_in(language: str):
    """Return ontology/cmq.ttl keeping, for every language-tagged literal, only those in ``language``."""
    import rdflib

    source = rdflib.Graph().parse(str(package_files("cmqgraph.ontology") / "cmq.ttl"), format="turtle")
    graph = rdflib.Graph()
    for prefix, namespace in source.namespaces():
        graph.bind(prefix, namespace)
    for s, p, o in source:
        if isinstance(o, rdflib.Literal) and o.language and o.language != language:
            continue
        graph.add((s, p, o))
    return graph


def export_docs(out_dir, languages: Sequence[str] = DOC_LANGUAGES) -> Path:
    """Write the HTML documentation of ``ontology/cmq.ttl`` with pyLODE, one page per language.

    pyLODE shows one label and one definition per term and has no language option, so each page is made
    from the ontology with only that language's literals: ``ontology.fr.html``, ``ontology.en.html``.
    Returns the French page (the first language); the others sit beside it.
    """
    try:
        from pylode import OntPub
    except Exception as exc:  # pragma: no cover - depends on the installed pyLODE
        raise ExportError(f"pyLODE is not usable ({exc}): pip install 'pylode==3.2.1'") from exc
    import logging

    out = output_folder(out_dir)
    pages = []
    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    for language in languages:
        html = OntPub(ontology=_ontology_in(language), sort_subjects=True).make_html()
        page = out / f"ontology.{language}.html"
        with atomic_file(page) as f:
            f.write(html.encode("utf-8"))
        pages.append(page)
    return pages[0]


# ---------------------------------------------------------------------------------------------------------
# everything


def export(
    store=None,
    out_dir="dist",
    formats: Sequence[str] = ("all",),
    gzip: bool = False,
    base_url: str | None = None,
    sparql_endpoint: str | None = None,
) -> list[Path]:
    """Run the chosen exports into ``out_dir`` and return the files written.

    ``formats`` holds any of ``ttl``, ``nt``, ``nq``, ``jsonld``, ``csv``, ``dcat``, ``docs`` or ``all``.
    The catalogue (``dcat``) describes every other file written by the same call (when ``dcat`` is the only
    format, the files already in ``out_dir`` that an export would write). A catalogue without ``base_url``
    issues an :class:`ExportWarning` (see :func:`export_dcat`).
    """
    chosen = list(ALL_FORMATS) if "all" in formats else list(dict.fromkeys(formats))
    unknown = [f for f in chosen if f not in ALL_FORMATS]
    if unknown:
        raise ValueError(f"unknown export format(s) {unknown}: choose among {[*ALL_FORMATS, 'all']}")
    if base_url is not None and "dcat" in chosen:
        _check_base_url(base_url)  # before the long exports, not after them
    out = output_folder(out_dir)
    ox_store = _as_store(store)
    written: list[Path] = []
    rdf = [f for f in chosen if f in RDF_FORMATS]
    if rdf:
        written += export_rdf(ox_store, out, rdf, gzip=gzip)
    if "csv" in chosen:
        written += export_csv(ox_store, out)
    if "docs" in chosen:
        first = export_docs(out)
        written += sorted(first.parent.glob("ontology.*.html"))
    if "dcat" in chosen:
        described = written or _existing_exports(out)
        written += list(export_dcat(ox_store, out, described, base_url=base_url, sparql_endpoint=sparql_endpoint))
    return written


def _existing_exports(out: Path) -> list[Path]:
    from .tables import TABLES

    names = {f"{DUMP_NAME}.{suffix}" for suffix, _ in RDF_FORMATS.values()}
    names |= {f"{n}.gz" for n in names} | {f"{t.name}.csv" for t in TABLES} | {"datapackage.json"}
    return sorted(p for p in out.iterdir() if p.name in names or (p.name.startswith("ontology.") and p.suffix == ".html"))


def time_exports(store=None, out_dir=None, formats: Sequence[str] = (*RDF_FORMATS, "csv", "dcat", "docs")) -> list[dict]:
    """Time each export format on ``store`` (one call per format) and return rows for the benchmark.

    Each row: ``format``, ``seconds``, ``bytes`` (total size of the files written), ``files``.
    """
    ox_store = _as_store(store)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cmqgraph-bench-export-") as tmp:
        folder = Path(out_dir) if out_dir else Path(tmp)
        so_far: list[Path] = []
        for fmt in formats:
            target = folder / fmt
            started = time.perf_counter()
            if fmt == "dcat":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ExportWarning)  # timed in a temporary folder: never published
                    files = list(export_dcat(ox_store, target, so_far))
            else:
                files = export(ox_store, target, [fmt])
                so_far += files
            seconds = time.perf_counter() - started
            rows.append({"format": fmt, "seconds": round(seconds, 2), "bytes": sum(p.stat().st_size for p in files), "files": len(files)})
    return rows
