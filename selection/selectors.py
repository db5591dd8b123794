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


# ---------------------------------------------------------------- selection and training runs (issue #3)
from django.db.models import Sum  # noqa: E402

from selection.models import Embedding, SelectionRun, TrainingRun  # noqa: E402


def run_summaries(limit: int = 50) -> list[dict]:
    """Selection and training runs for the staff dashboard, newest first: name, url, kind, status, dataset,
    created_at."""
    rows = [
        {"name": run.name, "url": f"/selections/{run.name}/", "kind": "selection", "status": run.status,
         "dataset": run.dataset.name, "created_at": run.created_at}
        for run in SelectionRun.objects.select_related("dataset", "job").order_by("-created_at")[:limit]
    ]
    rows += [
        {"name": run.name, "url": f"/training/{run.name}/", "kind": "training",
         "status": run.job.status if run.job_id else "unknown", "dataset": run.dataset.name,
         "created_at": run.created_at}
        for run in TrainingRun.objects.select_related("dataset", "job").order_by("-created_at")[:limit]
    ]
    return sorted(rows, key=lambda r: r["created_at"], reverse=True)[:limit]


def embedding_cache_stats() -> dict:
    """What the embedding cache holds (it lives in the database, so disk_usage does not see it):
    rows and bytes in all, and per embedder."""
    per = list(Embedding.objects.values("embedder").annotate(rows=Count("id"), dim_sum=Sum("dim"))
               .order_by("embedder"))
    embedders = {p["embedder"]: {"rows": p["rows"], "bytes": 4 * (p["dim_sum"] or 0)} for p in per}
    return {"rows": sum(e["rows"] for e in embedders.values()), "bytes": sum(e["bytes"] for e in embedders.values()),
            "embedders": embedders}
