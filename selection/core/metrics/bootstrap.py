"""Bootstrap intervals and paired bootstrap tests over examples, for corpus statistics and for means: one engine.

Every resample is a row of a (B, n) matrix of how often each example was drawn (:func:`resample_weights`,
seeded ``numpy`` generator, in blocks to bound memory: the only resampling loop of the platform's metrics).
A *weights scorer* turns such a matrix into B scores, recomputing the statistic from per-example sufficient
statistics with one matrix product (no Python loop over resamples, no re-tokenisation):

* corpus scores that are not means (EASSE's corpus SARI, JFLEG's GLEU, pooled FKGL):
  :func:`sari_weights_scorer`, :func:`gleu_weights_scorer`, :func:`totals_weights_scorer`;
* means of per-example scores (ROUGE-L, evaluate's sentence-mean SARI, rates): :func:`mean_weights_scorer`.

:func:`corpus_bootstrap_ci` / :func:`corpus_paired_bootstrap` take any of them; :func:`bootstrap_ci` /
:func:`paired_bootstrap` are the same two for a mean of per-example scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from .gleu import GleuStats
from .sari_corpus import SariStats, sari_from_totals

__all__ = [
    "BootstrapCI", "PairedBootstrapResult", "bootstrap_ci", "corpus_bootstrap_ci", "corpus_paired_bootstrap",
    "gleu_weights_scorer", "mean_weights_scorer", "paired_bootstrap", "resample_weights", "sari_weights_scorer",
    "totals_weights_scorer",
]

WeightsScorer = Callable[[np.ndarray], np.ndarray]
Scores = Sequence[float] | np.ndarray

_BLOCK_CELLS = 4_000_000  # resample draws held at once


@dataclass(frozen=True)
class BootstrapCI:
    """A score (of the whole set) with its percentile bootstrap interval."""

    estimate: float
    low: float
    high: float
    confidence: float
    n_resamples: int


@dataclass(frozen=True)
class PairedBootstrapResult:
    """Paired bootstrap comparison of system A against system B on the same examples.

    ``mean_diff`` is score(A) - score(B) on the whole set (for a mean metric: mean(A - B)); ``low``/``high``
    its percentile interval over resamples; ``p_value`` is two-sided (see :func:`corpus_paired_bootstrap`);
    ``a_wins`` is the share of resamples where A scores strictly higher.
    """

    mean_diff: float
    low: float
    high: float
    p_value: float
    a_wins: float
    confidence: float
    n_resamples: int


def _as_scores(values: Scores, name: str) -> np.ndarray:
    scores = np.asarray(values, dtype=float)
    if scores.ndim != 1 or len(scores) == 0:
        raise ValueError(f"{name} must be a non-empty 1-d sequence of per-example scores")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return scores


def _check(n_examples: int, n_resamples: int, confidence: float) -> None:
    if n_examples < 1:
        raise ValueError("the corpus needs at least one example")
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")


def bootstrap_ci(
    scores: Scores, *, n_resamples: int = 1000, confidence: float = 0.95, random_state: int | None = 0
) -> BootstrapCI:
    """Mean of per-example ``scores`` with a percentile bootstrap interval (seeded: same input, same interval).

    >>> ci = bootstrap_ci([1.0, 2.0, 3.0, 4.0], n_resamples=2000, random_state=0)
    >>> ci.estimate, ci.low >= 1.0, ci.high <= 4.0
    (2.5, True, True)
    """
    values = _as_scores(scores, "scores")
    return corpus_bootstrap_ci(mean_weights_scorer(values), len(values), n_resamples=n_resamples,
                               confidence=confidence, random_state=random_state)


def paired_bootstrap(
    scores_a: Scores, scores_b: Scores, *, n_resamples: int = 1000, confidence: float = 0.95, random_state: int | None = 0
) -> PairedBootstrapResult:
    """Paired bootstrap test (Koehn 2004) of two systems' per-example scores on the same examples: the
    :func:`corpus_paired_bootstrap` of their means."""
    a = _as_scores(scores_a, "scores_a")
    b = _as_scores(scores_b, "scores_b")
    if len(a) != len(b):
        raise ValueError(f"scores_a ({len(a)}) and scores_b ({len(b)}) must score the same examples")
    return corpus_paired_bootstrap(mean_weights_scorer(a), mean_weights_scorer(b), len(a), n_resamples=n_resamples,
                                   confidence=confidence, random_state=random_state)


# ---------------------------------------------------------------- the engine


def resample_weights(n: int, n_resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Blocks of (B, n) float matrices: row b counts how often resample b drew each of the n examples.

    Row b is ``bincount(rng.integers(0, n, n))``: the same draws as an index-matrix bootstrap.
    """
    block = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, n_resamples, block):
        size = min(block, n_resamples - start)
        draws = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
        yield np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)


