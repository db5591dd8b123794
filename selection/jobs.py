"""Running long work as jobs: a registry of handlers, a progress reporter, enqueue / run / cancel / retry.

A handler is a plain function `handler(job, report) -> dict | None` registered under a kind with
`@job_handler("kind")`. It calls `report.progress(done, total, stage)` now and then and `report.log(line)`;
a cancel request is noticed at the next progress call, which raises `JobCancelled`. Handlers live next to
the services they call (e.g. selection/services/selection_runs.py) and are imported by `selection.tasks`.

`job_enqueue` hands the job to the configured task backend (django-tasks-db's worker by default, RQ when
TASKS_BACKEND=rq); `job_run` runs one in this process, which is what the worker's task and the CLI call.
"""
from __future__ import annotations

import re
import sys
import time
import traceback
from typing import Any, Callable, Protocol

from django.db import transaction
from django.db.models import F, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone

from selection.models import Job

Handler = Callable[[Job, "Reporter"], "dict | None"]
_HANDLERS: dict[str, Handler] = {}
_DIGITS = re.compile(r"[\d.,]+")


class JobCancelled(Exception):
    """Raised inside a handler when somebody asked to cancel its job."""


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _HANDLERS[kind] = func
        return func

    return register


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)


class ProgressSink(Protocol):
    def __call__(self, done: int, total: int | None, stage: str) -> None: ...


class Reporter:
    """Writes progress to the job row (at most every `min_interval` seconds) and checks for cancellation."""

    def __init__(self, job: Job, echo: ProgressSink | None = None, min_interval: float = 0.5) -> None:
        self.job = job
        self.echo = echo
        self.min_interval = min_interval
        self._last_write = 0.0
        self._stage = ""

    def progress(self, done: int, total: int | None = None, stage: str | None = None, force: bool = False) -> None:
        if stage is not None:
            # A new stage is shown at once; a stage whose counters alone moved ("step 40/750") waits its turn.
            force = force or _DIGITS.sub("#", stage) != _DIGITS.sub("#", self._stage)
            self._stage = stage
        if self.echo:
            self.echo(done, total, self._stage)
        now = time.monotonic()
        if not force and now - self._last_write < self.min_interval and (total is None or done < total):
            return
        self._last_write = now
        Job.objects.filter(pk=self.job.pk).update(progress_done=done, progress_total=total, stage=self._stage[:255])
        if Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
            raise JobCancelled(f"Job #{self.job.pk} was cancelled.")

    def log(self, line: str) -> None:
        stamped = f"[{timezone.now():%H:%M:%S}] {line}\n"
        Job.objects.filter(pk=self.job.pk).update(log=Concat(F("log"), Value(stamped), output_field=TextField()))
        if self.echo:
            print(line, file=sys.stderr)

    def should_stop(self) -> bool:
        return Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists()


def job_create(*, kind: str, title: str, params: dict[str, Any], user: Any = None) -> Job:
    if kind not in _HANDLERS:
        raise ValueError(f"Unknown job kind {kind!r}; known: {', '.join(registered_kinds())}")
    return Job.objects.create(kind=kind, title=title[:255], params=params, created_by=_user_or_none(user))


def job_enqueue(job: Job) -> Job:
    """Hand the job to the task backend once the surrounding transaction commits."""
    from selection.tasks import run_job

    def send() -> None:
        result = run_job.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_result_id=str(result.id)[:64])

    transaction.on_commit(send)
    return job


def job_submit(*, kind: str, title: str, params: dict[str, Any], user: Any = None) -> Job:
    """Create and enqueue a job in one step (the web and API path)."""
    with transaction.atomic():
        job = job_create(kind=kind, title=title, params=params, user=user)
        job_enqueue(job)
    return job


def job_run(job_id: int, echo: ProgressSink | None = None) -> Job:
    """Run a job here and now: claims it (queued → running), calls its handler, records the outcome."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    job = Job.objects.get(pk=job_id)
    if not claimed:
        return job  # already taken by another worker, finished, or cancelled while queued
    reporter = Reporter(job, echo=echo)
    try:
        result = _HANDLERS[job.kind](job, reporter)
    except JobCancelled as exc:
        _finish(job, Job.Status.CANCELLED, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a job records any failure and says why
        _finish(job, Job.Status.FAILED, error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
    else:
        _finish(job, Job.Status.SUCCEEDED, result=result)
    job.refresh_from_db()
    return job


def _finish(job: Job, status: str, error: str = "", result: dict | None = None) -> None:
    updates: dict[str, Any] = {"status": status, "finished_at": timezone.now(), "error": error}
    if result is not None:
        updates["result"] = result
    if status == Job.Status.SUCCEEDED:
        job_row = Job.objects.filter(pk=job.pk).values("progress_total").first()
        if job_row and job_row["progress_total"]:
            updates["progress_done"] = job_row["progress_total"]
    Job.objects.filter(pk=job.pk).update(**updates)


def job_cancel(job: Job) -> Job:
    """Ask a job to stop. A queued job is cancelled at once; a running one at its next progress report."""
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
            status=Job.Status.CANCELLED, finished_at=timezone.now(), error="Cancelled before it started."
        )
    job.refresh_from_db()
    return job


def job_retry(job: Job) -> Job:
    """Run a failed or cancelled job again with the same parameters (handlers resume where they can)."""
    if job.status not in (Job.Status.FAILED, Job.Status.CANCELLED):
        raise ValueError(f"Only failed or cancelled jobs can be retried; job #{job.pk} is {job.status}.")
    with transaction.atomic():
        job_requeue(job)
        job_enqueue(job)
    return job


def job_requeue(job: Job) -> Job:
    """Put a finished job back in the queued state (not enqueued: the caller runs or enqueues it)."""
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.QUEUED, cancel_requested=False, error="", finished_at=None, started_at=None
    )
    job.refresh_from_db()
    return job


INTERRUPTED = "Interrupted: the worker stopped while this job ran. Retry to resume it."


def jobs_interrupted_fail() -> int:
    """Mark jobs left "running" by a worker that is gone as failed, so they can be retried (and resume).

    Only call this when no worker is running (e.g. as `make run` starts its worker): a live worker's jobs
    would be marked too.
    """
    return Job.objects.filter(status=Job.Status.RUNNING).update(
        status=Job.Status.FAILED, finished_at=timezone.now(), error=INTERRUPTED
    )


def terminal_progress(label: str = "") -> ProgressSink:
    """A command-line progress bar: `label [#####.....] 50% 500/1000 stage`."""
    last = {"t": 0.0}

    def echo(done: int, total: int | None, stage: str) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if now - last["t"] < 0.2 and not finished:
            return
        last["t"] = now
        if total:
            width = 30
            filled = int(width * min(done, total) / total)
            bar = "#" * filled + "." * (width - filled)
            line = f"\r{label}[{bar}] {100 * done / total:5.1f}% {done}/{total} {stage}"
        else:
            line = f"\r{label}{done} {stage}"
        sys.stderr.write(line[:160].ljust(80))
        if finished:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return echo


def _user_or_none(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None
