"""The jobs command, and --enqueue on the long commands: queue instead of running, the job id alone last."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from deft_site.jobs.models import Job
from deft_site.jobs.services import job_create, job_run
from selection.models import SelectionRun, TrainingRun
from tests.conftest import jsonl_bytes

pytestmark = pytest.mark.django_db


def cli(*args: str) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def _last_line_is_the_job(lines: list[str]) -> Job:
    assert lines[-1].isdigit(), lines
    return Job.objects.get(pk=int(lines[-1]))


def test_import_dataset_enqueue(tmp_path, settings):
    settings.DEFT_DATA_DIR = tmp_path / "data"
    source = tmp_path / "rows.jsonl"
    source.write_bytes(jsonl_bytes([{"_id": "a", "task": "gec", "src": "x", "tgt": "y"}]))
    job = _last_line_is_the_job(cli("import_dataset", str(source), "--name", "queued-import", "--enqueue"))
    assert (job.kind, job.queue, job.status) == ("dataset_import", "interactive", "queued")
    assert job.input_file and job.input_file != str(source)  # a copy the job owns; the user's file is theirs
    assert job_run(job.pk).status == Job.Status.SUCCEEDED
    assert source.exists()


def test_select_train_generate_score_enqueue(demo_dataset):
    job = _last_line_is_the_job(cli("select", "--dataset", demo_dataset.name, "--name", "q-sel",
                                    "--strategy", "random", "--enqueue"))
    assert (job.kind, job.queue, SelectionRun.objects.get(name="q-sel").job_id) == ("selection", "long", job.pk)
    job = _last_line_is_the_job(cli("train", "--dataset", demo_dataset.name, "--name", "q-train", "--enqueue"))
    assert (job.kind, job.queue, TrainingRun.objects.get(name="q-train").status) == ("training", "long", "queued")
    gpu = _last_line_is_the_job(cli("train", "--dataset", demo_dataset.name, "--name", "q-gpu", "--enqueue", "--gpu"))
    assert gpu.queue == "gpu"
    cli("generate", "--copy-baseline", "--dataset", demo_dataset.name, "--split", "test")
    job = _last_line_is_the_job(cli("generate", "--model", "/nowhere", "--dataset", demo_dataset.name,
                                    "--system", "q-gen", "--enqueue"))
    assert (job.kind, job.queue) == ("generation", "long")
    job = _last_line_is_the_job(cli("score", "--dataset", demo_dataset.name, "--system", "copy", "--enqueue"))
    assert (job.kind, job.queue) == ("scoring", "interactive")


def test_jobs_lists_id_kind_queue_status_attempts_progress_worker():
    done = job_run(job_create(kind="scoring", title="score it", params={"dataset": "nope", "systems": []}).pk)
    waiting = job_create(kind="training", title="later", params={"run": "x"})
    rows = json.loads(cli("jobs", "--json")[0])
    assert [r["id"] for r in rows] == [waiting.pk, done.pk]
    assert set(rows[0]) >= {"id", "kind", "queue", "status", "attempts", "progress", "worker"}
    assert (rows[1]["status"], rows[1]["attempts"], rows[1]["queue"]) == ("failed", 1, "interactive")
    assert rows[1]["worker"] and rows[1]["error"]
    table = cli("jobs")
    assert table[0].split()[:7] == ["id", "kind", "queue", "status", "tries", "progress", "worker"]
    assert any(line.split()[:4] == [str(waiting.pk), "training", "long", "queued"] for line in table)
    assert json.loads(cli("jobs", "--json", "--status", "queued")[0])[0]["id"] == waiting.pk
    assert cli("jobs", "--cancel", str(waiting.pk)) == [f"Job #{waiting.pk}: cancelled"]
    assert cli("jobs", "--retry", str(waiting.pk)) == [f"Job #{waiting.pk} queued again on long."]
    imported = job_create(kind="dataset_import", title="the longest kind", params={})  # columns stay apart
    assert cli("jobs")[1].split()[:4] == [str(imported.pk), "dataset_import", "interactive", "queued"]
