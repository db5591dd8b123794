"""Scoring systems: SARI and ROUGE-L per evaluation set with bootstrap intervals, system statistics, and a
paired bootstrap test between the first two systems, cached as a ``ScoreReport``.

Conventions (see docs/metrics.md): SARI's source is the example's input *without* its instruction (what the
system was asked to edit), on the 0-100 scale; ROUGE-L is the mean per-example best F-measure over the
references, 0-1. Evaluation sets are the example's ``extra["dataset"]`` when it has one (``by="dataset"``),
else its task; ``by="task"`` always groups by task. Every system must have an output for every example of
the split scored. A report is cached under a key that includes a hash of every output, so a changed output
is never served stale scores.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any, Sequence

import numpy as np
from django.db import transaction

from selection.core.metrics import bootstrap_ci, paired_bootstrap, score_rows, system_stats
from selection.core.text import strip_instruction
from deft_site.jobs.models import Job
from deft_site.jobs.services import job_create, job_enqueue
from selection.models import Dataset, Output, ScoreReport, System

GROUP_BY = ("dataset", "task")
ALL = "all"
DEFAULT_N_BOOT = 1000
# Above this many (example × system) pairs the results page scores in a background job.
SYNC_LIMIT = 20_000


class ScoringError(ValueError):
    """Systems that cannot be scored together as asked (unknown, incomplete, wrong dataset)."""


# ---------------------------------------------------------------- inputs


def scoring_systems(*, dataset: Dataset, names: Sequence[str]) -> list[System]:
    """The named systems of ``dataset``, in the order given; raises ScoringError for unknown or repeated names."""
    if not names:
        raise ScoringError("name at least one system")
    if len(set(names)) != len(names):
        raise ScoringError(f"a system is named twice: {list(names)}")
    found = {s.name: s for s in System.objects.filter(dataset=dataset, name__in=list(names))}
    unknown = [n for n in names if n not in found]
    if unknown:
        known = ", ".join(dataset.systems.values_list("name", flat=True)) or "none"
        raise ScoringError(f"dataset {dataset.name!r} has no system {', '.join(map(repr, unknown))} (it has: {known})")
    return [found[n] for n in names]


def _examples(dataset: Dataset, split: str | None) -> list[tuple[int, str, list[str], str, str]]:
    """(pk, source without instruction, refs, task, evaluation set) of every example scored, by pk."""
    qs = dataset.examples.order_by("id")
    if split:
        qs = qs.filter(split=split)
    rows = [(pk, strip_instruction(src), list(refs), task, (extra or {}).get("dataset") or task)
            for pk, src, refs, task, extra in qs.values_list("id", "src", "refs", "task", "extra").iterator(2000)]
    if not rows:
        raise ScoringError(f"dataset {dataset.name!r} has no examples{f' in split {split!r}' if split else ''}")
    return rows


def _outputs(system: System, example_pks: list[int]) -> list[str]:
    texts = dict(Output.objects.filter(system=system, example_id__in=example_pks).values_list("example_id", "text"))
    missing = [pk for pk in example_pks if pk not in texts]
    if missing:
        raise ScoringError(f"system {system.name!r} has no output for {len(missing)} of the {len(example_pks)} "
                           "examples scored (import or generate outputs for this split)")
    return [texts[pk] for pk in example_pks]


def _cache_key(dataset: Dataset, split: str | None, systems: list[System], by: str, outputs_hash: str,
               params: dict) -> str:
    blob = json.dumps([dataset.pk, split or "", [s.pk for s in systems], by, outputs_hash, params], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _outputs_hash(systems: list[System], pks: list[int], outputs: dict[str, list[str]]) -> str:
    h = hashlib.sha256()
    for system in systems:
        h.update(f"\x00{system.pk}\x00".encode())
        for pk, text in zip(pks, outputs[system.name]):
            h.update(f"{pk}\x1f{text}\x1e".encode())
    return h.hexdigest()


# ---------------------------------------------------------------- metric helpers


def _per_example(srcs: list[str], preds: list[str], refs: list[list[str]]) -> dict[str, np.ndarray]:
    """Per-example "sari" (0-100) and "rouge_l" (0-1) arrays."""
    rows, _ = score_rows(srcs, preds, refs)
    return {"sari": np.array([r["sari"] for r in rows]), "rouge_l": np.array([r["rouge_l"] for r in rows])}


def _interval(values: np.ndarray, n_boot: int, seed: int) -> list[float]:
    ci = bootstrap_ci(values, n_resamples=n_boot, random_state=seed)
    return [ci.low, ci.high]


def _paired(a: np.ndarray, b: np.ndarray, n_boot: int, seed: int) -> dict[str, float]:
    r = paired_bootstrap(a, b, n_resamples=n_boot, random_state=seed)
    return {"mean_diff": r.mean_diff, "low": r.low, "high": r.high, "p_value": r.p_value, "a_wins": r.a_wins}


# ---------------------------------------------------------------- the report


def score_compute(
    *, dataset: Dataset, split: str | None, systems: list[System], by: str = "dataset",
    n_boot: int = DEFAULT_N_BOOT, seed: int = 0, progress: Any = None,
) -> dict[str, Any]:
    """The report's content (no caching). See the module docstring for conventions."""
    if by not in GROUP_BY:
        raise ScoringError(f"group by one of {GROUP_BY}, not {by!r}")
    rows = _examples(dataset, split)
    pks = [r[0] for r in rows]
    srcs, refs = [r[1] for r in rows], [r[2] for r in rows]
    group_of = [r[3] if by == "task" else r[4] for r in rows]
    members: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(group_of):
        members[g].append(i)
    group_names = sorted(members) + ([ALL] if len(members) > 1 else [])
    members[ALL] = list(range(len(rows)))
    outputs = {s.name: _outputs(s, pks) for s in systems}
    per_system: dict[str, dict[str, np.ndarray]] = {}
    total_steps = len(systems) + 1
    for k, system in enumerate(systems):
        if progress:
            progress(k, total_steps, f"scoring {system.name}")
        per_system[system.name] = _per_example(srcs, outputs[system.name], refs)
    if progress:
        progress(len(systems), total_steps, "bootstrap")
    groups = []
    for g in group_names:
        idx = np.array(members[g])
        cell = {}
        for name, scores in per_system.items():
            cell[name] = {metric: float(scores[metric][idx].mean()) for metric in ("sari", "rouge_l")}
            cell[name].update({f"{metric}_ci": _interval(scores[metric][idx], n_boot, seed)
                               for metric in ("sari", "rouge_l")})
        groups.append({"name": g, "n": len(idx), "systems": cell})
    stats = {s.name: system_stats(srcs, outputs[s.name], refs).as_dict() for s in systems}
    paired = None
    if len(systems) >= 2:
        a, b = systems[0].name, systems[1].name
        paired = {"a": a, "b": b, **{m: _paired(per_system[a][m], per_system[b][m], n_boot, seed)
                                       for m in ("sari", "rouge_l")}}
    return {"dataset": dataset.name, "split": split or "", "group_by": by, "n": len(rows),
            "systems": [s.name for s in systems], "groups": groups, "stats": stats, "paired": paired,
            "params": {"n_boot": n_boot, "seed": seed, "confidence": 0.95}}


