"""Background jobs end to end: through django-tasks-db's worker, through RQ on Redis, cancel and retry."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from deft_site.jobs.errors import JobCancelled, JobError
from deft_site.jobs.models import Job
from deft_site.jobs.registry import job_handler
from deft_site.jobs.reporter import Reporter
from deft_site.jobs.services import JobRetryRefused, job_cancel, job_create, job_retry, job_run, job_submit
from selection.models import Dataset
from tests.conftest import jsonl_bytes
from tests.needs import need, port_open

ROWS = [{"_id": f"r{i}", "task": "gec", "src": f"Fix grammar: row {i}", "tgt": f"Row {i}."} for i in range(5)]
CALLS: list[int] = []


@job_handler("test_count")
def _count(job, report):  # noqa: ANN001
    for i in range(job.params["n"]):
        report.progress(i + 1, job.params["n"], "counting", force=True)
        CALLS.append(i)
    if job.params.get("fail") == "bug":
        raise RuntimeError("the handler broke on purpose")
    if job.params.get("fail") == "input":
        raise JobError("row 3 has no src", hint="Fix row 3 and import again.")
    return {"counted": job.params["n"]}


def _import_params(tmp_path, name: str) -> dict:
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(jsonl_bytes(ROWS))
    return {"path": str(path), "name": name, "filename": path.name}


@pytest.mark.django_db(transaction=True)
def test_job_runs_end_to_end_through_the_db_worker(tmp_path):
    from django_tasks_db.models import DBTaskResult

    job = job_submit(kind="dataset_import", title="import via worker", params=_import_params(tmp_path, "via-worker"))
    assert job.queue == "interactive"
    assert list(DBTaskResult.objects.values_list("queue_name", flat=True)) == ["interactive"]  # enqueued on commit
    call_command("jobs_worker", queue="interactive", batch=True, verbosity=0)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result == {"dataset": "via-worker", "dataset_id": Dataset.objects.get().pk, "rows": 5}
    assert job.progress_done == job.progress_total > 0
    assert job.started_at and job.finished_at and job.seconds >= 0
    assert job.worker and job.lease_expires_at is None and job.stage == "done"


@pytest.mark.django_db(transaction=True)
def test_a_worker_takes_only_its_own_queues(tmp_path):
    long_job = job_submit(kind="test_count", title="long", params={"n": 1})
    short = job_submit(kind="dataset_import", title="short", params=_import_params(tmp_path, "short"))
    call_command("jobs_worker", queue="interactive", batch=True, verbosity=0)
    assert Job.objects.get(pk=short.pk).status == Job.Status.SUCCEEDED
    assert Job.objects.get(pk=long_job.pk).status == Job.Status.QUEUED  # "long" waits for a long worker
    call_command("jobs_worker", queue="long", batch=True, verbosity=0)
    assert Job.objects.get(pk=long_job.pk).status == Job.Status.SUCCEEDED


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_same_job_runs_on_an_rq_worker(tmp_path):
    need(port_open(6379), "Redis is not reachable on 127.0.0.1:6379")
    queues = ["default", "interactive", "long", "gpu"]
    rq_tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": queues}}
    with override_settings(TASKS=rq_tasks, RQ_QUEUES={q: {"URL": "redis://127.0.0.1:6379/4"} for q in queues}):
        import django_rq
        from django_tasks_rq import Job as RQJob
        from rq import SimpleWorker

        queue = django_rq.get_queue("interactive")
        queue.empty()
        job = job_submit(kind="dataset_import", title="import via rq", params=_import_params(tmp_path, "via-rq"))
        assert queue.count == 1 and django_rq.get_queue("long").count == 0
        SimpleWorker([queue], connection=queue.connection, job_class=RQJob).work(burst=True)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Dataset.objects.get(name="via-rq").row_count == 5


@pytest.mark.django_db
def test_a_crash_is_a_headline_for_users_with_the_traceback_for_staff_and_can_be_retried():
    job = job_run(job_create(kind="test_count", title="fails", params={"n": 2, "fail": "bug"}).pk)
    assert job.status == Job.Status.FAILED and job.can_retry
    assert job.error == ("Unexpected error (RuntimeError: the handler broke on purpose). "
                         "Retry may help; staff can see the details.")
    assert "Traceback" in job.error_details and "Traceback" not in job.error
    Job.objects.filter(pk=job.pk).update(params={"n": 2})
    job = job_retry(job)
    assert job.status == Job.Status.QUEUED and job.error == "" and job.error_details == ""
    assert job_run(job.pk).status == Job.Status.SUCCEEDED
    assert Job.objects.get(pk=job.pk).attempts == 2
    with pytest.raises(JobRetryRefused, match="Only failed or cancelled jobs can be retried"):
        job_retry(Job.objects.get(pk=job.pk))


@pytest.mark.django_db
def test_bad_input_is_not_offered_a_retry_that_would_fail_the_same_way():
    job = job_run(job_create(kind="test_count", title="bad", params={"n": 1, "fail": "input"}).pk)
    assert (job.status, job.error, job.can_retry) == (Job.Status.FAILED, "Row 3 has no src. Fix row 3 and import again.", False)
    with pytest.raises(JobRetryRefused, match="a retry would repeat"):
        job_retry(job)


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
                job_cancel(Job.objects.get(pk=running.pk))

    _count.__globals__["CALLS"] = CancelAfterThree()
    try:
        job = job_run(running.pk)
    finally:
        _count.__globals__["CALLS"] = original
    assert job.status == Job.Status.CANCELLED and job.can_retry
    assert 3 <= job.progress_done < 1000
    assert job.error.startswith(f"Job #{job.pk} was cancelled.")


@pytest.mark.django_db
def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown job kind 'nope'"):
        job_create(kind="nope", title="x", params={})


@pytest.mark.django_db
def test_job_pages_and_json(researcher_client, staff, client):
    job = job_run(job_create(kind="test_count", title="visible", params={"n": 2, "fail": "bug"}).pk)
    assert researcher_client.get("/jobs/").status_code == 200
    data = researcher_client.get(f"/jobs/{job.pk}.json").json()
    assert (data["status"], data["done"], data["total"]) == ("failed", 2, 2)
    assert data["error"] == job.error and "error_details" not in data
    page = researcher_client.get(f"/jobs/{job.pk}/").content.decode()
    assert "RuntimeError: the handler broke on purpose" in page and "Traceback" not in page
    assert "Why it failed" in page
    assert 'data-finished-statuses="succeeded failed cancelled"' in page
    assert 'data-succeeded-status="succeeded" data-failed-status="failed"' in page  # jobs.js names no status
    assert "{&#x27;n&#x27;" not in page and "<th>n</th><td>2</td>" in page  # parameters readable, not a dict
    api = researcher_client.get(f"/api/jobs/{job.pk}/").json()
    assert api["error_details"] is None and api["can_retry"] is True
    client.force_login(staff)
    assert "Traceback" in client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Traceback" in client.get(f"/jobs/{job.pk}.json").json()["error_details"]


@pytest.mark.django_db
def test_retry_is_offered_only_where_it_helps(researcher_client):
    bad = job_run(job_create(kind="test_count", title="bad", params={"n": 1, "fail": "input"}).pk)
    crash = job_run(job_create(kind="test_count", title="crash", params={"n": 1, "fail": "bug"}).pk)
    assert f'/jobs/{bad.pk}/retry/' not in researcher_client.get(f"/jobs/{bad.pk}/").content.decode()
    assert f'/jobs/{crash.pk}/retry/' in researcher_client.get(f"/jobs/{crash.pk}/").content.decode()
    assert researcher_client.post(f"/api/jobs/{bad.pk}/retry/").status_code == 409


@pytest.mark.django_db
def test_next_redirects_stay_on_this_site(researcher_client):
    job = job_create(kind="test_count", title="q", params={"n": 1})
    evil = researcher_client.post(f"/jobs/{job.pk}/cancel/", {"next": "https://evil.example/"})
    assert evil["Location"] == f"/jobs/{job.pk}/"
    job2 = job_create(kind="test_count", title="q2", params={"n": 1})
    ok = researcher_client.post(f"/jobs/{job2.pk}/cancel/", {"next": "/jobs/?status=queued"})
    assert ok["Location"] == "/jobs/?status=queued"


@pytest.mark.django_db
def test_job_log_appends_lines():
    job = job_create(kind="test_count", title="logs", params={"n": 1})
    reporter = Reporter(job)
    reporter.log("first")
    reporter.log("second")
    job.refresh_from_db()
    assert [line.split("] ", 1)[1] for line in job.log.splitlines()] == ["first", "second"]


@pytest.mark.django_db
def test_a_new_stage_is_written_at_once_but_counters_are_throttled():
    job = job_create(kind="test_count", title="stages", params={"n": 1})
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, attempts=1, lease_expires_at="2100-01-01T00:00Z")
    job.refresh_from_db()
    reporter = Reporter(job, min_interval=60)
    reporter.progress(1, 10, "embedding 1/10", force=True)
    reporter.progress(2, 10, "embedding 2/10")
    job.refresh_from_db()
    assert (job.progress_done, job.stage) == (1, "embedding 1/10")
    reporter.progress(3, 10, "clustering")
    job.refresh_from_db()
    assert (job.progress_done, job.stage) == (3, "clustering")


@job_handler("test_cancel_mid_step")
def _cancelled_mid_step(job, report):  # noqa: ANN001
    """Like training: the report that meets the cancel is caught, the handler finishes its step (saves a
    checkpoint) and raises its own cancel message."""
    stopped = None
    for step in range(1, 1000):
        try:
            report.progress(step, 999, f"step {step}/999", force=True)
        except JobCancelled:
            stopped = step
            break
        if step == 3:
            job_cancel(Job.objects.get(pk=job.pk))
    raise JobCancelled(f"stopped at step {stopped}; checkpoint saved in /tmp/x")


@pytest.mark.django_db
def test_a_cancelled_job_shows_the_step_it_stopped_at_in_whole_sentences():
    job = job_run(job_create(kind="test_cancel_mid_step", title="stops mid-step", params={}).pk)
    assert job.status == Job.Status.CANCELLED
    assert (job.progress_done, job.progress_total, job.stage) == (4, 999, "step 4/999")  # not the 3 last written
    assert job.error == "stopped at step 4; checkpoint saved in /tmp/x. It stopped at: step 4/999."
