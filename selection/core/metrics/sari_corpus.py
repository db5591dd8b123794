"""Corpus SARI as EASSE computes it (feralvam/easse, ``easse/sari.py``, ``corpus_sari``): the SARI papers print.

Conventions, all EASSE's defaults (see docs/metrics.md):

* every string is lowercased and tokenised with sacrebleu's ``13a`` tokenizer, then split on whitespace, so a
  string that normalises to nothing has **no** tokens (unlike evaluate's one empty token);
* per example and n-gram order (1-4), with r references, o / s the n-gram's source / output counts and R
  its count summed over the references: additions are sets (added = in the output, not in the source;
  reference additions = in some reference, not in the source), keep and delete counts are weighted (o and s
  multiplied by r): kept = min(o, s)·r, reference-kept = min(o·r, R), deleted = (o - s)⁺·r,
  reference-deleted = (o·r - R)⁺, and "correct" is the minimum of the system's and the references' count;
* those nine counts per order are **summed over the corpus** (EASSE's ``compute_ngram_stats``); then, per
  order, precision = correct / system total, recall = correct / reference total, each **0 when its
  denominator is 0**, and F1 = 2PR / (P + R) **only when both are positive, else 0** (``compute_macro_sari``);
* add and keep are the mean F1 over the four orders; delete is the mean F1 too (EASSE's default
  ``use_f1_for_deletion=True`` at corpus level), or the mean precision with ``use_f1_for_deletion=False``
  (the sentence-level convention of Xu et al.); SARI = 100 × (add + keep + del) / 3.

Because the nine counts add up over examples, :func:`sari_stats` returns them **per example** (the sufficient
statistics): any subset or bootstrap resample of the corpus is scored by summing rows and calling
:func:`sari_from_totals`, with no re-tokenisation (see ``bootstrap.py``).

Tokenisation and n-gram counting are the vectorised ones of ``sari.py`` (one sort of integer keys for the whole
corpus); only the per-n-gram counts differ. Examples may have different numbers of references; with the same
number everywhere this is exactly EASSE, which takes a fixed-shape reference matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .sari import _MAX_ORDER, _ngram_keys, _validate, gram_runs

__all__ = ["SARI_STAT_FIELDS", "SariStats", "corpus_sari", "corpus_sari_scores", "sari_from_totals", "sari_stats"]

# The nine counts per n-gram order, in EASSE's order (compute_ngram_stats' return value).
SARI_STAT_FIELDS = (
    "add_sys_correct", "add_sys_total", "add_ref_total",
    "keep_sys_correct", "keep_sys_total", "keep_ref_total",
    "del_sys_correct", "del_sys_total", "del_ref_total",
)
_N_FIELDS = len(SARI_STAT_FIELDS)


@dataclass(frozen=True)
class SariStats:
    """EASSE's n-gram counts of every example: ``counts[i, n, k]`` is field ``SARI_STAT_FIELDS[k]`` of
    example i at order n + 1 (int64). ``counts.sum(axis=0)`` are the corpus totals EASSE scores."""

    counts: np.ndarray

    def __len__(self) -> int:
        return len(self.counts)

    @property
    def flat(self) -> np.ndarray:
        """``counts`` as an (n_examples, 36) matrix, the form the bootstrap multiplies."""
        return self.counts.reshape(len(self.counts), -1)

    def totals(self, index: np.ndarray | Sequence[int] | None = None) -> np.ndarray:
        """The (4, 9) corpus totals over all examples, or over ``index`` (repeats count again)."""
        counts = self.counts if index is None else self.counts[np.asarray(index, dtype=np.int64)]
        return counts.sum(axis=0)

    def scores(self, index: np.ndarray | Sequence[int] | None = None, *,
               use_f1_for_deletion: bool = True) -> dict[str, float]:
        """``{"sari", "sari_add", "sari_keep", "sari_del"}`` of the corpus (or of the examples in ``index``)."""
        sari, add, keep, delete = sari_from_totals(self.totals(index), use_f1_for_deletion=use_f1_for_deletion)
        return {"sari": float(sari), "sari_add": float(add), "sari_keep": float(keep), "sari_del": float(delete)}

    def per_example(self, *, use_f1_for_deletion: bool = True) -> np.ndarray:
        """Each example's SARI scored as a corpus of one (what EASSE's report does per sentence), 0-100."""
        return sari_from_totals(self.counts, use_f1_for_deletion=use_f1_for_deletion)[0]


def sari_stats(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]]
) -> SariStats:
    """EASSE's per-example n-gram counts (see the module docstring). ``references[i]``: example i's references."""
    _validate(sources, predictions, references)
    n_examples = len(predictions)
    keys, gram_bits, n_refs, _ = _ngram_keys(sources, predictions, references, drop_empty=True)
    counts = np.zeros((_MAX_ORDER * n_examples, _N_FIELDS), dtype=np.int64)
    if len(keys):
        _count_segments(keys, gram_bits, n_refs, n_examples, counts)
    return SariStats(counts.reshape(_MAX_ORDER, n_examples, _N_FIELDS).transpose(1, 0, 2).copy())


def _count_segments(keys: np.ndarray, gram_bits: int, n_refs: np.ndarray, n_examples: int, out: np.ndarray) -> None:
    """Fill ``out[order * n_examples + example]`` with the nine counts, from sorted (segment, n-gram, role) keys."""
    gram, starts, role = gram_runs(keys)
    o, s, ref = (np.add.reduceat((role == k).astype(np.int64), starts) for k in range(3))
    segment = gram[starts] >> gram_bits
    r = np.tile(n_refs, _MAX_ORDER)[segment]
    new_in_sys = (s > 0) & (o == 0)
    new_in_ref = (ref > 0) & (o == 0)
    kept = np.minimum(o, s) * r
    ref_kept = np.minimum(o * r, ref)
    deleted = np.maximum(o - s, 0) * r
    ref_deleted = np.maximum(o * r - ref, 0)
    columns = (new_in_sys & (ref > 0), new_in_sys, new_in_ref,
               np.minimum(kept, ref_kept), kept, ref_kept,
               np.minimum(deleted, ref_deleted), deleted, ref_deleted)
    n_segments = out.shape[0]
    for k, column in enumerate(columns):
        # float64 weights are exact for these integer sums (far below 2^53)
        out[:, k] = np.rint(np.bincount(segment, weights=column, minlength=n_segments)).astype(np.int64)


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (EASSE's compute_precision_recall_f1)."""
    return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def _f1(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    """2PR / (P + R) where both are positive, else 0 (EASSE's macro convention)."""
    both = (p > 0) & (r > 0)
    return np.where(both, 2 * p * r / np.where(both, p + r, 1.0), 0.0)


def sari_from_totals(totals: np.ndarray, *, use_f1_for_deletion: bool = True,
                     ) -> tuple[float | np.ndarray, float | np.ndarray, float | np.ndarray, float | np.ndarray]:
    """(sari, add, keep, del) on 0-100 from count totals of shape (..., 4, 9); vectorised over leading axes.

    A (4, 9) input gives four floats; a (B, 4, 9) stack (e.g. bootstrap resamples) gives four (B,) arrays.
    """
    t = np.asarray(totals, dtype=np.float64)
    scores = []
    for op in range(3):
        correct, sys_total, ref_total = t[..., 3 * op], t[..., 3 * op + 1], t[..., 3 * op + 2]
        precision = _safe_ratio(correct, sys_total)
        if op == 2 and not use_f1_for_deletion:
            per_order = precision
        else:
            per_order = _f1(precision, _safe_ratio(correct, ref_total))
        scores.append(100 * per_order.mean(axis=-1))
    add, keep, delete = scores
    sari = (add + keep + delete) / 3
    if np.ndim(sari) == 0:
        return float(sari), float(add), float(keep), float(delete)
    return sari, add, keep, delete


def corpus_sari_scores(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]],
    *, use_f1_for_deletion: bool = True,
) -> dict[str, float]:
    """EASSE's ``get_corpus_sari_operation_scores`` with SARI: ``{"sari", "sari_add", "sari_keep", "sari_del"}``."""
    return sari_stats(sources, predictions, references).scores(use_f1_for_deletion=use_f1_for_deletion)


def corpus_sari(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]],
    *, use_f1_for_deletion: bool = True,
) -> float:
    """EASSE's ``corpus_sari`` (0-100): the corpus SARI papers report.

    >>> round(corpus_sari(["About 95 species are currently accepted.", "The cat perched on the mat."],
    ...     ["About 95 you now get in.", "Cat on mat."],
    ...     [["About 95 species are currently known.", "About 95 species are now accepted.",
    ...       "95 species are now accepted."], ["The cat sat on the mat.", "The cat is on the mat.", "The cat sat."]]), 6)
    33.174726
    """
    return corpus_sari_scores(sources, predictions, references, use_f1_for_deletion=use_f1_for_deletion)["sari"]
