"""Results page: each evaluation set's headline metrics first (ASSET / TurkCorpus: SARI + FKGL, JFLEG: GLEU +
SARI, IteraTeR: SARI), then systems × evaluation sets per metric with 95 % intervals, SARI components and edit
statistics, paired tests per set of the two systems the researcher picks (``?a=&b=``, else the first two checked), plots, and CSV / JSON export (``?format=csv|json``)."""
from __future__ import annotations

import csv
import io
import math

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from deft_site.roles import researcher_required
from selection import selectors
from selection.core.metrics import METRIC_DIGITS, METRIC_LABELS
from selection.models import Dataset
from selection.plots import grouped_bars_ci_svg
from selection.services.scoring import (
    ALL,
    GROUP_BY,
    ScoringError,
    score_report_cached,
    score_report_preview,
    score_report_rows,
    score_report_submit,
    scoring_is_large,
    scoring_systems,
    set_label,
)


def _query(request: HttpRequest) -> dict:
    src = request.POST if request.method == "POST" else request.GET
    by = src.get("by") or "dataset"
    systems = src.getlist("system")
    # The paired test compares the first two systems scored: the researcher picks them (A and B).
    pair = [n for n in (src.get("a", ""), src.get("b", "")) if n and n in systems]
    if len(pair) == 2 and pair[0] != pair[1]:
        systems = pair + [n for n in systems if n not in pair]
    return {"dataset": src.get("dataset", ""), "split": src.get("split", None), "systems": systems,
            "by": by if by in GROUP_BY else "dataset",
            "a": systems[0] if systems else "", "b": systems[1] if len(systems) > 1 else ""}


@researcher_required
def results(request: HttpRequest) -> HttpResponse:
    q = _query(request)
    datasets = selectors.datasets_with_systems()
    dataset = selectors.dataset_by_name(q["dataset"])
    context = {"datasets": datasets, "dataset": dataset, "q": q, "group_by_choices": GROUP_BY}
    if dataset is None:
        return render(request, "selection/results_page.html", context)
    split = selectors.dataset_default_split(dataset, q["split"])
    context.update(split=split, available=selectors.dataset_systems(dataset), splits=selectors.dataset_splits(dataset))
    if not q["systems"]:
        return render(request, "selection/results_page.html", context)
    try:
        systems = scoring_systems(dataset=dataset, names=q["systems"])
        report = score_report_cached(dataset=dataset, split=split or None, systems=systems, by=q["by"])
        if report is None and (request.GET.get("format") or not scoring_is_large(
                dataset=dataset, split=split or None, n_systems=len(systems))):
            report = score_report_preview(dataset=dataset, split=split or None, systems=systems, by=q["by"])
    except ScoringError as exc:
        context["error"] = str(exc)
        return render(request, "selection/results_page.html", context, status=400 if request.GET.get("format") else 200)
    if report is None:
        context["pending_job"] = selectors.scoring_job_pending(dataset, split, q["systems"], q["by"])
        return render(request, "selection/results_page.html", context)
    fmt = request.GET.get("format")
    if fmt == "json":
        return JsonResponse(report.result)
    if fmt == "csv":
        return _csv(report.result)
    context.update(report=report, group_label=_group_label(dataset, split, report.result), **_tables(report.result))
    return render(request, "selection/results_page.html", context)


@require_POST
@researcher_required
def results_score(request: HttpRequest) -> HttpResponse:
    """Queue scoring of a large set as a job; the page then shows its progress."""
    q = _query(request)
    dataset = selectors.dataset_by_name(q["dataset"])
    if dataset is None:
        return redirect("selection:results")
    try:
        systems = scoring_systems(dataset=dataset, names=q["systems"])
    except ScoringError:
        return redirect(f"/results/?dataset={dataset.name}")
    job = score_report_submit(dataset=dataset, split=selectors.dataset_default_split(dataset, q["split"]) or None, systems=systems,
                              by=q["by"], user=request.user)
    return redirect("jobs:detail", pk=job.pk)


# Plot scale of each metric the page plots (None: from the data).
PLOTTED = {"sari": 100.0, "gleu": 100.0, "fkgl": None, "rouge_l": 1.0, "sari_evaluate": 100.0}
COMPONENTS = ("sari_add", "sari_keep", "sari_del", "exact_match", "copy_rate", "mean_edit_distance",
              "length_ratio", "compression_ratio")
STAT_ORDER = ("exact_match", "copy_rate", "mean_edit_distance", "length_ratio", "compression_ratio", "fkgl")
LOWER_IS_BETTER = {"fkgl"}


def _label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric)


def _digits(metric: str) -> int:
    return METRIC_DIGITS.get(metric, 3)


def _fmt_ci(value: float | None, ci: list[float] | None, digits: int) -> dict:
    if value is None:
        return {"value": "—", "low": None, "high": None}
    if not ci:  # fixed decimals (1.000, not 1.0), the same for a value and its interval
        return {"value": f"{value:.{digits}f}", "low": None, "high": None}
    return {"value": f"{value:.{digits}f}", "low": f"{ci[0]:.{digits}f}", "high": f"{ci[1]:.{digits}f}"}


def _sub(name: str, label: str) -> str:
    """The set's own name, shown under its benchmark's label where the two differ ("turkcorpus_gem")."""
    return "" if name == ALL or label.lower() == name.lower() else name


