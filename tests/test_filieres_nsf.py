"""Checks of the curated table cmq_filieres_nsf.csv (CMQ filière → NSF groups of the BCN) against the shipped files.

Every expected value below was read by hand in ``bcn_v_formation_diplome.csv`` (column ``GROUPE_SPECIALITE``,
the NSF group of a training) and ``orion_diplomes_professionnels.csv`` (the CPC of a diplôme professionnel).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest
from cmqgraph.builder import default_data_dir
from cmqgraph.iris import slug
from cmqgraph.sources.curated import certainty_of

DATA = default_data_dir()
TABLE = DATA / "cmq_filieres_nsf.csv"
HEADER = ["filiere", "nsf_groupe", "nsf_libelle", "cpc", "certitude", "raison"]
MOBILITY = "Mobilité, aéronautique, transports terrestres et maritimes"
LOGISTICS = "Services aux entreprises, logistique"


def _rows(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.fixture(scope="module")
def table() -> list[dict[str, str]]:
    return _rows(TABLE, encoding="utf-8")


@pytest.fixture(scope="module")
def bcn_groups() -> dict[str, str]:
    """CFD → NSF group (``GROUPE_SPECIALITE``) of every training of the BCN."""
    return {row["FORMATION_DIPLOME"]: row["GROUPE_SPECIALITE"] for row in _rows(DATA / "bcn_v_formation_diplome.csv")}


@pytest.fixture(scope="module")
def cpc_of() -> dict[str, set[str]]:
    """CFD (``400-25214 R`` → ``40025214``) → the CPC of the diplômes professionnels list."""
    found: dict[str, set[str]] = {}
    for row in _rows(DATA / "orion_diplomes_professionnels.csv"):
        cfd = re.sub(r"[^0-9A-Z]", "", row["Code diplôme"])[:8]
        found.setdefault(cfd, set()).add(row["Commission professionnelle consultative"])
    return found


def _links(table: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    return {(row["filiere"], row["nsf_groupe"]): row for row in table}


def test_file_format():
    raw = TABLE.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw and raw.endswith(b"\n")
    assert raw.decode("utf-8").splitlines()[0].split(";") == HEADER
    with TABLE.open(encoding="utf-8", newline="") as handle:
        assert {len(fields) for fields in csv.reader(handle, delimiter=";")} == {len(HEADER)}


def test_every_group_is_a_bcn_nsf_group(table, bcn_groups):
    used = {row["nsf_groupe"] for row in table}
    assert used <= set(bcn_groups.values())
    # three digits, and none of the BCN's own catch-all codes (xx9, 999) that are no NSF group
    assert all(re.fullmatch(r"[1-3][0-9][0-8]", code) for code in used)


def test_every_filiere_is_one_of_the_twelve_and_has_a_core_group(table):
    # compared by slug, the key of iris.sector: cmq_filieres_12.csv writes a no-break space in "Systèmes innovants, mécatronique"
    twelve = {slug(row["filiere_cmq"]) for row in _rows(DATA / "cmq_filieres_12.csv")}
    assert len(twelve) == 12
    assert {slug(row["filiere"]) for row in table} == twelve
    assert {slug(row["filiere"]) for row in table if row["certitude"] == "confirme"} == twelve
    assert all(row["filiere"] == " ".join(row["filiere"].split()) for row in table)  # ordinary spaces only


def test_no_duplicate_link_and_one_label_per_group(table):
    assert [key for key, n in Counter((r["filiere"], r["nsf_groupe"]) for r in table).items() if n > 1] == []
    labels: dict[str, set[str]] = {}
    for row in table:
        labels.setdefault(row["nsf_groupe"], set()).add(row["nsf_libelle"])
    assert all(len(names) == 1 and all(names) for names in labels.values())


def test_every_link_has_a_reason_whose_words_give_its_certainty(table):
    for row in table:
        assert row["raison"].strip() and row["raison"].endswith("."), row
        assert row["certitude"] in ("confirme", "probable", "deduit"), row
        assert certainty_of(row["raison"]).rsplit("/", 1)[-1] == row["certitude"], row


def test_every_cpc_restriction_keeps_some_diploma(table, bcn_groups, cpc_of):
    known = {cpc for values in cpc_of.values() for cpc in values}
    restricted = [row for row in table if row["cpc"]]
    assert restricted
    for row in restricted:
        assert row["cpc"] in known, row
        kept = [cfd for cfd, cpcs in cpc_of.items() if row["cpc"] in cpcs and bcn_groups.get(cfd) == row["nsf_groupe"]]
        assert kept, row


@pytest.mark.parametrize(
    ("cfd", "group", "filiere"),
    [
        ("40025214", "252", MOBILITY),  # BAC PRO maintenance des véhicules option A voitures particulières
        ("40025303", "253", MOBILITY),  # BAC PRO aéronautique option systèmes
        ("40031107", "311", MOBILITY),  # BAC PRO conducteur transport routier marchandises
        ("40031107", "311", LOGISTICS),
        ("32032613", "326", "Numérique, télécommunications"),  # BTS SIO option A
        ("40025510", "255", "Systèmes innovants, mécatronique"),  # BAC PRO MELEC
        ("32022709", "227", "Transition énergétique, éco-industrie"),  # BTS fluides-énergies-domotique option A
        ("40033003", "330", "Services à la personne, bien-être"),  # BAC PRO ASSP option A
        ("40033404", "334", "Tourisme, gastronomie"),  # BAC PRO 2nde commune hôtellerie-restauration
        ("50022113", "221", "Alimentaire, agroalimentaire"),  # CAP chocolatier confiseur
    ],
)
def test_spot_checks_from_the_bcn(table, bcn_groups, cfd, group, filiere):
    assert bcn_groups[cfd] == group
    assert (filiere, group) in _links(table)


def test_cpc_restrictions_keep_the_sector_and_leave_the_rest(table, bcn_groups, cpc_of):
    links = _links(table)
    arts = "CPC Arts, spectacles et médias"
    assert links["Création, design, audiovisuel", "223"]["cpc"] == arts
    assert bcn_groups["50022361"] == "223" and cpc_of["50022361"] == {arts}  # CAP bijouterie-joaillerie: kept
    assert bcn_groups["40022303"] == "223" and cpc_of["40022303"] == {"CPC Industrie"}  # BAC PRO fonderie: left out
    sea = links[MOBILITY, "250"]
    assert sea["cpc"] == "CPC Mer et navigation intérieure" and sea["cpc"] in cpc_of["32025013"]  # BTS mécatronique navale
    assert links[MOBILITY, "252"]["cpc"] == ""  # the whole group
