"""Writes on jobs: create, enqueue, run (claim, lease, handler, outcome), cancel, retry, delete.

``job_enqueue`` hands the job to the configured task backend on its queue (django-tasks-db's worker by
default, RQ when TASKS_BACKEND=rq) once the surrounding transaction commits; ``job_run`` runs one in this
process, which is what the worker's task and the CLI call. Whoever runs it holds its lease while it runs.
"""
from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from deft_site.jobs import workers
from deft_site.jobs.errors import JobCancelled, JobLost, as_sentence, headline_for
from deft_site.jobs.leases import LeaseKeeper, lease_until, leases_reclaim
from deft_site.jobs.models import Job
from deft_site.jobs.registry import kind_get
from deft_site.jobs.reporter import ProgressSink, Reporter, job_log_append

logger = logging.getLogger("deft.jobs")


class JobRetryRefused(ValueError):
    """Retry was asked for a job it cannot help (running, succeeded, or failed in a way a retry repeats)."""


def job_create(*, kind: str, title: str, params: dict[str, Any], user: Any = None, queue: str | None = None,
               input_file: str = "") -> Job:
    """A queued job row (not yet handed to a worker: ``job_enqueue`` or ``job_run`` does that)."""
    spec = kind_get(kind)
    return Job.objects.create(kind=kind, title=title[:255], params=params, queue=queue or spec.queue,
                              input_file=input_file, created_by=_user_or_none(user))


def job_enqueue(job: Job) -> Job:
    """Hand the job to the task backend on its queue once the surrounding transaction commits."""
    from deft_site.jobs.tasks import run_job

    job_id, queue = job.pk, job.queue
    transaction.on_commit(lambda: run_job.using(queue_name=queue).enqueue(job_id))
    return job


def job_submit(*, kind: str, title: str, params: dict[str, Any], user: Any = None, queue: str | None = None,
               input_file: str = "") -> Job:
    """Create and enqueue a job in one step (the web, API and ``--enqueue`` path)."""
    with transaction.atomic():
        job = job_create(kind=kind, title=title, params=params, user=user, queue=queue, input_file=input_file)
        job_enqueue(job)
    return job


def job_run(job_id: int, echo: ProgressSink | None = None, interrupt: str = "requeue") -> Job:
    """Run a job here and now: claim it (queued → running, with a lease), call its handler, record the outcome.

    Returns the job as it is afterwards. A job already taken, finished or cancelled is left alone. When this
    process is interrupted (SIGTERM, Ctrl+C) the job goes back to its queue (``interrupt="requeue"``, what a
    worker wants) or is cancelled (``"cancel"``, what a command run in a terminal wants).
    """
    worker_name = workers.current_name()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED, cancel_requested=False).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), finished_at=None, attempts=F("attempts") + 1,
        lease_expires_at=lease_until(), heartbeat_at=timezone.now(), worker=worker_name,
        error="", error_details="",
    )
    if not claimed:
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED, cancel_requested=True).update(
            status=Job.Status.CANCELLED, finished_at=timezone.now(), error="Cancelled before it started.")
        return Job.objects.get(pk=job_id)
    job = Job.objects.get(pk=job_id)
    attempt = job.attempts
    job_log_append(job.pk, f"attempt {attempt} started on {worker_name}")
    logger.info("job %s (%s) attempt %s started on %s", job.pk, job.kind, attempt, worker_name)
    workers.current_job_set(job.pk)
    try:
        with LeaseKeeper(job.pk, attempt) as keeper:
            reporter = Reporter(job, echo=echo, keeper=keeper)
            try:
                result = kind_get(job.kind).handler()(job, reporter)
            except JobCancelled as exc:
                # The report that met the cancel was not written: keep it, so the job shows where it stopped.
                done, total = reporter.last
                _finish(job, attempt, Job.Status.CANCELLED, progress=(done, total, reporter._stage),
                        error=f"{as_sentence(str(exc))} It stopped at: {reporter._stage or 'start'}.")
            except JobLost:
                logger.warning("job %s: attempt %s lost its lease; another worker carries on", job.pk, attempt)
            except Exception as exc:  # noqa: BLE001 - a job records any failure and says why
                headline, retryable = headline_for(exc)
                _finish(job, attempt, Job.Status.FAILED, error=headline, retryable=retryable,
                        details=traceback.format_exc())
            except BaseException:  # the process is being stopped (SIGTERM, Ctrl+C)
                if interrupt == "cancel":
                    _finish(job, attempt, Job.Status.CANCELLED, error="Cancelled: the command running it was interrupted.")
                else:
                    _release(job, attempt)
                raise
            else:
                _finish(job, attempt, Job.Status.SUCCEEDED, result=result)
    finally:
        workers.current_job_set(None)
    job.refresh_from_db()
    return job


