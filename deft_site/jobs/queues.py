"""Queue names and the lease settings, read from Django settings (each with a default).

Three queues keep short work from waiting behind long work: ``interactive`` (imports, scoring, exports:
seconds), ``long`` (selection, training, generation, the demo pipeline: minutes to hours) and ``gpu``
(training routed to workers that opt into it with ``--queue gpu``). The production RQ workers use the same
names (RQ_QUEUES in the settings).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models


class Queue(models.TextChoices):
    INTERACTIVE = "interactive", "interactive"
    LONG = "long", "long"
    GPU = "gpu", "gpu"


def lease_seconds() -> float:
    """How long a running job's lease lasts without renewal (``DEFT_JOB_LEASE_SECONDS``, default 60)."""
    return float(getattr(settings, "DEFT_JOB_LEASE_SECONDS", 60))


def max_attempts() -> int:
    """How many times a job whose worker vanished is started before it fails (``DEFT_JOB_MAX_ATTEMPTS``)."""
    return int(getattr(settings, "DEFT_JOB_MAX_ATTEMPTS", 3))


def renew_every() -> float:
    """Leases are renewed three times per lease, so one slow renewal does not lose the job."""
    return max(0.2, lease_seconds() / 3)
