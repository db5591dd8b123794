"""The public evaluation sets in CoEDIT's format: instruction-prefixed inputs, references, one benchmark name.

``eval_sets.jsonl`` (see ``shared/data/coedit/README.md``) holds each test set's inputs *without* an
instruction, and a ``coedit_task`` (None for IteraTeR revisions outside fluency, clarity and coherence, which
EditEval leaves out). A model fine-tuned CoEDIT-style is asked with an instruction, so each row gets the
task's instruction here, and a ``benchmark`` name the scores are grouped by, on the papers' naming:
``asset``, ``turkcorpus``, ``jfleg``, ``iterater-fluency``, ``iterater-clarity``, ``iterater-coherence``.

The headline metric per benchmark follows the literature: SARI for simplification and IteraTeR (CoEDIT,
DEFT), GLEU for JFLEG (CoEDIT reports GLEU there; SARI beside it).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

INSTRUCTIONS = {"simplification": "Simplify this sentence", "gec": "Fix grammar", "clarity": "Make this clearer",
                "coherence": "Make this text coherent", "neutralize": "Write in a more neutral way",
                "paraphrase": "Paraphrase this"}
_BENCHMARK = {"asset": "asset", "turkcorpus_gem": "turkcorpus", "turkcorpus": "turkcorpus", "jfleg": "jfleg"}
_ITERATER = {"gec": "iterater-fluency", "clarity": "iterater-clarity", "coherence": "iterater-coherence"}
HEADLINE = {"jfleg": "gleu"}


def headline_metric(benchmark: str) -> str:
    return HEADLINE.get(benchmark, "sari")


def benchmark_name(dataset: str, task: str | None) -> str | None:
    """The benchmark a row of ``eval_sets.jsonl`` belongs to (None: outside the EditEval sets)."""
    if dataset.startswith("iterater"):
        return _ITERATER.get(task or "")
    return _BENCHMARK.get(dataset, dataset) if task else None


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
        out.append({"id": rec["id"], "task": task, "src": f"{INSTRUCTIONS[task]}: {rec['src']}", "refs": refs,
                    "split": "test", "dataset": bench})
    return out
