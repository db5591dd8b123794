"""Automatic metrics (no Django): SARI and ROUGE-L as evaluate / rouge-score compute them, system statistics,
bootstrap intervals and the paired bootstrap test. See docs/metrics.md for the conventions.

``score_rows`` is the one entry the ``metrics`` command and the scoring service use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from .bootstrap import BootstrapCI, PairedBootstrapResult, bootstrap_ci, paired_bootstrap
from .rouge import corpus_rouge_l, rouge_l_scores, rouge_l_sentence
from .sari import SariScores, corpus_sari, sari_scores, sari_sentence
from .stats import SystemStats, strip_instruction, system_stats

__all__ = [
    "BootstrapCI", "PairedBootstrapResult", "SariScores", "SystemStats",
    "bootstrap_ci", "corpus_rouge_l", "corpus_sari", "load_metric", "paired_bootstrap", "rouge_l_scores",
    "rouge_l_sentence", "sari_scores", "sari_sentence", "score_rows", "strip_instruction", "system_stats",
]

_METRIC_SCRIPTS = {"sari": "sari_metric.py", "rouge": "rouge_metric.py", "rougeL": "rouge_metric.py"}


def score_rows(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]],
    *, use_stemmer: bool = False,
) -> tuple[list[dict[str, float]], dict[str, float]]:
    """Per-row and corpus scores of one system.

    Returns ``(rows, corpus)``: ``rows[i] = {"sari", "sari_add", "sari_keep", "sari_del", "rouge_l"}`` in input
    order (SARI and its components on 0-100, ROUGE-L on 0-1); ``corpus = {"n", "sari", "sari_add", "sari_keep",
    "sari_del", "rouge_l", "exact_match", "copy_rate", "mean_edit_distance", "length_ratio"}`` where each score
    is the mean of its per-row values (so corpus "sari" equals evaluate's SARI).
    """
    sari = sari_scores(sources, predictions, references)
    rouge = rouge_l_scores(predictions, references, use_stemmer=use_stemmer)
    rows = sari.rows()
    for row, value in zip(rows, rouge):
        row["rouge_l"] = float(value)
    corpus: dict[str, float] = {
        "n": len(rows),
        "sari": float(np.mean(sari.sari)),
        "sari_add": float(np.mean(sari.add)),
        "sari_keep": float(np.mean(sari.keep)),
        "sari_del": float(np.mean(sari.delete)),
        "rouge_l": float(np.mean(rouge)),
    }
    stats = system_stats(sources, predictions, references).as_dict()
    stats.pop("n")
    corpus.update(stats)
    return rows, corpus


def load_metric(name: str, **kwargs):
    """The project's ``evaluate`` metric ``"sari"`` or ``"rouge"``, loaded from its local script (no network).

    ``kwargs`` go to ``evaluate.load`` (e.g. ``cache_dir``, ``keep_in_memory=True``). evaluate copies the script
    into ``$HF_MODULES_CACHE`` (default ``~/.cache/huggingface/modules``): set ``HF_HOME`` to a writable
    directory where the home directory is not.
    """
    if name not in _METRIC_SCRIPTS:
        raise ValueError(f"unknown metric {name!r}; expected one of {sorted(_METRIC_SCRIPTS)}")
    import evaluate  # heavy (datasets, pyarrow): only when an evaluate metric is asked for

    return evaluate.load(str(Path(__file__).with_name(_METRIC_SCRIPTS[name])), **kwargs)