def score_report_key(*, dataset: Dataset, split: str | None, systems: list[System], by: str = "dataset",
                     n_boot: int = DEFAULT_N_BOOT, seed: int = 0) -> tuple[str, str]:
    """(cache key, outputs hash) of the report these arguments would produce; checks coverage."""
    pks = [r[0] for r in _examples(dataset, split)]
    outputs = {s.name: _outputs(s, pks) for s in systems}
    outputs_hash = _outputs_hash(systems, pks, outputs)
    return _cache_key(dataset, split, systems, by, outputs_hash, {"n_boot": n_boot, "seed": seed}), outputs_hash


def score_report_cached(*, dataset: Dataset, split: str | None, systems: list[System], by: str = "dataset",
                        n_boot: int = DEFAULT_N_BOOT, seed: int = 0) -> ScoreReport | None:
    key, _ = score_report_key(dataset=dataset, split=split, systems=systems, by=by, n_boot=n_boot, seed=seed)
    return ScoreReport.objects.filter(cache_key=key).first()


def score_report_create(
    *, dataset: Dataset, split: str | None, systems: list[System], by: str = "dataset",
    n_boot: int = DEFAULT_N_BOOT, seed: int = 0, user: Any = None, job: Job | None = None, progress: Any = None,
    use_cache: bool = True,
) -> ScoreReport:
    """Score (or fetch the cached report of) ``systems`` on ``dataset``/``split``."""
    key, outputs_hash = score_report_key(dataset=dataset, split=split, systems=systems, by=by, n_boot=n_boot,
                                         seed=seed)
    if use_cache:
        cached = ScoreReport.objects.filter(cache_key=key).first()
        if cached is not None:
            return cached
    result = score_compute(dataset=dataset, split=split, systems=systems, by=by, n_boot=n_boot, seed=seed,
                           progress=progress)
    with transaction.atomic():
        report, _ = ScoreReport.objects.update_or_create(
            cache_key=key,
            defaults={"dataset": dataset, "split": split or "", "systems": [s.name for s in systems],
                      "group_by": by, "outputs_hash": outputs_hash, "params": result["params"], "result": result,
                      "job": job, "created_by": user if getattr(user, "is_authenticated", False) else None},
        )
    return report


