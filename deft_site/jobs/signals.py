"""A job's own upload is deleted with the job (a failed import keeps it, so Retry can read it again)."""
from pathlib import Path
from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from deft_site.jobs.models import Job


@receiver(post_delete, sender=Job)
def _remove_input_file(sender, instance: Job, **kwargs: Any) -> None:  # noqa: ANN001
    if instance.input_file:
        Path(instance.input_file).unlink(missing_ok=True)
