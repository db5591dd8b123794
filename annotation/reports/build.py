"""The report, assembled from typed judgment records (no Django, no database).

:func:`build_report` takes :class:`~annotation.reports.records.JudgmentRecord` rows plus per-item metric
scores and returns one JSON-ready dict (the shape the page, the API, the exports and the cache share); it
calls only the pure ``annotation.stats`` modules.

Conventions (docs/metrics.md): preference agreement uses position-free labels (the *system* that won, or
tie / both bad), nominal; Likert agreement is ordinal on the scale's points; intervals are seeded item
bootstraps. Control items are left out of every result except rater quality; identical outputs that the
design counts as ties without asking raters enter the win/tie/loss counts once per item.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from annotation.reports.checks import CHECKS, checks_failed, run_checks
from annotation.reports.competence import competence_section
from annotation.reports.judges import judges_section
from annotation.reports.prose import judge_sentences, methods_paragraph
from annotation.reports.records import ALL, JudgmentRecord, SideAccuracy, as_records, is_auto_tie
from annotation.reports.richer import richer_section
from annotation.stats.agreement import Stat, fleiss_kappa, gwet_ac1, krippendorff_alpha, percent_agreement
from annotation.stats.correlation import human_preferences, metric_correlation
from annotation.stats.preferences import (
    Judgment,
    accuracy_by_system,
    accuracy_difference,
    bradley_terry,
    pairwise_preferences,
    position_bias,
)
from annotation.stats.rater_checks import z_scores
from annotation.stats.rater_quality import RaterQuality
from selection.core.metrics import bootstrap_ci

METRICS = ("sari", "rougeL")

__all__ = ["ALL", "METRICS", "build_report", "comparison", "headline", "rater_table", "results_section"]


# --------------------------------------------------------------------------------------------------
# Records -> the shapes the stats modules take


def preference_records(records: Iterable[JudgmentRecord], controls: bool = False) -> list[Judgment]:
    """Judgments with a pairwise answer as ``annotation.stats.preferences`` takes them.

    Real items only (``controls=False``), or real items and controls with their ``expected`` answer.
    """
    return [p for p in (r.preference(controls) for r in records) if p is not None]


def accuracy_records(records: Iterable[JudgmentRecord]) -> list[SideAccuracy]:
    """One yes/no record per judged side of a real item."""
    return [a for r in records for a in r.accuracy()]


def _matrix(cells: Mapping[tuple[Any, Any], Any]) -> np.ndarray:
    """raters x units object matrix (None = missing) from {(rater, unit): label}."""
    raters = sorted({r for r, _ in cells}, key=str)
    units = sorted({u for _, u in cells}, key=str)
    ri, ui = {r: i for i, r in enumerate(raters)}, {u: i for i, u in enumerate(units)}
    m = np.full((len(raters), len(units)), None, dtype=object)
    for (r, u), v in cells.items():
        m[ri[r], ui[u]] = v
    return m


def _stat(s: Stat) -> dict[str, Any]:
    return s.to_dict()


def _agreement(cells: Mapping, *, level: str, categories: list | None, bootstrap: int, seed: int,
               with_kappas: bool = True) -> dict[str, Any]:
    """Alpha at ``level`` (plus Fleiss, AC1 and percent agreement for nominal data), with intervals."""
    if not cells:
        reason = {"value": None, "reason": "no judgments", "ci": None, "note": None}
        return {"n_raters": 0, "n_units": 0, "alpha": reason, "level": level}
    m = _matrix(cells)
    kw = {"bootstrap": bootstrap, "random_state": seed}
    pairable = int(sum(1 for j in range(m.shape[1]) if sum(v is not None for v in m[:, j]) >= 2))
    out: dict[str, Any] = {"n_raters": m.shape[0], "n_units": m.shape[1], "n_pairable": pairable, "level": level,
                           "alpha": _stat(krippendorff_alpha(m, level, categories=categories, **kw)),
                           "percent_agreement": _stat(percent_agreement(m, categories=categories, **kw))}
    if with_kappas:
        out["fleiss_kappa"] = _stat(fleiss_kappa(m, categories=categories, unequal="drop", **kw))
        out["gwet_ac1"] = _stat(gwet_ac1(m, categories=categories, **kw))
    return out


def preference_cells(prefs: Iterable[Judgment]) -> dict[tuple[Any, Any], str]:
    """(rater, item) -> the system that won, or "tie" / "both_bad": labels that ignore the side shown."""
    cells = {}
    for p in prefs:
        if is_auto_tie(p):
            continue
        a = p.answer
        cells[(p.rater, p.item)] = p.left if a == "left" else p.right if a == "right" else a
    return cells


def likert_values(records: Iterable[JudgmentRecord], key: str) -> list[tuple[Any, Any, str, int]]:
    """(rater, item, system, value) for one Likert scale, both sides of every real judgment."""
    return [v for r in records for v in r.likert_values(key)]


# --------------------------------------------------------------------------------------------------
# One section: the results of one set of records (one task, or all)


def _accuracy_section(acc: list[SideAccuracy]) -> dict[str, Any] | None:
    if not acc:
        return None
    by_system = accuracy_by_system(acc)
    differences = []
    pairs = sorted({r.pair for r in acc})
    for a, b in pairs:
        # Paired on the items that compared exactly these two systems: each judgment rates both sides.
        sub = [r for r in acc if r.pair == (a, b)]
        systems = {r.system for r in sub}
        if systems == {a, b}:
            differences.append({"a": a, "b": b, **accuracy_difference(sub, a, b)})
    return {"by_system": [{"system": s, **v} for s, v in by_system.items()], "differences": differences}


def _likert_section(records: list[JudgmentRecord], scales: list[dict], bootstrap: int, seed: int) -> list[dict]:
    out = []
    for scale in scales:
        values = likert_values(records, scale["key"])
        cells = {(rater, (item, system)): v for rater, item, system, v in values}
        per_system: dict[str, list[int]] = defaultdict(list)
        for _, _, system, v in values:
            per_system[system].append(v)
        means = _system_means(per_system, bootstrap, seed)
        z_rows, z_dropped = z_scores(values)
        per_system_z: dict[str, list[float]] = defaultdict(list)
        for _, _, system, z in z_rows:
            per_system_z[system].append(z)
        out.append({"key": scale["key"], "label": scale.get("label", scale["key"]),
                    "min": scale["min"], "max": scale["max"], "means": means,
                    "z_means": _system_means(per_system_z, bootstrap, seed),
                    "z_dropped_raters": {str(r): why for r, why in sorted(z_dropped.items(), key=str)},
                    "agreement": _agreement(cells, level="ordinal",
                                            categories=list(range(scale["min"], scale["max"] + 1)),
                                            bootstrap=bootstrap, seed=seed, with_kappas=False)})
    return out


def _system_means(per_system: Mapping[str, list[float]], bootstrap: int, seed: int) -> list[dict]:
    """Mean per system with a bootstrap interval (raw Likert points, or per-rater z-scores)."""
    means = []
    for system, vs in sorted(per_system.items()):
        ci = bootstrap_ci(vs, n_resamples=max(bootstrap, 1), random_state=seed) if len(vs) > 1 else None
        means.append({"system": system, "n": len(vs), "mean": float(np.mean(vs)),
                      "ci": [ci.low, ci.high] if ci and bootstrap else None})
    return means


def _scatter_points(prefs: list[Judgment], scores: Mapping) -> list[dict]:
    points = []
    for (item, a, b), h in sorted(human_preferences(prefs).items(), key=lambda kv: str(kv[0])):
        sa, sb = scores.get((item, a)), scores.get((item, b))
        if sa and sb:
            points.append({"item": item, "a": a, "b": b, "human": h,
                           **{f"d_{m}": sa[m] - sb[m] for m in METRICS if m in sa and m in sb}})
    return points


def results_section(records: list[JudgmentRecord], *, scales: list[dict], scores: Mapping, bootstrap: int,
                    seed: int) -> dict[str, Any]:
    """Agreement, preferences, Bradley–Terry, position bias, accuracy, Likert and humans-vs-metrics."""
    prefs = preference_records(records)
    asked = [p for p in prefs if not is_auto_tie(p)]
    acc = accuracy_records(records)
    real = [r for r in records if r.real]
    section: dict[str, Any] = {
        "n_judgments": len(real), "n_items": len({r.item for r in real}),
        "n_raters": len({r.rater for r in real}),
        "n_auto_ties": len(prefs) - len(asked),
        "agreement": {
            "preference": _agreement(preference_cells(asked), level="nominal", categories=None,
                                     bootstrap=bootstrap, seed=seed) if asked else None,
            "accuracy": _agreement({(r.rater, (r.item, r.system)): "yes" if r.accurate else "no"
                                    for r in acc}, level="nominal", categories=["no", "yes"],
                                   bootstrap=bootstrap, seed=seed) if acc else None,
        },
        "pairs": pairwise_preferences(prefs) if prefs else [],
        "position_bias": position_bias(asked) if asked else None,
        "bradley_terry": bradley_terry(prefs, bootstrap=bootstrap, random_state=seed)
        if prefs else None,
        "accuracy": _accuracy_section(acc),
        "likert": _likert_section(real, scales, bootstrap, seed),
        "correlation": None, "scatter": [],
    }
    bt = section["bradley_terry"]
    if bt and bt.get("strengths"):
        bt["rows"] = [{"system": s, "strength": v, "ci": (bt.get("ci") or {}).get(s)}
                      for s, v in sorted(bt["strengths"].items(), key=lambda kv: -kv[1])]
    if asked and scores:
        corr = metric_correlation(asked, scores, metrics=METRICS)
        section["correlation"] = [{"metric": m, **v} for m, v in corr.items()]
        section["scatter"] = _scatter_points(asked, scores)
    return section


def _by_task(records: list[JudgmentRecord], criteria: list[dict] | None = None, **kw: Any) -> dict[str, dict]:
    tasks = sorted({str(r.task or "") for r in records if not r.is_control})
    out = {ALL: results_section(records, **kw)}
    out[ALL]["richer"] = richer_section(records, preference_records(records), criteria=criteria or [],
                                        bootstrap=kw["bootstrap"], seed=kw["seed"])
    if len(tasks) > 1:
        for t in tasks:
            out[t] = results_section([r for r in records if str(r.task or "") == t], **kw)
    return out


# --------------------------------------------------------------------------------------------------
# Raters


def rater_table(records: list[JudgmentRecord], min_controls: int = 3, design: Mapping[str, Any] | None = None,
                exclude_checks: Iterable[str] = ("rater_flags",), **params: Any) -> dict[str, Any]:
    """Per rater: judgments, controls passed, leave-one-out agreement, median seconds, answer balance, flags,
    and every reliability check's outcome (annotation.reports.checks).

    Flags come from :class:`RaterQuality` (it needs pairwise answers); control pass rates use each
    record's ``control_passed`` so that accuracy-only or Likert-only studies still get them. ``flagged`` (who
    "exclude flagged raters" leaves out) is the raters failing any of ``exclude_checks``: with "rater_flags"
    (the default) their RaterQuality flags, with another check "fails_<check>".
    """
    design = dict(design or {})
    exclude_checks = list(exclude_checks)
    checks = run_checks(records, design)
    prefs = preference_records(records, controls=True)
    prefs = [p for p in prefs if not is_auto_tie(p)]
    quality: dict[Any, dict] = {}
    group_alpha = None
    reason = None
    if prefs:
        model = RaterQuality(min_controls=min_controls, **params).fit(prefs)
        quality, group_alpha = model.report_, model.group_alpha_
    else:
        reason = "rater flags need the pairwise question"
    rows = []
    for rater in sorted({r.rater for r in records if r.rater}, key=str):
        mine = [r for r in records if r.rater == rater]
        scored = [r.control_passed for r in mine if r.is_control and r.control_passed is not None]
        secs = [r.seconds for r in mine if r.seconds is not None]
        q = quality.get(rater, {})
        mine_checks = {n: res[rater].to_dict() for n, res in checks.items() if rater in res}
        rows.append({
            "rater": rater, "n_judgments": len(mine), "n_controls": len(scored),
            "controls_passed": sum(scored), "control_accuracy": sum(scored) / len(scored) if scored else None,
            "median_seconds": statistics.median(secs) if secs else None,
            "alpha_vs_others": q.get("alpha_vs_others"), "ac1_vs_others": q.get("ac1_vs_others"),
            "alpha_delta": q.get("alpha_delta"),
            "share_left": q.get("share_left"), "share_right": q.get("share_right"), "share_tie": q.get("share_tie"),
            "flags": q.get("flags", []) + [f"fails_{n}" for n in sorted(mine_checks)
                                           if n not in ("rater_flags", "controls") and mine_checks[n]["failed"]],
            "checks": mine_checks,
        })
    failing = checks_failed(checks, exclude_checks)
    flagged = {}
    for r in rows:
        names = failing.get(r["rater"], [])
        if names:
            flagged[r["rater"]] = [f for n in names for f in (_quality_flags(r) if n == "rater_flags" else [f"fails_{n}"])]
    return {"raters": rows, "flagged": flagged, "group_alpha": group_alpha, "reason": reason,
            "exclude_checks": exclude_checks,
            "checks": {n: {"label": CHECKS[n].label, "n_raters": len(res),
                           "n_failed": sum(1 for x in res.values() if x.failed),
                           "n_undecided": sum(1 for x in res.values() if x.failed is None)}
                       for n, res in checks.items()}}


def _quality_flags(row: Mapping[str, Any]) -> list[str]:
    """A row's RaterQuality flags (the check outcomes added to ``flags`` left out)."""
    return [f for f in row["flags"] if not f.startswith("fails_")]


