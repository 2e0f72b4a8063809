"""The full default build: what it holds (checked against the raw files), provenance, isomorphism, SHACL."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox

import cmqgraph
from cmqgraph import iris
from cmqgraph.builder import default_data_dir
from cmqgraph.sources import REGISTRY
from cmqgraph.stats import class_counts, source_table
from cmqgraph.validate import validate, violations

DATA = default_data_dir()


def column(name: str, col: str) -> list[str]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as f:
        return [row[col].strip() for row in csv.DictReader(f, delimiter=";")]


def count(store: Path, query: str) -> int:
    graph = cmqgraph.open_graph(store)
    return int(next(iter(graph.query(query)))[0])


def test_every_source_has_its_named_graph(built):
    store, report = built
    assert [s.name for s in report.sources] == list(REGISTRY)
    table = {row["name"]: row for row in source_table(store=store)}
    assert set(table) == set(REGISTRY)
    quads = Counter(str(q.graph_name.value) for q in cmqgraph.open_store(store).quads_for_pattern(None, None, None, None))
    for s in report.sources:
        # counted from the store's quads, not from what the builder wrote: a source may yield a triple twice
        assert table[s.name]["triples"] == s.triples == quads[str(iris.source_graph(s.name))] > 0
        assert table[s.name]["licence"].startswith("https://")


def test_counts_match_the_raw_files(built):
    store, _ = built
    counts = dict(class_counts(store=store))
    assert counts["cmq:Campus"] == len(column("cmq_campus_list.csv", "nom")) == 105
    assert counts["cmq:Cluster"] == len(column("poles_competitivite.csv", "nom")) == 72
    assert counts["cmq:Sector"] == 12
    assert counts["cmq:Region"] == 18
    assert counts["cmq:Departement"] == 101
    projects = len(column("territoires_innovation_laureats.csv", "nom_projet")) + len(column("pia3_cmq_laureats.csv", "dispositif"))
    assert counts["cmq:RegionalProject"] == projects == 38
    uais = set(column("inserjeunes_lycees_pro_uai_2022_2023.csv", "n°UAI de l'établissement"))
    uais |= set(column("inserjeunes_cfa_uai_2022_2023.csv", "n°UAI de l'établissement"))
    uais |= set(column("cfa_sous_convention_regionale_uai.csv", "numero_uai"))
    uais |= set(column("orion_uai_mefstat_attractivite_2022.csv", "Etablissement d'accueil"))
    uais |= set(column("cmq_membres.csv", "uai")) - {""}
    uais |= {r["uai"] for r in json.loads((DATA / "lycees_geolocalisation_ival_2025.json").read_text(encoding="utf-8"))["lycees"]}
    # the Annuaire's second-degree establishments (its documented rule: these types, natures 3xx/4xx, or a training flag)
    flags = ("Voie_generale", "Voie_technologique", "Voie_professionnelle", "Apprentissage", "Post_BAC", "GRETA")
    with (DATA / "fr-en-annuaire-education.csv").open(encoding="utf-8-sig", newline="") as f:
        uais |= {r["Identifiant_de_l_etablissement"] for r in csv.DictReader(f, delimiter=";")
                 if r["Type_etablissement"] in ("Lycée", "Collège", "EREA", "Autre") or r["code_nature"][:1] in ("3", "4")
                 or any(r[c] == "1" for c in flags)}
    assert counts["cmq:School"] == len(uais) == 7446
    assert counts["cmq:Trade"] == len(column("orion_rome_fiches.csv", "code_rome")) == 609
    assert counts["cmq:Training"] >= len(column("bcn_v_formation_diplome.csv", "FORMATION_DIPLOME")) == 11261


def test_excellence_is_an_event_with_a_date(built):
    store, _ = built
    query = """
    SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {
      ?c a cmq:Campus ; cmq:labelling ?l . ?l cmq:labelType <https://w3id.org/cmqgraph/id/label/excellence> ;
         cmq:labelDate "2020-02-06"^^xsd:date . }"""
    laureates = [v for v in column("cmq_campus_list.csv", "laureat_23_excellence_6fev2020") if v in ("oui", "probable")]
    assert count(store, query) == len(laureates) == 11


def test_mobicampus_overlaps_the_pole_and_the_territoire_d_innovation(built):
    store, _ = built
    query = """
    SELECT (COUNT(*) AS ?n) WHERE {
      ?campus a cmq:Campus ; rdfs:label ?name ; cmq:inAcademie ?aca ; cmq:inRegion ?region ; cmq:sector ?sector .
      FILTER(STRSTARTS(?name, "Mobicampus"))
      ?pole a cmq:Cluster ; rdfs:label "Pôle Véhicule du Futur"@fr ; cmq:inRegion ?region ; cmq:sector ?sector .
      ?ti a cmq:RegionalProject ; cmq:programme <https://w3id.org/cmqgraph/id/programme/ti> ; cmq:territory ?dep .
      ?dep cmq:inAcademie ?aca .
      ?m org:member ?campus ; org:organization ?ti .
    }"""
    assert count(store, query) >= 1


def test_orion_names_link_to_campuses_only_when_unambiguous(built):
    store, _ = built
    query = """
    SELECT ?label ?campus WHERE { ?m a cmq:NameMention ; rdfs:label ?label . OPTIONAL { ?m cmq:mentions/rdfs:label ?campus } }"""
    found = {str(r[0]).rsplit(" - ", 1)[1]: (str(r[1]) if r[1] else None) for r in cmqgraph.open_graph(store).query(query)}
    assert found["Énergie durable"] == "Énergie durable (EDU)"
    assert found["Industrie du futur"] is None  # several campuses carry that theme


def test_provenance_of_each_graph(built):
    store, _ = built
    query = """
    SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {
      GRAPH <https://w3id.org/cmqgraph/graph/meta> { ?g prov:wasDerivedFrom ?d . ?d a cmq:SourceDataset ; dct:license ?l }
    }"""
    assert count(store, query) == len(REGISTRY)


def test_two_builds_are_isomorphic(built, tmp_path):
    """No blank nodes are minted, so isomorphism is equality of the quad sets: compared as Oxigraph's N-Quads lines, sorted
    (a blank node would be written ``_:…`` in subject or object position)."""
    store, _ = built
    cmqgraph.build(store=tmp_path / "again")

    def quads(path: Path) -> list[bytes]:
        return sorted(ox.Store.read_only(str(path)).dump(format=ox.RdfFormat.N_QUADS).splitlines())

    first = quads(store)
    assert not any(line.startswith(b"_:") or b" _:" in line for line in first)
    assert len(first) > 100_000
    assert first == quads(tmp_path / "again")


def test_default_graph_conforms_to_the_shapes(built):
    store, _ = built
    conforms, report, text = validate(store=store)
    assert conforms, "\n".join(f"{v.focus} {v.path} {v.message}" for v in violations(report)[:20])


def test_every_term_the_graph_uses_is_defined_in_french_and_english(built):
    import rdflib
    from rdflib.namespace import RDFS, SKOS

    from cmqgraph.resources import ontology_path

    store, _ = built
    used = {
        str(row[0])
        for row in cmqgraph.open_graph(store).query(
            "SELECT DISTINCT ?t WHERE { { ?s ?t ?o } UNION { ?s a ?t } FILTER(STRSTARTS(STR(?t), STR(cmq:))) }"
        )
    }
    ontology = rdflib.Graph().parse(ontology_path())
    assert len(used) > 100
    for term in sorted(used):
        node = rdflib.URIRef(term)
        for prop in (RDFS.label, SKOS.definition):
            langs = {o.language for o in ontology.objects(node, prop)}
            assert {"fr", "en"} <= langs, f"{term} lacks a French or English {prop}"


def test_the_subjects_of_the_properties_the_saved_queries_join_on_have_the_type_their_domain_gives(built):
    """Saved queries leave out the type patterns that these properties imply (a type pattern made Oxigraph join from
    every instance of the class): on the built graph each subject does have the class of the property's rdfs:domain."""
    store = cmqgraph.open_store(built[0])
    domains = {
        "https://w3id.org/cmqgraph/ontology#scopeOf": "https://w3id.org/cmqgraph/ontology#SectorScope",
        "https://w3id.org/cmqgraph/ontology#linkedSector": "https://w3id.org/cmqgraph/ontology#SpecialityLink",
        "https://w3id.org/cmqgraph/ontology#linkedTraining": "https://w3id.org/cmqgraph/ontology#SpecialityLink",
        "https://w3id.org/cmqgraph/ontology#offers": "https://w3id.org/cmqgraph/ontology#School",
        "http://www.w3.org/ns/org#organization": "http://www.w3.org/ns/org#Membership",
    }
    pairs = " ".join(f"(<{prop}> <{cls}>)" for prop, cls in domains.items())  # the test's own constants
    found = store.query(
        f"SELECT ?p (COUNT(DISTINCT ?s) AS ?all) (COUNT(DISTINCT ?typed) AS ?ok) WHERE {{ VALUES (?p ?class) {{ {pairs} }} "
        "?s ?p ?o OPTIONAL { ?s a ?class BIND(?s AS ?typed) } } GROUP BY ?p",
        use_default_graph_as_union=True,
    )
    counts = {row["p"].value: (int(row["all"].value), int(row["ok"].value)) for row in found}
    assert set(counts) == set(domains)
    for prop, (subjects, typed) in counts.items():
        assert subjects > 0 and typed == subjects, prop
