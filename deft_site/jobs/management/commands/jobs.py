"""python manage.py jobs [--json] [--status S] [--queue Q] [--limit N] [--cancel ID] [--retry ID] [--workers]"""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deft_site.jobs import selectors
from deft_site.jobs.models import Job
from deft_site.jobs.queues import Queue
from deft_site.jobs.services import JobRetryRefused, job_cancel, job_retry


class Command(BaseCommand):
    help = "List background jobs (id, kind, queue, status, attempts, progress, worker); cancel or retry one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", dest="as_json", help="One JSON array on standard output.")
        parser.add_argument("--status", choices=Job.Status.values)
        parser.add_argument("--queue", choices=Queue.values)
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument("--cancel", type=int, metavar="ID", help="Cancel job ID (a running one at its next report).")
        parser.add_argument("--retry", type=int, metavar="ID", help="Queue failed or cancelled job ID again.")
        parser.add_argument("--workers", action="store_true", help="List the workers and their heartbeats instead.")

    def handle(self, *args: Any, **o: Any) -> None:
        if o["cancel"] or o["retry"]:
            return self._act(o)
        if o["workers"]:
            return self._workers(o["as_json"])
        jobs = selectors.job_list(o["status"], queue=o["queue"])
        rows = [selectors.job_row(job) for job in jobs[: o["limit"]]]
        if o["as_json"]:
            self.stdout.write(json.dumps(rows))
            return
        self.stdout.write(f"{'id':>6}  {'kind':<16}{'queue':<12}{'status':<11}{'tries':>5}  {'progress':<28}worker")
        for r in rows:
            status = r["status"] + ("!" if r["lease_lapsed"] else "")
            self.stdout.write(f"{r['id']:>6}  {r['kind']:<16}{r['queue']:<12}{status:<11}{r['attempts']:>5}  "
                              f"{r['progress'][:27]:<28}{r['worker']}")
            if r["error"]:
                self.stdout.write(f"{'':>8}{r['error']}")
        if any(r["lease_lapsed"] for r in rows):
            self.stdout.write("! its worker stopped renewing the lease; the next worker heartbeat re-queues it.")

    def _act(self, o: dict) -> None:
        job_id = o["cancel"] or o["retry"]
        job = selectors.job_by_id(job_id)
        if job is None:
            raise CommandError(f"no job #{job_id}")
        if o["cancel"]:
            job = job_cancel(job)
            self.stdout.write(f"Job #{job.pk}: {job.status}" + ("" if job.is_finished else " (cancel requested)"))
            return
        try:
            job = job_retry(job)
        except JobRetryRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Job #{job.pk} queued again on {job.queue}.")

    def _workers(self, as_json: bool) -> None:
        rows = [{"name": r["worker"].name, "queues": r["worker"].queues, "backend": r["worker"].backend,
                 "alive": r["alive"], "last_heartbeat": r["worker"].last_heartbeat.isoformat(),
                 "current_job": r["worker"].current_job_id} for r in selectors.worker_list()]
        if as_json:
            self.stdout.write(json.dumps(rows))
            return
        for r in rows:
            state = "alive" if r["alive"] else "gone"
            self.stdout.write(f"{r['name']:<40}{','.join(r['queues']):<24}{state:<7}{r['last_heartbeat']}"
                              + (f"  job #{r['current_job']}" if r["current_job"] and r["alive"] else ""))
