"""What the staff dashboard shows: jobs by state, failures, datasets and runs, study progress, disk use.

It reads from both apps (deft_site sits above them), each through its selectors.
"""
from __future__ import annotations

from selection import selectors as selection_selectors
from selection.models import Job


def dashboard_context() -> dict:
    context = {
        "job_counts": selection_selectors.job_counts_by_status(),
        "active_jobs": selection_selectors.job_list().exclude(status__in=Job.FINISHED)[:50],
        "failed_jobs": selection_selectors.job_list(Job.Status.FAILED)[:20],
        "datasets": selection_selectors.dataset_list()[:20],
        "disk": selection_selectors.disk_usage(),
        "runs": _runs(),
        "studies": _studies(),
    }
    context["disk_total"] = sum(context["disk"].values())
    return context


def _runs() -> list[dict]:
    summarise = getattr(selection_selectors, "run_summaries", None)
    return summarise() if summarise else []


def _studies() -> list[dict]:
    from annotation import selectors as annotation_selectors

    progress = getattr(annotation_selectors, "study_progress_all", None)
    return progress() if progress else []
