"""Task entry points for Django's tasks API. Thin: they run a Job row through `selection.jobs.job_run`.

Job kinds are registered by each app's `ready()` (selection/handlers.py, annotation/handlers.py), so every
process that runs tasks (the db_worker, an RQ worker) knows them all.
"""
from __future__ import annotations

from django_tasks import task

from selection.jobs import job_run


@task()
def run_job(job_id: int) -> str:
    return job_run(job_id).status
