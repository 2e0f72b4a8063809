"""Tests of the Orion actions prioritaires source on a real extract (Bourgogne-Franche-Comté rows)."""

from __future__ import annotations

from cmqgraph import iris
from cmqgraph.iris import CMQ
from cmqgraph.sources import BuildContext
from cmqgraph.sources.actions_prioritaires import ActionsPrioritaires

NAME = "orion_actions_prioritaires.csv"


def test_priorities(make_context):
    ctx = make_context(NAME)
    triples = set(ActionsPrioritaires(ctx).triples())
    assert (iris.training("32025005"), CMQ.regionalPriorityIn, iris.region("27")) in triples
    assert (iris.training("50031224"), CMQ.regionalPriorityIn, iris.region("11")) in triples
    assert len(triples) == 13
    assert [(i.line, i.value, i.severity) for i in ctx.issues] == [(15, "50031224", "warning")]


def test_unknown_region_and_bad_cfd(make_context, tmp_path):
    text = make_context(NAME).path(NAME).read_text(encoding="utf-8")
    text = text.replace(";32025005;", ";3202500;")
    text = text.replace("Diététique;BTS;32033103;Bourgogne-Franche-Comté;27;", "Diététique;BTS;32033103;Bourgogne-Franche-Comté;99;")
    (tmp_path / NAME).write_text(text, encoding="utf-8")
    regions = {"27": "Bourgogne-Franche-Comté", "11": "Île-de-France"}
    ctx = BuildContext(files={NAME: tmp_path / NAME}, indexes={"region_labels": regions})
    triples = set(ActionsPrioritaires(ctx).triples())
    errors = [(i.file, i.line, i.column, i.value) for i in ctx.issues if i.severity == "error"]
    assert errors == [(NAME, 9, "cfd", "3202500"), (NAME, 13, "codeRegion", "99")]
    assert (iris.training("32033103"), CMQ.regionalPriorityIn, iris.region("99")) not in triples
    assert len(triples) == 11
