"""The HTML pages of the ontology (``ontology/cmq.ttl``), made with pyLODE, one per language."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib.resources import files as package_files
from pathlib import Path

from ..errors import ExportError
from ..output import atomic_file
from . import ExportJob, Format

__all__ = ["DOC_LANGUAGES", "write_pages", "write", "existing"]

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


def write_pages(out: Path, languages: Sequence[str] = DOC_LANGUAGES) -> list[Path]:
    """Write ``ontology.{language}.html`` into ``out`` for each of ``languages``; return them in that order.

    pyLODE shows one label and one definition per term and has no language option, so each page is made
    from the ontology with only that language's literals.
    """
    try:
        from pylode import OntPub
    except Exception as exc:  # pragma: no cover - depends on the installed pyLODE
        raise ExportError(f"pyLODE is not usable ({exc}): pip install 'pylode==3.2.1'") from exc

    pages = []
    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    for language in languages:
        html = OntPub(ontology=_ontology_in(language), sort_subjects=True).make_html()
        page = out / f"ontology.{language}.html"
        with atomic_file(page) as f:
            f.write(html.encode("utf-8"))
        pages.append(page)
    return pages


def write(job: ExportJob, formats: Sequence[Format]) -> list[Path]:
    """Write the pages of every language into ``job.out``; return them sorted by name."""
    return sorted(write_pages(job.out))


def existing(out: Path, fmt: Format) -> list[Path]:
    """Return the ontology pages already in ``out``."""
    return sorted(out.glob("ontology.*.html"))