# --------------------------------------------------------------------------------------------------
# Comparison of the two versions (all raters vs without flagged ones)


def headline(section: Mapping[str, Any]) -> dict[str, float | None]:
    """The numbers a reader compares between versions, by readable name."""
    out: dict[str, float | None] = {}
    for kind in ("preference", "accuracy"):
        ag = section["agreement"].get(kind)
        if ag:
            out[f"{kind} alpha"] = ag["alpha"]["value"]
            out[f"{kind} Gwet AC1"] = ag.get("gwet_ac1", {}).get("value")
    for p in section["pairs"]:
        out[f"{p['a']} vs {p['b']}: win rate (ties half)"] = p["win_rate_ties_half"]["rate"]
        out[f"{p['a']} vs {p['b']}: sign test p"] = p["sign_test_p"]
    bt = section.get("bradley_terry") or {}
    for s, v in sorted((bt.get("strengths") or {}).items()):
        out[f"Bradley-Terry strength {s}"] = v
    if section.get("position_bias"):
        out["share of decisive answers on the left"] = section["position_bias"]["share_left"]
    if section.get("accuracy"):
        for row in section["accuracy"]["by_system"]:
            out[f"% accurate {row['system']}"] = row["rate"]
    for scale in section.get("likert", []):
        out[f"{scale['label']} alpha (ordinal)"] = scale["agreement"]["alpha"]["value"]
    for c in section.get("correlation") or []:
        out[f"Kendall tau {c['metric']} vs humans"] = c["kendall_tau_b"]
    return out