def score_report_submit(*, dataset: Dataset, split: str | None, systems: list[System], by: str = "dataset",
                        n_boot: int = DEFAULT_N_BOOT, seed: int = 0, user: Any = None) -> Job:
    """Queue a "scoring" job (the results page uses this for large sets)."""
    params = {"dataset": dataset.name, "split": split or "", "systems": [s.name for s in systems], "by": by,
              "n_boot": n_boot, "seed": seed}
    with transaction.atomic():
        job = job_create(kind="scoring", title=f"Score {', '.join(params['systems'])} on {dataset.name}"
                         f"/{split or 'all'}", params=params, user=user)
        job_enqueue(job)
    return job


def scoring_is_large(*, dataset: Dataset, split: str | None, n_systems: int) -> bool:
    qs = dataset.examples.filter(split=split) if split else dataset.examples
    return qs.count() * n_systems > SYNC_LIMIT


def run_scoring_job(job: Job, report: Any) -> dict[str, Any]:
    p = job.params
    dataset = Dataset.objects.get(name=p["dataset"])
    systems = scoring_systems(dataset=dataset, names=p["systems"])
    result = score_report_create(dataset=dataset, split=p.get("split") or None, systems=systems,
                                 by=p.get("by", "dataset"), n_boot=int(p.get("n_boot", DEFAULT_N_BOOT)),
                                 seed=int(p.get("seed", 0)), user=job.created_by, job=job,
                                 progress=report.progress)
    return {"score_report": result.pk, "n": result.result.get("n")}


# ---------------------------------------------------------------- flat rows (CSV / tables)


def score_report_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (evaluation set, system): the table the CSV export and the command print."""
    out = []
    for group in result["groups"]:
        for name in result["systems"]:
            cell = group["systems"][name]
            out.append({"group": group["name"], "system": name, "n": group["n"],
                        "sari": cell["sari"], "sari_low": cell["sari_ci"][0], "sari_high": cell["sari_ci"][1],
                        "rouge_l": cell["rouge_l"], "rouge_l_low": cell["rouge_l_ci"][0],
                        "rouge_l_high": cell["rouge_l_ci"][1]})
    return out
