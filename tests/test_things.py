"""A page for every thing: ``cmqgraph serve`` dereferences the IRIs the graph mints (``/id/…``, ``/ontology``, ``/graph/NAME``).

Over real HTTP on the full default graph (the shared ``cmqgraph_server`` of :mod:`servers`, and one with a
public URL). Each RDF answer is parsed back with pyoxigraph and compared with the store's own triples for
the IRI (read here with ``quads_for_pattern``, not through the code under test); the pages' values are
those of the shipped files (``graph/data/cmq_membres.csv``, ``cmq_campus_list.csv``,
``curated_facts_cmq_ti_poles_bfc.csv``, ``certifinfo_diplomes_rome_rncp.csv``, ``orion_rome_fiches.csv``).
"""
# ruff: noqa: F811  (the server fixture is imported from servers.py, then named as a test argument)

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest
import requests
from servers import cmqgraph_server, start_cmqgraph  # noqa: F401  (pytest fixture)

from cmqgraph import network as net
from cmqgraph import view as v
from cmqgraph.resources import ontology_path

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parent.parent / "graph" / "data"
BASE = "https://w3id.org/cmqgraph/"
MOBICAMPUS_LABEL = "Mobicampus – Automobile et mobilités du futur (Nord Franche-Comté)"
MOBICAMPUS = BASE + "id/campus/besancon/mobicampus-automobile-et-mobilites-du-futur-nord-franche-comte"
MANDELA = BASE + "id/etablissement/0250001R"
TRAINING = BASE + "id/formation/40031213"
TRADE = BASE + "id/rome/D1403"
REGION = BASE + "id/region/27"
#: What a browser sends.
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
#: Media type → pyoxigraph format, and the suffix that chooses it.
FORMATS = {
    "text/turtle": (ox.RdfFormat.TURTLE, "ttl"),
    "application/ld+json": (ox.RdfFormat.JSON_LD, "jsonld"),
    "application/n-triples": (ox.RdfFormat.N_TRIPLES, "nt"),
    "application/rdf+xml": (ox.RdfFormat.RDF_XML, "rdf"),
}
LABELS = {"http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel", "http://purl.org/dc/terms/title"}


def path_of(iri: str) -> str:
    return "/" + iri[len(BASE):]


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


@pytest.fixture(scope="module")
def server(cmqgraph_server):
    return cmqgraph_server


@pytest.fixture(scope="module")
def store(built):
    """The built store, read here (read-only) beside the server."""
    return ox.Store.read_only(str(built[0]))


@pytest.fixture(scope="module")
def public(built, tmp_path_factory):
    """A server whose public URL is https://cmq.example.org/graphe (behind a proxy, say)."""
    with start_cmqgraph(built[0], tmp_path_factory.mktemp("public"), "--public-url", "https://cmq.example.org/graphe/") as running:
        yield running


def get(server, path: str, accept: str | None = None, method: str = "GET") -> requests.Response:
    headers = {"Accept": accept} if accept is not None else {}
    return requests.request(method, server.base + path, headers=headers, timeout=120, allow_redirects=False)


def parse(body: bytes, media: str) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(body, format=FORMATS[media][0])}


def vocabulary_triples() -> list[ox.Triple]:
    return [q.triple for q in ox.parse(path=str(ontology_path()), format=ox.RdfFormat.TURTLE)]


@pytest.fixture(scope="module")
def vocabulary() -> ox.Store:
    """ontology/cmq.ttl, parsed here: it labels the classes, properties and the certainty levels, roles… the graph links to."""
    store = ox.Store()
    store.load(path=str(ontology_path()), format=ox.RdfFormat.TURTLE)
    return store


def expected_description(store: ox.Store, vocabulary: ox.Store, iri: str) -> tuple[set[ox.Triple], set[ox.Triple], set[ox.Triple]]:
    """The triples about ``iri`` in the store: its own, those that link to it, and the labels of both sides (in the store
    and in the vocabulary)."""
    me = ox.NamedNode(iri)
    own = {q.triple for q in store.quads_for_pattern(me, None, None, None)}
    incoming = {q.triple for q in store.quads_for_pattern(None, None, me, None)}
    neighbours = {t.object for t in own if isinstance(t.object, ox.NamedNode)} | {t.subject for t in incoming if isinstance(t.subject, ox.NamedNode)}
    labels = {q.triple for s in (store, vocabulary) for n in neighbours for p in LABELS for q in s.quads_for_pattern(n, ox.NamedNode(p), None, None)
              if isinstance(q.object, ox.Literal)}
    return own, incoming, labels


