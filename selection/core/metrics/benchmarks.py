"""Which metrics each benchmark is reported with in the literature (its "headline" metrics, shown first).

ASSET and TurkCorpus (simplification): SARI, then FKGL (ASSET, EASSE, CoEDIT). JFLEG (fluency GEC): GLEU,
then SARI (Napoles et al. 2017; CoEDIT). IteraTeR (iterative revision): SARI (Du et al. 2022; CoEDIT).
A set is recognised by its benchmark name (``asset``, ``turkcorpus_gem``, ``jfleg``, ``iterater_human_sent``,
or any name starting with those), else by its task; anything else leads with SARI.
"""

from __future__ import annotations

__all__ = ["BENCHMARK_HEADLINES", "TASK_HEADLINES", "headline_metrics"]

BENCHMARK_HEADLINES: dict[str, tuple[str, ...]] = {
    "asset": ("sari", "fkgl"),
    "turkcorpus": ("sari", "fkgl"),
    "jfleg": ("gleu", "sari"),
    "iterater": ("sari",),
}
TASK_HEADLINES: dict[str, tuple[str, ...]] = {
    "simplification": ("sari", "fkgl"),
    "gec": ("sari", "gleu"),
}
_DEFAULT = ("sari",)


def headline_metrics(benchmark: str | None = None, task: str | None = None) -> tuple[str, ...]:
    """The metrics a benchmark (or, failing that, a task) is reported with, most important first.

    >>> headline_metrics("turkcorpus_gem"), headline_metrics("jfleg"), headline_metrics("mine", "gec")
    (('sari', 'fkgl'), ('gleu', 'sari'), ('sari', 'gleu'))
    """
    name = (benchmark or "").lower()
    for prefix, metrics in BENCHMARK_HEADLINES.items():
        if name.startswith(prefix):
            return metrics
    return TASK_HEADLINES.get((task or name or "").lower(), _DEFAULT)
