"""The source table: every source dataset the graph is built from, in build order.

Like rdflib's plugin table, :data:`REGISTRY` maps a name to the module and class that implement it;
:func:`load` imports one on demand. A source may read indexes published by any source above it.
"""

from __future__ import annotations

from importlib import import_module

from .base import BuildContext, Row, Source, SourceFile

__all__ = ["REGISTRY", "load", "all_sources", "BuildContext", "Row", "Source", "SourceFile"]

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
    "territoires_innovation": ("cmqgraph.sources.projets", "TerritoiresInnovation"),
    "pia3": ("cmqgraph.sources.projets", "Pia3Laureats"),
    "links": ("cmqgraph.sources.links", "Links"),
    "orion_cmq_noms": ("cmqgraph.sources.orion_noms", "OrionCampusNames"),
    "faits_bfc": ("cmqgraph.sources.faits", "CuratedFacts"),
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
