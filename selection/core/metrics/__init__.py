"""Automatic metrics (no Django): the papers' corpus SARI (EASSE), evaluate's SARI, JFLEG's GLEU, ROUGE-L,
edit statistics and FKGL, bootstrap intervals and paired tests on corpus statistics. Conventions, reference
implementations and measured agreement: docs/metrics.md.

The public API (stable; other parts of the platform and scripts use only these names):

* ``corpus_sari(srcs, preds, refs)`` -> float, EASSE's corpus SARI (``sari``); ``corpus_sari_scores`` adds
  ``sari_add`` / ``sari_keep`` / ``sari_del``; ``sari_stats`` gives the per-example counts behind them.
* ``corpus_sari_evaluate`` (``sari_evaluate``), ``sari_scores`` / ``sari_sentence``: evaluate's sentence SARI.
* ``corpus_gleu(srcs, preds, refs)`` -> float, JFLEG's GLEU ×100; ``gleu_stats`` for its statistics.
* ``corpus_rouge_l`` / ``rouge_l_scores``; ``system_stats`` / ``edit_statistics`` / ``corpus_fkgl``.
* ``score_system(srcs, preds, refs)`` -> ``SystemScores``: every metric, per subset, with ``interval`` and
  ``paired`` bootstrap; ``score_rows`` is its flat form for the ``metrics`` command.
``refs`` is always one list of references per example; ``srcs`` are inputs without their instruction. Which
metrics a benchmark is reported with lives in ``selection.core.benchmarks``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .bootstrap import (
    BootstrapCI,
    PairedBootstrapResult,
    bootstrap_ci,
    corpus_bootstrap_ci,
    corpus_paired_bootstrap,
    gleu_weights_scorer,
    paired_bootstrap,
    sari_weights_scorer,
)
from .corpus import CORPUS_METRICS, MEAN_METRICS, METRIC_DIGITS, METRIC_LABELS, METRICS, SystemScores, score_system
from .gleu import GleuStats, corpus_gleu, gleu_stats
from .rouge import corpus_rouge_l, rouge_l_scores, rouge_l_sentence
from .sari import SariScores, corpus_sari_evaluate, sari_scores, sari_sentence
from .sari_corpus import SariStats, corpus_sari, corpus_sari_scores, sari_from_totals, sari_stats
from .stats import SystemStats, corpus_fkgl, edit_statistics, strip_instruction, system_stats

__all__ = [
    "BootstrapCI", "CORPUS_METRICS", "GleuStats", "MEAN_METRICS", "METRICS", "METRIC_DIGITS", "METRIC_LABELS", "PairedBootstrapResult", "SariScores",
    "SariStats", "SystemScores", "SystemStats",
    "bootstrap_ci", "corpus_bootstrap_ci", "corpus_fkgl", "corpus_gleu", "corpus_paired_bootstrap",
    "corpus_rouge_l", "corpus_sari", "corpus_sari_evaluate", "corpus_sari_scores", "edit_statistics",
    "gleu_stats", "gleu_weights_scorer", "load_metric", "paired_bootstrap", "rouge_l_scores",
    "rouge_l_sentence", "sari_from_totals", "sari_scores", "sari_sentence", "sari_stats", "sari_weights_scorer",
    "per_row_scores", "score_rows", "score_system", "strip_instruction", "system_stats",
]

_METRIC_SCRIPTS = {"sari": "sari_metric.py", "rouge": "rouge_metric.py", "rougeL": "rouge_metric.py"}


def score_rows(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]],
    *, use_stemmer: bool = False, fkgl: bool = True,
) -> tuple[list[dict[str, float]], dict[str, float]]:
    """Per-row and corpus scores of one system: ``per_row_scores`` and ``corpus()`` of :func:`score_system`.

    Returns ``(rows, corpus)``; ``corpus``: ``n`` and every metric of :data:`METRICS` (``sari`` is EASSE's
    corpus SARI, not a row mean; ``fkgl`` only with ``fkgl=True``).
    """
    scores = score_system(sources, predictions, references, use_stemmer=use_stemmer, fkgl=fkgl)
    return per_row_scores(scores), scores.corpus()


def per_row_scores(scores: SystemScores) -> list[dict[str, float]]:
    """Each row's ``sari`` / ``sari_add`` / ``sari_keep`` / ``sari_del`` (EASSE's SARI of that row scored as a
    corpus of one), ``sari_evaluate`` (evaluate's sentence SARI) and ``rouge_l``, in input order."""
    sari, add, keep, delete = sari_from_totals(scores.sari.counts)
    return [
        {"sari": float(s), "sari_add": float(a), "sari_keep": float(k), "sari_del": float(d),
         "sari_evaluate": float(e), "rouge_l": float(r)}
        for s, a, k, d, e, r in zip(sari, add, keep, delete, scores.per_example["sari_evaluate"],
                                    scores.per_example["rouge_l"])
    ]


def load_metric(name: str, **kwargs: Any) -> Any:  # an evaluate.EvaluationModule
    """The project's ``evaluate`` metric ``"sari"`` or ``"rouge"``, loaded from its local script (no network).

    ``kwargs`` go to ``evaluate.load`` (e.g. ``cache_dir``, ``keep_in_memory=True``). evaluate copies the script
    into ``$HF_MODULES_CACHE`` (default ``~/.cache/huggingface/modules``): set ``HF_HOME`` to a writable
    directory where the home directory is not.
    """
    if name not in _METRIC_SCRIPTS:
        raise ValueError(f"unknown metric {name!r}; expected one of {sorted(_METRIC_SCRIPTS)}")
    import evaluate  # heavy (datasets, pyarrow): only when an evaluate metric is asked for

    return evaluate.load(str(Path(__file__).with_name(_METRIC_SCRIPTS[name])), **kwargs)
