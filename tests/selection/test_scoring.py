"""Scoring: per evaluation set SARI / ROUGE-L with intervals checked against selection.core.metrics, caching,
the score command, the results page with CSV / JSON export, and the scoring job."""
from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from deft_site.jobs.models import Job
from deft_site.jobs.services import job_create, job_run
from selection.core.metrics import corpus_rouge_l, corpus_sari, system_stats
from selection.core.text import strip_instruction
from selection.models import ScoreReport
from selection.services.datasets import dataset_import
from selection.services.scoring import ScoringError, score_report_create, scoring_systems
from selection.services.systems import system_copy_baseline, system_import

ROWS = [
    {"_id": "a1", "task": "simplification", "dataset": "asset", "src": "Simplify: The cat perched upon the mat.",
     "tgt": ["The cat sat on the mat.", "A cat sat on the mat."], "split": "test"},
    {"_id": "a2", "task": "simplification", "dataset": "asset", "src": "Simplify: He utilised a big hammer.",
     "tgt": ["He used a big hammer."], "split": "test"},
    {"_id": "a3", "task": "simplification", "dataset": "turk", "src": "Simplify: She commenced the lecture early.",
     "tgt": ["She started the talk early."], "split": "test"},
    {"_id": "g1", "task": "gec", "src": "Fix grammar: he go to school .", "tgt": "he goes to school .", "split": "test"},
    {"_id": "g2", "task": "gec", "src": "Fix grammar: they was happy .", "tgt": "they were happy .", "split": "test"},
    {"_id": "t1", "task": "gec", "src": "Fix grammar: she run .", "tgt": "she runs .", "split": "train"},
]
MODEL = {"a1": "The cat sat on the mat.", "a2": "He used a hammer.", "a3": "She started the lecture early.",
         "g1": "he goes to school .", "g2": "they was happy ."}


@pytest.fixture
def evalset(db):
    data = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    dataset = dataset_import(stream=io.BytesIO(data), name="evalset", filename="e.jsonl")
    system_copy_baseline(dataset=dataset, split="test")
    lines = "".join(json.dumps({"id": k, "output": v}) + "\n" for k, v in MODEL.items()).encode()
    system_import(stream=io.BytesIO(lines), filename="m.jsonl", dataset=dataset, name="model", split="test")
    return dataset


def _expected(ids, outputs):
    rows = [r for r in ROWS if r["_id"] in ids]
    srcs = [strip_instruction(r["src"]) for r in rows]
    refs = [r["tgt"] if isinstance(r["tgt"], list) else [r["tgt"]] for r in rows]
    preds = [outputs(r) for r in rows]
    return corpus_sari(srcs, preds, refs), corpus_rouge_l(preds, refs), system_stats(srcs, preds, refs, fkgl=True).as_dict()


def test_scores_per_evaluation_set_match_the_core(evalset):
    systems = scoring_systems(dataset=evalset, names=["model", "copy"])
    result = score_report_create(dataset=evalset, split="test", systems=systems, n_boot=300).result
    groups = {g["name"]: g for g in result["groups"]}
    assert list(groups) == ["asset", "gec", "turk", "all"]  # extra "dataset" field, else the task
    assert groups["asset"]["n"] == 2 and groups["all"]["n"] == 5
    for name, ids in {"asset": {"a1", "a2"}, "gec": {"g1", "g2"}, "all": set(MODEL)}.items():
        sari, rouge, _ = _expected(ids, lambda r: MODEL[r["_id"]])
        cell = groups[name]["systems"]["model"]
        assert cell["sari"] == pytest.approx(sari) and cell["rouge_l"] == pytest.approx(rouge)
        assert cell["sari_ci"][0] <= cell["sari"] <= cell["sari_ci"][1]
        copy_sari, _, _ = _expected(ids, lambda r: strip_instruction(r["src"]))
        assert groups[name]["systems"]["copy"]["sari"] == pytest.approx(copy_sari)
    assert result["stats"]["model"] == pytest.approx(_expected(set(MODEL), lambda r: MODEL[r["_id"]])[2])
    assert result["stats"]["copy"]["copy_rate"] == 1.0
    paired = result["paired"]
    assert paired["a"] == "model" and paired["b"] == "copy"
    diff = groups["all"]["systems"]["model"]["sari"] - groups["all"]["systems"]["copy"]["sari"]
    assert paired["sari"]["mean_diff"] == pytest.approx(diff) and 0 <= paired["sari"]["p_value"] <= 1


def test_group_by_task(evalset):
    systems = scoring_systems(dataset=evalset, names=["model"])
    result = score_report_create(dataset=evalset, split="test", systems=systems, by="task", n_boot=100).result
    assert [g["name"] for g in result["groups"]] == ["gec", "simplification", "all"]
    assert result["paired"] is None


def test_cache_is_keyed_by_outputs(evalset):
    systems = scoring_systems(dataset=evalset, names=["model", "copy"])
    first = score_report_create(dataset=evalset, split="test", systems=systems, n_boot=100)
    assert score_report_create(dataset=evalset, split="test", systems=systems, n_boot=100).pk == first.pk
    output = systems[0].outputs.get(example__ext_id="g2")
    output.text = "they were happy ."
    output.save()
    changed = score_report_create(dataset=evalset, split="test", systems=systems, n_boot=100)
    assert changed.pk != first.pk and changed.outputs_hash != first.outputs_hash
    assert changed.result["groups"][1]["systems"]["model"]["sari"] > first.result["groups"][1]["systems"]["model"]["sari"]


