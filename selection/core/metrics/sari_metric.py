"""SARI as a real ``evaluate`` metric, loadable without the Hub.

    evaluate.load("/abs/path/selection/core/metrics/sari_metric.py")   # or metrics.load_metric("sari")
    .compute(sources=[...], predictions=[...], references=[[...], ...]) -> {"sari": 0-100}

``evaluate`` copies this script and its relative imports (``sari.py``, ``metric_info.py``) into its module cache
(``$HF_MODULES_CACHE``, by default ``$HF_HOME/modules``) and imports them from there, so the project itself need
not be on ``sys.path``. Values equal ``corpus_sari_evaluate``: evaluate's own ``sari`` conventions.
"""

import evaluate

from .metric_info import text_metric_info
from .sari import corpus_sari_evaluate

_DESCRIPTION = "SARI (Xu et al. 2016) computed as Hugging Face evaluate's sari metric does (lowercase, 13a, 0/0=1)."
_CITATION = "Xu, Napoles, Pavlick, Chen, Callison-Burch. Optimizing Statistical Machine Translation for Text " \
            "Simplification. TACL 4, 2016."
_INPUTS = "sources: list of str; predictions: list of str; references: list of lists of str. Returns {'sari'}."


class Sari(evaluate.Metric):
    """evaluate wrapper around :func:`corpus_sari_evaluate`."""

    def _info(self) -> evaluate.MetricInfo:
        return text_metric_info(
            _DESCRIPTION, _CITATION, _INPUTS, ("sources", "predictions"),
            reference_urls=["https://aclanthology.org/Q16-1029/"],
        )

    def _compute(self, sources, predictions, references):
        return {"sari": corpus_sari_evaluate(sources, predictions, references)}