def _finish(job: Job, attempt: int, status: str, *, error: str = "", details: str = "", retryable: bool = True,
            result: dict | None = None, progress: tuple[int, int | None, str] | None = None) -> None:
    updates: dict[str, Any] = {"status": status, "finished_at": timezone.now(), "error": error,
                               "error_details": details, "retryable": retryable, "lease_expires_at": None}
    if progress is not None and progress[2]:
        updates["progress_done"], updates["progress_total"], updates["stage"] = progress[0], progress[1], progress[2][:255]
    if result is not None:
        updates["result"] = result
    if status == Job.Status.SUCCEEDED:
        updates["stage"] = "done"
        row = Job.objects.filter(pk=job.pk).values("progress_total", "input_file").first() or {}
        if row.get("progress_total"):
            updates["progress_done"] = row["progress_total"]
    won = Job.objects.filter(pk=job.pk, attempts=attempt, status=Job.Status.RUNNING).update(**updates)
    if won and status == Job.Status.SUCCEEDED:
        job_input_file_remove(job.pk)
    logger.info("job %s (%s) %s%s", job.pk, job.kind, status, f": {error}" if error else "")


def _release(job: Job, attempt: int) -> None:
    """Put an interrupted attempt's job back in its queue now, instead of waiting for its lease to lapse."""
    with transaction.atomic():
        won = Job.objects.filter(pk=job.pk, attempts=attempt, status=Job.Status.RUNNING).update(
            status=Job.Status.QUEUED, queued_at=timezone.now(), lease_expires_at=None,
            stage="re-queued: its worker was stopped")
        if won:
            job_enqueue(job)
    job_log_append(job.pk, "the worker was stopped; job re-queued")


def job_cancel(job: Job) -> Job:
    """Cancel a job: queued → cancelled at once; running → at its next progress report; running on a worker
    that stopped (lapsed lease) → cancelled at once."""
    now = timezone.now()
    with transaction.atomic():
        Job.objects.filter(pk=job.pk, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(cancel_requested=True)
        Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
            status=Job.Status.CANCELLED, finished_at=now, error="Cancelled before it started.")
        Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, lease_expires_at__lt=now).update(
            status=Job.Status.CANCELLED, finished_at=now, lease_expires_at=None,
            error="Cancelled; its worker had stopped, so it was cancelled at once.")
    job.refresh_from_db()
    return job


def job_retry(job: Job) -> Job:
    """Run a cancelled or failed job again with the same parameters (handlers resume where they can).

    A running job whose worker stopped (lapsed lease) is re-queued at once. Raises ``JobRetryRefused``.
    """
    job.refresh_from_db()
    if job.lease_lapsed:
        leases_reclaim()
        job.refresh_from_db()
        return job
    if not job.can_retry:
        if job.status == Job.Status.FAILED:
            raise JobRetryRefused(f"Job #{job.pk} failed in a way a retry would repeat: {job.error_headline}")
        raise JobRetryRefused(f"Only failed or cancelled jobs can be retried; job #{job.pk} is {job.status}.")
    with transaction.atomic():
        job_requeue(job)
        job_enqueue(job)
    return job


def job_requeue(job: Job) -> Job:
    """Put a finished job back in the queued state (not enqueued: the caller runs or enqueues it)."""
    Job.objects.filter(pk=job.pk).exclude(status=Job.Status.RUNNING).update(
        status=Job.Status.QUEUED, cancel_requested=False, error="", error_details="", retryable=True,
        finished_at=None, queued_at=timezone.now(), stage="",
    )
    job.refresh_from_db()
    return job


def job_input_file_remove(job_id: int) -> None:
    path = Job.objects.filter(pk=job_id).values_list("input_file", flat=True).first()
    if path:
        Path(path).unlink(missing_ok=True)
        Job.objects.filter(pk=job_id).update(input_file="")


def _user_or_none(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None