def headings(page: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])\b", page)]


def assert_headings_in_order(page: str) -> None:
    levels = headings(page)
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"h{before} then h{after}: {levels}"


def local_links(page: str) -> list[str]:
    return sorted({html.unescape(h) for h in re.findall(r'<a [^>]*href="(/[^"]*)"', page)})


def table(page: str, table_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert match, f"no table #{table_id}"
    return match.group(0)


# ---------------------------------------------------------------------------------------------- content negotiation


@pytest.mark.parametrize("media", list(FORMATS))
def test_each_format_parses_back_to_the_stores_triples(server, store, vocabulary, media):
    """Accept chooses the syntax; the description is the IRI's triples, what links to it and the labels of both, no more."""
    answer = get(server, path_of(MANDELA), media)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0] == media
    assert "Accept" in answer.headers["Vary"]
    assert answer.headers["Content-Location"] == path_of(MANDELA) + "." + FORMATS[media][1]
    got = parse(answer.content, media)
    own, incoming, labels = expected_description(store, vocabulary, MANDELA)
    me = ox.NamedNode(MANDELA)
    assert {t for t in got if t.subject == me} == own
    assert {t for t in got if t.object == me} == incoming  # 43 links, under the cap
    assert {t for t in got if t.subject != me and t.object != me} == labels
    # what cmq_membres.csv says of the school: its name and town
    school = next(r for r in rows("cmq_membres.csv") if r["uai"] == "0250001R")
    names = {t.object.value for t in own if t.predicate.value in LABELS}
    assert any(n.startswith(school["etablissement"]) for n in names)
    assert ox.Triple(me, ox.NamedNode(BASE + "ontology#city"), ox.Literal(school["ville"], language="fr")) in own


@pytest.mark.parametrize("media", list(FORMATS))
def test_a_suffix_chooses_the_format_whatever_accept_says(server, media):
    by_accept = get(server, path_of(MANDELA), media)
    by_suffix = get(server, path_of(MANDELA) + "." + FORMATS[media][1], BROWSER)
    assert by_suffix.status_code == 200 and by_suffix.headers["Content-Type"].split(";")[0] == media
    assert "Content-Location" not in by_suffix.headers
    assert parse(by_suffix.content, media) == parse(by_accept.content, media)


def test_a_browser_gets_the_page_and_so_does_a_client_without_accept(server):
    for accept in (BROWSER, None, "*/*", "text/html"):
        answer = get(server, path_of(MANDELA), accept)
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html"), accept
        assert "Accept" in answer.headers["Vary"]
    assert get(server, path_of(MANDELA) + ".html", "text/turtle").headers["Content-Type"].startswith("text/html")
    assert get(server, path_of(MANDELA), "application/json").headers["Content-Type"] == "application/ld+json"
    assert get(server, path_of(MANDELA), "text/html;q=0.5, text/turtle").headers["Content-Type"].startswith("text/turtle")


def test_links_name_every_format(server):
    links = get(server, path_of(MANDELA), BROWSER).headers["Link"]
    for media, (_, suffix) in FORMATS.items():
        assert f'<{path_of(MANDELA)}.{suffix}>; rel="alternate"; type="{media}"' in links


def test_an_unknown_iri_is_404_a_page_for_a_browser(server):
    path = "/id/etablissement/0000000X"
    page = get(server, path, BROWSER)
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert '<html lang="fr">' in page.text and BASE + "id/etablissement/0000000X" in page.text and "Accept" in page.headers["Vary"]
    for accept in ("text/turtle", "application/ld+json"):
        answer = get(server, path, accept)
        assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/plain")
    assert get(server, path + ".ttl").status_code == 404
    assert get(server, "/id/etablissement/0250001R%3E%20%3Cx", BROWSER).status_code == 404  # not an IRI


def test_an_accept_nothing_matches_is_406(server):
    for path in (path_of(MANDELA), "/ontology"):
        answer = get(server, path, "image/png, application/pdf")
        assert answer.status_code == 406, path
        assert "Accept" in answer.headers["Vary"] and "text/turtle" in answer.text


