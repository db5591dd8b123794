"""Selection runs: a core-set chosen from a dataset by a strategy (UCS, SemDeDup or a baseline), immutable once done."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from .datasets import Dataset, Example

__all__ = ["EmbedText", "PickReason", "SelectionPick", "SelectionRun", "SelectionStrategy"]


class SelectionStrategy(models.TextChoices):
    UCS = "ucs", "UCS (DEFT)"
    RANDOM = "random", "random"
    STRATIFIED = "stratified", "stratified random"
    SEMDEDUP = "semdedup", "SemDeDup (near-duplicates removed)"


class EmbedText(models.TextChoices):
    """What a selection embeds of each example (selection.core.embedders.TEXT_MODES)."""

    SRC = "src", "instruction and input, as stored"
    INPUT = "input", "the input without its instruction"
    INPUT_TARGET = "input+target", "the input and its first reference"


class PickReason(models.TextChoices):
    """Why an example is in a selection (selection.core: ucs.REASONS, semdedup's "kept", the baselines' "random")."""

    BASE = "base", "in D_base"
    EASY = "easy", "easy (near its cluster's centre)"
    HARD = "hard", "hard (far from its cluster's centre)"
    RANDOM = "random", "drawn at random"
    WHOLE_CLUSTER = "whole_cluster", "its whole cluster was taken"
    KEPT = "kept", "kept (not a near-duplicate)"


class SelectionRun(models.Model):
    Strategy = SelectionStrategy
    EmbedText = EmbedText

    name = models.SlugField(max_length=100, unique=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="selection_runs")
    strategy = models.CharField(max_length=32, choices=Strategy.choices, default=Strategy.UCS)
    params = models.JSONField(default=dict, help_text="All parameters, seed and embedder.")
    seed = models.BigIntegerField(default=0)
    embedder = models.CharField(max_length=200, blank=True, help_text="Embedder name; blank for strategies without one.")
    embed_text = models.CharField(max_length=16, choices=EmbedText.choices, default=EmbedText.SRC,
                                  help_text="What was embedded.")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="selection_runs")
    summary = models.JSONField(default=dict, blank=True, help_text="Sizes per task, diagnostics.")
    exported_dataset = models.OneToOneField(Dataset, null=True, blank=True, on_delete=models.SET_NULL,
                                            related_name="from_selection")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True, help_text="Set once, when the picks are saved.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(seed__gte=0), name="selection_seed_nonnegative"),
            models.CheckConstraint(condition=models.Q(strategy__in=SelectionStrategy.values),
                                   name="selection_strategy_valid"),
            models.CheckConstraint(condition=models.Q(embed_text__in=EmbedText.values), name="selection_embed_text_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def status(self) -> str:
        """The run's state is its job's (queued, running, succeeded, failed, cancelled)."""
        return self.job.status if self.job_id else "unknown"


class SelectionPick(models.Model):
    """One row per example of the dataset, chosen or not, so anyone can check the selection."""

    run = models.ForeignKey(SelectionRun, on_delete=models.CASCADE, related_name="picks")
    example = models.ForeignKey(Example, on_delete=models.CASCADE, related_name="+")
    chosen = models.BooleanField()
    Reason = PickReason

    reason = models.CharField(max_length=16, blank=True, choices=PickReason.choices, help_text="Blank when not chosen.")
    cluster = models.IntegerField(null=True, blank=True)
    distance = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "example"], name="pick_unique_per_example"),
            models.CheckConstraint(
                condition=models.Q(chosen=False, reason="")
                | models.Q(chosen=True, reason__in=PickReason.values),
                name="pick_reason_matches_chosen",
            ),
        ]
