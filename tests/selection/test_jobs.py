"""Background jobs end to end: through django-tasks-db's worker, through RQ on Redis, cancel and retry."""
from __future__ import annotations


import pytest
from django.core.management import call_command
from django.test import override_settings

from selection.jobs import job_cancel, job_create, job_handler, job_retry, job_run, job_submit
from selection.models import Dataset, Job
from tests.conftest import jsonl_bytes
from tests.needs import need, port_open

ROWS = [{"_id": f"r{i}", "task": "gec", "src": f"Fix grammar: row {i}", "tgt": f"Row {i}."} for i in range(5)]
CALLS: list[int] = []


@job_handler("test_count")
def _count(job, report):  # noqa: ANN001
    for i in range(job.params["n"]):
        report.progress(i + 1, job.params["n"], "counting", force=True)
        CALLS.append(i)
    if job.params.get("fail"):
        raise RuntimeError("the handler broke on purpose")
    return {"counted": job.params["n"]}


def _import_params(tmp_path, name: str) -> dict:
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(jsonl_bytes(ROWS))
    return {"path": str(path), "name": name, "filename": path.name}


@pytest.mark.django_db(transaction=True)
def test_job_runs_end_to_end_through_the_db_worker(tmp_path):
    job = job_submit(kind="dataset_import", title="import via worker", params=_import_params(tmp_path, "via-worker"))
    assert Job.objects.get(pk=job.pk).task_result_id  # enqueued on commit
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result == {"dataset": "via-worker", "dataset_id": Dataset.objects.get().pk, "rows": 5}
    assert job.progress_done == job.progress_total > 0
    assert job.started_at and job.finished_at and job.seconds >= 0


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_same_job_runs_on_an_rq_worker(tmp_path):
    need(port_open(6379), "Redis is not reachable on 127.0.0.1:6379")
    rq_tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    with override_settings(TASKS=rq_tasks, RQ_QUEUES={"default": {"URL": "redis://127.0.0.1:6379/15"}}):
        import django_rq
        from rq import SimpleWorker

        queue = django_rq.get_queue("default")
        queue.empty()
        job = job_submit(kind="dataset_import", title="import via rq", params=_import_params(tmp_path, "via-rq"))
        assert queue.count == 1
        from django_tasks_rq import Job as RQJob

        SimpleWorker([queue], connection=queue.connection, job_class=RQJob).work(burst=True)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Dataset.objects.get(name="via-rq").row_count == 5


@pytest.mark.django_db
def test_failed_job_records_why_and_can_be_retried():
    job = job_create(kind="test_count", title="fails", params={"n": 2, "fail": True})
    job = job_run(job.pk)
    assert job.status == Job.Status.FAILED
    assert job.error.startswith("RuntimeError: the handler broke on purpose")
    Job.objects.filter(pk=job.pk).update(params={"n": 2})
    job.refresh_from_db()
    job = job_retry(job)
    assert job.status == Job.Status.QUEUED and job.error == ""
    assert job_run(job.pk).status == Job.Status.SUCCEEDED
    assert Job.objects.get(pk=job.pk).attempts == 2
    with pytest.raises(ValueError, match="Only failed or cancelled jobs can be retried"):
        job_retry(Job.objects.get(pk=job.pk))


@pytest.mark.django_db
def test_cancel_before_start_and_while_running():
    queued = job_create(kind="test_count", title="never starts", params={"n": 3})
    assert job_cancel(queued).status == Job.Status.CANCELLED
    assert job_run(queued.pk).status == Job.Status.CANCELLED  # a worker finding it later does nothing

    running = job_create(kind="test_count", title="stops", params={"n": 1000})
    CALLS.clear()
    original = _count.__globals__["CALLS"]

    class CancelAfterThree(list):
        def append(self, item):  # noqa: ANN001
            super().append(item)
            if len(self) == 3:
                Job.objects.filter(pk=running.pk).update(cancel_requested=True)

    _count.__globals__["CALLS"] = CancelAfterThree()
    try:
        job = job_run(running.pk)
    finally:
        _count.__globals__["CALLS"] = original
    assert job.status == Job.Status.CANCELLED
    assert 3 <= job.progress_done < 1000


@pytest.mark.django_db
def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown job kind 'nope'"):
        job_create(kind="nope", title="x", params={})


@pytest.mark.django_db
def test_job_pages_and_json(researcher_client):
    job = job_run(job_create(kind="test_count", title="visible", params={"n": 2}).pk)
    assert researcher_client.get("/jobs/").status_code == 200
    data = researcher_client.get(f"/jobs/{job.pk}.json").json()
    assert (data["status"], data["done"], data["total"], data["percent"]) == ("succeeded", 2, 2, 100.0)
    api = researcher_client.get(f"/api/jobs/{job.pk}/").json()
    assert api["result"] == {"counted": 2}


@pytest.mark.django_db
def test_jobs_left_running_by_a_dead_worker_become_retryable():
    from selection.jobs import INTERRUPTED

    job = job_create(kind="test_count", title="orphan", params={"n": 2})
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    call_command("recover_jobs", verbosity=0)
    job.refresh_from_db()
    assert (job.status, job.error) == (Job.Status.FAILED, INTERRUPTED)
    assert job_run(job_retry(job).pk).status == Job.Status.SUCCEEDED


@pytest.mark.django_db
def test_job_log_appends_lines():
    from selection.jobs import Reporter

    job = job_create(kind="test_count", title="logs", params={"n": 1})
    reporter = Reporter(job)
    reporter.log("first")
    reporter.log("second")
    job.refresh_from_db()
    assert [line.split("] ", 1)[1] for line in job.log.splitlines()] == ["first", "second"]


@pytest.mark.django_db
def test_a_new_stage_is_written_at_once_but_counters_are_throttled():
    from selection.jobs import Reporter

    job = job_create(kind="test_count", title="stages", params={"n": 1})
    reporter = Reporter(job, min_interval=60)
    reporter.progress(1, 10, "embedding 1/10", force=True)
    reporter.progress(2, 10, "embedding 2/10")
    job.refresh_from_db()
    assert (job.progress_done, job.stage) == (1, "embedding 1/10")
    reporter.progress(3, 10, "clustering")
    job.refresh_from_db()
    assert (job.progress_done, job.stage) == (3, "clustering")