@pytest.mark.parametrize("accept", ["text/html", "text/turtle"])
def test_head_answers_the_headers_alone(server, accept):
    full = get(server, path_of(MANDELA), accept)
    head = get(server, path_of(MANDELA), accept, method="HEAD")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Type"] == full.headers["Content-Type"]
    assert head.headers["Content-Length"] == str(len(full.content))
    assert head.headers["Vary"] == full.headers["Vary"]
    assert get(server, "/id/etablissement/0000000X", accept, method="HEAD").status_code == 404


def test_what_links_to_a_thing_is_capped_with_its_count(server, store):
    """Région 27 is the cmq:inRegion of more things than the cap: the description keeps 200, the page says of how many."""
    me = ox.NamedNode(REGION)
    in_region = ox.NamedNode(BASE + "ontology#inRegion")
    subjects = {q.subject for q in store.quads_for_pattern(None, in_region, me, None)}
    assert len(subjects) > 200
    got = parse(get(server, path_of(REGION), "application/n-triples").content, "application/n-triples")
    kept = {t.subject for t in got if t.predicate == in_region and t.object == me}
    assert len(kept) == 200 and kept <= subjects
    assert {t for t in got if t.subject == me} == {q.triple for q in store.quads_for_pattern(me, None, None, None)}
    page = get(server, path_of(REGION), BROWSER).text
    assert f"200 premiers sur {len(subjects)}" in page


# ---------------------------------------------------------------------------------------------- the pages


def test_the_campus_page(server, store):
    """Mobicampus: label history, members (cmq_membres.csv), apart its sector scope, trades, overlaps, facts collected by hand."""
    page = get(server, path_of(MOBICAMPUS), BROWSER).text
    assert '<html lang="fr">' in page and f"<h1>{html.escape(MOBICAMPUS_LABEL)}</h1>" in page
    assert_headings_in_order(page)
    listed = next(r for r in rows("cmq_campus_list.csv") if r["nom"] == MOBICAMPUS_LABEL)
    timeline = re.search(r'<ol class="timeline">.*?</ol>', page, re.S).group(0)
    assert f'datetime="{listed["annee_label_cmq"]}"' in timeline  # 2016
    assert listed["laureat_23_excellence_6fev2020"] == "oui" and 'datetime="2020-02-06"' in timeline
    members = table(page, "members-table")
    stated = [r for r in rows("cmq_membres.csv") if r["campus_nom"] == MOBICAMPUS_LABEL]
    assert stated and all(r["uai"] in members for r in stated if r["uai"])
    assert html.escape(stated[0]["etablissement"], quote=False) in members
    # the sector scope is a section of its own, said to be no membership; none of its schools is in the member table
    scope = re.search(r'<h2 id="scope">.*?</div>', page, re.S).group(0)
    assert "jamais une adhésion" in scope and "Pas des membres" in scope
    scope_schools = re.findall(r'href="(/id/etablissement/[^"]+)"', re.search(r'<ul class="links" id="scope-schools">.*?</ul>', page, re.S).group(0))
    member_uais = {r["uai"] for r in stated if r["uai"]}
    assert scope_schools and not [s for s in scope_schools if s.rsplit("/", 1)[-1] in member_uais]
    assert page.index('id="members"') < page.index('id="scope"')
    # the pôle of its trade in its région (poles_competitivite.csv) overlaps it; the view link names it
    assert "Pôle Véhicule du Futur" in table(page, "overlaps-table")
    assert 'id="view-link" href="/view?campus=Mobicampus+%E2%80%93+' in page
    curated = table(page, "curated-table")
    attributes = {r["attribut"] for r in rows("curated_facts_cmq_ti_poles_bfc.csv") if r["entite"] == "CMQ Mobicampus"}
    assert attributes and all(f"<code>{html.escape(a)}</code>" in curated for a in attributes)
    assert 'class="map-panel"' in page  # map_panel.html, a campus's map
    # each fact names its source: the curated list for its label
    facts = table(page, "facts-table")
    assert "Campus des métiers et des qualifications (liste constituée à la main)" in facts


@pytest.mark.parametrize("iri", [MOBICAMPUS, MANDELA, TRAINING, TRADE, REGION])
def test_every_iri_a_page_shows_resolves(server, iri):
    """Every link of a campus, school, training, trade and région page answers 200: the IRIs it shows, and the site's pages."""
    page = get(server, path_of(iri), BROWSER).text
    links = [link for link in local_links(page) if link.startswith(("/id/", "/graph/", "/ontology"))]
    assert len(set(links)) > 10
    broken = {}
    for link in dict.fromkeys(links + [h for h in local_links(page) if h not in links]):
        status = requests.get(server.base + link.split("#")[0], headers={"Accept": BROWSER}, timeout=120).status_code
        if status != 200:
            broken[link] = status
    assert broken == {}


