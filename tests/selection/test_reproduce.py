"""``manage.py reproduce``: the grid through the platform's jobs on the demo data (a tiny BERT built here, TF-IDF
embeddings), its outputs, resumption, and the budget planner."""
from __future__ import annotations

import csv

import pytest
from django.core.management import call_command

from deft_site.jobs.models import Job
from selection.core import tagger
from selection.core.benchmarks import coedit_eval_rows
from selection.demo import make_demo_rows
from selection.models import SelectionRun, System, TrainingRun
from selection.services.reproduction import CSV_COLUMNS, plan_budget, reproduction_grid


@pytest.fixture
def data_dirs(settings, tmp_path, monkeypatch):
    settings.DEFT_DATA_DIR = tmp_path / "data"
    settings.DEFT_RUNS_DIR = tmp_path / "data" / "runs"
    monkeypatch.setattr(tagger, "CACHE_DIR", str(tmp_path / "features"))
    return tmp_path


@pytest.mark.slow
def test_quick_grid_runs_through_the_platform_and_resumes(db, data_dirs, capsys):
    rows = make_demo_rows(n_rows=600, seed=0)
    encoder = tagger.save_tiny_encoder(data_dirs / "enc", [r["src"] + " " + r["tgt"] for r in rows], hidden=16,
                                       layers=2)
    out = data_dirs / "out"
    args = ["reproduce", "--quick", "--base-model", f"tagger:{encoder}", "--embedder", "tfidf", "--epochs", "1",
            "--n-boot", "50", "--out", str(out)]
    call_command(*args)
    printed = capsys.readouterr().out
    assert "[6/6] ucs-random-f32_5-b8_13" in printed
    # Every cell is a real selection run, training run and generated system, as the UI shows them.
    assert SelectionRun.objects.filter(completed_at__isnull=False).count() == 4
    assert TrainingRun.objects.filter(job__status=Job.Status.SUCCEEDED).count() == 5
    assert System.objects.filter(kind=System.Kind.GENERATED).count() == 5
    assert not Job.objects.exclude(status=Job.Status.SUCCEEDED).exists()
    with (out / "results.csv").open() as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == CSV_COLUMNS
        table = list(reader)
    runs = {r["run"] for r in table}
    assert {"copy", "full", "ucs-hard-f32_5-b8_13", "ucs-random-f32_5-b8_13", "random-f32_5",
            "stratified-f32_5", "references"} == runs
    sari = [r for r in table if r["metric"] == "sari" and r["eval_set"] == "all"]
    assert len(sari) == 6 and all(float(r["low"]) <= float(r["value"]) <= float(r["high"]) for r in sari)
    hard = next(r for r in sari if r["run"] == "ucs-hard-f32_5-b8_13")
    assert (hard["strategy"], hard["alpha"], hard["beta"], hard["embedder"]) == ("ucs", "0.0", "1.0", "tfidf")
    assert any(r["metric"] == "delete_rate" and r["run"] == "references" for r in table)
    html = (out / "report.html").read_text()
    assert html.count("<svg") >= 5 and "<script" not in html and "http" not in html
    assert "paired bootstrap" in html
    jobs = Job.objects.count()
    call_command(*args)
    again = capsys.readouterr().out
    assert again.count("finished earlier") == 5 and Job.objects.count() == jobs


def test_planner_lowers_epochs_then_cuts_cells_from_the_end():
    cells = reproduction_grid()
    assert len(cells) == 2 + 3 * (2 * 3 + 2)
    # What the claims need comes first, so a budget cuts the easy variants and the other fractions first.
    assert [c.run for c in cells[:10]] == [
        "copy", "full", "ucs-hard-f32_5-b8_13", "random-f32_5", "stratified-f32_5", "ucs-random-f32_5-b8_13",
        "ucs-hard-f32_5-b24_38", "ucs-random-f32_5-b24_38", "ucs-easy-f32_5-b8_13", "ucs-easy-f32_5-b24_38"]
    assert cells[10].run == "ucs-hard-f50-b12_5"
    roomy = plan_budget(cells, n_train=1000, budget_s=10**6, epochs=None, min_epochs=1, max_epochs=3)
    assert roomy.epochs == 3 and not roomy.cut and not roomy.notes
    tight = plan_budget(cells, n_train=40_000, budget_s=2000, epochs=None, min_epochs=1, max_epochs=3)
    assert tight.epochs == 1 and tight.cut and tight.estimate_s <= 2000
    assert tight.cells == cells[:len(tight.cells)] and tight.cut == cells[len(tight.cells):]
    assert any("cut to fit" in n for n in tight.notes) and any("epochs lowered" in n for n in tight.notes)


def test_eval_sets_get_instructions_and_benchmark_names():
    records = [
        {"id": "a", "dataset": "asset", "split": "test", "coedit_task": "simplification", "src": "A b.", "refs": ["A."]},
        {"id": "b", "dataset": "iterater_human_sent", "split": "test", "coedit_task": "gec", "src": "x", "refs": ["y z"]},
        {"id": "c", "dataset": "iterater_human_sent", "split": "test", "coedit_task": None, "src": "x", "refs": ["y"]},
        {"id": "d", "dataset": "iterater_human_sent", "split": "test", "coedit_task": "clarity", "src": "x", "refs": ["."]},
        {"id": "e", "dataset": "jfleg", "split": "dev", "coedit_task": "gec", "src": "x", "refs": ["y"]},
    ]
    rows = coedit_eval_rows(records)
    assert [(r["id"], r["dataset"], r["src"]) for r in rows] == [
        ("a", "asset", "Simplify this sentence: A b."), ("b", "iterater-fluency", "Fix grammar: x")]
