"""Datasets: named, immutable sets of text-editing examples (CoEDIT's format)."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class Split(models.TextChoices):
    TRAIN = "train", "train"
    VALIDATION = "validation", "validation"
    TEST = "test", "test"


class DatasetOrigin(models.TextChoices):
    IMPORT = "import", "imported file"
    DEMO = "demo", "generated demo data"
    SELECTION = "selection", "exported selection"


class Dataset(models.Model):
    """Immutable once imported: changes make a new dataset (e.g. a selection's export)."""

    Origin = DatasetOrigin

    name = models.SlugField(max_length=100, unique=True, allow_unicode=False)
    description = models.TextField(blank=True)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.IMPORT)
    source_name = models.CharField(max_length=255, blank=True, help_text="File name or generator it came from.")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived")
    row_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True, help_text="Counts per task and split.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(origin__in=DatasetOrigin.values), name="dataset_origin_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Example(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="examples")
    ext_id = models.CharField("id", max_length=255)
    task = models.CharField(max_length=64)
    src = models.TextField(help_text="Instruction + input text, as in CoEDIT.")
    refs = models.JSONField(help_text="One or more reference outputs.")
    split = models.CharField(max_length=16, choices=Split.choices, default=Split.TRAIN)
    extra = models.JSONField(default=dict, blank=True, help_text="Any other fields, kept as they came.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "ext_id"], name="example_unique_id_per_dataset"),
            models.CheckConstraint(
                condition=models.Q(split__in=[s.value for s in Split]), name="example_split_valid"
            ),
        ]
        indexes = [models.Index(fields=["dataset", "split", "task"])]

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.ext_id}"

    @property
    def input_text(self) -> str:
        """The text without its instruction prefix: a known CoEDIT phrasing ("Fix grammar: ...") or the
        row's declared ``extra["instruction"]``; a text with just a colon in it stays whole."""
        from selection.core.text import strip_instruction

        return strip_instruction(self.src, (self.extra or {}).get("instruction"))
