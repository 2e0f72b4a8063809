"""The common interface of every source module, and the strict CSV reader they share.

A source module reads one source dataset (one or a few files from one publisher) and yields
RDF triples; the builder puts them in the source's own named graph and describes that graph
with PROV in ``graph/meta``.

To add a source: subclass :class:`Source` in a module named after the source, fill its class
attributes (declaring the indexes it ``reads`` and ``publishes``, each published one also a row of
:data:`~cmqgraph.sources.records.INDEXES`), write :meth:`Source.triples`, and register it in
:data:`cmqgraph.sources.REGISTRY` below every source it reads from.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from ..errors import RowIssue, SourceFileError
from ..iris import source_graph
from .files import CsvFile, read_geojson, read_json
from .records import INDEXES

__all__ = [
    "Row",
    "Triple",
    "SourceFile",
    "BuildContext",
    "Source",
    "UAI_LETTERS",
    "uai_is_valid",
    "year_literal",
    "decimal_literal",
    "integer_literal",
    "text",
    "concept",
    "concept_scheme",
]

Triple = tuple[URIRef, URIRef, Any]

#: The 23 letters of the UAI check key (no I, O, Q).
UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_UAI = re.compile(r"^[0-9]{7}[A-Z]$")


def uai_is_valid(uai: str) -> bool:
    """Tell whether ``uai`` is a well-formed UAI whose check letter matches its seven digits.

    >>> uai_is_valid("0251349F"), uai_is_valid("0251349G")
    (True, False)
    """
    return bool(_UAI.match(uai)) and UAI_LETTERS[int(uai[:7]) % 23] == uai[7]


@dataclass(frozen=True)
class SourceFile:
    """One file a source reads, with the columns it needs.

    Attributes
    ----------
    name : str
        File name inside the data folder.
    columns : tuple of str
        Columns that must be present in the header (compared after stripping spaces).
    encoding : str
        ``utf-8`` (a BOM is accepted).
    delimiter : str
        The separator, ``;`` for every shipped CSV.
    format : str
        ``csv``, ``geojson`` (a GeoJSON FeatureCollection) or ``json`` (a JSON document whose source checks its structure).
    """

    name: str
    columns: tuple[str, ...] = ()
    encoding: str = "utf-8"
    delimiter: str = ";"
    format: str = "csv"


@dataclass
class Row:
    """A CSV row: its 1-based ``line`` in the file and its values by (stripped) column name."""

    file: str
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "").strip()


@dataclass
class BuildContext:
    """What sources share during one build: where files are, the issues seen, and the indexes published.

    Sources run in registry order; a source publishes an index (:meth:`Source.publish`) that later
    sources read (:meth:`Source.read`). ``indexes`` maps the name of each index published so far to
    its value (see :data:`~cmqgraph.sources.records.INDEXES`); a test may fill it by hand in place of
    the sources that would publish it.
    """

    files: dict[str, Path]
    issues: list[RowIssue] = field(default_factory=list)
    indexes: dict[str, Any] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)
    on_row: Callable[[], None] | None = None

    def path(self, name: str) -> Path:
        """Return the path of data file ``name``, or raise :class:`SourceFileError` if it is missing."""
        path = self.files.get(name)
        if path is None or not path.is_file():
            raise SourceFileError(path or Path(name), "file not found")
        return path

    def issue(self, row: Row, column: str, message: str, severity: str = "error", value: str | None = None) -> None:
        """Record a problem with ``row`` (``value`` defaults to the whole cell).

        Severities: ``error`` (bad value, the caller skips the row), ``skipped`` (row left out by
        design, e.g. a pseudo-territory), ``warning`` (row kept, value doubtful or unmatched).
        """
        self.issues.append(RowIssue(row.file, row.line, column, row[column] if value is None else value, message, severity))

    def number(
        self, row: Row, column: str, *, integer: bool = False, minimum: float | None = None, maximum: float | None = None,
        action: str = "value left out",
    ) -> Literal | None:
        """Return ``row[column]`` as an ``xsd:integer`` or ``xsd:decimal`` literal, or None when it is empty.

        A value that is not a plain number (French decimal comma accepted), or lies outside
        ``[minimum, maximum]``, is recorded as a warning (``action`` says what became of it) and gives None.

        >>> ctx = BuildContext(files={})
        >>> row = Row("f.csv", 2, {"taux": "-1e309", "part": "150", "va": "-7"})
        >>> ctx.number(row, "taux"), ctx.number(row, "part", maximum=100), ctx.number(row, "va", minimum=-100)
        (None, None, rdflib.term.Literal('-7', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#decimal')))
        >>> [issue.message for issue in ctx.issues]
        ['not a number; value left out', 'out of range (at most 100); value left out']
        """
        value = row[column]
        if not value:
            return None
        literal = integer_literal(value) if integer else decimal_literal(value)
        if literal is None:
            self.issue(row, column, f"not a {'whole ' if integer else ''}number; {action}", "warning")
            return None
        number = literal.toPython()
        if minimum is not None and number < minimum:
            self.issue(row, column, f"out of range (at least {minimum:g}); {action}", "warning")
            return None
        if maximum is not None and number > maximum:
            self.issue(row, column, f"out of range (at most {maximum:g}); {action}", "warning")
            return None
        return literal

    def read_csv(self, spec: SourceFile) -> Iterator[Row]:
        """Yield the rows of ``spec``'s file, checking its encoding, separator, columns and structure.

        A row whose number of cells differs from the header's, or that holds a control character, is
        recorded as an error and skipped (see :class:`~cmqgraph.sources.files.CsvFile`).

        Raises
        ------
        SourceFileError
            The file is missing, is not UTF-8, does not use ``spec.delimiter``, lacks a column, names a
            column twice, or has a quote that runs on over the rows below it.
        """
        table = CsvFile(self.path(spec.name), spec.delimiter, spec.columns)
        header = table.header
        count = 0
        on_row = self.on_row
        for line_no, values, problem in table.rows():
            count += 1
            if on_row is not None:
                on_row()
            if problem is not None:
                self.issues.append(RowIssue(spec.name, line_no, "", spec.delimiter.join(values)[:80], problem))
                continue
            yield Row(spec.name, line_no, dict(zip(header, values)))
        self.rows_read[spec.name] = count

    def check(self, spec: SourceFile) -> None:
        """Read ``spec``'s whole file once for its structure only (encoding, header, quotes, cell sizes), building nothing.

        The builder checks every file this way before it runs any source, so that a broken file fails
        the build at once instead of after the sources before it.

        Raises
        ------
        SourceFileError
            What :meth:`read_csv` or :meth:`read_geojson` would raise for the file, or a CSV file has no rows.
        """
        path = self.path(spec.name)
        if spec.format in ("geojson", "json"):
            (read_geojson if spec.format == "geojson" else read_json)(path)
            return
        if not CsvFile(path, spec.delimiter, spec.columns).has_rows():
            raise SourceFileError(path, "the file has a header but no rows", 2)

    def read_geojson(self, spec: SourceFile) -> list[dict[str, Any]]:
        """Return the features of ``spec``'s GeoJSON file (see :func:`~cmqgraph.sources.files.read_geojson`)."""
        features = read_geojson(self.path(spec.name))
        self.rows_read[spec.name] = len(features)
        return features

    def line_count(self, spec: SourceFile) -> int:
        """Return the number of data lines of ``spec`` (for progress bars; 0 when the file is missing)."""
        path = self.files.get(spec.name)
        if path is None or not path.is_file():
            return 0
        with path.open("rb") as f:
            return max(sum(1 for _ in f) - 1, 0)


class Source(ABC):
    """One source dataset: its files, its provenance, and the triples built from it.

    Class attributes
    ----------------
    name : str
        Short identifier, also the last segment of the named-graph IRI.
    title : str
        What the dataset is, in a few words (French or English).
    files : tuple of SourceFile
        The files read, with their required columns.
    upstream : str
        Where the files came from (repository, path, commit, or web pages).
    licence : str
        IRI of the licence of the data.
    licence_note : str
        What is known and unknown about the licence.
    temporal : str
        The date of the facts (year, school year or date).
    completeness : str
        What the source is known to lack.
    reads : tuple of str
        The indexes it needs from sources above it (see :data:`~cmqgraph.sources.records.INDEXES`).
    optional_reads : tuple of str
        The indexes it reads when they are there: run on its own (a unit test), it checks less.
    publishes : tuple of str
        The indexes it publishes for the sources below it.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    files: ClassVar[tuple[SourceFile, ...]] = ()
    upstream: ClassVar[str]
    licence: ClassVar[str] = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    licence_note: ClassVar[str] = (
        "Licence Ouverte / Etalab 2.0 probable (data from French public bodies); the upstream repository does not state it file by file."
    )
    temporal: ClassVar[str] = ""
    completeness: ClassVar[str] = ""
    reads: ClassVar[tuple[str, ...]] = ()
    optional_reads: ClassVar[tuple[str, ...]] = ()
    publishes: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Check, when a source class is defined, that every index it names is in the index table as it says."""
        super().__init_subclass__(**kwargs)
        for index in (*cls.reads, *cls.optional_reads, *cls.publishes):
            if index not in INDEXES:
                raise TypeError(f"{cls.__name__} names index {index!r}, which is not in cmqgraph.sources.records.INDEXES")
        for index in cls.publishes:
            if INDEXES[index].publisher != getattr(cls, "name", None):
                raise TypeError(f"{cls.__name__} publishes {index!r}, whose publisher in INDEXES is {INDEXES[index].publisher!r}")

    def __init__(self, ctx: BuildContext):
        self.ctx = ctx

    def read(self, index: str) -> Any:
        """Return index ``index``, which this source ``reads``.

        Raises
        ------
        LookupError
            The source does not declare it in ``reads``, or its publisher has not run yet.
        """
        if index not in self.reads:
            raise LookupError(f"source {self.name!r} reads index {index!r} but does not declare it in its `reads`")
        try:
            return self.ctx.indexes[index]
        except KeyError:
            publisher = INDEXES[index].publisher
            raise LookupError(
                f"source {self.name!r} reads index {index!r} before {publisher!r} published it: "
                f"run {publisher!r} first (cmqgraph.sources.run_until runs what a source needs)"
            ) from None

    def read_optional(self, index: str) -> Any | None:
        """Return index ``index``, which this source lists in ``optional_reads``, or None when it was not published.

        Raises
        ------
        LookupError
            The source does not declare it in ``optional_reads``.
        """
        if index not in self.optional_reads:
            raise LookupError(f"source {self.name!r} reads index {index!r} but does not declare it in its `optional_reads`")
        return self.ctx.indexes.get(index)

    def publish(self, index: str, value: Any) -> None:
        """Publish ``value`` as index ``index`` (read-only from then on), for the sources below this one.

        Raises
        ------
        LookupError
            The source does not declare it in ``publishes``, or the index was published already.
        TypeError
            ``value`` is not of the type :data:`~cmqgraph.sources.records.INDEXES` gives the index.
        """
        if index not in self.publishes:
            raise LookupError(f"source {self.name!r} publishes index {index!r} but does not declare it in its `publishes`")
        if index in self.ctx.indexes:
            raise LookupError(f"source {self.name!r} publishes index {index!r}, which this build holds already")
        self.ctx.indexes[index] = INDEXES[index].freeze(value)

    def run(self) -> Iterator[Triple]:
        """Yield :meth:`triples`, then check that the source published every index it declares.

        Raises
        ------
        LookupError
            An index of ``publishes`` was not published.
        """
        yield from self.triples()
        missing = [index for index in self.publishes if index not in self.ctx.indexes]
        if missing:
            raise LookupError(f"source {self.name!r} declares it publishes {', '.join(missing)} but did not publish it")

    @property
    def graph(self) -> URIRef:
        """The IRI of this source's named graph."""
        return source_graph(self.name)

    def expected_rows(self) -> int:
        """Return how many data rows the source's files hold (for progress bars)."""
        return sum(self.ctx.line_count(spec) for spec in self.files)

    def rows(self, index: int = 0) -> Iterator[Row]:
        """Yield the rows of this source's ``index``-th file."""
        return self.ctx.read_csv(self.files[index])

    @abstractmethod
    def triples(self) -> Iterable[Triple]:
        """Yield the triples built from the source's files."""


def text(value: str, lang: str | None = "fr") -> Literal | None:
    """Return a language-tagged literal of ``value`` stripped, or None when it is empty."""
    value = " ".join(value.split())
    return Literal(value, lang=lang) if value else None


_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")


def year_literal(value: str) -> Literal | None:
    """Return the first year (19xx/20xx) in ``value`` as an ``xsd:gYear``, or None.

    >>> year_literal("2021 (article du 22 juillet 2021)")
    rdflib.term.Literal('2021', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#gYear'))
    """
    match = _YEAR.search(value)
    return Literal(match.group(0), datatype=XSD.gYear) if match else None


_NUMBER = re.compile(r"^[~≈]?\s*(-?\d+(?:[.,]\d+)?)$")


def decimal_literal(value: str) -> Literal | None:
    """Return ``value`` (French decimal comma accepted) as an ``xsd:decimal`` literal, or None.

    Only a plain number is accepted; a range or a number with words around it gives None, and the
    caller keeps the words in a note.

    >>> decimal_literal("9,8")
    rdflib.term.Literal('9.8', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#decimal'))
    """
    match = _NUMBER.match(value.strip())
    if not match:
        return None
    try:
        return Literal(Decimal(match.group(1).replace(",", ".")), datatype=XSD.decimal)
    except InvalidOperation:
        return None


_INTEGER = re.compile(r"^-?[0-9]+$")


def integer_literal(value: str) -> Literal | None:
    """Return ``value`` as an ``xsd:integer`` literal, or None when it is not a whole number."""
    value = value.strip()
    if not _INTEGER.match(value):
        return None
    return Literal(int(value), datatype=XSD.integer)


def concept_scheme(scheme: URIRef, label_fr: str, label_en: str | None = None) -> Iterator[Triple]:
    """Yield the triples declaring a SKOS concept scheme with its French (and English) label."""
    yield scheme, RDF.type, SKOS.ConceptScheme
    yield scheme, RDFS.label, Literal(label_fr, lang="fr")
    if label_en:
        yield scheme, RDFS.label, Literal(label_en, lang="en")


def concept(
    node: URIRef, cls: URIRef, scheme: URIRef, label: Literal | None, notation: str, top: bool = False
) -> Iterator[Triple]:
    """Yield the triples of a concept of class ``cls`` in ``scheme``: types, scheme, notation and labels.

    The label is both ``skos:prefLabel`` and ``rdfs:label`` (so that queries may use either).
    """
    yield node, RDF.type, cls
    yield node, RDF.type, SKOS.Concept
    yield node, SKOS.inScheme, scheme
    if top:
        yield node, SKOS.topConceptOf, scheme
    yield node, SKOS.notation, Literal(notation)
    if label is not None:
        yield node, SKOS.prefLabel, label
        yield node, RDFS.label, label
