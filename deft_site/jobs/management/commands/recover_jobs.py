"""python manage.py recover_jobs: re-queue (or fail, after the retry limit) jobs whose worker stopped.

Safe while workers run: only jobs whose lease lapsed (no renewal for DEFT_JOB_LEASE_SECONDS) are touched;
live workers do the same with every heartbeat, so this is for when none is running.
"""
from typing import Any

from django.core.management.base import BaseCommand

from deft_site.jobs.leases import leases_reclaim


class Command(BaseCommand):
    help = "Re-queue jobs whose worker stopped renewing its lease (failed after DEFT_JOB_MAX_ATTEMPTS tries)."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = leases_reclaim()
        if changed:
            self.stdout.write(f"Recovered {len(changed)} job(s) whose worker had stopped: "
                              + ", ".join(f"#{pk}" for pk in changed))
