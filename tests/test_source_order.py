"""The source table: module names, declared indexes, the order check before a build, and the index guards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cmqgraph
import cmqgraph.sources
from cmqgraph.errors import SourceOrderError
from cmqgraph.sources import REGISTRY, BuildContext, all_sources, check_order, load, needs, run_until
from cmqgraph.sources.filieres import Filieres
from cmqgraph.sources.records import INDEXES, School

from conftest import DATA

SOURCES = Path(cmqgraph.sources.__file__).parent
HELPERS = {"__init__", "base", "curated", "files", "records"}


def moved(name: str, before: str) -> dict[str, tuple[str, str]]:
    """REGISTRY with source ``name`` moved just above source ``before``."""
    names = [n for n in REGISTRY if n != name]
    names.insert(names.index(before), name)
    return {n: REGISTRY[n] for n in names}


def test_each_module_is_named_after_its_source():
    for name, (module, cls) in REGISTRY.items():
        assert module == f"cmqgraph.sources.{name}", name
        assert load(name).name == name and load(name).__name__ == cls
    modules = {path.stem for path in SOURCES.glob("*.py")}
    assert modules == set(REGISTRY) | HELPERS


def test_the_registry_is_in_order():
    check_order()


def test_the_index_table_names_the_source_that_publishes_each_index():
    published = {index: source.name for source in all_sources() for index in source.publishes}
    assert published == {name: index.publisher for name, index in INDEXES.items()}
    assert published["schools"] == "acce" and published["ti_projects"] == "territoires_innovation"
    read = {index for source in all_sources() for index in (*source.reads, *source.optional_reads)}
    assert read == set(INDEXES)  # every index is read by some source


def test_sources_reach_indexes_only_through_their_declarations():
    for name in (*REGISTRY, "curated"):
        assert not re.search(r"\.indexes\b", (SOURCES / f"{name}.py").read_text(encoding="utf-8")), name


def test_a_source_moved_above_its_publisher_names_both():
    with pytest.raises(SourceOrderError) as err:
        check_order(moved("links", before="acce"))
    message = str(err.value)
    assert "\n" not in message
    assert "'links' reads index 'schools', which 'acce' publishes below it" in message
    with pytest.raises(SourceOrderError, match="'cmq' reads index 'sectors', which 'filieres' publishes below it"):
        check_order(moved("filieres", before="orion_cmq_noms"))


def test_an_optional_read_is_checked_too():
    with pytest.raises(SourceOrderError, match="'onisep' reads index 'rome_codes', which 'rome' publishes below it"):
        check_order(moved("rome", before="actions_prioritaires"))


def test_an_index_no_source_publishes():
    table = {name: entry for name, entry in REGISTRY.items() if name != "acce"}
    with pytest.raises(SourceOrderError, match="'affelnet' reads index 'schools', which no source publishes"):
        check_order(table)


def test_two_publishers_of_one_index():
    table = {"territoires": REGISTRY["territoires"], "territoires_again": REGISTRY["territoires"]}
    with pytest.raises(SourceOrderError, match="'territoires' and 'territoires_again' both publish index 'regions_by_name'"):
        check_order(table)


def test_a_build_checks_the_order_before_it_reads_any_file(tmp_path, monkeypatch):
    """The data folder does not exist: looking into it would raise SourceFileError, so the order was checked first."""
    monkeypatch.setattr(cmqgraph.sources, "REGISTRY", moved("links", before="inserjeunes"))
    with pytest.raises(SourceOrderError, match="'links' reads index 'schools', which 'acce' publishes below it"):
        cmqgraph.build(store=tmp_path / "store", data_dir=tmp_path / "no such folder")
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_exits_9_with_one_line_naming_both_sources(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from cmqgraph.cli import main

    monkeypatch.setattr(cmqgraph.sources, "REGISTRY", moved("links", before="inserjeunes"))
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "store"), "build"])
    assert result.exit_code == 9 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: ordre des sources erroné / sources out of order: 'links' reads index 'schools'") and "'acce'" in line


def test_needs_follows_the_indexes_read():
    assert needs("territoires") == []
    assert needs("affelnet") == ["territoires", "bcn_formations", "bcn_mef", "inserjeunes", "acce"]
    assert needs("acce", skip=("inserjeunes",)) == ["territoires"]
    ctx = BuildContext(files={}, indexes={"schools": {}, "cfd_of_mefstat11": {}})
    assert needs("affelnet", ctx) == ["territoires"]


def test_run_until_runs_what_a_source_needs_then_the_source(make_context):
    ctx = make_context("orion_departements_academies_regions.csv", "academies_geo.json", "regions_geo.json", "poles_competitivite.csv")
    ran = run_until("poles", ctx)
    assert list(ran) == ["territoires", "poles"]
    assert len(ctx.indexes["clusters"]) == 8 == len((DATA / "poles_competitivite.csv").read_text(encoding="utf-8").splitlines()) - 1


def test_reading_or_publishing_an_undeclared_index_fails():
    source = Filieres(BuildContext(files={}, indexes={"cfds": frozenset()}))
    with pytest.raises(LookupError, match="'filieres' reads index 'cfds' but does not declare it"):
        source.read("cfds")
    with pytest.raises(LookupError, match="'filieres' reads index 'cfds' but does not declare it in its `optional_reads`"):
        source.read_optional("cfds")
    with pytest.raises(LookupError, match="'filieres' publishes index 'rome_codes' but does not declare it"):
        source.publish("rome_codes", frozenset())


def test_reading_before_the_publisher_ran_fails_and_an_optional_read_is_none():
    from cmqgraph.sources.cmq import CampusList
    from cmqgraph.sources.onisep import Onisep

    with pytest.raises(LookupError, match="'cmq' reads index 'academie_labels' before 'territoires' published it"):
        CampusList(BuildContext(files={})).read("academie_labels")
    assert Onisep(BuildContext(files={})).read_optional("rome_codes") is None


def test_a_published_index_is_typed_read_only_and_published_once():
    ctx = BuildContext(files={})
    source = load("inserjeunes")(ctx)
    with pytest.raises(TypeError, match=r"'inserjeunes_schools' must be a Mapping\[str, School\]; it holds '0251349F': \{'name': 'X'\}"):
        source.publish("inserjeunes_schools", {"0251349F": {"name": "X"}})
    school = School("0251349F", "X", "25", "03", "27")
    source.publish("inserjeunes_schools", {"0251349F": school})
    with pytest.raises(TypeError):
        ctx.indexes["inserjeunes_schools"]["0251349F"] = school
    with pytest.raises(LookupError, match="which this build holds already"):
        source.publish("inserjeunes_schools", {})
    with pytest.raises(TypeError, match=r"'sectors' must be a frozenset\[str\], not a set"):
        Filieres(BuildContext(files={})).publish("sectors", {"x"})


def test_a_source_that_does_not_publish_what_it_declares_fails():
    class Silent(Filieres):
        def triples(self):
            return iter(())

    with pytest.raises(LookupError, match="'filieres' declares it publishes sectors but did not publish it"):
        list(Silent(BuildContext(files={})).run())


def test_a_source_naming_an_unknown_index_fails_when_defined():
    with pytest.raises(TypeError, match="names index 'shools', which is not in"):
        type("Typo", (Filieres,), {"reads": ("shools",)})
    with pytest.raises(TypeError, match="publishes 'schools', whose publisher in INDEXES is 'acce'"):
        type("Usurper", (Filieres,), {"publishes": ("schools",)})
