"""Reads of the selection app."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import Count, QuerySet

from selection.models import Dataset


def dataset_named(name: str) -> Dataset | None:
    """The dataset called ``name``, or None."""
    return Dataset.objects.filter(name=name).first()


def dataset_list() -> QuerySet[Dataset]:
    return Dataset.objects.select_related("parent", "created_by").order_by("-created_at")


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
         "status": run.status, "dataset": run.dataset.name,
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
