"""The Django side of the report: gather a study's inputs (judgments, per-example metric scores, study facts),
build the report from them, and cache it until a judgment or the study's status changes.

Callers check visibility first (``annotation.blinding.unblind``): everything here is unblinded.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db.models import Aggregate, Count, Max, QuerySet, Subquery, Value

from annotation.adaptive import adaptive_status
from annotation.models import Adjudication, Item, JudgeAnswer, Judgment, Study
from annotation.reports.build import build_report
from annotation.reports.records import ALL, JudgmentRecord, as_records
from annotation.review import adjudicated_section
from annotation.review_queue import report_items
from annotation.selectors import judge_answer_rows, judge_runs, judgment_records, rater_notes
from selection.core.metrics import score_system
from selection.core.text import strip_instruction

__all__ = ["ReportInputs", "study_meta", "study_report", "study_report_inputs"]


@dataclass(frozen=True)
class ReportInputs:
    """What :func:`build_report` needs of a study."""

    records: list[JudgmentRecord]
    scores: dict[tuple[Any, str], dict[str, float]]  # (item, system) -> {"sari", "rougeL"} of that output
    automatic_metrics: dict[str, list[dict[str, Any]]]  # task -> one row per system
    meta: dict[str, Any] = field(default_factory=dict)
    judges: list[dict[str, Any]] = field(default_factory=list)  # per judge run: name, kind, records (reports/judges)


def study_report_inputs(study: Study, bootstrap: int = 1000, seed: int = 0) -> ReportInputs:
    """Records, per-item metric scores, the automatic metrics table and the study facts, for build_report."""
    records = as_records(judgment_records(study, include_auto_ties=True))
    items = list(Item.objects.filter(study=study, kind=Item.Kind.REAL)
                 .select_related("example", "system_a__system", "system_b__system"))
    # One row per (system, example): the same output appears in several pairs of a multi-system study.
    per_system: dict[str, dict[int, tuple[Any, str]]] = defaultdict(dict)
    for it in items:
        per_system[it.system_a.system.name][it.example_id] = (it.example, it.text_a)
        per_system[it.system_b.system.name][it.example_id] = (it.example, it.text_b)
    example_scores: dict[tuple[str, int], dict[str, float]] = {}
    automatic: dict[str, list] = defaultdict(list)
    for system, rows in sorted(per_system.items()):
        exs = list(rows.values())
        scored = score_system([strip_instruction(e.src, (e.extra or {}).get("instruction")) for e, _ in exs],
                              [t for _, t in exs], [list(e.refs or []) or [""] for e, _ in exs], fkgl=False)
        sentence_sari = scored.sari.per_example()  # EASSE's SARI of each example alone
        for (ex, _), sari, rouge in zip(exs, sentence_sari, scored.per_example["rouge_l"]):
            example_scores[(system, ex.pk)] = {"sari": float(sari), "rougeL": float(rouge)}
        by_task: dict[str, list[int]] = defaultdict(list)
        for i, (ex, _) in enumerate(exs):
            by_task[ALL].append(i)
            by_task[ex.task].append(i)
        for task, idx in by_task.items():
            automatic[task].append(_metric_row(system, scored, np.array(idx), bootstrap, seed))
    scores = {}
    for it in items:
        for ss in (it.system_a, it.system_b):
            scores[(it.pk, ss.system.name)] = example_scores[(ss.system.name, it.example_id)]
    tasks = [ALL] + sorted(t for t in automatic if t != ALL)
    automatic_sorted = {t: automatic[t] for t in tasks if t in automatic and (t == ALL or len(tasks) > 2)}
    return ReportInputs(records=records, scores=scores, automatic_metrics=automatic_sorted,
                        meta=study_meta(study, records), judges=study_judges(study))


def study_judges(study: Study) -> list[dict[str, Any]]:
    """The study's judge runs with their answers, as ``annotation.reports.judges.judges_section`` takes them."""
    rows = judge_answer_rows(study)
    return [{"name": run.name, "kind": run.kind, "description": run.description,
             "status": run.job.status if run.job else "", "records": [r for r in rows if r["run"] == run.pk]}
            for run in judge_runs(study)]


def _metric_row(system: str, scored: Any, idx: np.ndarray, bootstrap: int, seed: int) -> dict[str, Any]:
    """Corpus SARI (EASSE) and mean ROUGE-L of one system on the examples ``idx``, with bootstrap intervals."""
    out = {"system": system, "n": len(idx), "sari": scored.value("sari", idx), "rouge_l": scored.value("rouge_l", idx),
           "sari_ci": None, "rouge_l_ci": None}
    if bootstrap and len(idx) > 1:
        a = scored.interval("sari", idx, n_resamples=bootstrap, random_state=seed)
        b = scored.interval("rouge_l", idx, n_resamples=bootstrap, random_state=seed)
        out["sari_ci"], out["rouge_l_ci"] = [a.low, a.high], [b.low, b.high]
    return out


