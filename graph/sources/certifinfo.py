"""Certif Info (Réseau Carif-Oref, as copied by Orion): certifications with their ROME codes, RNCP fiche and CFD.

Each record is a ``cmq:Certification`` (its Certif Info number, not a CFD) that ``cmq:leadsToTrade``
up to five ROME fiches, ``cmq:hasRncp`` its RNCP fiche and ``cmq:certifies`` the Training whose CFD
is in ``Code_Scolarité``. The Training → Trade shortcuts are made by the ``links`` source from the
``trades_of_cfd`` index.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from .. import iris
from ..iris import CMQ
from .base import Row, Source, SourceFile, Triple, text
from .bcn_formations import CFD_CODE
from .diplomes_pro import rncp_code
from .rome import ROME_CODE

__all__ = ["CertifInfo"]

_ROME_COLUMNS = tuple(f"Code_Rome_{n}" for n in range(1, 6))


class CertifInfo(Source):
    name = "certifinfo"
    title = "Certif Info (Réseau Carif-Oref) : certifications, métiers ROME, fiches RNCP et CFD"
    files = (
        SourceFile(
            "certifinfo_diplomes_rome_rncp.csv",
            (
                "Code_Diplome", "Libelle_Diplome", "Libelle_Type_Diplome", "Code_Niveau_Europeen", "Code_FormaCode", *_ROME_COLUMNS,
                "Code_Nsf", "Code_RNCP", "Code_Scolarité",
            ),
        ),
    )
    upstream = "mission-apprentissage/tjp-pilotage: server/static/files/certif_info.csv @ 282273ad081e719297ce8b867888ec6ee0b51f4e"
    licence_note = (
        "Unverified: Certif Info is published by the Réseau des Carif-Oref, whose terms of reuse were not checked; the file is "
        "a copy kept in Orion's MIT-licensed repository. Licence Ouverte / Etalab 2.0 is assumed, not confirmed."
    )
    temporal = "2007-2024 (Date_MaJ of the records; latest 28 June 2024)"
    completeness = (
        "10,067 rows for 9,923 certifications (duplicates differ only in codeIdeo2 or Code_RS; the first row is kept). Only "
        "3,761 rows carry a CFD; about 2,500 name no ROME code; 76 ROME codes are not ROME 4.0 fiches (e.g. M1700) and are left out."
    )
    optional_reads = ("rome_codes", "cfds")
    publishes = ("trades_of_cfd",)

    def triples(self) -> Iterator[Triple]:
        cfds = self.read_optional("cfds")
        seen: set[str] = set()
        trades_of_cfd: dict[str, set[str]] = {}
        for row in self.rows():
            code = row["Code_Diplome"]
            if not code.isdigit():
                self.ctx.issue(row, "Code_Diplome", "Certif Info number is not a number; row skipped")
                continue
            if code in seen:
                self.ctx.issue(row, "Code_Diplome", "certification listed twice; first row kept", "warning")
                continue
            seen.add(code)
            node = iris.certification(code)
            yield node, RDF.type, CMQ.Certification
            yield node, SKOS.notation, Literal(code)
            label = text(row["Libelle_Diplome"])
            if label is not None:
                yield node, RDFS.label, label
            if row["Libelle_Type_Diplome"]:
                yield node, CMQ.certificationType, text(row["Libelle_Type_Diplome"])
            if re.fullmatch(r"[1-8]", row["Code_Niveau_Europeen"]):
                yield node, CMQ.europeanLevel, Literal(int(row["Code_Niveau_Europeen"]), datatype=XSD.integer)
            for column, prop in (("Code_FormaCode", CMQ.formacode), ("Code_Nsf", CMQ.nsfCode)):
                if row[column]:
                    yield node, prop, Literal(row[column])
            romes = list(self._trades(row))
            for rome in romes:
                yield node, CMQ.leadsToTrade, iris.trade(rome)
            yield from self._rncp(node, row)
            cfd = row["Code_Scolarité"]
            if not cfd:
                continue
            if not CFD_CODE.match(cfd):
                self.ctx.issue(row, "Code_Scolarité", "CFD is not 8 letters or digits; no Training link, rest of the row kept")
                continue
            if cfds is not None and cfd not in cfds:
                self.ctx.issue(row, "Code_Scolarité", "CFD not in the BCN diploma table; link kept", "warning")
            yield node, CMQ.certifies, iris.training(cfd)
            trades_of_cfd.setdefault(cfd, set()).update(romes)
        self.publish("trades_of_cfd", {cfd: frozenset(romes) for cfd, romes in trades_of_cfd.items() if romes})

    def _trades(self, row: Row) -> Iterator[str]:
        known = self.read_optional("rome_codes")
        for column in _ROME_COLUMNS:
            rome = row[column]
            if not rome:
                continue
            if not ROME_CODE.match(rome):
                self.ctx.issue(row, column, "not a ROME code (letter A-N and 4 digits); no link for it, rest of the row kept")
            elif known is not None and rome not in known:
                self.ctx.issue(row, column, "ROME code not in the ROME 4.0 fiches; no link for it", "warning")
            else:
                yield rome

    def _rncp(self, node: URIRef, row: Row) -> Iterator[Triple]:
        if not row["Code_RNCP"]:
            return
        rncp = rncp_code(row["Code_RNCP"])
        if rncp is None:
            self.ctx.issue(row, "Code_RNCP", "not an RNCP code (digits); no RNCP link, rest of the row kept")
            return
        yield node, CMQ.hasRncp, iris.rncp(rncp)
        yield iris.rncp(rncp), RDF.type, CMQ.RncpCertification
        yield iris.rncp(rncp), SKOS.notation, Literal(rncp)
