"""Exports for open-data portals: RDF dumps, CSV tables with a data package, a DCAT-AP 3 catalogue, HTML docs.

The formats are the export rows of the format table (:mod:`cmqgraph.formats`); each family of files is written
by its module there. This module is the Python API over them.

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

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from . import formats as fmt_table
from .errors import ExportError, ExportWarning
from .formats import DUMP_NAME, ExportJob, choose, of_kind
from .formats.catalogue import check_base_url, write_catalogue
from .formats.catalogue import release_date as _release_date
from .formats.docs import DOC_LANGUAGES, write_pages
from .formats.rdf import load_context
from .formats.rdf import write as write_dumps
from .output import output_folder
from .store import open_store

__all__ = [
    "ExportError",
    "ExportWarning",
    "DUMP_NAME",
    "export_rdf",
    "export_csv",
    "export_dcat",
    "export_docs",
    "export",
    "release_date",
    "load_context",
]


def _as_store(store) -> ox.Store:
    if isinstance(store, ox.Store):
        return store
    return open_store(store)


def _run(store, out_dir, names: Sequence[str], **options) -> list[Path]:
    chosen = choose(names)
    if options.get("base_url") is not None and any(f.name == "dcat" for f in chosen):
        check_base_url(options["base_url"])  # before the long exports, not after them
    out = output_folder(out_dir)
    job = ExportJob(_as_store(store), out, **options)
    for module, group in fmt_table.families(chosen):
        job.written += module.write(job, group)
    return job.written


def export_rdf(store, out_dir, formats: Sequence[str] = ("ttl", "nt", "nq", "jsonld"), gzip: bool = False) -> list[Path]:
    """Write RDF dumps of the graph: Turtle, N-Triples, JSON-LD (union of all graphs) and N-Quads (named graphs kept).

    Parameters
    ----------
    store : pyoxigraph.Store or path, optional
        The built graph (a path or None opens it read-only, see :func:`cmqgraph.store.open_store`).
    out_dir : path
        Folder of the files ``cmqgraph.{ttl,nt,nq,jsonld}`` (created if needed).
    formats : sequence of str
        Any RDF export format of :mod:`cmqgraph.formats`: ``ttl``, ``nt``, ``nq``, ``jsonld``.
    gzip : bool
        Write ``.gz`` files (deterministic: no name, mtime from ``SOURCE_DATE_EPOCH`` or 0).

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.
    """
    rdf = {name: f for name, f in of_kind("graph").items() if f.family == "rdf"}
    unknown = [f for f in formats if f not in rdf]
    if unknown:
        raise ValueError(f"unknown RDF format(s) {unknown}: choose among {list(rdf)}")
    return write_dumps(ExportJob(_as_store(store), output_folder(out_dir), gzip=gzip), [rdf[f] for f in formats])

def export_csv(store, out_dir) -> list[Path]:
    """Write one CSV per entity kind and relation, and their Frictionless ``datapackage.json``.

    See :mod:`cmqgraph.tables` for the tables and columns. Returns the CSV files then ``datapackage.json``.
    """
    return _run(store, out_dir, ["csv"])


def release_date(store) -> dt.date:
    """Return the date of the release: ``SOURCE_DATE_EPOCH``, else the build's ``prov:endedAtTime``, else today (UTC)."""
    return _release_date(_as_store(store))


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
    return write_catalogue(_as_store(store), output_folder(out_dir), files, base_url, sparql_endpoint)


def export_docs(out_dir, languages: Sequence[str] = DOC_LANGUAGES) -> Path:
    """Write the HTML documentation of ``ontology/cmq.ttl`` with pyLODE, one page per language.

    pyLODE shows one label and one definition per term and has no language option, so each page is made
    from the ontology with only that language's literals: ``ontology.fr.html``, ``ontology.en.html``.
    Returns the French page (the first language); the others sit beside it.
    """
    return write_pages(output_folder(out_dir), languages)[0]


def export(
    store=None,
    out_dir="dist",
    formats: Sequence[str] = ("all",),
    gzip: bool = False,
    base_url: str | None = None,
    sparql_endpoint: str | None = None,
) -> list[Path]:
    """Run the chosen exports into ``out_dir`` and return the files written.

    ``formats`` holds names of the export formats of :mod:`cmqgraph.formats` (``ttl``, ``nt``, ``nq``,
    ``jsonld``, ``csv``, ``docs``, ``dcat``) or ``all``. The catalogue (``dcat``) describes every other file
    written by the same call (when ``dcat`` is the only format, the files already in ``out_dir`` that an
    export would write). A catalogue without ``base_url`` issues an :class:`ExportWarning` (see
    :func:`export_dcat`).
    """
    return _run(store, out_dir, list(formats), gzip=gzip, base_url=base_url, sparql_endpoint=sparql_endpoint)
