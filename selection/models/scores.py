"""Score reports: cached automatic scores of a set of systems on one split of a dataset.

A report is keyed by everything its numbers depend on (dataset, split, the systems in order, the grouping,
bootstrap settings, and a hash of every output scored), so a page asks for the key and, when a row exists,
renders it without scoring again; changed outputs give a new key.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models

from .datasets import Dataset, Split


class GroupBy(models.TextChoices):
    """How a report breaks the scores down (selection.services.scoring.GROUP_BY)."""

    DATASET = "dataset", "the whole split"
    TASK = "task", "per task"

__all__ = ["GroupBy", "ScoreReport"]


class ScoreReport(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="score_reports")
    split = models.CharField(max_length=16, blank=True, choices=Split.choices,
                             help_text="Blank: every example of the dataset.")
    systems = models.JSONField(help_text="System names, in the order asked for (the first two are compared).")
    group_by = models.CharField(max_length=16, choices=GroupBy.choices, default=GroupBy.DATASET)
    outputs_hash = models.CharField(max_length=64, help_text="sha256 of every (system, example, output) scored.")
    cache_key = models.CharField(max_length=64, unique=True)
    params = models.JSONField(default=dict, blank=True, help_text="Bootstrap samples, seed, metric options.")
    result = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="score_reports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(split__in=["", *Split.values]), name="scorereport_split_valid"),
            models.CheckConstraint(condition=models.Q(group_by__in=GroupBy.values), name="scorereport_group_by_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}/{self.split or 'all'}: {', '.join(self.systems)}"
