"""ROUGE-L as a real ``evaluate`` metric, loadable without the Hub.

    evaluate.load("/abs/path/selection/core/metrics/rouge_metric.py")   # or metrics.load_metric("rouge")
    .compute(predictions=[...], references=[[...], ...], use_stemmer=False) -> {"rougeL": 0-1}

Only ROUGE-L is offered (evaluate's ``rouge`` also returns rouge1/rouge2/rougeLsum). The value is the mean of
per-example best-reference F-measures, as ``rouge_score`` computes them, not evaluate's random bootstrap
aggregate. ``evaluate`` copies this script, ``rouge.py`` and ``metric_info.py`` into ``$HF_MODULES_CACHE`` and imports them there.
"""

import evaluate

from .metric_info import text_metric_info
from .rouge import corpus_rouge_l

_DESCRIPTION = "ROUGE-L F-measure with rouge-score's tokenizer; best reference per example; mean over examples."
_CITATION = "Lin, Chin-Yew. ROUGE: A Package for Automatic Evaluation of Summaries. ACL Workshop, 2004."
_INPUTS = "predictions: list of str; references: list of lists of str; use_stemmer: bool. Returns {'rougeL'}."


class RougeL(evaluate.Metric):
    """evaluate wrapper around :func:`corpus_rouge_l`."""

    def _info(self) -> evaluate.MetricInfo:
        return text_metric_info(
            _DESCRIPTION, _CITATION, _INPUTS, ("predictions",),
            codebase_urls=["https://github.com/google-research/google-research/tree/master/rouge"],
        )

    def _compute(self, predictions, references, use_stemmer=False):
        return {"rougeL": corpus_rouge_l(predictions, references, use_stemmer=use_stemmer)}
