"""python manage.py jobs_worker [--queue interactive,long] [--tag NAME] [--batch] [--max-tasks N]

A worker for the platform's jobs on the configured task backend: django-tasks-db's worker loop (the embedded
default) or an RQ worker (TASKS_BACKEND=rq), in both cases registered as a ``Worker`` with a heartbeat that
also re-queues jobs whose worker died (see deft_site.jobs.leases).
"""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.crypto import get_random_string

from deft_site.jobs.models import Worker
from deft_site.jobs.queues import Queue
from deft_site.jobs.workers import Presence


class Command(BaseCommand):
    help = ("Run jobs from the given queues (interactive, long, gpu; '*' for all) until stopped. "
            "GPU training only goes to workers started with --queue gpu.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue", default=f"{Queue.INTERACTIVE},{Queue.LONG}",
                            help="Comma-separated queues (default interactive,long).")
        parser.add_argument("--tag", default="", help="Added to the worker's name (host:pid:tag).")
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit (db backend).")
        parser.add_argument("--max-tasks", type=int, default=None, help="Exit after this many jobs (db backend).")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")

    def handle(self, *args: Any, **o: Any) -> None:
        queues = [q.strip() for q in o["queue"].split(",") if q.strip()]
        unknown = [q for q in queues if q != "*" and q not in Queue.values]
        if unknown or not queues:
            raise CommandError(f"unknown queue(s) {', '.join(unknown) or '(none)'}; use {', '.join(Queue.values)} or '*'")
        from django_tasks import task_backends

        backend = type(task_backends["default"]).__name__
        if backend == "RQBackend":
            self._run_rq(queues, o)
        elif backend == "DatabaseBackend":
            self._run_db(queues, o)
        else:
            raise CommandError(f"the task backend {backend} runs jobs itself; no worker is needed")

    def _run_db(self, queues: list[str], o: dict) -> None:
        from django_tasks_db.management.commands.db_worker import Worker as DBWorker

        worker = DBWorker(queue_names=queues, interval=o["interval"], batch=o["batch"], backend_name="default",
                          startup_delay=False, max_tasks=o["max_tasks"], worker_id=get_random_string(32),
                          excluded_queue_names=[])
        worker.configure_signals()
        with Presence(queues, backend=Worker.Backend.DB, tag=o["tag"]):
            worker.run()

    def _run_rq(self, queues: list[str], o: dict) -> None:
        import django_rq

        from deft_site.jobs.rq import LeaseRQWorker

        names = list(Queue.values) if queues == ["*"] else queues
        rq_queues = [django_rq.get_queue(name) for name in names]
        from django_tasks_rq import Job as RQJob

        worker = LeaseRQWorker(rq_queues, connection=rq_queues[0].connection, job_class=RQJob)
        worker.work(burst=o["batch"], max_jobs=o["max_tasks"])
