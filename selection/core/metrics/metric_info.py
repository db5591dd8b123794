"""The ``evaluate.MetricInfo`` the text metrics' evaluate scripts (``rouge_metric.py``, ``sari_metric.py``) share.

``evaluate`` copies a metric script and the files it imports relatively (this one too) into
``$HF_MODULES_CACHE`` and imports them there, so this module imports only ``datasets`` and ``evaluate``.
"""

import datasets
import evaluate


def text_metric_info(
    description: str, citation: str, inputs: str, text_columns: tuple[str, ...], **urls: list[str]
) -> evaluate.MetricInfo:
    """MetricInfo of a metric over one string per example in each of ``text_columns`` (in that order) and a
    list of reference strings per example (``references``, last); ``urls``: codebase_urls / reference_urls."""
    features = {name: datasets.Value("string", id="sequence") for name in text_columns}
    features["references"] = datasets.Sequence(datasets.Value("string", id="sequence"), id="references")
    return evaluate.MetricInfo(
        description=description,
        citation=citation,
        inputs_description=inputs,
        features=datasets.Features(features),
        **urls,
    )
