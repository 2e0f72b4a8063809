"""Cross-source links (support establishments, laureate campuses, pôle sectors) and the curated BFC facts."""

from __future__ import annotations

from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.namespace import ORG, RDF, SKOS, TIME, XSD

from cmqgraph import iris
from cmqgraph.builder import default_data_dir
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext, needs, run_until
from cmqgraph.sources.links import best_match, clean_support_name

from conftest import DATA

MOBICAMPUS = iris.campus("Besançon", "Mobicampus – Automobile et mobilités du futur (Nord Franche-Comté)")
PLASTICAMPUS = iris.campus("Lyon", "Plasticampus (Plasti Campus d'Oyonnax-Bellignat) – plasturgie")
VDF = iris.cluster("Pôle Véhicule du Futur")
TI_NFC = iris.project("ti", "Transformation d'un territoire industriel (Nord Franche-Comté)")
LYCEES = "inserjeunes_lycees_pro_uai_2022_2023.csv"


def build_all(tmp_path):
    """Run the facts, the links and every source they need (over tests/data); the lycées are those of académie de Lyon (Ain, Loire, Rhône) in the real file."""
    rows = (default_data_dir() / LYCEES).read_text(encoding="utf-8").splitlines()
    lyon = [rows[0]] + [r for r in rows[1:] if r[:3] in ("001", "042", "069")]
    (tmp_path / LYCEES).write_text("\n".join(lyon) + "\n", encoding="utf-8")
    ctx = BuildContext(files={p.name: p for p in DATA.iterdir() if p.suffix in (".csv", ".json")} | {LYCEES: tmp_path / LYCEES})
    ran = run_until("faits_bfc", ctx) | run_until("orion_cmq_noms", ctx)  # the second runs only what the first did not
    assert list(ran) == [*needs("faits_bfc"), "faits_bfc", "orion_cmq_noms"]
    return ctx, {triple for triples in ran.values() for triple in triples}, len(lyon) - 1


def test_the_facts_need_the_links_and_what_the_links_read():
    assert needs("faits_bfc") == [
        "territoires", "filieres", "rome", "bcn_formations", "certifinfo", "inserjeunes", "acce", "cmq", "poles",
        "territoires_innovation", "pia3", "links",
    ]


def test_support_matched_to_a_school_by_name(tmp_path):
    _, triples, lyon_rows = build_all(tmp_path)
    assert lyon_rows > 100  # a real académie's worth of lycées, so the match must be unique among them
    arbez = iris.school("0011119L")
    assert (PLASTICAMPUS, CMQ.supportEstablishment, arbez) in triples
    membership = iris.membership(arbez, PLASTICAMPUS, "support")
    assert (membership, ORG.role, iris.role("support")) in triples
    assert (membership, CMQ.matchScore, Literal(Decimal("1.0"), datatype=XSD.decimal)) in triples
    assert (membership, CMQ.matchedName, Literal("Lycée polyvalent Arbez Carme", lang="fr")) in triples


def test_support_without_uai_becomes_an_organisation(tmp_path):
    _, triples, _ = build_all(tmp_path)
    utbm = iris.organisation("universite-de-technologie-de-belfort-montbeliard")
    assert (MOBICAMPUS, CMQ.supportEstablishment, utbm) in triples
    assert (utbm, RDF.type, ORG.Organization) in triples
    assert (utbm, SKOS.altLabel, Literal("UTBM")) in triples


def test_curated_facts_become_statements(tmp_path):
    ctx, triples, _ = build_all(tmp_path)
    figures = {p: o for s, p, o in triples if s == MOBICAMPUS and str(p).startswith(f"{CMQ}declared")}
    assert figures == {
        CMQ.declaredStudentCount: Literal(3000),
        CMQ.declaredTrainingCount: Literal(60),
        CMQ.declaredTradeCount: Literal(45),
        CMQ.declaredSchoolCount: Literal(15),
        CMQ.declaredIn: Literal("2020", datatype=XSD.gYear),
    }
    utbm = iris.organisation("universite-de-technologie-de-belfort-montbeliard")
    support = iris.membership(utbm, MOBICAMPUS, "support")
    begin = URIRef(f"{support}/periode/debut")
    assert (begin, TIME.inXSDgYear, Literal("2019", datatype=XSD.gYear)) in triples
    assert (iris.membership(utbm, MOBICAMPUS, "partenaire"), ORG.role, iris.role("partenaire")) in triples
    in_project = iris.membership(MOBICAMPUS, TI_NFC, "campus-associe")
    assert (in_project, ORG.organization, TI_NFC) in triples
    phase4 = URIRef(f"{VDF}/labellisation/pole-phase-4")
    assert (phase4, CMQ.labelYear, Literal("2019", datatype=XSD.gYear)) in triples
    assert (phase4, CMQ.labelEnd, Literal("2022", datatype=XSD.gYear)) in triples
    facts = {s for s, p, o in triples if p == CMQ.about}
    assert len(facts) == 31 and not [i for i in ctx.issues if i.file.startswith("curated")]


def test_pole_sector_by_keyword(tmp_path):
    _, triples, _ = build_all(tmp_path)
    mobility = iris.sector("Mobilité, aéronautique, transports terrestres et maritimes")
    assert (VDF, CMQ.sector, mobility) in triples
    match = URIRef(f"{VDF}/filiere/{iris.slug('Mobilité, aéronautique, transports terrestres et maritimes')}")
    assert (match, CMQ.matchedKeyword, Literal("vehicul")) in triples
    assert (MOBICAMPUS, CMQ.sector, mobility) in triples


def test_laureate_campus_and_name_mentions(tmp_path):
    _, triples, _ = build_all(tmp_path)
    plasti_project = iris.project("tip-cmq", "Plasticampus (support: lycée Arbez Carme, Bellignat)")
    assert (iris.membership(PLASTICAMPUS, plasti_project, "campus-associe"), ORG.member, PLASTICAMPUS) in triples
    assert len({s for s, p, o in triples if o == CMQ.NameMention}) == 9
    assert not {o for s, p, o in triples if p == CMQ.mentions}  # no Orion theme names a campus of the extract


def test_name_matching_rules():
    assert clean_support_name("Lycée Dhuoda / GRETA-CFA Gard-Lozère (direction)") == "Lycée Dhuoda"
    schools = [(iris.school("0382203N"), "Lycée polyvalent Pablo Neruda"), (iris.school("0441656L"), "Lycée professionnel Pablo Neruda")]
    assert best_match("Lycée Pablo Neruda", schools) is None  # a tie is not a match
    assert best_match("Université de Strasbourg – IUT Robert Schuman", [(iris.school("0670085Z"), "Lycée Robert Schuman")]) is None