def comparison(all_raters: Mapping[str, Any], without: Mapping[str, Any]) -> list[dict[str, Any]]:
    a, b = headline(all_raters), headline(without)
    rows = []
    for name in list(dict.fromkeys([*a, *b])):
        va, vb = a.get(name), b.get(name)
        rows.append({"name": name, "all_raters": va, "without_flagged": vb,
                     "delta": None if va is None or vb is None else vb - va})
    return rows


# --------------------------------------------------------------------------------------------------
# The whole report


def build_report(records: Iterable[JudgmentRecord | Mapping[str, Any]], *, meta: Mapping[str, Any] | None = None,
                 scores: Mapping[tuple[Any, str], Mapping[str, float]] | None = None,
                 automatic_metrics: Mapping[str, list] | None = None, exclude_flagged: bool = False,
                 bootstrap: int = 1000, seed: int = 0, rater_params: Mapping[str, Any] | None = None,
                 judges: Iterable[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The report dict from judgment records (no database access); ``judgment_records`` rows are read as
    :class:`JudgmentRecord`.

    ``scores[(item, system)] = {"sari": ..., "rougeL": ...}`` per real item enables humans-vs-metrics.
    ``results`` holds both versions, ``"all_raters"`` and ``"without_flagged"`` (flagged raters removed),
    each ``{task: section}`` with ``"all"`` first; ``exclude_flagged`` picks which one is ``primary``.
    ``judges`` (annotation/reports/judges.py) are measured against the humans of the primary version only.
    """
    records = as_records(records)
    meta = dict(meta or {})
    meta.update(bootstrap=bootstrap, report_seed=seed)
    scales = list((meta.get("questions") or {}).get("likert", []))
    kw = {"scales": scales, "scores": scores or {}, "bootstrap": bootstrap, "seed": seed,
          "criteria": list((meta.get("questions") or {}).get("criteria", []))}
    raters = rater_table(records, design={**meta, "rater_params": dict(rater_params or {})},
                         exclude_checks=meta["exclude_checks"] if meta.get("exclude_checks") is not None
                         else ("rater_flags",), **dict(rater_params or {}))
    competence = competence_section(records, bootstrap=bootstrap, seed=seed)
    for row in raters["raters"]:
        c = competence["raters"].get(str(row["rater"])) or {}
        row["competence"], row["low_competence"] = c.get("competence"), c.get("low")
    flagged = set(raters["flagged"])
    all_raters = _by_task(records, **kw)
    kept = [r for r in records if r.rater not in flagged]
    without = _by_task(kept, **kw) if flagged else all_raters
    primary = "without_flagged" if exclude_flagged else "all_raters"
    main = without if exclude_flagged else all_raters
    human = [p for p in preference_records(kept if exclude_flagged else records) if not is_auto_tie(p)]
    judged = judges_section(human, judges or [], bootstrap=bootstrap, seed=seed)
    methods = methods_paragraph(meta, main[ALL], raters, sorted(flagged, key=str) if exclude_flagged else [],
                                competence=competence)
    return {
        "meta": meta, "tasks": list(all_raters), "exclude_flagged": exclude_flagged, "primary": primary,
        "raters": raters, "competence": competence,
        "results": {"all_raters": all_raters, "without_flagged": without},
        "comparison": {t: comparison(all_raters[t], without.get(t, all_raters[t])) for t in all_raters},
        "automatic_metrics": dict(automatic_metrics or {}),
        "judges": judged,
        "methods": " ".join(filter(None, [methods, judge_sentences(judged)])),
    }


