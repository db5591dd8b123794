"""``manage.py reproduce``: the grid through the platform's jobs on the demo data (a tiny BERT built here, TF-IDF
embeddings), its outputs, resumption, and the budget planner."""
from __future__ import annotations

import csv
import json

import pytest
from django.core.management import call_command

from deft_site.jobs.models import Job
from selection.core import tagger
from selection.core.benchmarks import coedit_eval_rows
from selection.demo import make_demo_rows
from selection.models import SelectionRun, System, TrainingRun
from selection.services.reproduction import CSV_COLUMNS, claim_pairs, plan_budget, reproduction_grid


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
    assert "[5/6] ucs-random-f32_5-b8_13" in printed and "[6/6] full" in printed
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
    # The pairs the claims compare, each a paired test on every evaluation group.
    compared = json.loads((out / "results.json").read_text())["compared"]
    assert {(c["claim"], c["run"], c["against_run"]) for c in compared} == {
        ("ucs-hard vs random subset", "ucs-hard-f32_5-b8_13", "random-f32_5"),
        ("ucs-hard vs stratified subset", "ucs-hard-f32_5-b8_13", "stratified-f32_5"),
        ("hard vs random in-cluster sampling", "ucs-hard-f32_5-b8_13", "ucs-random-f32_5-b8_13")}
    assert all(c["low"] <= c["mean_diff"] <= c["high"] and 0 <= c["p_value"] <= 1 for c in compared)
    assert "the paper's claims compare" in html
    jobs = Job.objects.count()
    call_command(*args)
    again = capsys.readouterr().out
    assert again.count("finished earlier") == 5 and Job.objects.count() == jobs


def test_grid_runs_the_cheap_cells_first_and_the_second_embedder_beside_ucs_hard():
    assert len(reproduction_grid()) == 1 + 1 + 3 * (2 * 3 + 2)  # the 26 cells
    cells = reproduction_grid(second_embedder="tfidf")
    assert len(cells) == 26 + 3 * 2
    runs = [c.run for c in cells]
    # copy, then the whole 10 % block (cheapest), the full-data model, then 32.5 % and 50 %.
    assert runs[:12] == [
        "copy", "ucs-hard-f10-b2_5", "ucs-hard-tfidf-f10-b2_5", "random-f10", "stratified-f10",
        "ucs-random-f10-b2_5", "ucs-hard-f10-b7_5", "ucs-hard-tfidf-f10-b7_5", "ucs-random-f10-b7_5",
        "ucs-easy-f10-b2_5", "ucs-easy-f10-b7_5", "full"]
    assert runs[12] == "ucs-hard-f32_5-b8_13" and runs[22] == "ucs-hard-f50-b12_5"
    assert [c.fraction for c in cells[12:22]] == [0.325] * 10 and [c.fraction for c in cells[22:]] == [0.5] * 10
    tfidf = [c for c in cells if c.embedder == "tfidf"]
    assert len(tfidf) == 6 and all(c.sampling == "hard" and (c.alpha, c.beta) == (0.0, 1.0) for c in tfidf)
    assert {c.embedder for c in cells if c.strategy == "ucs"} == {"minilm", "tfidf"}


def test_claim_pairs_compare_ucs_hard_with_its_baselines_and_the_second_embedder_with_its_twin():
    cells = reproduction_grid(fractions=(0.1,), second_embedder="tfidf")
    pairs = {(claim, a.run, b.run) for claim, a, b in claim_pairs(cells, "minilm")}
    assert pairs == {
        ("ucs-hard vs random subset", "ucs-hard-f10-b2_5", "random-f10"),
        ("ucs-hard vs stratified subset", "ucs-hard-f10-b2_5", "stratified-f10"),
        ("hard vs random in-cluster sampling", "ucs-hard-f10-b2_5", "ucs-random-f10-b2_5"),
        ("ucs-hard vs random subset", "ucs-hard-f10-b7_5", "random-f10"),
        ("ucs-hard vs stratified subset", "ucs-hard-f10-b7_5", "stratified-f10"),
        ("hard vs random in-cluster sampling", "ucs-hard-f10-b7_5", "ucs-random-f10-b7_5"),
        ("embedder", "ucs-hard-tfidf-f10-b2_5", "ucs-hard-f10-b2_5"),
        ("embedder", "ucs-hard-tfidf-f10-b7_5", "ucs-hard-f10-b7_5")}
    # Only pairs whose both cells finished are compared.
    done = [c for c in cells if c.run != "random-f10"]
    assert not any(b.run == "random-f10" for _, _, b in claim_pairs(done, "minilm"))


def test_planner_lowers_epochs_then_rows_then_cuts_cells_from_the_end():
    cells = reproduction_grid(second_embedder="tfidf")
    roomy = plan_budget(cells, n_train=1000, budget_s=10**6, epochs=None, min_epochs=1, max_epochs=3)
    assert roomy.epochs == 3 and not roomy.cut and not roomy.notes and roomy.rows == 1000
    # A cap the caller gave stays: epochs go down to the minimum, then cells are cut from the end.
    tight = plan_budget(cells, n_train=40_000, budget_s=2000, epochs=None, min_epochs=1, max_epochs=3)
    assert tight.epochs == 1 and tight.cut and tight.estimate_s <= 2000 and tight.rows == 40_000
    assert tight.cells == cells[:len(tight.cells)] and tight.cut == cells[len(tight.cells):]
    assert any("cut to fit" in n for n in tight.notes) and any("epochs lowered" in n for n in tight.notes)
    # Free to pick the rows: epochs go to 2, then the rows shrink so that every cell runs.
    sized = plan_budget(cells, n_train=40_000, budget_s=4000, epochs=None, min_epochs=1, max_epochs=3,
                        rows_fixed=False)
    assert sized.epochs == 2 and not sized.cut and sized.cells == cells and sized.estimate_s <= 4000
    assert 2000 <= sized.rows < 40_000 and any("training pool cut" in n for n in sized.notes)
    # Below the row floor the planner lowers epochs and then cuts cells, as with a fixed cap.
    floor = plan_budget(cells, n_train=40_000, budget_s=1500, epochs=None, min_epochs=1, max_epochs=3,
                        rows_fixed=False)
    assert floor.rows == 2000 and floor.epochs == 1 and floor.cut


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
