"""Training runs: fine-tuning a seq2seq model on a dataset or a selection's D_base ∪ D_c."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from .datasets import Dataset
from .jobs import Job

__all__ = ["TrainingRun"]


class TrainingRun(models.Model):
    name = models.SlugField(max_length=100, unique=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="training_runs",
                                help_text="The data it was trained on (a selection's export, or the full data).")
    selection_run = models.ForeignKey("selection.SelectionRun", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="training_runs")
    config = models.JSONField(default=dict, help_text="Every training setting, as passed to the trainer.")
    run_dir = models.CharField(max_length=500, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="training_runs")
    metrics = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name
