"""Bootstrap intervals for corpus scores and the paired bootstrap test between two systems.

Both resample examples (rows) with replacement, since a corpus score (SARI, ROUGE-L) is a mean of per-example
scores. Resamples are drawn as an index matrix from a seeded ``numpy`` generator, in blocks to bound memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

__all__ = ["BootstrapCI", "PairedBootstrapResult", "bootstrap_ci", "paired_bootstrap"]

_BLOCK_CELLS = 4_000_000  # resample indices held at once


@dataclass(frozen=True)
class BootstrapCI:
    """A mean with its percentile bootstrap interval."""

    estimate: float
    low: float
    high: float
    confidence: float
    n_resamples: int


@dataclass(frozen=True)
class PairedBootstrapResult:
    """Paired bootstrap comparison of system A against system B on the same examples.

    ``mean_diff`` is mean(A - B); ``low``/``high`` its percentile interval; ``p_value`` is two-sided (see
    :func:`paired_bootstrap`); ``a_wins`` is the share of resamples where A's mean is strictly higher.
    """

    mean_diff: float
    low: float
    high: float
    p_value: float
    a_wins: float
    confidence: float
    n_resamples: int


def _as_scores(values, name: str) -> np.ndarray:
    scores = np.asarray(values, dtype=float)
    if scores.ndim != 1 or len(scores) == 0:
        raise ValueError(f"{name} must be a non-empty 1-d sequence of per-example scores")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return scores


def _check(n_resamples: int, confidence: float) -> None:
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")


def _resampled_means(scores: np.ndarray, n_resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    n = len(scores)
    block = max(1, _BLOCK_CELLS // n)
    for start in range(0, n_resamples, block):
        size = min(block, n_resamples - start)
        yield scores[rng.integers(0, n, size=(size, n))].mean(axis=1)


def _means(scores: np.ndarray, n_resamples: int, random_state: int | None) -> np.ndarray:
    rng = np.random.default_rng(random_state)
    return np.concatenate(list(_resampled_means(scores, n_resamples, rng)))


def bootstrap_ci(
    scores, *, n_resamples: int = 1000, confidence: float = 0.95, random_state: int | None = 0
) -> BootstrapCI:
    """Mean of per-example ``scores`` with a percentile bootstrap interval (seeded: same input, same interval).

    >>> ci = bootstrap_ci([1.0, 2.0, 3.0, 4.0], n_resamples=2000, random_state=0)
    >>> ci.estimate, ci.low >= 1.0, ci.high <= 4.0
    (2.5, True, True)
    """
    values = _as_scores(scores, "scores")
    _check(n_resamples, confidence)
    means = _means(values, n_resamples, random_state)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return BootstrapCI(float(values.mean()), float(low), float(high), confidence, n_resamples)


def paired_bootstrap(
    scores_a, scores_b, *, n_resamples: int = 1000, confidence: float = 0.95, random_state: int | None = 0
) -> PairedBootstrapResult:
    """Paired bootstrap test (Koehn 2004) of two systems scored on the same examples.

    Each resample draws the same example indices for both systems and records the mean difference A - B.
    With the observed difference d: if d > 0 the one-sided p is the share of resamples with difference <= 0
    (the sign flips or vanishes), if d < 0 the share with difference >= 0; the reported two-sided
    ``p_value = min(1, 2 * one-sided p)``; when d == 0, p = 1.
    """
    a = _as_scores(scores_a, "scores_a")
    b = _as_scores(scores_b, "scores_b")
    if len(a) != len(b):
        raise ValueError(f"scores_a ({len(a)}) and scores_b ({len(b)}) must score the same examples")
    _check(n_resamples, confidence)
    diff = a - b
    observed = float(diff.mean())
    means = _means(diff, n_resamples, random_state)
    if observed > 0:
        p_value = min(1.0, 2 * float(np.mean(means <= 0)))
    elif observed < 0:
        p_value = min(1.0, 2 * float(np.mean(means >= 0)))
    else:
        p_value = 1.0
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return PairedBootstrapResult(observed, float(low), float(high), p_value, float(np.mean(means > 0)),
                                 confidence, n_resamples)
