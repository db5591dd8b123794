"""create_study, simulate_raters and export_study, end to end on the test database."""
from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotation.models import Item, Slot, Study

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_create_simulate_export(study_data):
    ds, systems = study_data
    msg = _run("create_study", "cli", "--dataset", ds.name, "--split", "test", "--system", systems[0].name,
               "--system", systems[1].name, "--system", systems[2].name, "--items", "15", "--raters-per-item", "2",
               "--seed", "4", "--control-rate", "0.2", "--launch")
    study = Study.objects.get(name="cli")
    assert study.status == "live" and "45 items" in msg
    msg = _run("simulate_raters", "cli", "--raters", "3", "--random-clickers", "1", "--always-left", "1",
               "--prefer", f"{systems[0].name}:0.9", "--seed", "1")
    real_done = Slot.objects.filter(item__study=study, item__kind=Item.Kind.REAL, status="done").count()
    assert real_done == 45 * 2
    rows = list(csv.DictReader(io.StringIO(_run("export_study", "cli", "--peek", "--format", "csv"))))
    assert len(rows) == Slot.objects.filter(item__study=study, status="done").count()
    for col in ("item", "rater", "left_system", "right_system", "answer", "seconds", "is_control", "submitted_at"):
        assert col in rows[0]
    lefty = [r for r in rows if "always_left" in r["rater"]]
    assert lefty and {r["answer"] for r in lefty} == {"left"}
    careful = [r for r in rows if "careful" in r["rater"] and r["is_control"] == "False"
               and systems[0].name in (r["left_system"], r["right_system"])]
    wins = sum(r["preferred_system"] == systems[0].name for r in careful)
    assert wins / len(careful) > 0.6  # the preferred system wins for careful raters
    assert all(float(r["seconds"]) > 0 for r in rows)
    lines = _run("export_study", "cli", "--peek", "--format", "jsonl").splitlines()
    assert len(lines) == len(rows) and "left_system" in json.loads(lines[0])
    assert study.events.filter(action="peek").count() == 2  # exports before close are logged


def test_create_study_errors(study_data):
    ds, systems = study_data
    with pytest.raises(CommandError):
        _run("create_study", "x", "--dataset", ds.name, "--system", "nope", "--system", systems[0].name, "--items", "3")
    with pytest.raises(CommandError):
        _run("create_study", "x", "--dataset", ds.name, "--system", systems[0].name, "--items", "3")


def test_simulate_refuses_draft(study_factory):
    study = study_factory(launch=False)
    with pytest.raises(CommandError):
        _run("simulate_raters", study.name, "--raters", "1")
