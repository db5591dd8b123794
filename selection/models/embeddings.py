"""Embeddings, stored once per (embedder, text) and reused by every selection run that needs them.

Why a table and not files: a row per text keyed by (embedder, sha256) makes the cache shared across datasets
and runs, safe under concurrent writers (the unique constraint plus `ignore_conflicts`), and resumable for
free (every committed batch stays). A 384-d float32 vector is 1.5 kB, so 1M rows are about 1.5 GB in
PostgreSQL; lookups go by the unique index in chunks. `selection.selectors.embedding_cache_stats` reports
the bytes used, since they do not show up under DEFT_DATA_DIR.
"""
from __future__ import annotations

from django.db import models

__all__ = ["Embedding"]


class Embedding(models.Model):
    embedder = models.CharField(max_length=200, help_text="The embedder's name (model id or local path).")
    text_sha256 = models.CharField(max_length=64, help_text="sha256 hex of the exact text that was embedded.")
    dim = models.PositiveIntegerField()
    vector = models.BinaryField(help_text="float32, little-endian, `dim` values.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["embedder", "text_sha256"], name="embedding_unique_per_text"),
            models.CheckConstraint(condition=models.Q(dim__gt=0), name="embedding_dim_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.embedder}:{self.text_sha256[:12]}"
