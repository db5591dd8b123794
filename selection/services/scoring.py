"""Scoring systems: every automatic metric per evaluation set, bootstrap intervals and paired bootstrap tests on
the corpus statistics themselves, edit statistics, cached as a ``ScoreReport``.

Conventions (see docs/metrics.md): ``sari`` is EASSE's corpus SARI (the papers' number) with its add / keep /
del parts, ``sari_evaluate`` evaluate's sentence-mean SARI, ``gleu`` JFLEG's GLEU ×100, ``rouge_l`` the mean
best ROUGE-L F-measure (0-1), ``fkgl`` the outputs' Flesch-Kincaid grade; every source is the example's
input *without* its instruction (only a known CoEDIT phrasing, or the row's declared ``instruction``, is
removed). Evaluation sets are the example's ``extra["dataset"]`` (its benchmark) when it has one
(``by="dataset"``), else its task; ``by="task"`` always groups by task. Each set lists its headline metrics
first (ASSET / TurkCorpus: SARI, FKGL; JFLEG: GLEU, SARI; IteraTeR: SARI). Every system must have an output
for every example of the split scored. A report is cached under a key that includes a hash of every output
and the metrics version, so a changed output or metric is never served stale scores.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any, Sequence

import numpy as np
from django.db import transaction
from django.utils import timezone

from deft_site.jobs.models import Job
from deft_site.jobs.services import job_create, job_enqueue
from selection.core.benchmarks import benchmark_label, headline_metrics
from selection.core.metrics import METRICS, SystemScores, score_system
from selection.core.text import strip_instruction
from selection.models import Dataset, GroupBy, Output, ScoreReport, System

GROUP_BY = tuple(GroupBy.values)
ALL = "all"
DEFAULT_N_BOOT = 1000
# Above this many (example × system) pairs the results page scores in a background job.
SYNC_LIMIT = 20_000
# Bump when a metric's definition changes: cached reports of older versions are then recomputed.
METRICS_VERSION = 3
# Shown in this order after a set's headline metrics; intervals for these (GLEU only where it is a headline).
INTERVAL_METRICS = ("sari", "sari_evaluate", "rouge_l", "fkgl")
PAIRED_METRICS = ("sari", "rouge_l")
STAT_KEYS = ("exact_match", "copy_rate", "mean_edit_distance", "length_ratio", "compression_ratio", "fkgl")


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
    rows = [(pk, strip_instruction(src, (extra or {}).get("instruction")), list(refs), task,
             (extra or {}).get("dataset") or task)
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
    blob = json.dumps([dataset.pk, split or "", [s.pk for s in systems], by, outputs_hash, params,
                       METRICS_VERSION], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _outputs_hash(systems: list[System], pks: list[int], outputs: dict[str, list[str]]) -> str:
    h = hashlib.sha256()
    for system in systems:
        h.update(f"\x00{system.pk}\x00".encode())
        for pk, text in zip(pks, outputs[system.name]):
            h.update(f"{pk}\x1f{text}\x1e".encode())
    return h.hexdigest()


# ---------------------------------------------------------------- metric helpers


def _ci(ci) -> list[float]:  # noqa: ANN001 - a BootstrapCI
    return [ci.low, ci.high]


def _paired_dict(r) -> dict[str, float]:  # noqa: ANN001 - a PairedBootstrapResult
    return {"mean_diff": r.mean_diff, "low": r.low, "high": r.high, "p_value": r.p_value, "a_wins": r.a_wins}


def set_label(name: str, *, short: bool = False) -> str:
    """How an evaluation set is named on screen ("ASSET", "TurkCorpus (turkcorpus_gem)", "all sets pooled")."""
    return "all sets pooled" if name == ALL else benchmark_label(name, short=short)


def _group_headline(name: str, tasks: list[str], by: str) -> list[str]:
    if name == ALL:
        return ["sari"]
    task = max(set(tasks), key=tasks.count) if tasks else None
    return list(headline_metrics(None if by == "task" else name, task))


def _group_cell(scores: SystemScores, idx: np.ndarray, ci_metrics: list[str], n_boot: int, seed: int) -> dict:
    cell: dict[str, Any] = {k: v for k, v in scores.corpus(idx).items() if k != "n"}
    for metric in ci_metrics:
        cell[f"{metric}_ci"] = _ci(scores.interval(metric, idx, n_resamples=n_boot, random_state=seed))
    return cell


# ---------------------------------------------------------------- the report


def score_compute(
    *, dataset: Dataset, split: str | None, systems: list[System], by: str = "dataset",
    n_boot: int = DEFAULT_N_BOOT, seed: int = 0, progress: Any = None,
) -> dict[str, Any]:
    """The report's content (no caching). See the module docstring for conventions.

    ``groups[i]``: ``name``, ``label`` (the benchmark's spelling, e.g. "TurkCorpus (turkcorpus_gem)"), ``n``,
    ``headline`` (its metrics in the literature's order), ``metrics`` (the
    headline first, then the rest), ``systems[name]`` (every metric, with ``<metric>_ci`` intervals for the
    headline ones and INTERVAL_METRICS) and ``paired`` (first two systems, per headline metric and SARI /
    ROUGE-L). ``stats[name]``: edit statistics over every example; ``paired``: the test on every example.
    """
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
    per_system: dict[str, SystemScores] = {}
    total_steps = len(systems) + 1
    for k, system in enumerate(systems):
        if progress:
            progress(k, total_steps, f"scoring {system.name}")
        per_system[system.name] = score_system(srcs, outputs[system.name], refs)
    if progress:
        progress(len(systems), total_steps, "bootstrap")
    names = [s.name for s in systems]
    groups = []
    for g in group_names:
        idx = np.array(members[g], dtype=np.int64)
        headline = _group_headline(g, [rows[i][3] for i in idx], by)
        ci_metrics = list(dict.fromkeys([*headline, *INTERVAL_METRICS]))
        cells = {name: _group_cell(per_system[name], idx, ci_metrics, n_boot, seed) for name in names}
        paired = None
        if len(names) >= 2:
            a, b = per_system[names[0]], per_system[names[1]]
            paired = {"a": names[0], "b": names[1],
                      **{m: _paired_dict(a.paired(b, m, idx, n_resamples=n_boot, random_state=seed))
                         for m in dict.fromkeys([*headline, *PAIRED_METRICS])}}
        order = list(dict.fromkeys([*headline, *(m for m in METRICS if m in cells[names[0]])]))
        groups.append({"name": g, "label": set_label(g), "n": len(idx),
                       "headline": headline, "metrics": order, "systems": cells,
                       "paired": paired})
    stats = {}
    for name in names:
        overall = per_system[name].corpus()
        stats[name] = {"n": overall["n"], **{k: overall[k] for k in STAT_KEYS if k in overall}}
    overall_paired = next((g["paired"] for g in groups if g["name"] == ALL), groups[0]["paired"])
    return {"dataset": dataset.name, "split": split or "", "group_by": by, "n": len(rows), "systems": names,
            "groups": groups, "stats": stats, "paired": overall_paired,
            "params": {"n_boot": n_boot, "seed": seed, "confidence": 0.95, "metrics_version": METRICS_VERSION,
                       "gleu_iterations": per_system[names[0]].gleu_iterations}}


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


def score_report_preview(*, dataset: Dataset, split: str | None, systems: list[System], by: str = "dataset",
                         n_boot: int = DEFAULT_N_BOOT, seed: int = 0) -> ScoreReport:
    """A report scored now and NOT saved, for a GET (the results page, ``GET /api/scores/``) that found nothing in
    the cache (score_report_cached): a GET writes nothing. The cache is filled by the ``score`` command, scoring
    jobs (the page's "Score in the background" for large sets) and the reproduction, all through
    score_report_create."""
    result = score_compute(dataset=dataset, split=split, systems=systems, by=by, n_boot=n_boot, seed=seed)
    return ScoreReport(dataset=dataset, split=split or "", systems=[s.name for s in systems], group_by=by,
                       params=result["params"], result=result, created_at=timezone.now())


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
    """One row per (evaluation set, system): the table the CSV export and the command print.

    Columns: group, system, n, headline (the set's headline metrics, "+"-joined), then every metric, each
    followed by ``<metric>_low`` / ``<metric>_high`` where it has an interval.
    """
    columns: list[str] = []
    for group in result["groups"]:
        for name in result["systems"]:
            for key in group["systems"][name]:
                if not key.endswith("_ci") and key not in columns:
                    columns.append(key)
    columns.sort(key=lambda m: METRICS.index(m) if m in METRICS else len(METRICS))
    out = []
    for group in result["groups"]:
        for name in result["systems"]:
            cell = group["systems"][name]
            row: dict[str, Any] = {"group": group["name"], "system": name, "n": group["n"],
                                   "headline": "+".join(group.get("headline") or ["sari"])}
            for metric in columns:
                row[metric] = cell.get(metric)
                if f"{metric}_ci" in cell or any(f"{metric}_ci" in g["systems"][name] for g in result["groups"]):
                    low, high = cell.get(f"{metric}_ci") or (None, None)
                    row[f"{metric}_low"], row[f"{metric}_high"] = low, high
            out.append(row)
    return out
