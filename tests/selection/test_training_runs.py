"""Training runs end to end on a tiny T5 (1 layer, d_model 32, a few steps): train → generate → score,
cancellation with a checkpoint and resumption by retrying the job, pages and API permissions."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from deft_site.jobs.models import Job
from deft_site.jobs.services import job_retry, job_run
from selection.models import System, TrainingRun
from selection.services.training import TrainingRunError, training_run_create

TINY = {"num_layers": 1, "d_model": 32, "d_ff": 64, "num_heads": 2, "vocab_size": 300, "batch_size": 16,
        "log_every": 1, "checkpoint_every": 2, "max_steps": 3, "epochs": None}


@pytest.fixture(autouse=True)
def runs_dir(settings, tmp_path):
    settings.DEFT_RUNS_DIR = tmp_path / "runs"
    return settings.DEFT_RUNS_DIR


def _tiny_sets() -> list[str]:
    return [arg for k, v in TINY.items() if k not in ("max_steps", "epochs") for arg in ("--set", f"{k}={v}")]


def test_train_generate_score_end_to_end(demo_dataset, runs_dir, capsys, researcher_client):
    call_command("train", "--dataset", demo_dataset.name, "--name", "tiny", "--max-steps", "3",
                 "--generate-split", "test", *_tiny_sets())
    run = TrainingRun.objects.get(name="tiny")
    assert run.status == Job.Status.SUCCEEDED and run.metrics["steps"] == 3
    run_dir = Path(run.run_dir)
    assert run_dir == runs_dir / "tiny"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["config"]["d_model"] == 32
    train_ids = (run_dir / "train_ids.txt").read_text().split()
    assert train_ids == list(demo_dataset.examples.filter(split="train").order_by("id").values_list("ext_id", flat=True))
    assert len((run_dir / "loss.jsonl").read_text().splitlines()) == 3
    assert (run_dir / "final" / "config.json").exists()

    system = System.objects.get(dataset=demo_dataset, name="tiny")
    assert system.kind == System.Kind.GENERATED and system.training_run == run
    test_ids = set(demo_dataset.examples.filter(split="test").values_list("id", flat=True))
    assert set(system.outputs.values_list("example_id", flat=True)) == test_ids

    call_command("generate", "--copy-baseline", "--dataset", demo_dataset.name, "--split", "test")
    capsys.readouterr()
    call_command("score", "--dataset", demo_dataset.name, "--split", "test", "--system", "tiny", "--system", "copy",
                 "--json", "--n-boot", "200")
    result = json.loads(capsys.readouterr().out)
    assert result["systems"] == ["tiny", "copy"] and result["n"] == len(test_ids)
    assert result["paired"]["a"] == "tiny"
    assert 0 <= result["groups"][-1]["systems"]["tiny"]["sari"] <= 100

    page = researcher_client.get("/training/tiny/").content.decode()
    assert '<path d="M' in page and "Generate outputs" in page and '&quot;status&quot;: &quot;completed&quot;' in page
    svg = researcher_client.get("/training/tiny/loss.svg")
    assert svg["Content-Type"] == "image/svg+xml" and "step 3" in svg.content.decode()


def test_cancel_saves_checkpoint_and_retry_resumes(demo_dataset, monkeypatch):
    from selection.services import training as training_service

    run = training_run_create(name="resumable", dataset=demo_dataset, config=TINY, enqueue=False)
    rows_of = training_service.training_examples

    def cancel_once_started(*args, **kwargs):  # noqa: ANN002, ANN003
        Job.objects.filter(pk=run.job.pk).update(cancel_requested=True)  # as if cancelled while it trains
        return rows_of(*args, **kwargs)

    monkeypatch.setattr(training_service, "training_examples", cancel_once_started)
    job = job_run(run.job.pk)
    monkeypatch.setattr(training_service, "training_examples", rows_of)
    run.refresh_from_db()
    assert job.status == Job.Status.CANCELLED and run.status == Job.Status.CANCELLED
    assert (Path(run.run_dir) / "checkpoints" / "step-1" / "trainer_state.json").exists()

    job = job_run(job_retry(job).pk)
    run.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert run.status == Job.Status.SUCCEEDED and run.metrics["resumed_from_step"] == 1
    assert [r["step"] for r in map(json.loads, (Path(run.run_dir) / "loss.jsonl").read_text().splitlines())] == [1, 2, 3]


def test_create_rejects_bad_settings_and_names(demo_dataset):
    with pytest.raises(TrainingRunError, match="learning_rate"):
        training_run_create(name="bad", dataset=demo_dataset, config={"learning_rate": -1}, enqueue=False)
    with pytest.raises(TrainingRunError, match="unknown training settings"):
        training_run_create(name="bad", dataset=demo_dataset, config={"epoch": 3}, enqueue=False)
    with pytest.raises(TrainingRunError, match="slug"):
        training_run_create(name="Bad Name", dataset=demo_dataset, config={}, enqueue=False)
    with pytest.raises(TrainingRunError, match="no examples"):
        training_run_create(name="nosplit", dataset=demo_dataset, config={}, split="nope", enqueue=False)
    assert not TrainingRun.objects.exists() and not Job.objects.exists()


def test_pages_form_and_api(researcher_client, demo_dataset, django_capture_on_commit_callbacks):
    page = researcher_client.get(f"/training/new/?dataset={demo_dataset.name}")
    assert page.status_code == 200 and f'value="{demo_dataset.name}-run"' in page.content.decode()
    response = researcher_client.post("/training/new/", {
        "name": "web-run", "dataset": demo_dataset.name, "split": "train", "epochs": 1, "learning_rate": 0.001,
        "lr_scheduler": "linear", "warmup_ratio": 0, "batch_size": 8, "grad_accumulation": 1,
        "max_source_length": 32, "max_target_length": 32, "seed": 3, "precision": "fp32", "num_layers": 1,
        "d_model": 32, "generate_split": "test"})
    assert response.status_code == 302 and response["Location"] == "/training/web-run/"
    run = TrainingRun.objects.get(name="web-run")
    assert run.config["seed"] == 3 and run.job.kind == "training"
    assert run.job.params["then_generate"] == {"dataset": demo_dataset.name, "split": "test", "system": "web-run"}
    detail = researcher_client.get("/training/web-run/").content.decode()
    assert "no loss logged yet" in detail and "<svg" in detail
    assert researcher_client.get("/training/").status_code == 200

    api = researcher_client.post("/api/training-runs/", {"name": "api-run", "dataset": demo_dataset.name,
                                 "config": {"max_steps": 2, "num_layers": 1}}, content_type="application/json")
    assert api.status_code == 201, api.content
    assert api.json()["config"]["max_steps"] == 2 and api.json()["config"]["epochs"] is None
    bad = researcher_client.post("/api/training-runs/", {"name": "api-run2", "dataset": demo_dataset.name,
                                 "config": {"batch_size": 0}}, content_type="application/json")
    assert bad.status_code == 400 and "batch_size" in bad.json()["detail"]
    assert researcher_client.get("/api/training-runs/api-run/loss/").json()["loss"] == []

    def generate(**body):
        return researcher_client.post("/api/training-runs/api-run/generate/", {"dataset": demo_dataset.name, **body},
                                      content_type="application/json")

    gen = generate(system="api-gen")
    assert gen.status_code == 202, gen.content
    job = Job.objects.get(pk=gen.json()["id"])
    assert job.kind == "generation" and job.params["run"] == "api-run" and job.params["system"] == "api-gen"
    System.objects.create(name="taken", dataset=demo_dataset, kind="imported")
    taken = generate(system="taken")
    assert taken.status_code == 400 and "already has a system named 'taken'" in taken.json()["detail"]
    assert generate(system="api-gen2", num_beams=0).status_code == 400
    assert Job.objects.filter(kind="generation").count() == 1  # the refused requests queued nothing


@pytest.mark.parametrize("url", ["/training/", "/training/new/", "/systems/", "/systems/import/", "/results/",
                                 "/api/training-runs/", "/api/systems/", "/api/scores/?dataset=x&system=a"])
def test_annotators_are_refused(annotator_client, url):
    assert annotator_client.get(url).status_code == 403


def test_demo_pipeline_queues_two_runs_that_generate(demo_dataset, django_capture_on_commit_callbacks):
    from selection.services.datasets import dataset_create_from_examples
    from selection.services.training import demo_pipeline_enqueue

    subset = dataset_create_from_examples(name="demo-sel", parent=demo_dataset,
                                          examples=demo_dataset.examples.filter(split="train")[:30])
    with django_capture_on_commit_callbacks() as callbacks:
        runs = demo_pipeline_enqueue(dataset=demo_dataset, selection_dataset=subset, config=TINY)
    assert [r.name for r in runs] == ["demo-full", "demo-ucs"] and runs[1].dataset == subset
    assert len(callbacks) == 2  # both jobs handed to the worker on commit
    assert runs[1].job.params["then_generate"] == {"dataset": demo_dataset.name, "split": "test", "system": "demo-ucs"}
    assert System.objects.get(name="copy").outputs.count() == 12
    assert [r.pk for r in demo_pipeline_enqueue(dataset=demo_dataset, selection_dataset=subset)] == [r.pk for r in runs]