def study_meta(study: Study, records: list[JudgmentRecord]) -> dict[str, Any]:
    """The study facts the methods paragraph and the page header quote."""
    summary = study.summary or {}
    submitted = sorted(r.submitted_at for r in records if r.submitted_at)
    controls = study.items.filter(kind=Item.Kind.CONTROL)
    return {
        "study": study.name, "status": study.status, "dataset": study.dataset.name, "split": study.split,
        "systems": [ss.system.name for ss in study.study_systems.select_related("system").order_by("position")],
        "n_examples": summary.get("examples"), "n_real_items": summary.get("real_items"),
        "pairs_per_example": summary.get("pairs_per_example"), "raters_per_item": study.raters_per_item,
        "seed": study.seed, "questions": study.questions, "n_controls": controls.count(),
        "control_kinds": sorted(set(controls.values_list("control__kind", flat=True))),
        "control_rate": study.control_rate, "qc_min_pass": study.qc_min_pass,
        "n_identical": summary.get("identical", 0), "identical_outputs": study.identical_outputs,
        "identical_outputs_label": study.get_identical_outputs_display(),
        "launched_at": study.launched_at.isoformat() if study.launched_at else None,
        "closed_at": study.closed_at.isoformat() if study.closed_at else None,
        "first_judgment": submitted[0] if submitted else None,
        "last_judgment": submitted[-1] if submitted else None,
        "allocation": study.allocation, "min_raters_per_item": study.min_raters_per_item,
        "stop_alpha": study.stop_alpha, "adaptive": adaptive_status(study),
        "adjudication": adjudication_meta(study),
        "repeat_rate": study.repeat_rate, "repeat_gap": study.repeat_gap,
        "n_repeats": sum(1 for r in records if r.repeat), "reliability_alpha": study.reliability_alpha,
        "gate_checks": list(study.gate_checks or []), "exclude_checks": list(study.exclude_checks or []),
    }


def adjudication_meta(study: Study) -> dict[str, Any] | None:
    """The adjudication setting and the adjudicated results (annotation/review.py), or None for a study that
    neither adjudicates nor holds an imported final label."""
    has_finals = Adjudication.objects.filter(study=study, status=Adjudication.Status.DONE).exists()
    if study.adjudication == Study.Adjudication.OFF and not has_finals:
        return None
    done = Adjudication.objects.filter(study=study, status=Adjudication.Status.DONE)
    reviewers = set(done.filter(source=Adjudication.Source.REVIEW).exclude(reviewer=None)
                    .values_list("reviewer_id", flat=True))
    return {"mode": study.adjudication, "agreement": study.adjudication_agreement,
            "share": study.adjudication_share, "n_reviewers": len(reviewers),
            "n_imported": done.filter(source=Adjudication.Source.IMPORT).count(),
            **adjudicated_section(report_items(study))}


def _sub(rows: QuerySet, aggregate: Aggregate) -> Subquery:
    """One aggregate over `rows` as a scalar subquery, so the version is read in a single query."""
    return Subquery(rows.order_by().annotate(_one=Value(1)).values("_one").annotate(v=aggregate).values("v")[:1])


def _version(study: Study) -> str:
    """Changes whenever a judgment or a judge's answer is added or changed, or the study changes status."""
    judgments = Judgment.objects.filter(slot__item__study=study)
    adjudications = Adjudication.objects.filter(study=study)
    judged = JudgeAnswer.objects.filter(run__study=study)
    agg = (Study.objects.filter(pk=study.pk)
           .values(n=_sub(judgments, Count("pk")), last=_sub(judgments, Max("updated_at")),
                   revs=_sub(judgments, Max("revision_count")), adj_n=_sub(adjudications, Count("pk")),
                   adj_last=_sub(adjudications, Max("decided_at")), judged_n=_sub(judged, Count("pk")),
                   judged_last=_sub(judged, Max("pk")))
           .get())
    raw = (f"{study.pk}:{study.status}:{agg['n']}:{agg['last']}:{agg['revs']}:{agg['adj_n']}:{agg['adj_last']}:"
           f"{study.adjudication}:{study.adjudication_agreement}:{study.adjudication_share}:"
           f"{agg['judged_n']}:{agg['judged_last']}")
    return f"{study.pk}-{agg['n']}-{hashlib.sha1(raw.encode()).hexdigest()[:12]}"


def study_report(study: Study, *, exclude_flagged: bool = False, bootstrap: int = 1000, seed: int = 0,
                 use_cache: bool = True) -> dict[str, Any]:
    """The report of a study (see :func:`build_report`); cached until its judgments or status change.

    Callers check visibility first: this returns unblinded results.
    """
    version = _version(study)
    key = f"deft-study-report:{version}:{int(exclude_flagged)}:{bootstrap}:{seed}"
    hit = cache.get(key) if use_cache else None
    if hit is not None:
        report = hit
    else:
        inputs = study_report_inputs(study, bootstrap=bootstrap, seed=seed)
        report = build_report(inputs.records, meta=inputs.meta, scores=inputs.scores,
                              automatic_metrics=inputs.automatic_metrics, exclude_flagged=exclude_flagged,
                              bootstrap=bootstrap, seed=seed, judges=inputs.judges)
        report["version"] = version
        if use_cache:
            cache.set(key, report, 3600)
    report["rater_notes"] = rater_notes(study)  # flags and skips change without a new judgment: never cached
    return report
