"""Training runs: fine-tuning a seq2seq model on a dataset or a selection's D_base ∪ D_c.

The weights, tokenizer, checkpoints, loss log and manifest live on disk under ``run_dir``
(``DEFT_RUNS_DIR/<name>/``, laid out by ``selection.core.training``); this row is the index the pages read,
and its job (``deft_site.jobs``) holds its state.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models

from .datasets import Dataset, Split

__all__ = ["TrainingRun"]


class TrainingRun(models.Model):
    name = models.SlugField(max_length=100, unique=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="training_runs",
                                help_text="The data it was trained on (a selection's export, or the full data).")
    split = models.CharField(max_length=16, blank=True, choices=Split.choices, default=Split.TRAIN,
                             help_text="Which split of the dataset it trains on (blank: every example).")
    selection_run = models.ForeignKey("selection.SelectionRun", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="training_runs")
    config = models.JSONField(default=dict, help_text="Every training setting, as passed to the trainer.")
    run_dir = models.CharField(max_length=500, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="training_runs")
    metrics = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(split__in=["", *Split.values]), name="training_split_valid")]

    def __str__(self) -> str:
        return self.name

    @property
    def status(self) -> str:
        """The run's state is its job's (queued, running, succeeded, failed, cancelled)."""
        return self.job.status if self.job_id else "unknown"

    @property
    def base_model(self) -> str:
        return str(self.config.get("base_model", ""))

    @property
    def final_dir(self) -> str:
        """Where the trained model is saved (loadable with ``from_pretrained``)."""
        from pathlib import Path

        return str(Path(self.run_dir) / "final") if self.run_dir else ""
