"""The France compétences « Kit apprentissage » of 18 December 2023: CFD ↔ RNCP fiche.

Each RNCP fiche gets its level, whether it is open to apprenticeship, its expiry date and whether it
is active; each Training ``cmq:hasRncp`` its fiche. The Kit gives the DEPP title of each CFD, not
the fiche's own title: a fiche shared by several CFDs (the options of a diploma) is labelled with
the title of its first CFD, the other titles being ``skos:altLabel``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from .. import iris
from ..iris import CMQ
from .base import Source, SourceFile, Triple, text
from .bcn_formations import CFD_CODE, french_date
from .diplomes_pro import RNCP_CODE

__all__ = ["KitApprentissage"]

_LEVEL = re.compile(r"^Niveau ([1-8])$")
_BOOLEANS = {"oui": True, "non": False, "ACTIVE": True, "INACTIVE": False}
_ACCESS = "Accès à l'apprentissage de la fiche RNCP (oui/non)"
_EXPIRY = "Date d'échéance de la fiche RNCP"
_ACTIVE = "Fiche ACTIVE/INACTIVE"


class KitApprentissage(Source):
    name = "kit_apprentissage"
    title = "Kit apprentissage de France compétences (correspondance CFD – fiche RNCP)"
    files = (
        SourceFile(
            "kit_apprentissage_cfd_rncp_20231218.csv",
            ("Code_Diplome", "Intitulé diplôme (DEPP)", "Code_RNCP", "Niveau fiche RNCP", _ACCESS, _EXPIRY, _ACTIVE),
        ),
    )
    upstream = (
        "mission-apprentissage/tables-correspondances: server/src/jobs/rncpImporter/assets/Kit_apprentissage_20231218.csv "
        "@ 5cb4497165c9ed3e0433ef2f9fd52c38e98d606c"
    )
    temporal = "2023-12-18"
    completeness = (
        "5,707 CFD–RNCP pairs (3,494 RNCP fiches) of 18 December 2023; 37 CFDs without a fiche (NR) are skipped; 35 CFDs "
        "are not in the 2025 BCN table. The fiches' own titles are not given (the DEPP title of the CFD is used)."
    )
    optional_reads = ("cfds",)

    def triples(self) -> Iterator[Triple]:
        known = self.read_optional("cfds")
        fiches: set[str] = set()
        labels: set[tuple[str, Literal]] = set()
        pairs: set[tuple[str, str]] = set()
        for row in self.rows():
            cfd, rncp = row["Code_Diplome"], row["Code_RNCP"]
            if not CFD_CODE.match(cfd):
                self.ctx.issue(row, "Code_Diplome", "CFD is not 8 letters or digits; row skipped")
                continue
            if rncp == "NR":
                self.ctx.issue(row, "Code_RNCP", "no RNCP fiche for this CFD (NR); row skipped", "skipped")
                continue
            if not RNCP_CODE.match(rncp):
                self.ctx.issue(row, "Code_RNCP", "not an RNCP code (RNCP and digits); row skipped")
                continue
            if (cfd, rncp) in pairs:
                self.ctx.issue(row, "Code_RNCP", "CFD–RNCP pair listed twice; first row kept", "warning")
                continue
            pairs.add((cfd, rncp))
            if known is not None and cfd not in known:
                self.ctx.issue(row, "Code_Diplome", "CFD not in the BCN diploma table; link kept", "warning")
            node = iris.rncp(rncp)
            yield iris.training(cfd), CMQ.hasRncp, node
            label = text(row["Intitulé diplôme (DEPP)"])
            if label is not None and (rncp, label) not in labels:
                labels.add((rncp, label))
                yield node, RDFS.label if rncp not in fiches else SKOS.altLabel, label
            if rncp in fiches:
                continue
            fiches.add(rncp)
            yield node, RDF.type, CMQ.RncpCertification
            yield node, SKOS.notation, Literal(rncp)
            level = _LEVEL.match(row["Niveau fiche RNCP"])
            if level:
                yield node, CMQ.rncpLevel, Literal(int(level.group(1)), datatype=XSD.integer)
            for column, prop in ((_ACCESS, CMQ.apprenticeshipAccess), (_ACTIVE, CMQ.rncpActive)):
                if row[column] in _BOOLEANS:
                    yield node, prop, Literal(_BOOLEANS[row[column]], datatype=XSD.boolean)
            if row[_EXPIRY]:
                expiry = french_date(row[_EXPIRY])
                if expiry is None:
                    self.ctx.issue(row, _EXPIRY, "not a dd/mm/yyyy date; expiry left out", "warning")
                else:
                    yield node, CMQ.rncpExpiry, expiry
