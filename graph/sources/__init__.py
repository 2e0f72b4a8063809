"""The source table: every source dataset the graph is built from, in build order.

Like rdflib's plugin table, :data:`REGISTRY` maps a name to the module and class that implement it;
:func:`load` imports one on demand. Each module is named after its source, and each source declares
the indexes it reads and publishes (:mod:`cmqgraph.sources.records`): a source reads only what a
source above it publishes, which :func:`check_order` checks before a build reads any file.
:func:`run_until` runs a source after the sources it reads from (for tests and notebooks).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from importlib import import_module

from ..errors import SourceOrderError
from .base import BuildContext, Row, Source, SourceFile, Triple

__all__ = [
    "REGISTRY",
    "load",
    "all_sources",
    "check_order",
    "needs",
    "run_before",
    "run_until",
    "BuildContext",
    "Row",
    "Source",
    "SourceFile",
]

#: name -> (module, class), in build order.
REGISTRY: dict[str, tuple[str, str]] = {
    "territoires": ("cmqgraph.sources.territoires", "Territoires"),
    "filieres": ("cmqgraph.sources.filieres", "Filieres"),
    "rome": ("cmqgraph.sources.rome", "Rome"),
    "onisep": ("cmqgraph.sources.onisep", "Onisep"),
    "bcn_formations": ("cmqgraph.sources.bcn_formations", "BcnFormations"),
    "bcn_mef": ("cmqgraph.sources.bcn_mef", "BcnMef"),
    "familles_metiers": ("cmqgraph.sources.familles_metiers", "FamillesMetiers"),
    "diplomes_pro": ("cmqgraph.sources.diplomes_pro", "DiplomesPro"),
    "kit_apprentissage": ("cmqgraph.sources.kit_apprentissage", "KitApprentissage"),
    "certifinfo": ("cmqgraph.sources.certifinfo", "CertifInfo"),
    "actions_prioritaires": ("cmqgraph.sources.actions_prioritaires", "ActionsPrioritaires"),
    "inserjeunes": ("cmqgraph.sources.inserjeunes", "InserJeunes"),
    "acce": ("cmqgraph.sources.acce", "Acce"),
    "affelnet": ("cmqgraph.sources.affelnet", "Affelnet"),
    "cmq": ("cmqgraph.sources.cmq", "CampusList"),
    "poles": ("cmqgraph.sources.poles", "Poles"),
    "territoires_innovation": ("cmqgraph.sources.territoires_innovation", "TerritoiresInnovation"),
    "pia3": ("cmqgraph.sources.pia3", "Pia3Laureats"),
    "links": ("cmqgraph.sources.links", "Links"),
    "cmq_membres": ("cmqgraph.sources.cmq_membres", "CampusMembers"),
    "lycees_ival": ("cmqgraph.sources.lycees_ival", "LyceesIval"),
    "annuaire_education": ("cmqgraph.sources.annuaire_education", "AnnuaireEducation"),
    "orion_cmq_noms": ("cmqgraph.sources.orion_cmq_noms", "OrionCampusNames"),
    "faits_bfc": ("cmqgraph.sources.faits_bfc", "CuratedFacts"),
    "sector_scope": ("cmqgraph.sources.sector_scope", "SectorScope"),
}


def load(name: str) -> type[Source]:
    """Return the :class:`Source` class registered as ``name``.

    Raises
    ------
    KeyError
        No source has that name.
    """
    try:
        module, cls = REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(REGISTRY)}") from None
    return getattr(import_module(module), cls)


def all_sources() -> list[type[Source]]:
    """Return every registered source class, in build order."""
    return [load(name) for name in REGISTRY]


def _publishers(sources: Mapping[str, type[Source]]) -> dict[str, str]:
    """Map each index to the source that publishes it; raise :class:`SourceOrderError` if two do."""
    publishers: dict[str, str] = {}
    for name, source in sources.items():
        for index in source.publishes:
            if index in publishers:
                raise SourceOrderError(
                    f"table des sources erronée / bad source table: {publishers[index]!r} and {name!r} both publish index {index!r}"
                )
            publishers[index] = name
    return publishers


def check_order(registry: Mapping[str, tuple[str, str]] | None = None) -> None:
    """Check that every source reads only indexes that a source above it publishes, reading no data file.

    Optional reads are checked too: in a build every index a source reads must be there.

    Parameters
    ----------
    registry : mapping, optional
        A table shaped like :data:`REGISTRY` (default: :data:`REGISTRY`).

    Raises
    ------
    SourceOrderError
        A source reads an index that a source below it publishes, or that no source publishes, or two
        sources publish the same index; the message names the sources.

    Examples
    --------
    >>> names = list(REGISTRY)
    >>> names.insert(0, names.pop(names.index("links")))
    >>> check_order({name: REGISTRY[name] for name in names})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cmqgraph.errors.SourceOrderError: ... 'links' reads index 'schools', which 'acce' publishes below it in the source table (move 'acce' above 'links')
    """
    table = REGISTRY if registry is None else registry
    sources = {name: getattr(import_module(module), cls) for name, (module, cls) in table.items()}
    publishers = _publishers(sources)
    above: set[str] = set()
    for name, source in sources.items():
        for index in (*source.reads, *source.optional_reads):
            publisher = publishers.get(index)
            if publisher is None:
                raise SourceOrderError(
                    f"ordre des sources erroné / sources out of order: {name!r} reads index {index!r}, which no source publishes"
                )
            if publisher not in above:
                raise SourceOrderError(
                    f"ordre des sources erroné / sources out of order: {name!r} reads index {index!r}, which {publisher!r} "
                    f"publishes below it in the source table (move {publisher!r} above {name!r})"
                )
        above.add(name)


def needs(name: str, ctx: BuildContext | None = None, skip: Collection[str] = ()) -> list[str]:
    """Return the sources that source ``name`` reads from, directly or through others, in build order.

    An index that ``ctx`` holds already (set by hand in a test) is not needed, nor are the sources of ``skip``.

    >>> needs("cmq")
    ['territoires', 'filieres']
    """
    sources = {source.name: source for source in all_sources()}
    publishers = _publishers(sources)
    held = ctx.indexes if ctx is not None else {}
    wanted: set[str] = set()
    pending = [name]
    while pending:
        source = sources[pending.pop()]
        for index in (*source.reads, *source.optional_reads):
            publisher = publishers.get(index)
            if index not in held and publisher is not None and publisher not in wanted and publisher not in skip:
                wanted.add(publisher)
                pending.append(publisher)
    return [source for source in sources if source in wanted and source != name]


def run_before(name: str, ctx: BuildContext, skip: Collection[str] = ()) -> dict[str, list[Triple]]:
    """Run over ``ctx`` the sources that source ``name`` reads from (see :func:`needs`); return each one's triples.

    A source left out with ``skip`` must be one that ``name`` reads only optionally.
    """
    return {source: list(load(source)(ctx).run()) for source in needs(name, ctx, skip)}


def run_until(name: str, ctx: BuildContext, skip: Collection[str] = ()) -> dict[str, list[Triple]]:
    """Run over ``ctx`` the sources that source ``name`` reads from, then ``name``; return each one's triples, in order."""
    ran = run_before(name, ctx, skip)
    ran[name] = list(load(name)(ctx).run())
    return ran
