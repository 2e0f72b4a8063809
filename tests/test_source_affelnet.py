"""The Affelnet 2022 source on real rows: four schools of the académie de Besançon and one placeholder-capacity row.

The indexes the source reads from earlier sources are set by hand:

- ``cfd_of_mefstat11``: the real ``MEF_STAT_11 → FORMATION_DIPLOME`` pairs of ``graph/data/bcn_n_mef.csv``
  for the MEF STAT 11 of the extract, except ``23210022140`` (1CAP2 CREMIER-FROMAGER, CFD 50022140), left
  out on purpose to exercise the "not in BCN N_MEF" error;
- ``schools``: 0250014E from line 5 of the InserJeunes lycées extract and 0251729U from line 8 of the
  InserJeunes CFA extract.

The other indexes come from the ``territoires`` extracts (:func:`cmqgraph.sources.run_before`).
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext, run_before
from cmqgraph.sources.affelnet import Affelnet
from cmqgraph.sources.records import School

DATA = Path(__file__).parent / "data"
TERRITOIRES = ("orion_departements_academies_regions.csv", "academies_geo.json", "regions_geo.json")
AFFELNET = "orion_uai_mefstat_attractivite_2022.csv"

CFD_OF_MEFSTAT11 = {
    "23210022139": "50022139",  # 1CAP2  CUISINE
    "23210022142": "50022142",  # 1CAP2  PROD.SERV.REST. (RAPID,COLL,CAFE)
    "23210031223": "50031223",  # 1CAP2  FLEURISTE
    "23210033411": "50033411",  # 1CAP2  ASS. TECH. MILIEUX FAMIL.COLLECT.
    "23210033412": "50033412",  # 1CAP2  COMMER.SERV.HOTEL-CAFE-RESTAURANT
    "23211021130": "50321130",  # 1CAP2A METIERS DE L'AGRICULTURE
    "23211021405": "50321405",  # 1CAP2A JARDINIER PAYSAGISTE
    "23211033003": "50333003",  # 1CAP2A SERVICES AUX PERS VTE ESP RURAL
    "23810033005": "40033005",  # 2NDPRO ACC.SOINS-SERV.PERS. 2NDE COMMUNE
    "23810033006": "40033006",  # 2NDPRO ANIMAT. ENFANCE& PERSONNES AGEES
    "23810033404": "40033404",  # 2NDPRO MET.HOTEL.-RESTAUR. 2NDE COMMUNE
    "23811021203": "40321203",  # 2DPROA TECHN CONSEIL DE VENTE ANIMALERIE
    "23811021404": "40321404",  # 2DPROA NATURE JARDIN PAYSAGE FORET
    "23811021405": "40321405",  # 2DPROA AMENAGEMENTS PAYSAGERS
    "23811022103": "40322103",  # 2DPROA CONSEIL VENTE
    "23811033001": "40333001",  # 2DPROA SERV PERS TERRIT
    "23820022106": "40022106",  # 1ERPRO CUISINE
    "23820033004": "40033004",  # 1ERPRO ACC.SOINS-S.PERS. OPT.EN STRUCTUR
    "23820033006": "40033006",  # 1ERPRO ANIMAT. ENFANCE& PERSONNES AGEES
    "23820033403": "40033403",  # 1ERPRO COMMERC. SERVICES EN RESTAURATION
}
SCHOOLS = {
    "0250014E": School("0250014E", "Lycée professionnel Condé", "25", "03", "27"),
    "0251729U": School("0251729U", "Maison Familiale Rurale de Morre", "25", "03", "27"),
}


def run(ctx: BuildContext) -> set:
    ctx.indexes["cfd_of_mefstat11"] = dict(CFD_OF_MEFSTAT11)
    ctx.indexes["schools"] = dict(SCHOOLS)
    assert list(run_before("affelnet", ctx)) == ["territoires"]
    ctx.issues.clear()
    return set(Affelnet(ctx).triples())


def offer(uai: str, mefstat11: str):
    return iris.ID[f"offre/{uai}/{mefstat11}"]


def integer(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def test_offer(make_context):
    triples = run(make_context(*TERRITOIRES, AFFELNET))
    node = offer("0250014E", "23820022106")  # line 11: capacity 24, 21 first wishes
    school, training = iris.school("0250014E"), iris.training("40022106")
    assert (node, RDF.type, CMQ.TrainingOffer) in triples
    assert (node, CMQ.offeredBy, school) in triples
    assert (node, CMQ.offeredTraining, training) in triples
    assert (node, CMQ.viaMef, Literal("23820022106")) in triples
    assert (node, CMQ.capacity, integer(24)) in triples
    assert (node, CMQ.firstChoiceDemand, integer(21)) in triples
    assert (node, CMQ.offerYear, Literal("2022", datatype=XSD.gYear)) in triples
    assert (school, CMQ.offers, training) in triples


def test_known_school_is_not_redescribed(make_context):
    triples = run(make_context(*TERRITOIRES, AFFELNET))
    for uai in ("0250014E", "0251729U"):
        assert not any(s == iris.school(uai) and p in (RDF.type, CMQ.uai, SKOS.editorialNote) for s, p, _ in triples)


def test_unnamed_school_is_typed_without_a_name(make_context):
    triples = run(make_context(*TERRITOIRES, AFFELNET))
    school = iris.school("0900246D")
    assert (school, RDF.type, CMQ.School) in triples
    assert (school, CMQ.uai, Literal("0900246D")) in triples
    assert (school, SKOS.notation, Literal("0900246D")) in triples
    assert (school, SKOS.editorialNote, Literal("nom absent des listes fournies (InserJeunes, ACCE)", lang="fr")) in triples
    assert (school, CMQ.inDepartement, iris.departement("90")) in triples
    assert (school, CMQ.inAcademie, iris.academie("03")) in triples
    assert (school, CMQ.inRegion, iris.region("27")) in triples
    assert not any(s == school and p == RDFS.label for s, p, _ in triples)
    aisne = iris.school("0020492Z")
    assert (aisne, CMQ.inAcademie, iris.academie("20")) in triples
    assert (aisne, CMQ.inRegion, iris.region("32")) in triples


def test_duplicated_pairs_are_summed_and_warned(make_context):
    ctx = make_context(*TERRITOIRES, AFFELNET)
    triples = run(ctx)
    cuisine = offer("0250014E", "23210022139")  # lines 2-3: 24 + 0 places, 34 + 5 wishes
    assert {o for s, p, o in triples if s == cuisine and p == CMQ.capacity} == {integer(24)}
    assert {o for s, p, o in triples if s == cuisine and p == CMQ.firstChoiceDemand} == {integer(39)}
    vente = offer("0900246D", "23811022103")  # lines 25-26: 8 + 24 places, 1 + 30 wishes
    assert {o for s, p, o in triples if s == vente and p == CMQ.capacity} == {integer(32)}
    assert {o for s, p, o in triples if s == vente and p == CMQ.firstChoiceDemand} == {integer(31)}
    duplicates = [i for i in ctx.issues if i.message.startswith("duplicated")]
    assert [(i.line, i.value, i.severity) for i in duplicates] == [
        (3, "0250014E 23210022139 (first on line 2)", "warning"),
        (6, "0250014E 23210033411 (first on line 5)", "warning"),
        (26, "0900246D 23811022103 (first on line 25)", "warning"),
    ]
    assert len({s for s, p, o in triples if o == CMQ.TrainingOffer}) == 22  # 26 rows - 3 duplicates - 1 unknown MEF


def test_placeholder_capacity_is_left_out(make_context):
    ctx = make_context(*TERRITOIRES, AFFELNET)
    triples = run(ctx)
    node = offer("0020492Z", "23210022142")  # line 27: capacity 999, 5 wishes
    assert not any(s == node and p == CMQ.capacity for s, p, _ in triples)
    assert (node, CMQ.firstChoiceDemand, integer(5)) in triples
    [issue] = [i for i in ctx.issues if i.column == "Capacité carte scolaire"]
    assert (issue.line, issue.value, issue.severity) == (27, "999", "warning")


def test_mef_not_in_bcn_is_an_error_and_the_row_is_skipped(make_context):
    ctx = make_context(*TERRITOIRES, AFFELNET)
    triples = run(ctx)
    assert offer("0250014E", "23210022140") not in {s for s, _, _ in triples}
    [issue] = [i for i in ctx.issues if i.severity == "error"]
    assert (issue.file, issue.line, issue.column, issue.value) == (AFFELNET, 4, "MEF STAT 11", "23210022140")
    assert issue.message.startswith("MEF STAT 11 not in BCN N_MEF")


def test_wrong_check_letter_is_an_error_and_the_row_is_skipped(tmp_path):
    content = (DATA / AFFELNET).read_bytes().replace(b"0251477V;23811021404", b"0251477W;23811021404")
    (tmp_path / AFFELNET).write_bytes(content)
    ctx = BuildContext(files={n: DATA / n for n in TERRITOIRES} | {AFFELNET: tmp_path / AFFELNET})
    triples = run(ctx)
    assert offer("0251477W", "23811021404") not in {s for s, _, _ in triples}
    assert offer("0251477V", "23811021203") in {s for s, _, _ in triples}
    issue = next(i for i in ctx.issues if i.column == "Etablissement d'accueil")
    assert (issue.file, issue.line, issue.value, issue.severity) == (AFFELNET, 17, "0251477W", "error")
