"""Jobs and workers: the one record of every long piece of work, and of the processes that run them.

A ``Job`` row is the single source of a run's state: selection and training runs read theirs from their job.
The task backend (django-tasks-db's worker, or RQ) is only the transport that wakes a worker; the row holds
status, progress, log, the error (a one-sentence headline for everyone, details for staff), the attempt
count and, while it runs, the worker's lease. See ``deft_site.jobs.leases`` for how a lapsed lease is
reclaimed.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from deft_site.jobs.queues import Queue


class JobStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"
    CANCELLED = "cancelled", "cancelled"


class Job(models.Model):
    Status = JobStatus
    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
    Queue = Queue

    kind = models.CharField(max_length=32, help_text="Which handler runs it, e.g. selection, training.")
    title = models.CharField(max_length=255)
    params = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=16, choices=Queue.choices, default=Queue.LONG, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(null=True, blank=True)
    stage = models.CharField(max_length=255, blank=True, help_text="What it is doing now.")
    log = models.TextField(blank=True)
    error = models.TextField(blank=True, help_text="Why it failed, in one sentence (shown to everyone).")
    error_details = models.TextField(blank=True, help_text="The traceback or other details (staff only).")
    retryable = models.BooleanField(default=True, help_text="False when a retry would fail the same way.")
    result = models.JSONField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0, help_text="How many times a worker started it.")
    worker = models.CharField(max_length=200, blank=True, help_text="The worker holding (or last holding) it.")
    lease_expires_at = models.DateTimeField(null=True, blank=True,
                                            help_text="While running: when it is re-queued unless renewed.")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last lease renewal.")
    input_file = models.CharField(max_length=500, blank=True,
                                  help_text="A file the job owns (an upload); deleted when it succeeds or is deleted.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now, help_text="When it last joined its queue.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "jobs_job"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["queue", "status", "queued_at"], name="job_queue_order")]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress_done__gte=0), name="job_progress_nonnegative"),
            models.CheckConstraint(condition=models.Q(status__in=JobStatus.values), name="job_status_valid"),
            models.CheckConstraint(condition=models.Q(queue__in=Queue.values), name="job_queue_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="running") | models.Q(lease_expires_at__isnull=False),
                name="job_running_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def finished_statuses(self) -> str:
        """The terminal statuses, space-separated, for the page's script (it hard-codes none)."""
        return " ".join(str(s) for s in self.FINISHED)

    @property
    def kind_label(self) -> str:
        """The kind as a person reads it: "dataset import", "demo pipeline"."""
        return self.kind.replace("_", " ")

    @property
    def error_headline(self) -> str:
        """The one-sentence reason a job failed (the first line of ``error``)."""
        return self.error.splitlines()[0] if self.error else ""

    @property
    def can_retry(self) -> bool:
        """Retry is offered only where it can help: failed for a reason a second try may not meet, or cancelled."""
        return self.status == self.Status.CANCELLED or (self.status == self.Status.FAILED and self.retryable)

    @property
    def lease_lapsed(self) -> bool:
        return (self.status == self.Status.RUNNING and self.lease_expires_at is not None
                and self.lease_expires_at < timezone.now())

    @property
    def percent(self) -> float | None:
        if not self.progress_total:
            return None
        return min(100.0, 100.0 * self.progress_done / self.progress_total)

    @property
    def seconds(self) -> float | None:
        if not self.started_at:
            return None
        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()


class WorkerBackend(models.TextChoices):
    DB = "db", "django-tasks-db"
    RQ = "rq", "RQ"


class Worker(models.Model):
    """A worker process, as it last reported itself: its queues and heartbeat (the staff dashboard lists them)."""

    Backend = WorkerBackend

    name = models.CharField(max_length=200, unique=True, help_text="host:pid, plus a tag when given.")
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list, help_text="The queues it takes jobs from; ['*'] for all.")
    backend = models.CharField(max_length=16, choices=WorkerBackend.choices, default=WorkerBackend.DB)
    started_at = models.DateTimeField(default=timezone.now)
    last_heartbeat = models.DateTimeField(default=timezone.now, db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True, help_text="Set when it shut down cleanly.")
    current_job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-last_heartbeat"]
        constraints = [models.CheckConstraint(condition=models.Q(backend__in=WorkerBackend.values),
                                              name="worker_backend_valid")]

    def __str__(self) -> str:
        return self.name

    def serves(self, queue: str) -> bool:
        return "*" in self.queues or queue in self.queues
