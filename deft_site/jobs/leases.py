"""Leases: a running job belongs to one worker only while that worker keeps renewing its lease.

Claiming a job (``services.job_run``) sets ``lease_expires_at = now + DEFT_JOB_LEASE_SECONDS`` and bumps
``attempts``; every renewal is an UPDATE filtered on that attempt number, so a worker that lost its job (it
was paused past its lease and the job went to someone else) cannot renew it, finish it or overwrite it: it
notices and stops at its next progress report. A ``LeaseKeeper`` thread renews the lease while the handler
runs, also through silent stretches (model loading, k-means) where no progress is reported.

``leases_reclaim`` is what any worker runs with its heartbeat (and ``recover_jobs`` by hand): a running job
whose lease lapsed is re-queued (its handler resumes: training from its last checkpoint), failed with a
clear reason once it used ``DEFT_JOB_MAX_ATTEMPTS`` attempts, or cancelled if a cancel was asked for.
Safe while other workers run: every transition is one conditional UPDATE, so two reclaimers never both win.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from deft_site.jobs.models import Job
from deft_site.jobs.queues import lease_seconds, max_attempts, renew_every

logger = logging.getLogger("deft.jobs")


def lease_until() -> timezone.datetime:
    return timezone.now() + timedelta(seconds=lease_seconds())


def lease_renew(job_id: int, attempt: int) -> bool:
    """Extend the lease of ``job_id``'s attempt ``attempt``; False if that attempt no longer holds it."""
    now = timezone.now()
    return bool(Job.objects.filter(pk=job_id, attempts=attempt, status=Job.Status.RUNNING)
                .update(lease_expires_at=lease_until(), heartbeat_at=now))


def lease_held(job_id: int, attempt: int) -> bool | None:
    """True/False whether the attempt still holds the job; None when the row cannot be read from here."""
    row = Job.objects.filter(pk=job_id).values("status", "attempts").first()
    if row is None:
        return None
    return row["status"] == Job.Status.RUNNING and row["attempts"] == attempt


class LeaseKeeper:
    """A daemon thread renewing one job's lease every third of the lease; ``lost`` turns True if it was taken."""

    def __init__(self, job_id: int, attempt: int) -> None:
        self.job_id, self.attempt = job_id, attempt
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-job-{job_id}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(renew_every()):
                try:
                    if not lease_renew(self.job_id, self.attempt) and lease_held(self.job_id, self.attempt) is False:
                        self.lost = True
                        logger.warning("job %s: lease of attempt %s was taken over", self.job_id, self.attempt)
                        return
                except Exception:  # noqa: BLE001 - a failed renewal is retried; the lease has slack for it
                    logger.exception("job %s: lease renewal failed", self.job_id)
                    close_old_connections()
        finally:
            connection.close()


def _lapsed(now: timezone.datetime) -> Q:
    return Q(status=Job.Status.RUNNING) & (Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True))


def leases_reclaim() -> list[int]:
    """Re-queue, fail or cancel every running job whose lease lapsed; returns the ids it changed."""
    from deft_site.jobs.reporter import job_log_append
    from deft_site.jobs.services import job_enqueue

    now = timezone.now()
    changed = []
    rows = Job.objects.filter(_lapsed(now)).values_list("pk", "attempts", "cancel_requested", "worker", "queue")
    for pk, attempts, cancel, worker, queue in list(rows):
        this = Job.objects.filter(_lapsed(now), pk=pk, attempts=attempts)
        who = f"worker {worker}" if worker else "its worker"
        with transaction.atomic():
            if cancel:
                won = this.update(status=Job.Status.CANCELLED, finished_at=now, lease_expires_at=None,
                                  error=f"Cancelled; {who} had stopped, so it was cancelled at once.")
            elif attempts >= max_attempts():
                won = this.update(
                    status=Job.Status.FAILED, finished_at=now, lease_expires_at=None, retryable=True,
                    error=(f"Given up after {attempts} attempts: each time its worker stopped responding (no "
                           f"heartbeat for {lease_seconds():g} s). Check the workers' logs, then Retry once more."),
                )
            else:
                won = this.update(status=Job.Status.QUEUED, queued_at=now, lease_expires_at=None,
                                  stage=f"re-queued: {who} stopped responding")
                if won:
                    job_enqueue(Job(pk=pk, queue=queue))
            if won:
                job_log_append(pk, f"{who} stopped renewing its lease (attempt {attempts}); "
                                   + ("cancelled." if cancel else "given up." if attempts >= max_attempts()
                                      else "re-queued."))
                changed.append(pk)
                logger.warning("job %s: lease lapsed (%s, attempt %s)", pk, who, attempts)
    return changed
