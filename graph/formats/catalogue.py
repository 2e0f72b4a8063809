"""The DCAT-AP 3 catalogue of an export: ``catalog.ttl`` and ``catalog.jsonld``, one distribution per other file.

The catalogue itself is made by :func:`cmqgraph.dcat.catalogue`; this module writes it, deterministically
(the JSON-LD sorted, the dates from ``SOURCE_DATE_EPOCH``, else from the build's ``prov:endedAtTime``).
It comes last in the format table: it describes the files the same export wrote before it or, alone, the
files of an earlier export already in the folder.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import PROV

from ..errors import ExportError, ExportWarning
from ..iris import BUILD, is_web_url
from ..output import atomic_file, source_date_epoch
from . import ExportJob, Format, export_formats, family

__all__ = ["NO_BASE_URL_WARNING", "NAMES", "release_date", "check_base_url", "write_catalogue", "write", "existing"]

#: The warning of a catalogue written without a base URL (French, then English).
NO_BASE_URL_WARNING = (
    "catalogue sans --base-url : ses URL de téléchargement sont les fichiers locaux (file://) ; avant de publier, relancez "
    "l'export avec --base-url URL, l'adresse où les fichiers seront en ligne / catalogue without --base-url: its download "
    "URLs are the local files (file://); before publishing, export again with --base-url URL, the address the files will be online at"
)

#: The files of the catalogue.
NAMES = ("catalog.ttl", "catalog.jsonld")


def release_date(store: ox.Store) -> dt.date:
    """Return the date of the release: ``SOURCE_DATE_EPOCH``, else the build's ``prov:endedAtTime``, else today (UTC)."""
    epoch = source_date_epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, dt.UTC).date()
    for quad in store.quads_for_pattern(ox.NamedNode(BUILD), ox.NamedNode(str(PROV.endedAtTime)), None, None):
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


def check_base_url(base_url: str) -> None:
    """Raise :class:`~cmqgraph.errors.ExportError` unless ``base_url`` is an absolute http(s) or ftp(s) URL."""
    if not is_web_url(base_url, ("http", "https", "ftp", "ftps")):
        raise ExportError(
            f"--base-url doit être une URL http(s) ou ftp(s) absolue, pas {base_url!r} / "
            f"--base-url must be an absolute http(s) or ftp(s) URL, not {base_url!r}"
        )


def write_catalogue(
    store: ox.Store, out: Path, files: Sequence[Path], base_url: str | None = None, sparql_endpoint: str | None = None, stacklevel: int = 2
) -> tuple[Path, Path]:
    """Write the catalogue of ``files`` into ``out`` (see :func:`cmqgraph.export.export_dcat`)."""
    from ..dcat import catalogue

    if base_url is None:
        warnings.warn(NO_BASE_URL_WARNING, ExportWarning, stacklevel=stacklevel + 1)
    else:
        check_base_url(base_url)
    graph = catalogue(store, [Path(f) for f in files], base_url, sparql_endpoint, release_date(store))
    ttl, jsonld = (out / name for name in NAMES)
    with atomic_file(ttl) as f:
        f.write(graph.serialize(format="turtle").encode("utf-8"))
    with atomic_file(jsonld) as f:
        f.write(_sorted_jsonld(graph))
    return ttl, jsonld


def write(job: ExportJob, formats: Sequence[Format]) -> list[Path]:
    """Write the catalogue of the files written so far (none: of those of the other formats already in ``job.out``)."""
    described = job.written or [p for f in export_formats() if f.family != __name__.rsplit(".", 1)[1] for p in family(f).existing(job.out, f)]
    return list(write_catalogue(job.store, job.out, described, job.base_url, job.sparql_endpoint, stacklevel=4))


def existing(out: Path, fmt: Format) -> list[Path]:
    """Return the catalogue files already in ``out``."""
    return [out / n for n in NAMES if (out / n).exists()]
