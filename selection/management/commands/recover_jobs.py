"""python manage.py recover_jobs: after a crash, mark jobs stuck in "running" as interrupted (retryable)."""
from django.core.management.base import BaseCommand

from selection.jobs import jobs_interrupted_fail


class Command(BaseCommand):
    help = "Mark jobs left running by a stopped worker as failed ('interrupted'), so they can be retried. " \
           "Run it only while no worker is running (make run does, before starting its worker)."

    def handle(self, *args, **options) -> None:
        count = jobs_interrupted_fail()
        if count:
            self.stdout.write(f"Marked {count} interrupted job(s) as failed; retry them from /jobs/ to resume.")
