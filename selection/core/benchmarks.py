"""The public benchmark sets and their defaults, in one place: how each is named, which metrics the literature
reports it with (its *headline* metrics, shown first by ``score``, the results page, the API and the
reproduction report), and how ``eval_sets.jsonl`` becomes CoEDIT-style evaluation rows.

| benchmark (``dataset`` field)        | task           | headline   | as reported by                          |
|--------------------------------------|----------------|------------|-----------------------------------------|
| ``asset``                            | simplification | SARI, FKGL | ASSET (Alva-Manchego et al. 2020), EASSE |
| ``turkcorpus``, ``turkcorpus_gem``   | simplification | SARI, FKGL | Xu et al. 2016, EASSE, CoEDIT, DEFT     |
| ``jfleg``                            | gec (fluency)  | GLEU, SARI | JFLEG (Napoles et al. 2017), CoEDIT     |
| ``iterater…`` (human_sent, -fluency) | revision       | SARI       | IteraTeR (Du et al. 2022), CoEDIT, DEFT |

A set is recognised by its name (case-insensitive, any name starting with one of the keys above); any other
set leads with its task's metrics (simplification: SARI, FKGL; gec: SARI, GLEU), else with SARI.

``eval_sets.jsonl`` (see ``shared/data/coedit/README.md``) holds each test set's inputs *without* an
instruction and a ``coedit_task`` (None for IteraTeR revisions outside fluency, clarity and coherence, which
EditEval leaves out). :func:`coedit_eval_rows` gives each row the task's instruction
(:data:`selection.core.text.DEFAULT_INSTRUCTIONS`, the same one ``generate --add-instruction`` prepends) and
the benchmark name the papers use: ``asset``, ``turkcorpus``, ``jfleg``, ``iterater-fluency``,
``iterater-clarity``, ``iterater-coherence``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from selection.core.text import DEFAULT_INSTRUCTIONS

__all__ = ["BENCHMARKS", "Benchmark", "TASK_HEADLINES", "benchmark_label", "benchmark_name", "benchmark_of",
           "coedit_eval_rows", "headline_metric", "headline_metrics"]


@dataclass(frozen=True)
class Benchmark:
    key: str  # a set's name starts with it
    label: str
    task: str
    headline: tuple[str, ...]
    reported_by: str


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("asset", "ASSET", "simplification", ("sari", "fkgl"), "ASSET (Alva-Manchego et al. 2020), EASSE"),
    Benchmark("turkcorpus", "TurkCorpus", "simplification", ("sari", "fkgl"), "Xu et al. 2016, EASSE, CoEDIT, DEFT"),
    Benchmark("jfleg", "JFLEG", "gec", ("gleu", "sari"), "JFLEG (Napoles et al. 2017), CoEDIT"),
    Benchmark("iterater", "IteraTeR", "revision", ("sari",), "IteraTeR (Du et al. 2022), CoEDIT, DEFT"),
)
TASK_HEADLINES: dict[str, tuple[str, ...]] = {
    "simplification": ("sari", "fkgl"),
    "gec": ("sari", "gleu"),
}
DEFAULT_HEADLINE = ("sari",)

_EVAL_NAME = {"asset": "asset", "turkcorpus_gem": "turkcorpus", "turkcorpus": "turkcorpus", "jfleg": "jfleg"}
_ITERATER = {"gec": "iterater-fluency", "clarity": "iterater-clarity", "coherence": "iterater-coherence"}


def benchmark_of(name: str | None) -> Benchmark | None:
    """The benchmark a set named ``name`` belongs to (``turkcorpus_gem`` -> TurkCorpus), else None."""
    lowered = (name or "").lower()
    return next((b for b in BENCHMARKS if lowered.startswith(b.key)), None)


def benchmark_label(name: str, *, short: bool = False) -> str:
    """How a set is named on screen: the benchmark's own spelling, with the set's name where it differs.

    >>> benchmark_label("asset"), benchmark_label("turkcorpus_gem"), benchmark_label("turkcorpus_gem", short=True)
    ('ASSET', 'TurkCorpus (turkcorpus_gem)', 'TurkCorpus')
    >>> benchmark_label("my-gec-set")
    'my-gec-set'
    """
    found = benchmark_of(name)
    if found is None:
        return name
    return found.label if short or name.lower() == found.key else f"{found.label} ({name})"


def headline_metrics(benchmark: str | None = None, task: str | None = None) -> tuple[str, ...]:
    """The metrics a benchmark (or, failing that, a task) is reported with, most important first.

    >>> headline_metrics("turkcorpus_gem"), headline_metrics("jfleg"), headline_metrics("mine", "gec")
    (('sari', 'fkgl'), ('gleu', 'sari'), ('sari', 'gleu'))
    """
    found = benchmark_of(benchmark)
    if found is not None:
        return found.headline
    return TASK_HEADLINES.get((task or benchmark or "").lower(), DEFAULT_HEADLINE)


def headline_metric(benchmark: str) -> str:
    """The first headline metric: ``gleu`` for JFLEG, ``sari`` for the others."""
    return headline_metrics(benchmark)[0]


def benchmark_name(dataset: str, task: str | None) -> str | None:
    """The benchmark a row of ``eval_sets.jsonl`` belongs to (None: outside the EditEval sets)."""
    if dataset.startswith("iterater"):
        return _ITERATER.get(task or "")
    return _EVAL_NAME.get(dataset, dataset) if task else None


def coedit_eval_rows(records: Iterable[Mapping[str, Any]], split: str = "test") -> list[dict[str, Any]]:
    """``eval_sets.jsonl`` records of ``split`` as import rows: ``id``, ``task``, ``src`` (instruction + input),
    ``refs``, ``split`` "test", ``dataset`` (the benchmark). Rows EditEval leaves out are dropped: no task,
    or (IteraTeR's filter) no reference longer than one character."""
    out = []
    for rec in records:
        if rec.get("split") != split:
            continue
        task = rec.get("coedit_task")
        bench = benchmark_name(str(rec.get("dataset", "")), task)
        refs = [r for r in rec.get("refs") or [] if isinstance(r, str) and len(r.strip()) > 1]
        if bench is None or not refs or not str(rec.get("src", "")).strip():
            continue
        out.append({"id": rec["id"], "task": task, "src": f"{DEFAULT_INSTRUCTIONS[task]}: {rec['src']}",
                    "refs": refs, "split": "test", "dataset": bench})
    return out
