"""Every automatic metric of one system on one evaluation set, kept as per-example sufficient statistics.

:func:`score_system` tokenises and counts once; :class:`SystemScores` then scores the whole set or any
subset of it (an evaluation set inside a mixed dataset), gives bootstrap intervals for each metric, and
pairs two systems for a paired bootstrap test, all without recounting. Metrics (see docs/metrics.md):

=================== ======= ==========================================================================
name                kind    what
=================== ======= ==========================================================================
sari                corpus  EASSE's corpus SARI, 0-100 (the papers' number); sari_add / sari_keep / sari_del
sari_evaluate       mean    Hugging Face evaluate's SARI (mean of sentence SARIs, 0/0 = 1), 0-100
gleu                corpus  JFLEG's GLEU ×100 (mean over the script's 500 seeded reference draws)
rouge_l             mean    rouge-score's ROUGE-L F-measure, best reference, 0-1
fkgl                corpus  Flesch-Kincaid grade of the outputs, counts pooled (textstat)
exact_match         mean    share of outputs equal to a reference (after strip)
copy_rate           mean    share of outputs equal to their input (after strip)
mean_edit_distance  mean    word-level Levenshtein distance from input to output
length_ratio        corpus  total output words / total input words
compression_ratio   mean    output characters / input characters (EASSE's compression ratio)
=================== ======= ==========================================================================

"corpus" metrics are recomputed from summed statistics on every bootstrap resample; "mean" metrics are
means of per-example values. Sources must be the inputs **without** their instruction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .bootstrap import (
    BootstrapCI,
    PairedBootstrapResult,
    WeightsScorer,
    corpus_bootstrap_ci,
    corpus_paired_bootstrap,
    gleu_weights_scorer,
    mean_weights_scorer,
    totals_weights_scorer,
)
from .gleu import DEFAULT_ITERATIONS, GleuStats, gleu_stats, reference_indices
from .rouge import rouge_l_scores
from .sari import sari_scores
from .sari_corpus import SariStats, sari_from_totals, sari_stats
from .stats import edit_statistics, fkgl_counts, fkgl_from_counts

__all__ = ["CORPUS_METRICS", "MEAN_METRICS", "METRICS", "METRIC_DIGITS", "METRIC_LABELS", "SystemScores",
           "score_system"]

CORPUS_METRICS = ("sari", "sari_add", "sari_keep", "sari_del", "gleu", "fkgl", "length_ratio")
MEAN_METRICS = ("sari_evaluate", "rouge_l", "exact_match", "copy_rate", "mean_edit_distance", "compression_ratio")
METRICS = CORPUS_METRICS + MEAN_METRICS
# How each metric is named and how many decimals it is printed with (SARI and GLEU as papers print them).
METRIC_LABELS = {
    "sari": "SARI", "sari_add": "SARI add", "sari_keep": "SARI keep", "sari_del": "SARI del", "gleu": "GLEU",
    "fkgl": "FKGL", "length_ratio": "length ratio", "sari_evaluate": "SARI (evaluate)", "rouge_l": "ROUGE-L",
    "exact_match": "exact match", "copy_rate": "copy rate", "mean_edit_distance": "edit distance (words)",
    "compression_ratio": "compression ratio",
}
METRIC_DIGITS = {"sari": 2, "sari_add": 2, "sari_keep": 2, "sari_del": 2, "gleu": 2, "fkgl": 2, "sari_evaluate": 2,
                 "rouge_l": 3, "exact_match": 3, "copy_rate": 3, "mean_edit_distance": 2, "length_ratio": 3,
                 "compression_ratio": 3}
_SARI_PART = {"sari": 0, "sari_add": 1, "sari_keep": 2, "sari_del": 3}


@dataclass(frozen=True)
class SystemScores:
    """Per-example statistics of one system (arrays aligned with the examples scored)."""

    sari: SariStats
    gleu: GleuStats
    ref_counts: np.ndarray  # references per example (GLEU redraws its references for a subset)
    per_example: dict[str, np.ndarray]  # the "mean" metrics, one value per example
    words: np.ndarray  # (n, 2): input words, output words
    fkgl: np.ndarray | None = None  # (n, 3) textstat counts of the outputs, or None when not computed
    gleu_iterations: int = DEFAULT_ITERATIONS
    _subsets: dict = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.words)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(m for m in METRICS if m != "fkgl" or self.fkgl is not None)

    def _gleu_for(self, index: np.ndarray | None) -> GleuStats:
        if index is None:
            return self.gleu
        key = index.tobytes()
        if key not in self._subsets:
            self._subsets[key] = GleuStats(self.gleu.stats[index],
                                           reference_indices(self.ref_counts[index], self.gleu_iterations))
        return self._subsets[key]

    def scorer(self, metric: str, index: np.ndarray | None = None) -> WeightsScorer:
        """A (B, n) weights -> (B,) scores function for ``metric`` on the examples in ``index``: corpus
        metrics from their summed statistics, mean metrics as weighted means of per-example values."""
        pick = (lambda a: a) if index is None else (lambda a: a[index])
        if metric in MEAN_METRICS:
            return mean_weights_scorer(pick(self.per_example[metric]))
        if metric in _SARI_PART:
            part = _SARI_PART[metric]
            return totals_weights_scorer(pick(self.sari.counts), lambda t: sari_from_totals(t)[part])
        if metric == "gleu":
            return gleu_weights_scorer(self._gleu_for(index))
        if metric == "fkgl":
            if self.fkgl is None:
                raise ValueError("FKGL was not computed (score_system(..., fkgl=True))")
            return totals_weights_scorer(pick(self.fkgl), fkgl_from_counts)
        if metric == "length_ratio":
            return totals_weights_scorer(pick(self.words), lambda t: t[:, 1] / np.where(t[:, 0] > 0, t[:, 0], np.nan))
        raise ValueError(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}")

    def value(self, metric: str, index: np.ndarray | None = None) -> float:
        """``metric`` on every example, or on the examples in ``index``."""
        if metric in MEAN_METRICS:
            values = self.per_example[metric]
            return float((values if index is None else values[index]).mean())
        n = len(self) if index is None else len(index)
        return float(self.scorer(metric, index)(np.ones((1, n)))[0])

    def corpus(self, index: np.ndarray | None = None) -> dict[str, float]:
        """Every metric on the examples in ``index`` (all when None), plus ``n``."""
        index = None if index is None else np.asarray(index, dtype=np.int64)
        out: dict[str, float] = {"n": len(self) if index is None else len(index)}
        sari = self.sari.counts if index is None else self.sari.counts[index]
        out.update(zip(("sari", "sari_add", "sari_keep", "sari_del"), sari_from_totals(sari.sum(axis=0))))
        for metric in self.metrics:
            if metric not in out:
                out[metric] = self.value(metric, index)
        return out

    def interval(self, metric: str, index: np.ndarray | None = None, *, n_resamples: int = 1000,
                 confidence: float = 0.95, random_state: int | None = 0) -> BootstrapCI:
        """Percentile bootstrap interval of ``metric`` over examples (corpus metrics recomputed per resample)."""
        n = len(self) if index is None else len(index)
        return corpus_bootstrap_ci(self.scorer(metric, index), n, n_resamples=n_resamples, confidence=confidence,
                                   random_state=random_state)

    def paired(self, other: "SystemScores", metric: str, index: np.ndarray | None = None, *,
               n_resamples: int = 1000, confidence: float = 0.95,
               random_state: int | None = 0) -> PairedBootstrapResult:
        """Paired bootstrap test of this system (A) against ``other`` (B) on the same examples."""
        if len(other) != len(self):
            raise ValueError("the two systems must be scored on the same examples")
        n = len(self) if index is None else len(index)
        return corpus_paired_bootstrap(self.scorer(metric, index), other.scorer(metric, index), n,
                                       n_resamples=n_resamples, confidence=confidence, random_state=random_state)


def score_system(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]], *,
    use_stemmer: bool = False, fkgl: bool = True, gleu_iterations: int = DEFAULT_ITERATIONS,
) -> SystemScores:
    """Count everything every metric needs, once. ``sources``: the inputs without their instruction."""
    srcs, preds = list(sources), list(predictions)
    refs = [list(r) for r in references]
    evaluate_sari = sari_scores(srcs, preds, refs)  # validates the shapes
    edits = edit_statistics(srcs, preds, refs)
    words = edits.pop("words")
    per_example = {"sari_evaluate": evaluate_sari.sari,
                   "rouge_l": rouge_l_scores(preds, refs, use_stemmer=use_stemmer), **edits}
    return SystemScores(
        sari=sari_stats(srcs, preds, refs),
        gleu=gleu_stats(srcs, preds, refs, iterations=gleu_iterations),
        ref_counts=np.array([len(r) for r in refs], dtype=np.int64),
        per_example=per_example,
        words=words,
        fkgl=fkgl_counts(preds) if fkgl else None,
        gleu_iterations=gleu_iterations,
    )
