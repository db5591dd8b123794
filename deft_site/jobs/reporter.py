"""What a running handler talks to: progress, log lines, cancellation and lease checks."""
from __future__ import annotations

import logging
import re
import sys
import time
from typing import Protocol

from django.db.models import F, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone

from deft_site.jobs.errors import JobCancelled, JobLost
from deft_site.jobs.leases import LeaseKeeper, lease_until
from deft_site.jobs.models import Job

_DIGITS = re.compile(r"[\d.,]+")
logger = logging.getLogger("deft.jobs")


class ProgressSink(Protocol):
    def __call__(self, done: int, total: int | None, stage: str) -> None: ...


class Reporter:
    """Writes progress to the job row (at most every ``min_interval`` seconds), renewing the lease with it.

    A progress report raises ``JobCancelled`` when a cancel was asked for, and ``JobLost`` when this attempt
    no longer holds the job (its lease lapsed and another worker took it over).
    """

    def __init__(self, job: Job, echo: ProgressSink | None = None, min_interval: float = 0.5,
                 keeper: LeaseKeeper | None = None) -> None:
        self.job = job
        self.attempt = job.attempts
        self.echo = echo
        self.min_interval = min_interval
        self.keeper = keeper
        self._last_write = 0.0
        self._stage = ""
        self.last: tuple[int, int | None] = (0, None)  # the last (done, total) reported, written or not

    def progress(self, done: int, total: int | None = None, stage: str | None = None, force: bool = False) -> None:
        if stage is not None:
            # A new stage is shown at once; a stage whose counters alone moved ("step 40/750") waits its turn.
            force = force or _DIGITS.sub("#", stage) != _DIGITS.sub("#", self._stage)
            self._stage = stage
        self.last = (done, total)
        if self.echo:
            self.echo(done, total, self._stage)
        if self.keeper is not None and self.keeper.lost:
            raise JobLost(f"Job #{self.job.pk} was taken over by another worker.")
        now = time.monotonic()
        if not force and now - self._last_write < self.min_interval and (total is None or done < total):
            return
        self._last_write = now
        mine = Job.objects.filter(pk=self.job.pk, attempts=self.attempt, status=Job.Status.RUNNING)
        written = mine.filter(cancel_requested=False).update(
            progress_done=done, progress_total=total, stage=self._stage[:255],
            lease_expires_at=lease_until(), heartbeat_at=timezone.now(),
        )
        if not written:
            self._raise_why()

    def _raise_why(self) -> None:
        row = Job.objects.filter(pk=self.job.pk).values("status", "attempts", "cancel_requested").first()
        if row is None:
            raise JobCancelled(f"Job #{self.job.pk} was deleted.")
        if row["status"] != Job.Status.RUNNING or row["attempts"] != self.attempt:
            raise JobLost(f"Job #{self.job.pk} was taken over by another worker.")
        if row["cancel_requested"]:
            raise JobCancelled(f"Job #{self.job.pk} was cancelled.")

    def log(self, line: str) -> None:
        job_log_append(self.job.pk, line)
        if self.echo:
            # On a terminal the line replaces the unfinished progress bar (redrawn at the next report); the
            # log record goes to DEBUG so the console does not show the same line twice.
            logger.debug("job %s: %s", self.job.pk, line)
            sys.stderr.write("\r" + line.ljust(80) + "\n")
            sys.stderr.flush()
        else:
            logger.info("job %s: %s", self.job.pk, line)

    def should_stop(self) -> bool:
        if self.keeper is not None and self.keeper.lost:
            return True
        row = Job.objects.filter(pk=self.job.pk).values("status", "attempts", "cancel_requested").first()
        return row is None or row["cancel_requested"] or row["attempts"] != self.attempt


def job_log_append(job_id: int, line: str) -> None:
    stamped = f"[{timezone.now():%H:%M:%S}] {line}\n"
    Job.objects.filter(pk=job_id).update(log=Concat(F("log"), Value(stamped), output_field=TextField()))


def terminal_progress(label: str = "") -> ProgressSink:
    """A command-line progress bar: ``label [#####.....] 50% 500/1000 stage``."""
    last = {"t": 0.0}

    def echo(done: int, total: int | None, stage: str) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if now - last["t"] < 0.2 and not finished:
            return
        last["t"] = now
        if total:
            width = 30
            filled = int(width * min(done, total) / total)
            bar = "#" * filled + "." * (width - filled)
            line = f"\r{label}[{bar}] {100 * done / total:5.1f}% {done}/{total} {stage}"
        else:  # a stage without a count ("clustering"): its name, and how far only once something is done
            line = f"\r{label}{stage}" + (f" ({done})" if done else "")
        sys.stderr.write(line[:160].ljust(80))
        if finished:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return echo
