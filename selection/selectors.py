"""Reads of the selection app."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import Count, QuerySet

from selection.models import Dataset, Job


def dataset_list() -> QuerySet[Dataset]:
    return Dataset.objects.select_related("parent", "created_by").order_by("-created_at")


def job_list(status: str | None = None) -> QuerySet[Job]:
    jobs = Job.objects.select_related("created_by").order_by("-created_at")
    return jobs.filter(status=status) if status else jobs


def job_counts_by_status() -> dict[str, int]:
    counts = dict(Job.objects.values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in Job.Status.values}


def job_as_dict(job: Job) -> dict:
    return {
        "id": job.pk, "kind": job.kind, "title": job.title, "status": job.status, "done": job.progress_done,
        "total": job.progress_total, "percent": job.percent, "stage": job.stage, "error": job.error,
        "result": job.result, "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None, "seconds": job.seconds,
    }


def disk_usage() -> dict[str, int]:
    """Bytes used under the data directory, per top-level folder (runs, embeddings, exports, ...)."""
    root = Path(settings.DEFT_DATA_DIR)
    usage: dict[str, int] = {}
    if not root.exists():
        return usage
    for child in sorted(root.iterdir()):
        files = [child] if child.is_file() else child.rglob("*")
        usage[child.name] = sum(f.stat().st_size for f in files if f.is_file())
    return usage
