"""Descriptive statistics of a system's outputs: how often it copies, how far it edits, how long it writes.

They explain a SARI or ROUGE-L figure: a system that copies its input scores a high keep and a low add, one
that rewrites freely shows a large edit distance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein

from selection.core.text import strip_instruction

__all__ = ["SystemStats", "system_stats", "strip_instruction"]



@dataclass(frozen=True)
class SystemStats:
    """Summary of one system's outputs over n examples (rates in 0-1)."""

    n: int
    exact_match: float  # share of outputs equal (after strip) to at least one reference
    copy_rate: float  # share of outputs equal (after strip) to their input
    mean_edit_distance: float  # mean word-level Levenshtein distance from input to output
    length_ratio: float  # total output words / total input words

    def as_dict(self) -> dict[str, float]:
        return {
            "n": self.n,
            "exact_match": self.exact_match,
            "copy_rate": self.copy_rate,
            "mean_edit_distance": self.mean_edit_distance,
            "length_ratio": self.length_ratio,
        }


def _words(text: str) -> list[str]:
    return text.split()


def system_stats(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]]
) -> SystemStats:
    """Exact-match rate, copy rate, mean word edit distance to the input and output/input length ratio.

    Comparisons use whitespace-stripped strings (case and punctuation count); words are whitespace-separated.
    Pass sources without their instruction prefix (see :func:`strip_instruction`) when the model saw one.
    """
    if not (len(sources) == len(predictions) == len(references)):
        raise ValueError("sources, predictions and references must have the same length")
    if len(predictions) == 0:
        raise ValueError("system_stats needs at least one example")
    exact = [p.strip() in {r.strip() for r in refs} for p, refs in zip(predictions, references)]
    copies = [p.strip() == s.strip() for s, p in zip(sources, predictions)]
    src_words = [_words(s) for s in sources]
    pred_words = [_words(p) for p in predictions]
    distances = [Levenshtein.distance(s, p) for s, p in zip(src_words, pred_words)]
    total_src = sum(map(len, src_words))
    total_pred = sum(map(len, pred_words))
    return SystemStats(
        n=len(predictions),
        exact_match=float(np.mean(exact)),
        copy_rate=float(np.mean(copies)),
        mean_edit_distance=float(np.mean(distances)),
        length_ratio=total_pred / total_src if total_src else float("nan"),
    )
