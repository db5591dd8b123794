"""Leases: a job whose worker stopped renewing is re-queued (then failed after the retry limit), can be
cancelled at once, and the attempt that lost it can neither renew nor finish it."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from deft_site.jobs.leases import lease_renew, leases_reclaim
from deft_site.jobs.models import Job, Worker
from deft_site.jobs.registry import job_handler
from deft_site.jobs.selectors import job_queue_info
from deft_site.jobs.services import job_cancel, job_create, job_retry, job_run
from deft_site.jobs.workers import Presence
from selection.models import Dataset
from tests.conftest import jsonl_bytes

pytestmark = pytest.mark.django_db


@job_handler("test_steps")
def _steps(job, report):  # noqa: ANN001
    for i in range(job.params.get("n", 3)):
        if job.params.get("taken_over_at") == i:  # another worker reclaims it and starts attempt 2
            Job.objects.filter(pk=job.pk).update(attempts=job.attempts + 1, worker="other:2")
        report.progress(i + 1, job.params.get("n", 3), f"step {i + 1}", force=True)
    return {"steps": job.params.get("n", 3)}


def _as_if_its_worker_died(job: Job, attempts: int = 1, cancel: bool = False) -> Job:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, attempts=attempts, worker="gone:123", cancel_requested=cancel,
        started_at=timezone.now() - timedelta(minutes=5), lease_expires_at=timezone.now() - timedelta(seconds=1))
    job.refresh_from_db()
    return job


def test_a_lapsed_lease_is_requeued_and_the_next_worker_finishes_it(django_capture_on_commit_callbacks):
    job = _as_if_its_worker_died(job_create(kind="test_steps", title="orphan", params={}))
    assert job.lease_lapsed
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        assert leases_reclaim() == [job.pk]
    assert len(enqueued) == 1  # handed to the task backend again
    job.refresh_from_db()
    assert (job.status, job.stage) == (Job.Status.QUEUED, "re-queued: worker gone:123 stopped responding")
    assert "stopped renewing its lease (attempt 1); re-queued." in job.log
    assert leases_reclaim() == []  # nothing left to reclaim
    job = job_run(job.pk)
    assert (job.status, job.attempts, job.result) == (Job.Status.SUCCEEDED, 2, {"steps": 3})


def test_a_live_lease_is_left_alone():
    job = job_create(kind="test_steps", title="alive", params={})
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, attempts=1,
                                         lease_expires_at=timezone.now() + timedelta(seconds=30))
    assert leases_reclaim() == []
    assert lease_renew(job.pk, attempt=1) and not lease_renew(job.pk, attempt=2)


def test_after_the_retry_limit_the_job_fails_with_the_reason(settings):
    settings.DEFT_JOB_MAX_ATTEMPTS = 2
    job = _as_if_its_worker_died(job_create(kind="test_steps", title="cursed", params={}), attempts=2)
    leases_reclaim()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.can_retry
    assert job.error.startswith("Given up after 2 attempts: each time its worker stopped responding")
    assert job_run(job_retry(job).pk).status == Job.Status.SUCCEEDED


def test_cancel_works_on_a_job_whose_worker_died():
    job = _as_if_its_worker_died(job_create(kind="test_steps", title="orphan", params={}))
    job = job_cancel(job)
    assert job.status == Job.Status.CANCELLED and "had stopped" in job.error
    # and a cancel asked while the lease still ran is honoured when it lapses
    other = _as_if_its_worker_died(job_create(kind="test_steps", title="orphan 2", params={}), cancel=True)
    leases_reclaim()
    other.refresh_from_db()
    assert other.status == Job.Status.CANCELLED


def test_retry_of_a_running_job_whose_worker_died_requeues_it():
    job = _as_if_its_worker_died(job_create(kind="test_steps", title="orphan", params={}))
    assert job_retry(job).status == Job.Status.QUEUED


def test_the_attempt_that_lost_its_lease_neither_renews_nor_finishes_it():
    job = job_create(kind="test_steps", title="taken", params={"n": 3, "taken_over_at": 1})
    job = job_run(job.pk)
    assert (job.status, job.attempts, job.worker) == (Job.Status.RUNNING, 2, "other:2")  # not overwritten
    assert job.progress_done == 1 and job.result is None


def test_a_queued_job_says_what_it_waits_for():
    first = job_create(kind="test_steps", title="first", params={})
    second = job_create(kind="test_steps", title="second", params={})
    info = job_queue_info(second)
    assert (info["position"], info["workers"]) == (2, 0)
    assert info["waiting_for"].startswith("a worker for the long queue: none is running")
    Worker.objects.create(name="w:1", hostname="w", pid=1, queues=["long"])
    info = job_queue_info(second)
    assert info["ahead"]["pk"] == first.pk and f"job #{first.pk} (first) ahead of it" in info["waiting_for"]
    Worker.objects.filter(name="w:1").update(queues=["interactive"])
    assert job_queue_info(second)["workers"] == 0  # a worker on another queue does not count


def test_a_worker_beat_reclaims_and_records_itself():
    job = _as_if_its_worker_died(job_create(kind="test_steps", title="orphan", params={}))
    with Presence(["long"], tag="test") as presence:
        worker = Worker.objects.get(name=presence.name)
        assert worker.queues == ["long"] and worker.stopped_at is None
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert Worker.objects.get(name=presence.name).stopped_at is not None


def test_retrying_an_upload_import_reads_the_kept_file(researcher_client, settings, tmp_path, monkeypatch):
    from selection.services import datasets as dataset_service

    settings.DEFT_DATA_DIR = tmp_path
    monkeypatch.setattr("deft_site.jobs.services.job_enqueue", lambda job: job)
    rows = [{"_id": f"u{i}", "task": "gec", "src": f"s {i}", "tgt": f"t {i}"} for i in range(3)]
    upload = io.BytesIO(jsonl_bytes(rows))
    upload.name = "mine.jsonl"
    researcher_client.post("/datasets/upload/", {"name": "uploaded", "file": upload, "split": "train"})
    job = Job.objects.get()
    real_import = dataset_service.dataset_import

    def disk_hiccup(**kwargs):  # noqa: ANN003
        raise OSError("No space left on device")

    monkeypatch.setattr(dataset_service, "dataset_import", disk_hiccup)
    job = job_run(job.pk)
    assert job.status == Job.Status.FAILED and job.can_retry and job.input_file
    monkeypatch.setattr(dataset_service, "dataset_import", real_import)
    job = job_run(job_retry(job).pk)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Dataset.objects.get(name="uploaded").row_count == 3
    assert job.input_file == "" and not list((tmp_path / "uploads").iterdir())  # gone once it succeeded


def test_deleting_a_job_deletes_its_upload(tmp_path):
    kept = tmp_path / "upload.jsonl"
    kept.write_text("{}\n")
    job = job_create(kind="test_steps", title="x", params={}, input_file=str(kept))
    job.delete()
    assert not kept.exists()


def test_recover_jobs_command_reclaims(capsys):
    job = _as_if_its_worker_died(job_create(kind="test_steps", title="orphan", params={}))
    call_command("recover_jobs")
    assert f"#{job.pk}" in capsys.readouterr().out
    assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