def test_the_school_page_lists_its_campuses(server):
    """Nelson Mandela (0250001R) is a member of Mobicampus, M&SI and AGT (cmq_membres.csv)."""
    page = get(server, path_of(MANDELA), BROWSER).text
    assert_headings_in_order(page)
    campuses = table(page, "campus-table")
    expected = [r["campus_nom"] for r in rows("cmq_membres.csv") if r["uai"] == "0250001R"]
    assert len(expected) == 3
    for name in expected:
        assert html.escape(name, quote=False) in campuses
    assert all(short in campuses for short in ("Mobicampus", "(M&amp;SI)", "(AGT)"))
    assert "<code>0250001R</code>" in page and "Audincourt" in page
    # its Affelnet offer of the bac pro 40031213 (MEF 23820031213): capacity 30, 34 first choices
    offer = next(r for r in rows("orion_uai_mefstat_attractivite_2022.csv")
                 if r["Etablissement d'accueil"] == "0250001R" and r["MEF STAT 11"].endswith("0031213"))
    row = re.search(rf'<tr><td><a href="{path_of(TRAINING)}">.*?</tr>', table(page, "offers-table"), re.S).group(0)
    assert f"<td>{offer['Capacité carte scolaire']}</td><td>{offer['Demandes vœux 1']}</td>" in row
    assert 'id="measures"' in page and "InserJeunes" in page


def test_the_trade_page_lists_the_trainings_that_lead_to_it(server):
    """D1403 (orion_rome_fiches.csv) is a trade of the bac pro 40031213 (certifinfo_diplomes_rome_rncp.csv)."""
    fiche = next(r for r in rows("orion_rome_fiches.csv") if r["code_rome"] == "D1403")
    certif = next(r for r in rows("certifinfo_diplomes_rome_rncp.csv") if r["Code_Scolarité"] == "40031213")
    assert "D1403" in (certif["Code_Rome_1"], certif["Code_Rome_2"])
    page = get(server, path_of(TRADE), BROWSER).text
    assert_headings_in_order(page)
    assert f"<h1>{html.escape(fiche['libelle_rome'], quote=False)}</h1>" in page
    assert f'href="{path_of(TRAINING)}"' in table(page, "trainings-table")
    # at least every school Affelnet lists with an offer of 40031213 (MEF STAT 11 ending in its CFD digits) offers a way to it
    affelnet = {r["Etablissement d'accueil"] for r in rows("orion_uai_mefstat_attractivite_2022.csv") if r["MEF STAT 11"].endswith("0031213")}
    assert "0250001R" in affelnet
    listed = re.search(r'<ul class="links" id="schools-list">.*?</ul>', page, re.S).group(0)
    count = int(re.search(r"(\d+) établissements offrent une formation qui y mène", page).group(1))
    assert count >= len(affelnet) > 200 and listed.count("<li>") == 200 and f"200 premiers sur {count}" in page
    training = get(server, path_of(TRAINING), BROWSER).text
    assert f'href="{path_of(TRADE)}"' in training


@pytest.mark.parametrize("path", ["/id/pole/pole-vehicule-du-futur", "/id/academie/03", "/id/certitude/deduit", "/graph/cmq",
                                  "/id/source/cmq", "/id/perimetre/campus/besancon/mobicampus-automobile-et-mobilites-du-futur-nord-franche-comte"])
def test_other_pages_are_in_french_with_their_headings_in_order(server, path):
    answer = get(server, path, BROWSER)
    assert answer.status_code == 200
    assert '<html lang="fr">' in answer.text
    assert_headings_in_order(answer.text)


def test_a_term_the_vocabulary_mints_is_described_from_it(server):
    """``id/certitude/deduit`` is described in ontology/cmq.ttl, not in the store: its page and RDF come from the vocabulary."""
    vocabulary = {t for t in vocabulary_triples() if isinstance(t.subject, ox.NamedNode) and t.subject.value == BASE + "id/certitude/deduit"}
    assert vocabulary
    got = parse(get(server, "/id/certitude/deduit.nt").content, "application/n-triples")
    assert vocabulary <= got
    assert "<h1>déduit</h1>" in get(server, "/id/certitude/deduit", BROWSER).text