def _headline_table(result: dict) -> list[dict]:
    """One row per (evaluation set, headline metric), in the literature's order; a column per system."""
    rows = []
    for g in result["groups"]:
        headline = g.get("headline") or ["sari"]
        for k, metric in enumerate(headline):
            short = set_label(g["name"], short=True)
            rows.append({"set": short, "sub": _sub(g["name"], short),
                         "n": g["n"], "first": k == 0, "span": len(headline),
                         "metric": _label(metric), "lower_better": metric in LOWER_IS_BETTER,
                         "cells": [_fmt_ci(g["systems"][name].get(metric), g["systems"][name].get(f"{metric}_ci"),
                                           _digits(metric)) for name in result["systems"]]})
    return rows


def _nice_ceiling(value: float) -> float:
    """A round axis top (ticks at quarters of it): 18.5 -> 20, 0.93 -> 1."""
    step = 10 ** math.floor(math.log10(value)) if value > 0 else 1.0
    return math.ceil(value / step * 2) / 2 * step if value / step < 4 else math.ceil(value / step) * step


def _tables(result: dict) -> dict:
    """The headline table, rows of systems × evaluation sets per metric, components and stats, the plots."""
    short_groups = [set_label(g["name"], short=True) for g in result["groups"]]
    groups = [{"label": short, "sub": _sub(g["name"], short)} for g, short in zip(result["groups"], short_groups)]
    present = {m for g in result["groups"] for cell in g["systems"].values() for m in cell}
    headline_first = list(dict.fromkeys([m for g in result["groups"] for m in g.get("headline") or ["sari"]]
                                        + list(PLOTTED)))
    metrics = []
    for metric in (m for m in headline_first if m in present and m in PLOTTED):
        label, digits, y_max = _label(metric), _digits(metric), PLOTTED[metric]
        cells = {name: [g["systems"][name] for g in result["groups"]] for name in result["systems"]}
        rows = [{"system": name, "cells": [_fmt_ci(c.get(metric), c.get(f"{metric}_ci"), digits) for c in cs]}
                for name, cs in cells.items()]
        series = {name: [c.get(metric) or 0.0 for c in cs] for name, cs in cells.items()}
        intervals = {name: [tuple(c[f"{metric}_ci"]) if c.get(f"{metric}_ci") else None for c in cs]
                     for name, cs in cells.items()}
        every = all(ci is not None for cis in intervals.values() for ci in cis)
        if y_max is None:
            y_max = _nice_ceiling(max([hi for cis in intervals.values() for ci in cis if ci for hi in ci[1:]]
                                      + [v for vs in series.values() for v in vs] + [1.0]) * 1.05)
        title = f"{label} ({'95 % bootstrap intervals' if every else 'bars: 95 % bootstrap intervals where computed'})"
        plot = grouped_bars_ci_svg(short_groups, series, intervals, title=title, y_max=y_max,
                                   value_format="{:.2f}" if y_max <= 1 else "{:.0f}")
        metrics.append({"key": metric, "label": label, "rows": rows, "plot": mark_safe(plot),
                        "lower_better": metric in LOWER_IS_BETTER})
    components = [{"system": name, "group": set_label(g["name"]),
                   "values": [_stat_text(k, g["systems"][name].get(k)) for k in COMPONENTS]}
                  for g in result["groups"] for name in result["systems"]]
    stat_keys = [k for k in STAT_ORDER if any(k in s for s in result["stats"].values())]
    stats_rows = [{"system": name, "n": result["stats"][name].get("n"),
                   "values": [_stat_text(k, result["stats"][name].get(k)) for k in stat_keys]}
                  for name in result["systems"]]
    paired_rows = []
    for g in result["groups"]:
        if g.get("paired"):
            metrics_tested = [m for m in g["paired"] if m not in ("a", "b")]
            for k, metric in enumerate(metrics_tested):
                r, digits = g["paired"][metric], _digits(metric)
                paired_rows.append({"group": set_label(g["name"]), "first": k == 0, "span": len(metrics_tested),
                                    "metric": _label(metric), "lower_better": metric in LOWER_IS_BETTER, **r,
                                    **{k: f"{r[k]:+.{digits}f}" for k in ("mean_diff", "low", "high")}})
    return {"groups": groups, "metrics": metrics, "stat_labels": [_label(k) for k in stat_keys],
            "stats_rows": stats_rows, "group_sizes": [g["n"] for g in result["groups"]],
            "headline": _headline_table(result), "components": components,
            "component_labels": [_label(k) for k in COMPONENTS], "paired_rows": paired_rows}


def _group_label(dataset: Dataset, split: str, result: dict) -> str:
    """What the columns are: by="dataset" falls back to the task for examples that name no source dataset."""
    if result["group_by"] == "task":
        return "task"
    groups = {g["name"] for g in result["groups"]} - {"all"}
    if groups <= selectors.dataset_tasks(dataset, split):
        return "task (these examples name no source dataset, so each task is its own evaluation set)"
    return "evaluation set (the source dataset each example names, else its task)"


def _csv(result: dict) -> HttpResponse:
    rows = score_report_rows(result)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["group", "system"])
    writer.writeheader()
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="scores-{result["dataset"]}-{result["split"] or "all"}.csv"'
    return response


def _stat_text(key: str, value: float | int | None) -> str:
    """The example count as a whole number, every metric with its own decimals."""
    if value is None:
        return "—"
    return str(int(value)) if key == "n" else f"{value:.{_digits(key)}f}"
