"""Reads on jobs and workers, for the pages, the API, the CLI and the dashboard."""
from __future__ import annotations

from datetime import timedelta
from pathlib import PurePath
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from deft_site.jobs.models import Job, Worker
from deft_site.jobs.queues import lease_seconds

# Parameter keys a person needs to see under a name they read; anything path-like shows its file name only.
_PATH_KEYS = {"path", "model_path", "run_dir", "final_dir"}


def job_list(status: str | None = None, queue: str | None = None) -> QuerySet[Job]:
    """Jobs, newest first, with who made them; only those in ``status`` / on ``queue`` when given."""
    jobs = Job.objects.select_related("created_by").order_by("-created_at")
    jobs = jobs.filter(status=status) if status else jobs
    return jobs.filter(queue=queue) if queue else jobs


def job_list_active() -> QuerySet[Job]:
    """Jobs not yet finished (queued or running), newest first."""
    return job_list().exclude(status__in=Job.FINISHED)


def job_by_id(pk: int) -> Job | None:
    return Job.objects.filter(pk=pk).first()


def job_or_404(pk: int) -> Job:
    return get_object_or_404(Job, pk=pk)


def job_counts_by_status() -> dict[str, int]:
    counts = dict(Job.objects.values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in Job.Status.values}


def job_queue_info(job: Job) -> dict[str, Any] | None:
    """For a queued job: its place in its queue, the job ahead of it, and whether any worker serves the queue."""
    if job.status != Job.Status.QUEUED:
        return None
    ahead = Job.objects.filter(queue=job.queue, status=Job.Status.QUEUED).filter(
        Q(queued_at__lt=job.queued_at) | Q(queued_at=job.queued_at, pk__lt=job.pk))
    running = list(Job.objects.filter(queue=job.queue, status=Job.Status.RUNNING).order_by("started_at")
                   .values("pk", "title"))
    previous = ahead.order_by("-queued_at", "-pk").values("pk", "title").first()
    workers = workers_alive(job.queue)
    if not workers:
        waiting_for = f"a worker for the {job.queue} queue: none is running (start one with " \
                      f"`python manage.py jobs_worker --queue {job.queue}`)"
    elif previous:
        waiting_for = f"job #{previous['pk']} ({previous['title']}) ahead of it in the {job.queue} queue"
    elif running and len(running) >= len(workers):
        waiting_for = f"job #{running[0]['pk']} ({running[0]['title']}) to finish on the {job.queue} queue"
    else:
        waiting_for = "a worker to pick it up (any second now)"
    return {"queue": job.queue, "position": ahead.count() + 1, "ahead": previous, "running": running,
            "workers": len(workers), "waiting_for": waiting_for}


def job_params_display(job: Job) -> list[tuple[str, str]]:
    """The parameters as label / value pairs a person reads: no dicts, no server paths."""
    rows = []
    for key, value in (job.params or {}).items():
        if value in (None, "", [], {}):
            continue
        label = key.replace("_", " ")
        if key in _PATH_KEYS and isinstance(value, str):
            if "filename" in job.params:  # an upload's stored name on the server: the filename row says it
                continue
            value = PurePath(value).name
        rows.append((label, _readable(value)))
    return rows


def _readable(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_readable(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, (list, tuple)):
        return ", ".join(_readable(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def job_as_dict(job: Job, staff: bool = False) -> dict[str, Any]:
    """What the job page polls: the same for everyone, plus the error's details for staff."""
    data = {
        "id": job.pk, "kind": job.kind, "title": job.title, "queue": job.queue, "status": job.status,
        "done": job.progress_done, "total": job.progress_total, "percent": job.percent, "stage": job.stage,
        "error": job.error_headline, "retryable": job.can_retry, "attempts": job.attempts, "worker": job.worker,
        "result": job.result, "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None, "seconds": job.seconds,
        "lease_lapsed": job.lease_lapsed, "queue_info": job_queue_info(job),
    }
    if staff:
        data["error_details"] = job.error_details
    return data


def job_row(job: Job) -> dict[str, Any]:
    """One line of ``manage.py jobs``: id, kind, queue, status, attempts, progress, worker."""
    progress = (f"{job.percent:.0f}%" if job.percent is not None else "") + (f" {job.stage}" if job.stage else "")
    return {"id": job.pk, "kind": job.kind, "queue": job.queue, "status": job.status, "attempts": job.attempts,
            "progress": progress.strip(), "done": job.progress_done, "total": job.progress_total,
            "worker": job.worker, "title": job.title, "error": job.error_headline,
            "lease_lapsed": job.lease_lapsed}


def worker_list(limit: int = 50) -> list[dict[str, Any]]:
    """Workers seen lately, newest heartbeat first, each with whether it is alive."""
    alive = {w.pk for w in workers_alive()}
    rows = []
    for worker in Worker.objects.select_related("current_job").order_by("-last_heartbeat")[:limit]:
        rows.append({"worker": worker, "alive": worker.pk in alive, "queues": ", ".join(worker.queues)})
    return rows


def workers_alive(queue: str | None = None) -> list[Worker]:
    """Workers that beat within the last lease (and serve ``queue``, when given)."""
    since = timezone.now() - timedelta(seconds=lease_seconds())
    alive = list(Worker.objects.filter(stopped_at__isnull=True, last_heartbeat__gte=since))
    return [w for w in alive if queue is None or w.serves(queue)]