def test_a_named_graph_page_says_its_source(server, built):
    from cmqgraph.stats import source_table

    source = next(s for s in source_table(store=built[0]) if s["name"] == "cmq_membres")
    page = get(server, "/graph/cmq_membres", BROWSER).text
    assert html.escape(source["title"], quote=False) in page and source["licence"] in page
    assert 'href="/id/source/cmq_membres"' in page


def test_the_ontology_page_and_its_formats(server):
    page = get(server, "/ontology", BROWSER).text
    assert_headings_in_order(page)
    assert 'id="Campus"' in page and "campus des métiers et des qualifications" in page and 'id="inRegion"' in page
    file_triples = vocabulary_triples()
    ground = {t for t in file_triples if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)}
    for media, (_, suffix) in FORMATS.items():
        for answer in (get(server, "/ontology", media), get(server, f"/ontology.{suffix}")):
            assert answer.status_code == 200 and answer.headers["Content-Type"].split(";")[0] == media
            got = parse(answer.content, media)
            assert len(got) == len(file_triples)
            assert {t for t in got if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)} == ground
    # its version IRI (owl:versionIRI) is served too, and no other version
    version = next(t.object.value for t in file_triples if t.predicate.value == "http://www.w3.org/2002/07/owl#versionIRI")
    answer = get(server, path_of(version), "text/turtle")
    assert answer.status_code == 200 and len(parse(answer.content, "text/turtle")) == len(file_triples)
    assert get(server, "/ontology/0.0.0-never", BROWSER).status_code == 404


# ---------------------------------------------------------------------------------------------- links elsewhere


def test_result_tables_link_each_iri_to_its_page(server):
    page = get(server, "/queries/etablissements_du_campus?campus=Mobicampus&run=1", BROWSER).text
    cells = re.findall(r'<td class="iri"><a href="([^"]*)">([^<]*)</a></td>', page)
    assert cells
    for href, iri in cells:
        iri = html.unescape(iri)
        assert href == (path_of(iri) if iri.startswith(BASE) else iri)
    assert ("/id/etablissement/0250001R", MANDELA) in cells
    for href in sorted({h for h, _ in cells if h.startswith("/")})[:20]:
        assert get(server, href, BROWSER).status_code == 200, href


def test_network_view_tooltips_link_to_the_pages_and_offline_to_the_iris(server, built):
    served = get(server, "/view?campus=Mobicampus", BROWSER).text
    assert f'href=\\"{path_of(MOBICAMPUS)}\\"' in served
    D = v.displayed_graph(net.project(built[0], campus="Mobicampus"))
    assert isinstance(D, nx.Graph) and MOBICAMPUS in D
    offline = v.render_html(D)
    assert f'href=\\"{MOBICAMPUS}\\"' in offline and 'href=\\"/id/' not in offline
    public = v.render_html(D, pages="https://cmq.example.org/graphe")
    assert 'href=\\"https://cmq.example.org/graphe/id/campus/besancon/mobicampus' in public


# ---------------------------------------------------------------------------------------------- public URL


def test_with_a_public_url_the_links_are_under_it_and_the_iris_stay_the_public_ones(public, store, vocabulary):
    page = get(public, path_of(MOBICAMPUS), BROWSER)
    assert page.status_code == 200
    assert f'href="https://cmq.example.org/graphe{path_of(MANDELA)}"' in page.text
    assert f"<code id=\"iri\">{MOBICAMPUS}</code>" in page.text  # the IRI the graph says, w3id.org
    assert f"https://cmq.example.org/graphe{path_of(MOBICAMPUS)}.ttl" in page.headers["Link"]
    assert not re.search(r'href="/(id|graph|ontology)', page.text)  # every link to a thing is under the public URL
    turtle = get(public, path_of(MOBICAMPUS), "text/turtle")
    assert turtle.headers["Content-Location"] == f"https://cmq.example.org/graphe{path_of(MOBICAMPUS)}.ttl"
    got = parse(turtle.content, "text/turtle")
    own, incoming, labels = expected_description(store, vocabulary, MOBICAMPUS)
    assert got == own | incoming | labels  # the description says https://w3id.org/cmqgraph/… whatever the server's address
    assert b"cmq.example.org" not in turtle.content