def mean_weights_scorer(scores: Scores) -> WeightsScorer:
    """The mean of per-example ``scores`` on each resample: ``weights @ scores / n``."""
    values = np.asarray(scores, dtype=np.float64)

    def score(weights: np.ndarray) -> np.ndarray:
        return (weights @ values) / weights.sum(axis=1)

    return score


def totals_weights_scorer(stats: np.ndarray, score_totals: Callable[[np.ndarray], np.ndarray]) -> WeightsScorer:
    """A scorer for statistics that add up over examples: ``score_totals(weights @ stats)``.

    ``stats`` is (n, ...) per example; ``score_totals`` maps (B, ...) totals to (B,) scores.
    """
    flat = np.asarray(stats, dtype=np.float64).reshape(len(stats), -1)
    shape = np.shape(stats)[1:]

    def score(weights: np.ndarray) -> np.ndarray:
        totals = (weights @ flat).reshape((len(weights), *shape))
        return np.asarray(score_totals(totals), dtype=np.float64)

    return score


def sari_weights_scorer(stats: SariStats, *, use_f1_for_deletion: bool = True) -> WeightsScorer:
    """Corpus SARI (EASSE) of resamples, from a :class:`~selection.core.metrics.sari_corpus.SariStats`."""
    return totals_weights_scorer(
        stats.counts, lambda totals: sari_from_totals(totals, use_f1_for_deletion=use_f1_for_deletion)[0])


def gleu_weights_scorer(stats: GleuStats) -> WeightsScorer:
    """JFLEG GLEU ×100 of resamples, from a :class:`~selection.core.metrics.gleu.GleuStats`."""
    return stats.resampled_scores


def _resampled(scorers: list[WeightsScorer], n: int, n_resamples: int, random_state: int | None) -> list[np.ndarray]:
    """Each scorer's scores on the same ``n_resamples`` resamples (the same draws for every scorer)."""
    rng = np.random.default_rng(random_state)
    blocks = [[scorer(w) for scorer in scorers] for w in resample_weights(n, n_resamples, rng)]
    return [np.concatenate([b[k] for b in blocks]) for k in range(len(scorers))]


def _percentiles(values: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def corpus_bootstrap_ci(
    score_weights: WeightsScorer, n_examples: int, *, n_resamples: int = 1000, confidence: float = 0.95,
    random_state: int | None = 0,
) -> BootstrapCI:
    """A corpus score with its percentile bootstrap interval over examples (seeded).

    ``estimate`` is the score of the whole corpus (every weight 1), not the mean of the resamples.

    >>> from selection.core.metrics import sari_stats
    >>> stats = sari_stats(["a b c", "d e f"], ["a b", "d e f"], [["a b"], ["d f"]])
    >>> ci = corpus_bootstrap_ci(sari_weights_scorer(stats), len(stats), n_resamples=200)
    >>> ci.low <= ci.estimate <= ci.high
    True
    """
    _check(n_examples, n_resamples, confidence)
    estimate = float(score_weights(np.ones((1, n_examples)))[0])
    (scores,) = _resampled([score_weights], n_examples, n_resamples, random_state)
    return BootstrapCI(estimate, *_percentiles(scores, confidence), confidence, n_resamples)


def corpus_paired_bootstrap(
    score_weights_a: WeightsScorer, score_weights_b: WeightsScorer, n_examples: int, *, n_resamples: int = 1000,
    confidence: float = 0.95, random_state: int | None = 0,
) -> PairedBootstrapResult:
    """Paired bootstrap test (Koehn 2004) of two systems' corpus scores on the same examples.

    Each resample draws the same examples for both systems and records score(A) - score(B), each score
    recomputed on the resample. With the observed difference d on the whole corpus: if d > 0 the one-sided
    p is the share of resamples whose difference is <= 0 (the sign flips or vanishes), if d < 0 the share
    with difference >= 0; ``p_value = min(1, 2 * one-sided p)``; when d == 0, p = 1.

    >>> better, base = [0.9, 0.8, 0.7, 0.9, 0.8] * 8, [0.5, 0.4, 0.6, 0.5, 0.4] * 8
    >>> r = corpus_paired_bootstrap(mean_weights_scorer(better), mean_weights_scorer(base), 40, n_resamples=500)
    >>> round(r.mean_diff, 2), r.p_value, r.a_wins
    (0.34, 0.0, 1.0)
    """
    _check(n_examples, n_resamples, confidence)
    ones = np.ones((1, n_examples))
    observed = float(score_weights_a(ones)[0] - score_weights_b(ones)[0])
    a, b = _resampled([score_weights_a, score_weights_b], n_examples, n_resamples, random_state)
    diffs = a - b
    if observed > 0:
        p_value = min(1.0, 2 * float(np.mean(diffs <= 0)))
    elif observed < 0:
        p_value = min(1.0, 2 * float(np.mean(diffs >= 0)))
    else:
        p_value = 1.0
    return PairedBootstrapResult(observed, *_percentiles(diffs, confidence), p_value, float(np.mean(diffs > 0)),
                                 confidence, n_resamples)
