"""What the staff dashboard shows: jobs by state, workers and their heartbeats, failures, datasets and runs, study progress, disk use.

It reads from both apps (deft_site sits above them), each through its selectors.
"""
from __future__ import annotations

from annotation import selectors as annotation_selectors
from deft_site.jobs import selectors as job_selectors
from deft_site.jobs.models import Job
from selection import selectors as selection_selectors


def dashboard_context() -> dict:
    context = {
        "job_counts": job_selectors.job_counts_by_status(),
        "active_jobs": job_selectors.job_list_active()[:50],
        "failed_jobs": job_selectors.job_list(Job.Status.FAILED)[:20],
        "workers": job_selectors.worker_list(),
        "datasets": selection_selectors.dataset_list()[:20],
        "disk": selection_selectors.disk_usage(),
        "embedding_cache": selection_selectors.embedding_cache_stats(),
        "runs": selection_selectors.run_summaries(),
        "studies": annotation_selectors.study_progress_all(),
    }
    context["disk_total"] = sum(context["disk"].values()) + context["embedding_cache"]["bytes"]
    return context
