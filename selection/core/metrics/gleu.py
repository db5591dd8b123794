"""GLEU (Napoles et al. 2015, updated 2016) as JFLEG's official script computes it (keisks/jfleg, ``eval/gleu.py``).

Conventions, all the script's (see docs/metrics.md):

* tokens are the whitespace-separated pieces of each string (``str.split()``; no lowercasing, no other
  tokenisation: the JFLEG files are already tokenised), n-gram orders 1-4;
* for one hypothesis h, source s and one reference r, the statistics are ``len(h)``, ``len(r)`` and, per
  order n, the numerator ``max(|h ∩ r| - |h ∩ (s \\ r)|, 0)`` (``s \\ r``: the source's n-grams that are not in
  r, with their source counts; ``∩``: clipped counts) and the denominator ``max(len(h) + 1 - n, 0)``;
* the corpus score of one *iteration* sums each example's statistics against **one** reference per
  example, then is ``exp(min(0, 1 - R / C) + mean_n log(num_n / den_n))``, or 0 when any sum is 0;
* **reference sampling, made deterministic exactly as the script does it**: iteration j (0-based) seeds
  Python's ``random`` with ``j * 101`` and draws ``random.randint(0, k - 1)`` for each example in order, k the
  number of references (the script's default is 500 iterations). The reported GLEU is the mean over
  iterations, ×100 (the scale papers print; the script itself prints 0-1). When examples have different
  numbers of references, example i draws ``randint(0, k_i - 1)`` from the same stream (the script cannot take
  such data; with a fixed k this is exactly the script).

The per-example, per-reference statistics are the sufficient statistics: :class:`GleuStats` scores any
resample of the examples without recounting n-grams (see ``bootstrap.py``).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

__all__ = ["DEFAULT_ITERATIONS", "GleuStats", "corpus_gleu", "gleu_from_totals", "gleu_stats", "reference_indices"]

DEFAULT_ITERATIONS = 500
_ORDER = 4
_N_STATS = 2 + 2 * _ORDER
_CHUNK_CELLS = 4_000_000  # statistics laid out at once by resampled_scores


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) + 1 - n))


def _pair_stats(h: list[str], h_grams: list[Counter], s_grams: list[Counter], r: list[str]) -> list[int]:
    stats = [len(h), len(r)]
    for n in range(1, _ORDER + 1):
        r_grams = _ngrams(r, n)
        s_diff = Counter({g: c for g, c in s_grams[n - 1].items() if g not in r_grams})
        h_n = h_grams[n - 1]
        stats.append(max(sum((h_n & r_grams).values()) - sum((h_n & s_diff).values()), 0))
        stats.append(max(len(h) + 1 - n, 0))
    return stats


@lru_cache(maxsize=8)
def _indices_cached(ref_counts: tuple[int, ...], iterations: int) -> np.ndarray:
    out = np.empty((iterations, len(ref_counts)), dtype=np.int64)
    rng = random.Random()
    for j in range(iterations):
        rng.seed(j * 101)
        out[j] = [rng.randint(0, k - 1) for k in ref_counts]
    out.setflags(write=False)
    return out


def reference_indices(ref_counts: Sequence[int], iterations: int = DEFAULT_ITERATIONS) -> np.ndarray:
    """The (iterations, n_examples) reference each iteration uses for each example, as the script draws them."""
    return _indices_cached(tuple(int(k) for k in ref_counts), int(iterations))


@dataclass(frozen=True)
class GleuStats:
    """``stats[i, k]``: the 10 statistics (C, R, num_1, den_1, ..., num_4, den_4) of example i against its
    reference k (rows past an example's own references are unused); ``indices``: the sampled references."""

    stats: np.ndarray
    indices: np.ndarray

    def __len__(self) -> int:
        return len(self.stats)

    def iteration_stats(self) -> np.ndarray:
        """(iterations, n_examples, 10): each example's statistics against the reference each iteration drew."""
        return self.stats[np.arange(len(self.stats))[None, :], self.indices]

    def score(self, index: np.ndarray | Sequence[int] | None = None) -> float:
        """Corpus GLEU ×100 of all examples, or of those in ``index`` (repeats count again)."""
        per_iter = self.iteration_stats()
        if index is not None:
            per_iter = per_iter[:, np.asarray(index, dtype=np.int64)]
        return float(gleu_from_totals(per_iter.sum(axis=1)).mean())

    def resampled_scores(self, weights: np.ndarray) -> np.ndarray:
        """GLEU ×100 of every resample, given (B, n_examples) example weights (how often each is drawn).

        The statistics each iteration picks are laid side by side as one (n, iterations × 10) matrix, so all
        resamples and iterations are one matrix product (in chunks of iterations to bound memory).
        """
        weights = np.asarray(weights, dtype=np.float64)
        n, iterations = len(self.stats), self.indices.shape[0]
        chunk = max(1, _CHUNK_CELLS // max(n * _N_STATS, 1))
        total = np.zeros(len(weights))
        rows = np.arange(n)[:, None]
        for start in range(0, iterations, chunk):
            picked = self.stats[rows, self.indices[start:start + chunk].T]  # (n, chunk, 10)
            sums = weights @ picked.reshape(n, -1).astype(np.float64)  # (B, chunk * 10)
            total += gleu_from_totals(sums.reshape(len(weights), -1, _N_STATS)).sum(axis=1)
        return total / iterations


def gleu_stats(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]],
    *, iterations: int = DEFAULT_ITERATIONS,
) -> GleuStats:
    """Per-example, per-reference GLEU statistics and the script's reference draws."""
    if not (len(sources) == len(predictions) == len(references)):
        raise ValueError(f"sources ({len(sources)}), predictions ({len(predictions)}) and references "
                         f"({len(references)}) must have the same length")
    if len(predictions) == 0:
        raise ValueError("GLEU needs at least one example")
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    for i, refs in enumerate(references):
        if isinstance(refs, str) or len(refs) == 0:
            raise ValueError(f"example {i}: references must be a non-empty list of strings")
    width = max(len(refs) for refs in references)
    stats = np.zeros((len(predictions), width, _N_STATS), dtype=np.int64)
    for i, (src, hyp, refs) in enumerate(zip(sources, predictions, references)):
        h = hyp.split()
        h_grams = [_ngrams(h, n) for n in range(1, _ORDER + 1)]
        s_tokens = src.split()
        s_grams = [_ngrams(s_tokens, n) for n in range(1, _ORDER + 1)]
        for k, ref in enumerate(refs):
            stats[i, k] = _pair_stats(h, h_grams, s_grams, ref.split())
    return GleuStats(stats, reference_indices([len(r) for r in references], iterations))


def gleu_from_totals(totals: np.ndarray) -> np.ndarray:
    """GLEU ×100 of summed statistics, shape (..., 10) -> (...); 0 where any statistic is 0 (the script)."""
    t = np.asarray(totals, dtype=np.float64)
    valid = np.all(t != 0, axis=-1)
    safe = np.where(valid[..., None], t, 1.0)
    log_precision = np.log(safe[..., 2::2] / safe[..., 3::2]).sum(axis=-1) / _ORDER
    brevity = np.minimum(0.0, 1 - safe[..., 1] / safe[..., 0])
    return np.where(valid, 100 * np.exp(brevity + log_precision), 0.0)


def corpus_gleu(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]],
    *, iterations: int = DEFAULT_ITERATIONS,
) -> float:
    """JFLEG's corpus GLEU ×100: the mean over ``iterations`` seeded reference draws.

    >>> round(corpus_gleu(["he go to school ."], ["he goes to school ."], [["he goes to school .",
    ...                    "he went to school ."]]), 4)
    45.4
    """
    return gleu_stats(sources, predictions, references, iterations=iterations).score()
