"""Facts on Mobicampus, the Pôle Véhicule du Futur and the Nord Franche-Comté *Territoire d'innovation*.

Curated by hand from web pages (``curated_facts_cmq_ti_poles_bfc.csv``: entity, attribute, value,
source, remark). Every row is kept verbatim as a ``cmq:CuratedFact`` about the entity it names; the
attributes listed in :data:`HANDLERS` are also turned into structured statements (declared figures,
the support's start year, partners, the campus's part in a project, the pôle's phases).

Entities are found by name: ``CMQ …`` among the campuses, ``Pôle …`` among the pôles, ``TI …``
among the *Territoires d'innovation*, ``… (national)`` among the programmes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, SKOS, TIME, XSD

from .. import iris
from ..iris import CMQ
from .base import Row, Source, SourceFile, Triple, year_literal
from .cmq import labelling
from .curated import certainty_of, membership, organisation, resolve_regions
from .links import best_match
from .poles import parse_phase

__all__ = ["CuratedFacts", "HANDLERS", "NATIONAL"]

#: Entities named "… (national)" and the concept they are about.
NATIONAL = {
    "territoires-d-innovation": iris.programme("ti"),
    "tip-pia3-cmq": iris.programme("tip-cmq"),
    "poles-de-competitivite": iris.ID["label"],
}

_FIGURES = {
    "etudiant": CMQ.declaredStudentCount,
    "formation": CMQ.declaredTrainingCount,
    "metier": CMQ.declaredTradeCount,
    "etablissement": CMQ.declaredSchoolCount,
}


class CuratedFacts(Source):
    name = "faits_bfc"
    title = "Faits sur Mobicampus, le Pôle Véhicule du Futur et le Territoire d'innovation du Nord Franche-Comté"
    files = (SourceFile("curated_facts_cmq_ti_poles_bfc.csv", ("entite", "attribut", "valeur", "source_url", "remarque")),)
    upstream = "curated by hand from public web pages (press, universities, gouvernement.fr); the URL of each fact is in the file"
    licence_note = "Facts collected from public web pages, not open data; the compilation is published under the project's licence."
    temporal = "2005-2025"
    completeness = (
        "31 facts on three entities of Nord Franche-Comté and on the national frameworks, from search excerpts; some years are inferred "
        "(see each remark). The 15 member schools of Mobicampus are not named by any source."
    )
    reads = ("campuses", "clusters", "ti_projects", "support_of_campus", "organisation_aliases", "regions_by_name")

    def triples(self) -> Iterator[Triple]:
        for row in self.rows():
            subject = self._entity(row)
            if subject is None:
                continue
            fact = iris.curated_fact(row["entite"], row["attribut"])
            yield fact, RDF.type, CMQ.CuratedFact
            yield fact, CMQ.about, subject
            yield fact, CMQ.attribute, Literal(row["attribut"])
            yield fact, RDF.value, Literal(row["valeur"], lang="fr")
            for url in re.split(r"\s+[;|]\s+", row["source_url"]):
                if url.startswith("http"):
                    yield fact, DCTERMS.source, URIRef(url)
            if row["remarque"]:
                yield fact, SKOS.editorialNote, Literal(row["remarque"], lang="fr")
            yield fact, CMQ.certainty, certainty_of(row["remarque"], row["valeur"])
            yield fact, CMQ.sourceRowNumber, Literal(row.line)
            handler = next((h for prefix, h in HANDLERS.items() if row["attribut"].startswith(prefix)), None)
            if handler is not None:
                yield from handler(self, row, subject)

    def _entity(self, row: Row) -> URIRef | None:
        name = row["entite"]
        key = iris.slug(re.sub(r"\s*\(national\)$", "", name))
        if name.endswith("(national)"):
            found = NATIONAL.get(key)
        elif name.startswith("CMQ "):
            found = self._find("campuses", name[4:])
        elif name.startswith("TI "):
            found = self._find("ti_projects", name[3:])
        else:
            found = self._find("clusters", name)
        if found is None:
            self.ctx.issue(row, "entite", "no campus, pôle, project or programme of that name in the graph; fact skipped")
        return found

    def _find(self, index: str, name: str) -> URIRef | None:
        match = best_match(name, [(item.iri, item.name) for item in self.read(index)])
        return match[0] if match else None

    def _figures(self, row: Row, subject: URIRef) -> Iterator[Triple]:
        year = year_literal(row["attribut"])
        for number, word in re.findall(r"(\d[\d\s ]*)\s+([^\s;]+)", row["valeur"]):
            prop = _FIGURES.get(iris.slug(word).rstrip("s"))
            if prop is not None:
                yield subject, prop, Literal(int(re.sub(r"\D", "", number)), datatype=XSD.integer)
        if year is not None:
            yield subject, CMQ.declaredIn, year

    def _support_period(self, row: Row, subject: URIRef) -> Iterator[Triple]:
        support = self.read("support_of_campus").get(subject)
        start = re.search(r"depuis[^0-9]*((?:19|20)\d{2})", row["valeur"])
        if support is None or start is None:
            self.ctx.issue(row, "valeur", "no support membership or start year to attach; kept as a fact only", "warning")
            return
        node = support.membership
        period, begin = URIRef(f"{node}/periode"), URIRef(f"{node}/periode/debut")
        yield node, ORG.memberDuring, period
        yield period, RDF.type, TIME.Interval
        yield period, TIME.hasBeginning, begin
        yield begin, RDF.type, TIME.Instant
        yield begin, TIME.inXSDgYear, Literal(start.group(1), datatype=XSD.gYear)

    def _project_link(self, row: Row, subject: URIRef) -> Iterator[Triple]:
        quoted = re.findall(r"«\s*([^»]+?)\s*»", row["valeur"])
        projects = [(p.iri, p.name) for p in self.read("ti_projects")]
        for title in quoted:
            match = best_match(title, projects)
            if match:
                node, triples = membership(subject, match[0], "campus-associe")
                yield from triples
                yield node, DCTERMS.source, URIRef(row["source_url"].split()[0])

    def _partners(self, row: Row, subject: URIRef) -> Iterator[Triple]:
        value = re.sub(r"\([^)]*\)", "", row["valeur"])
        if "partenaires" in value:
            value = value.split("partenaires", 1)[1]
        aliases = self.read("organisation_aliases")
        for part in re.split(r"\s*[;,]\s*", value):
            name = part.strip()
            if not name:
                continue
            org = aliases.get(iris.slug(name))
            if org is None:
                org, triples = organisation(name)
                yield from triples
            node, triples = membership(org, subject, "partenaire")
            yield from triples

    def _phases(self, row: Row, subject: URIRef) -> Iterator[Triple]:
        for phase_text in re.findall(r"phase\s+([IV]+\s+\d{4}-\d{4})", row["valeur"]):
            phases, start, end = parse_phase(phase_text)
            for number in phases:
                event, triples = labelling(subject, f"pole-phase-{number}", Literal(start, datatype=XSD.gYear), certainty_of(row["remarque"]))
                yield from triples
                yield event, CMQ.labelEnd, Literal(end, datatype=XSD.gYear)

    def _regions(self, row: Row, subject: URIRef) -> Iterator[Triple]:
        for code in resolve_regions(self, Row(row.file, row.line, {"valeur": row["valeur"].replace(";", ",")}), "valeur"):
            yield subject, CMQ.inRegion, iris.region(code)


#: Attribute (prefix) → method that turns the fact into structured statements.
HANDLERS: dict[str, Callable[[CuratedFacts, Row, URIRef], Iterator[Triple]]] = {
    "chiffres_": CuratedFacts._figures,
    "etablissement_porteur": CuratedFacts._support_period,
    "lien_TI": CuratedFacts._project_link,
    "partenaires_superieur": CuratedFacts._partners,
    "porteurs": CuratedFacts._partners,
    "labellisations": CuratedFacts._phases,
    "regions": CuratedFacts._regions,
}
