"""Orion's « actions prioritaires »: the trainings each région marks as a priority.

Each row gives ``Training cmq:regionalPriorityIn Region``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import iris
from ..iris import CMQ
from .base import Source, SourceFile, Triple
from .bcn_formations import CFD_CODE

__all__ = ["ActionsPrioritaires"]


class ActionsPrioritaires(Source):
    name = "actions_prioritaires"
    title = "Actions prioritaires des régions (Orion) : formations prioritaires par région"
    files = (SourceFile("orion_actions_prioritaires.csv", ("Formation", "cfd", "codeRegion", "codeDispositif")),)
    upstream = "mission-apprentissage/tjp-pilotage: server/static/files/actions_prioritaires.csv @ f02fbb75daaf85b617121e0d414874ed5a4ad657"
    licence_note = (
        "Internal data of the Orion tool (DGESCO / Mission interministérielle apprentissage) kept in its MIT-licensed repository; "
        "Licence Ouverte / Etalab 2.0 assumed, not stated."
    )
    temporal = "not stated (an Orion file of 2023-2025)"
    completeness = (
        "525 rows for 17 régions (Mayotte has none); the date and the act that made each priority are not given. The "
        "dispositif (CAP, bac pro, BTS…) of a row is not kept: the link is from the diploma (CFD)."
    )
    optional_reads = ("cfds", "region_labels")

    def triples(self) -> Iterator[Triple]:
        cfds = self.read_optional("cfds")
        regions = self.read_optional("region_labels")
        seen: set[tuple[str, str]] = set()
        for row in self.rows():
            cfd, region = row["cfd"], row["codeRegion"]
            if not CFD_CODE.match(cfd):
                self.ctx.issue(row, "cfd", "CFD is not 8 letters or digits; row skipped")
                continue
            if not re.fullmatch(r"[0-9]{2}", region) or (regions is not None and region not in regions):
                self.ctx.issue(row, "codeRegion", "not a known région code; row skipped")
                continue
            if (cfd, region) in seen:
                self.ctx.issue(row, "cfd", "training listed twice for this région; first row kept", "warning")
                continue
            seen.add((cfd, region))
            if cfds is not None and cfd not in cfds:
                self.ctx.issue(row, "cfd", "CFD not in the BCN diploma table; link kept", "warning")
            yield iris.training(cfd), CMQ.regionalPriorityIn, iris.region(region)
