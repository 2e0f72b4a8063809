"""The RDF dumps of an export: Turtle, N-Triples, JSON-LD (the union of all graphs) and N-Quads (named graphs kept).

Determinism: the same graph gives the same bytes. The dumps are sorted (the N-Triples / N-Quads lines in byte
order = code point order: in memory up to :data:`SORT_RUN_LINES` lines, by an external merge sort beyond) and the union is computed
once for every syntax written from it. N-Triples is that sorted union itself, Turtle adds a sorted prefix
header, JSON-LD is compacted with the shipped context (:class:`JsonLdCompactor`); any other RDF syntax of
the format table with ``family="rdf"`` is written from the union by pyoxigraph.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import operator
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib.resources import files as package_files
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from ..errors import ExportError
from ..iris import PREFIXES
from ..output import atomic_file
from . import DUMP_NAME, ExportJob, Format

__all__ = ["BATCH_BYTES", "DUMP_THREADS", "SORT_RUN_LINES", "JsonLdCompactor", "write_jsonld", "load_context", "target", "write", "existing"]

#: Lines sorted in memory at once (about 200 MB of N-Quads); more are sorted by runs of this size merged from disk.
SORT_RUN_LINES = 1_000_000



# ---------------------------------------------------------------------------------------------------------
# sorting lines with bounded memory


def _write_run(chunk: list[bytes], workdir: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=".sort-", dir=workdir)
    with os.fdopen(handle, "wb") as out:
        chunk.sort()
        out.writelines(chunk)
    return Path(name)


def _sort_unique(batches: Iterable[list[bytes]], workdir: Path, run_lines: int = SORT_RUN_LINES) -> Iterable[bytes]:
    """Return the lines of ``batches`` sorted byte-wise without duplicates, keeping about ``run_lines`` in memory.

    Lines that fit in one run are sorted in memory; more are sorted run by run into temporary files of
    ``workdir``, then merged.
    """
    chunk: list[bytes] = []
    runs: list[Path] = []
    try:
        for batch in batches:
            chunk += batch
            if len(chunk) >= run_lines:
                runs.append(_write_run(chunk, workdir))
                chunk = []
        if not runs:
            chunk.sort()  # the dump's order is partly sorted already: sorting in place is faster than sorted(set())
            return dict.fromkeys(chunk)
        if chunk:
            runs.append(_write_run(chunk, workdir))
    except BaseException:
        _remove(runs)
        raise
    return _merge_unique(runs)


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


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
        _remove(runs)


# ---------------------------------------------------------------------------------------------------------
# RDF dumps

#: Graphs dumped at once: Oxigraph releases the GIL while it writes a dump, so each thread keeps a core busy.
DUMP_THREADS = min(4, os.cpu_count() or 1)

#: Bytes of a dump read at once into a batch of lines.
BATCH_BYTES = 1 << 24

GraphDump = tuple[Path, "ox.NamedNode | ox.DefaultGraph"]


def _dump_graphs(store: ox.Store, workdir: Path) -> list[GraphDump]:
    """Dump each graph of ``store`` (the default graph first) as N-Triples into a file of its own in ``workdir``."""
    graphs = [ox.DefaultGraph(), *store.named_graphs()]
    dumps = [(workdir / f".graph-{i}.nt", graph) for i, graph in enumerate(graphs)]
    with ThreadPoolExecutor(DUMP_THREADS) as pool:
        list(pool.map(lambda dump: store.dump(str(dump[0]), ox.RdfFormat.N_TRIPLES, from_graph=dump[1]), dumps))
    return dumps


def _batches(dumps: list[GraphDump], quads: bool) -> Iterator[list[bytes]]:
    """Yield the lines of ``dumps`` batch by batch: N-Quads lines (each named graph's IRI added) or N-Triples lines."""
    for path, graph in dumps:
        graph_end = f"{graph} .\n".encode() if quads and isinstance(graph, ox.NamedNode) else None
        with open(path, "rb") as lines:
            while batch := lines.readlines(BATCH_BYTES):
                # an N-Triples line ends with " .\n"; its N-Quads line puts the graph's IRI before the dot
                yield [line[:-2] + graph_end for line in batch] if graph_end else batch


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
        self.set_keys = {t for t, d in context.items() if isinstance(d, dict) and d.get("@container") == "@set"}
        self.compacted: dict[str, str] = {}  # compact_iri's answers: the same IRIs come back on every node

    def expand(self, value: str) -> str:
        prefix, sep, local = value.partition(":")
        if sep and not local.startswith("//") and prefix in dict(self.prefixes):
            return dict(self.prefixes)[prefix] + local
        return value

    def compact_iri(self, iri: str) -> str:
        """Return ``prefix:local`` for ``iri`` when a context prefix covers it safely, else ``iri``."""
        found = self.compacted.get(iri)
        if found is None:
            found = self.compacted[iri] = self._compact_iri(iri)
        return found

    def _compact_iri(self, iri: str) -> str:
        for prefix, namespace in self.prefixes:
            if iri.startswith(namespace):
                local = iri[len(namespace) :]
                candidate = f"{prefix}:{local}"
                if not local.startswith("//") and candidate not in self.terms:
                    return candidate
        return iri

    def key(self, predicate: str) -> tuple[str, object, object, bool]:
        found = self.properties.get(predicate)
        if found is None:  # a predicate the context does not name: its compact IRI, kept for the next nodes
            found = self.properties[predicate] = (self.compact_iri(predicate), _UNSET, _UNSET, False)
        return found

    def node_ref(self, term) -> str:
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        return self.compact_iri(term.value)

    def value(self, obj, coercion, language):
        if isinstance(obj, (ox.NamedNode, ox.BlankNode)):
            ref = self.node_ref(obj)
            return ref if coercion == "@id" else {"@id": ref}
        tag = obj.language
        if tag:
            effective = self.default_language if language is _UNSET else language
            if coercion is _UNSET and effective == tag:
                return obj.value
            return {"@value": obj.value, "@language": tag}
        datatype = obj.datatype.value
        if datatype == _XSD_STRING:
            if coercion is _UNSET and language is None:
                return obj.value
            return {"@value": obj.value}
        if coercion == datatype:
            return obj.value
        return {"@value": obj.value, "@type": self.compact_iri(datatype)}

    def node(self, subject, triples: list) -> dict:
        node: dict = {"@id": self.node_ref(subject)}
        types: list[str] = []
        values: dict[str, list] = {}
        for t in triples:
            predicate, obj = t.predicate.value, t.object
            if predicate == _RDF_TYPE and isinstance(obj, ox.NamedNode):
                types.append(self.classes.get(obj.value) or self.compact_iri(obj.value))
                continue
            key, coercion, language, _ = self.key(predicate)
            values.setdefault(key, []).append(self.value(obj, coercion, language))
        if types:
            node["@type"] = types[0] if len(types) == 1 else types
        for key, found in values.items():
            node[key] = found[0] if len(found) == 1 and key not in self.set_keys else found
        return node


def write_jsonld(triples: Iterable, out: IO[bytes], context: dict) -> None:
    """Write ``triples`` (sorted by subject) as compact JSON-LD: the context inline, one node per line in ``@graph``."""
    compactor = JsonLdCompactor(context)
    out.write(b'{"@context": ')
    out.write(json.dumps(context, ensure_ascii=False, indent=1).encode("utf-8"))
    out.write(b',\n"@graph": [')
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    separator = b"\n"
    for subject, group in itertools.groupby(triples, key=operator.attrgetter("subject")):
        out.write(separator + encode(compactor.node(subject, list(group))).encode("utf-8"))
        separator = b",\n"
    out.write(b"\n]}\n")


# ---------------------------------------------------------------------------------------------------------
# the family's interface


def _copy(ntriples: Path, out: IO[bytes], workdir: Path) -> None:
    with open(ntriples, "rb") as src:
        while chunk := src.read(1 << 20):
            out.write(chunk)


def _jsonld(ntriples: Path, out: IO[bytes], workdir: Path) -> None:
    with open(ntriples, "rb") as src:
        write_jsonld(ox.parse(src, ox.RdfFormat.N_TRIPLES), out, load_context())


#: The syntaxes written from the sorted union in a way of their own; the others go through pyoxigraph.
_FROM_UNION: dict[str, Callable[[Path, IO[bytes], Path], None]] = {"nt": _copy, "ttl": _write_turtle, "jsonld": _jsonld}


def _with_oxigraph(fmt: Format) -> Callable[[Path, IO[bytes], Path], None]:
    def write_with(ntriples: Path, out: IO[bytes], workdir: Path) -> None:
        with open(ntriples, "rb") as src:
            ox.serialize(ox.parse(src, ox.RdfFormat.N_TRIPLES), out, fmt.pyoxigraph, prefixes=PREFIXES)

    return write_with


def target(out: Path, fmt: Format, gzip: bool) -> Path:
    """Return the path of the dump of ``fmt`` in ``out`` (``cmqgraph.ttl``, ``cmqgraph.nq.gz``…)."""
    return out / f"{DUMP_NAME}.{fmt.suffix}{'.gz' if gzip else ''}"


def write(job: ExportJob, formats: Sequence[Format]) -> list[Path]:
    """Write the dumps of ``formats`` into ``job.out``; return them in the order of ``formats``."""
    written: dict[str, Path] = {}
    union = [f for f in formats if f.name != "nq"]
    with tempfile.TemporaryDirectory(prefix=".cmqgraph-export-", dir=job.out) as work:
        workdir = Path(work)
        try:
            dumps = _dump_graphs(job.store, workdir)
        except OSError as exc:
            raise ExportError(f"cannot write in {job.out}: {exc}") from exc
        if len(union) < len(formats):
            path = target(job.out, next(f for f in formats if f.name == "nq"), job.gzip)
            with atomic_file(path, job.gzip) as f:
                f.writelines(_sort_unique(_batches(dumps, quads=True), workdir))
            written["nq"] = path
        if union:
            sorted_nt = workdir / "union.nt"
            try:
                with open(sorted_nt, "wb") as f:
                    f.writelines(_sort_unique(_batches(dumps, quads=False), workdir))
            except OSError as exc:
                raise ExportError(f"cannot write in {job.out}: {exc}") from exc
            for fmt in union:
                path = target(job.out, fmt, job.gzip)
                with atomic_file(path, job.gzip) as f:
                    _FROM_UNION.get(fmt.name, _with_oxigraph(fmt))(sorted_nt, f, workdir)
                written[fmt.name] = path
    return [written[f.name] for f in formats]


def existing(out: Path, fmt: Format) -> list[Path]:
    """Return the dumps of ``fmt`` already in ``out`` (plain or gzipped)."""
    return [p for gz in (False, True) if (p := target(out, fmt, gz)).exists()]
