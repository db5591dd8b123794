"""The django-tasks entry point: one task that runs a Job row. Enqueued on the job's queue by
``services.job_enqueue``; the row, not the task backend's result, holds the job's state."""
from __future__ import annotations

from django_tasks import task


@task()
def run_job(job_id: int) -> str:
    from deft_site.jobs.services import job_run

    return job_run(job_id).status