def test_incomplete_or_unknown_systems_are_refused(evalset):
    with pytest.raises(ScoringError, match="no system 'nope'"):
        scoring_systems(dataset=evalset, names=["model", "nope"])
    systems = scoring_systems(dataset=evalset, names=["model"])
    with pytest.raises(ScoringError, match="no output for 1 of the 6"):
        score_report_create(dataset=evalset, split=None, systems=systems)
    assert not ScoreReport.objects.exists()


def test_score_command(evalset, capsys):
    call_command("score", "--dataset", "evalset", "--split", "test", "--system", "model", "--system", "copy",
                 "--n-boot", "100")
    out = capsys.readouterr().out
    assert "ASSET, n=2; headline: SARI, FKGL" in out and "paired bootstrap model - copy (SARI)" in out
    assert "p = 0.0000" not in out  # p-values read "p = 0.123", "p < 0.001" or, at 100 resamples, "p < 0.01"
    assert all(re.search(r"p (= \d\.\d{3}|< 0\.0?01|undefined)$", x) for x in out.splitlines() if "paired bootstrap" in x)
    lines = out.splitlines()
    asset_model = lines[lines.index(next(x for x in lines if x.startswith("ASSET, n=2"))) + 1].split()
    assert asset_model[0] == "model" and asset_model[1] == "SARI" and asset_model[5] == "FKGL"  # headline first
    call_command("score", "--dataset", "evalset", "--system", "model", "--by", "task", "--json", "--n-boot", "100")
    assert json.loads(capsys.readouterr().out)["group_by"] == "task"
    with pytest.raises(CommandError, match="no system"):
        call_command("score", "--dataset", "evalset", "--system", "ghost")


def test_results_page_and_exports(researcher_client, evalset):
    url = "/results/?dataset=evalset&split=test&system=model&system=copy"
    page = researcher_client.get(url).content.decode()
    assert "SARI" in page and "ROUGE-L" in page and "<svg" in page and "Paired bootstrap: model (A) vs copy (B)" in page
    assert "0.0000" not in page and "a_wins" not in page and "resamples where A is higher" in page
    assert 'style="' not in page  # plots carry presentation attributes only (Content-Security-Policy)
    assert not ScoreReport.objects.exists()  # a GET scores small sets and saves nothing
    sari = researcher_client.get(url + "&format=json").json()["groups"][0]["systems"]["model"]["sari"]
    assert f"{sari:.2f}" in page  # SARI with two decimals, as papers print it
    exported = researcher_client.get(url + "&format=csv")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert len(rows) == 4 * 2 and rows[0]["group"] == "asset" and rows[0]["system"] == "model"
    assert float(rows[0]["sari"]) == pytest.approx(sari)
    assert researcher_client.get(url + "&format=json").json()["systems"] == ["model", "copy"]
    call_command("score", "--dataset", "evalset", "--split", "test", "--system", "model", "--system", "copy")
    assert ScoreReport.objects.count() == 1  # the command fills the cache; the page then serves from it
    assert f"{sari:.2f}" in researcher_client.get(url).content.decode() and ScoreReport.objects.count() == 1
    picked = researcher_client.get(url + "&a=copy&b=model").content.decode()  # the researcher picks the pair
    assert "Paired bootstrap: copy (A) vs model (B)" in picked
    assert '<option value="copy" selected>' in picked.split('id="pair-a"')[1].split("</select>")[0]
    assert "no system" in researcher_client.get("/results/?dataset=evalset&split=test&system=ghost").content.decode()
    api = researcher_client.get("/api/scores/?dataset=evalset&split=test&system=model&system=copy")
    assert api.status_code == 200 and api.json()["n"] == 5


def test_scoring_job(evalset):
    job = job_create(kind="scoring", title="score", params={"dataset": "evalset", "split": "test",
                                                             "systems": ["model", "copy"], "by": "dataset",
                                                             "n_boot": 50, "seed": 1})
    job = job_run(job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.error
    report = ScoreReport.objects.get(pk=job.result["score_report"])
    assert report.job_id == job.pk and report.params["n_boot"] == 50
    assert np.isfinite(report.result["groups"][-1]["systems"]["copy"]["sari"])


def test_large_sets_are_scored_by_a_job_from_the_page(researcher_client, evalset, monkeypatch):
    monkeypatch.setattr("selection.services.scoring.SYNC_LIMIT", 3)
    url = "/results/?dataset=evalset&split=test&system=model&system=copy"
    page = researcher_client.get(url).content.decode()
    assert "Score in the background" in page and not ScoreReport.objects.exists()
    response = researcher_client.post("/results/score/", {"dataset": "evalset", "split": "test", "by": "dataset",
                                                           "system": ["model", "copy"]})
    job = Job.objects.get(kind="scoring")
    assert response.status_code == 302 and job.params["systems"] == ["model", "copy"]
    assert "job-widget" in researcher_client.get(url).content.decode()  # the page follows the job
    assert job_run(job.pk).status == Job.Status.SUCCEEDED
    assert "Paired bootstrap" in researcher_client.get(url).content.decode()


def test_results_page_without_a_choice(researcher_client, evalset):
    assert "evalset" in researcher_client.get("/results/").content.decode()
    page = researcher_client.get("/results/?dataset=evalset").content.decode()
    assert 'value="model"' in page and 'value="test"' in page
