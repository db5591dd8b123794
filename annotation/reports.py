"""The study report: every statistic of a study's judgments, per task, with and without flagged raters.

Two layers. :func:`build_report` works on plain judgment records (the dicts of
``annotation.selectors.judgment_records``) plus per-item metric scores, and returns one JSON-ready dict; it
calls only the pure ``annotation.stats`` modules. :func:`study_report` gathers those inputs for a ``Study``
(records, per-example SARI / ROUGE-L of each output, study facts), caches the result until a judgment changes,
and is what the page, the API and the ``study_report`` command call.

Conventions (docs/metrics.md): preference agreement uses position-free labels (the *system* that won, or
tie / both bad), nominal; Likert agreement is ordinal on the scale's points; intervals are seeded item
bootstraps. Control items are left out of every result except rater quality; identical outputs that the
design counts as ties without asking raters enter the win/tie/loss counts once per item.
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from annotation.stats.agreement import Stat, fleiss_kappa, gwet_ac1, krippendorff_alpha, percent_agreement
from annotation.stats.correlation import human_preferences, metric_correlation
from annotation.stats.preferences import (
    ANSWERS,
    accuracy_by_system,
    accuracy_difference,
    bradley_terry,
    pairwise_preferences,
    position_bias,
)
from annotation.stats.rater_quality import RaterQuality
from selection.core.metrics import bootstrap_ci

ALL = "all"
METRICS = ("sari", "rougeL")

__all__ = ["ALL", "build_report", "report_csv", "study_report", "study_report_inputs"]


# --------------------------------------------------------------------------------------------------
# Records -> the shapes the stats modules take


def _seconds(r: Mapping) -> float | None:
    s = r.get("seconds")
    return float(s) if s else None  # 0 is the stored default when the client sent no time


def _expected_side(r: Mapping) -> str | None:
    """A control's expected answer on this slot ("left"/"right"/"tie"/"both_bad"), from canonical a/b."""
    exp = r.get("control_expected") or ""
    if exp in ("tie", "both_bad"):
        return exp
    if exp not in ("a", "b"):
        return None
    target = r["system_a"] if exp == "a" else r["system_b"]
    return "left" if r["left_system"] == target else "right"


def preference_records(records: Iterable[Mapping], controls: bool = False) -> list[dict]:
    """Judgments with a pairwise answer as ``annotation.stats.preferences`` takes them.

    Real items only (``controls=False``), or real items and controls with their ``expected`` answer.
    """
    out = []
    for r in records:
        if r.get("answer") not in ANSWERS or r.get("left_system") == r.get("right_system"):
            continue
        if r.get("is_control") and not controls:
            continue
        rec = {"item": r["item"], "rater": r.get("rater") or "(auto tie)", "left": r["left_system"],
               "right": r["right_system"], "answer": r["answer"], "task": r.get("task"), "seconds": _seconds(r)}
        if r.get("is_control"):
            rec["expected"] = _expected_side(r)
        out.append(rec)
    return out


def accuracy_records(records: Iterable[Mapping]) -> list[dict]:
    """One yes/no record per judged side of a real item (the DEFT paper's "edit judged accurate")."""
    out = []
    for r in records:
        if r.get("is_control") or r.get("auto"):
            continue
        for side in ("left", "right"):
            value = r.get(f"accurate_{side}")
            if value is not None:
                out.append({"item": r["item"], "rater": r["rater"], "system": r[f"{side}_system"],
                            "answer": bool(value), "task": r.get("task"),
                            "pair": tuple(sorted((r["left_system"], r["right_system"])))})
    return out


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


def preference_cells(prefs: Iterable[Mapping]) -> dict[tuple[Any, Any], str]:
    """(rater, item) -> the system that won, or "tie" / "both_bad": labels that ignore the side shown."""
    cells = {}
    for p in prefs:
        if p["rater"] == "(auto tie)":
            continue
        a = p["answer"]
        cells[(p["rater"], p["item"])] = p["left"] if a == "left" else p["right"] if a == "right" else a
    return cells


def likert_values(records: Iterable[Mapping], key: str) -> list[tuple[Any, Any, str, int]]:
    """(rater, item, system, value) for one Likert scale, both sides of every real judgment."""
    out = []
    for r in records:
        if r.get("is_control") or r.get("auto"):
            continue
        scale = (r.get("likert") or {}).get(key)
        if scale:
            for side in ("left", "right"):
                if scale.get(side) is not None:
                    out.append((r["rater"], r["item"], r[f"{side}_system"], int(scale[side])))
    return out


# --------------------------------------------------------------------------------------------------
# One section: the results of one set of records (one task, or all)


def _accuracy_section(acc: list[dict]) -> dict[str, Any] | None:
    if not acc:
        return None
    by_system = accuracy_by_system(acc)
    differences = []
    pairs = sorted({r["pair"] for r in acc})
    for a, b in pairs:
        # Paired on the items that compared exactly these two systems: each judgment rates both sides.
        sub = [r for r in acc if r["pair"] == (a, b)]
        systems = {r["system"] for r in sub}
        if systems == {a, b}:
            differences.append({"a": a, "b": b, **accuracy_difference(sub, a, b)})
    return {"by_system": [{"system": s, **v} for s, v in by_system.items()], "differences": differences}


def _likert_section(records: list[Mapping], scales: list[dict], bootstrap: int, seed: int) -> list[dict]:
    out = []
    for scale in scales:
        values = likert_values(records, scale["key"])
        cells = {(rater, (item, system)): v for rater, item, system, v in values}
        per_system: dict[str, list[int]] = defaultdict(list)
        for _, _, system, v in values:
            per_system[system].append(v)
        means = []
        for system, vs in sorted(per_system.items()):
            ci = bootstrap_ci(vs, n_resamples=max(bootstrap, 1), random_state=seed) if len(vs) > 1 else None
            means.append({"system": system, "n": len(vs), "mean": float(np.mean(vs)),
                          "ci": [ci.low, ci.high] if ci and bootstrap else None})
        out.append({"key": scale["key"], "label": scale.get("label", scale["key"]),
                    "min": scale["min"], "max": scale["max"], "means": means,
                    "agreement": _agreement(cells, level="ordinal",
                                            categories=list(range(scale["min"], scale["max"] + 1)),
                                            bootstrap=bootstrap, seed=seed, with_kappas=False)})
    return out


def _scatter_points(prefs: list[dict], scores: Mapping) -> list[dict]:
    points = []
    for (item, a, b), h in sorted(human_preferences(prefs).items(), key=lambda kv: str(kv[0])):
        sa, sb = scores.get((item, a)), scores.get((item, b))
        if sa and sb:
            points.append({"item": item, "a": a, "b": b, "human": h,
                           **{f"d_{m}": sa[m] - sb[m] for m in METRICS if m in sa and m in sb}})
    return points


def results_section(records: list[Mapping], *, scales: list[dict], scores: Mapping, bootstrap: int,
                    seed: int) -> dict[str, Any]:
    """Agreement, preferences, Bradley–Terry, position bias, accuracy, Likert and humans-vs-metrics."""
    prefs = preference_records(records)
    asked = [p for p in prefs if p["rater"] != "(auto tie)"]
    acc = accuracy_records(records)
    real = [r for r in records if not r.get("is_control") and not r.get("auto")]
    section: dict[str, Any] = {
        "n_judgments": len(real), "n_items": len({r["item"] for r in real}),
        "n_raters": len({r["rater"] for r in real}),
        "n_auto_ties": sum(1 for p in prefs if p["rater"] == "(auto tie)"),
        "agreement": {
            "preference": _agreement(preference_cells(asked), level="nominal", categories=None,
                                     bootstrap=bootstrap, seed=seed) if asked else None,
            "accuracy": _agreement({(r["rater"], (r["item"], r["system"])): "yes" if r["answer"] else "no"
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


def _by_task(records: list[Mapping], **kw: Any) -> dict[str, dict]:
    tasks = sorted({str(r.get("task") or "") for r in records if not r.get("is_control")})
    out = {ALL: results_section(records, **kw)}
    if len(tasks) > 1:
        for t in tasks:
            out[t] = results_section([r for r in records if str(r.get("task") or "") == t], **kw)
    return out


# --------------------------------------------------------------------------------------------------
# Raters


def rater_table(records: list[Mapping], min_controls: int = 3, **params: Any) -> dict[str, Any]:
    """Per rater: judgments, controls passed, leave-one-out agreement, median seconds, answer balance, flags.

    Flags come from :class:`RaterQuality` (it needs pairwise answers); control pass rates use each
    record's ``control_passed`` so that accuracy-only or Likert-only studies still get them.
    """
    prefs = preference_records(records, controls=True)
    prefs = [p for p in prefs if p["rater"] != "(auto tie)"]
    quality: dict[Any, dict] = {}
    group_alpha = None
    reason = None
    if prefs:
        model = RaterQuality(min_controls=min_controls, **params).fit(prefs)
        quality, group_alpha = model.report_, model.group_alpha_
    else:
        reason = "rater flags need the pairwise question"
    rows = []
    for rater in sorted({r["rater"] for r in records if r.get("rater")}, key=str):
        mine = [r for r in records if r.get("rater") == rater]
        scored = [r["control_passed"] for r in mine if r.get("is_control") and r.get("control_passed") is not None]
        secs = [s for s in (_seconds(r) for r in mine) if s is not None]
        q = quality.get(rater, {})
        rows.append({
            "rater": rater, "n_judgments": len(mine), "n_controls": len(scored),
            "controls_passed": sum(scored), "control_accuracy": sum(scored) / len(scored) if scored else None,
            "median_seconds": statistics.median(secs) if secs else None,
            "alpha_vs_others": q.get("alpha_vs_others"), "ac1_vs_others": q.get("ac1_vs_others"),
            "alpha_delta": q.get("alpha_delta"),
            "share_left": q.get("share_left"), "share_right": q.get("share_right"), "share_tie": q.get("share_tie"),
            "flags": q.get("flags", []),
        })
    flagged = {r["rater"]: r["flags"] for r in rows if r["flags"]}
    return {"raters": rows, "flagged": flagged, "group_alpha": group_alpha, "reason": reason}


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
# Methods paragraph


def _fmt(x: float | None, digits: int = 2) -> str:
    return "undefined" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def methods_paragraph(meta: Mapping[str, Any], section: Mapping[str, Any], raters: Mapping[str, Any],
                      excluded: Iterable[str]) -> str:
    """An auto-written methods paragraph: what was compared, how, by whom, and how much they agreed."""
    systems = meta.get("systems", [])
    q = meta.get("questions", {})
    asked = []
    if q.get("pairwise"):
        asked.append("which output is better (left, right, tie or both bad)")
    if q.get("accuracy"):
        asked.append("whether each output is an accurate edit (yes/no)")
    for s in q.get("likert", []):
        asked.append(f"{s.get('label', s['key'])} on a {s['min']}-{s['max']} scale")
    parts = [
        f"We compared {len(systems)} systems ({', '.join(systems)}) on {meta.get('n_examples', '?')} examples "
        f"of the {meta.get('split', '')} split of dataset {meta.get('dataset', '?')}, sampled at random "
        f"stratified by task (seed {meta.get('seed', '?')}), giving {meta.get('n_real_items', '?')} blinded pairs "
        f"({meta.get('pairs_per_example', '?')} system pair(s) per example).",
        f"Each pair was to be judged by {meta.get('raters_per_item', '?')} raters per item; sides were "
        f"randomised and balanced per rater, and raters did not know which system wrote which text.",
        f"Raters were asked {'; '.join(asked) or 'no question'}.",
    ]
    if meta.get("n_controls"):
        parts.append(f"{meta['n_controls']} control pairs ({', '.join(meta.get('control_kinds', [])) or 'none'}; "
                     f"about {meta.get('control_rate', 0):.0%} of each rater's pairs) checked attention; they "
                     "are left out of every result except rater quality.")
    if meta.get("n_identical"):
        parts.append(f"{meta['n_identical']} pairs had identical outputs ({meta.get('identical_outputs_label', '')}).")
    n_raters = len(raters.get("raters", []))
    dates = ""
    if meta.get("first_judgment"):
        first, last = meta["first_judgment"][:10], meta["last_judgment"][:10]
        dates = f" on {first}" if first == last else f" from {first} to {last}"
    parts.append(f"{n_raters} raters gave {section['n_judgments']} judgments on {section['n_items']} pairs{dates} "
                 f"(study {meta.get('status', '')}).")
    ag = section["agreement"].get("preference")
    if ag:
        alpha = ag["alpha"]
        ci = f" (95% CI {_fmt(alpha['ci'][0])} to {_fmt(alpha['ci'][1])})" if alpha.get("ci") else ""
        reason = f" ({alpha['reason']})" if alpha["value"] is None else ""
        parts.append(f"Agreement on which system won (position-free labels): Krippendorff's alpha (nominal) = "
                     f"{_fmt(alpha['value'])}{ci}{reason}, Gwet's AC1 = {_fmt(ag['gwet_ac1']['value'])}, "
                     f"Fleiss' kappa = {_fmt(ag['fleiss_kappa']['value'])}; intervals are percentile bootstraps "
                     f"over items ({meta.get('bootstrap', 0)} resamples, seed {meta.get('report_seed', 0)}).")
    acc = section["agreement"].get("accuracy")
    if acc:
        parts.append(f"Agreement on accuracy: alpha (nominal) = {_fmt(acc['alpha']['value'])}, Fleiss' kappa = "
                     f"{_fmt(acc['fleiss_kappa']['value'])}.")
    excluded = list(excluded)
    if excluded:
        parts.append(f"Raters flagged by the quality checks ({', '.join(map(str, excluded))}) were excluded from "
                     "the results shown; results with every rater are reported beside them.")
    elif raters.get("flagged"):
        parts.append(f"{len(raters['flagged'])} rater(s) were flagged by the quality checks but not excluded.")
    else:
        parts.append("No rater was flagged by the quality checks.")
    parts.append("Win rates count ties as half a win where one number is given, with Wilson intervals and an "
                 "exact sign test (ties dropped); Bradley-Terry strengths are maximum-likelihood estimates "
                 f"(ties half a win) with intervals from {meta.get('bootstrap', 0)} item resamples.")
    return " ".join(parts)


# --------------------------------------------------------------------------------------------------
# The whole report


def build_report(records: list[Mapping], *, meta: Mapping[str, Any] | None = None,
                 scores: Mapping[tuple[Any, str], Mapping[str, float]] | None = None,
                 automatic_metrics: Mapping[str, list] | None = None, exclude_flagged: bool = False,
                 bootstrap: int = 1000, seed: int = 0, rater_params: Mapping[str, Any] | None = None
                 ) -> dict[str, Any]:
    """The report dict from judgment records (no database access).

    ``scores[(item, system)] = {"sari": ..., "rougeL": ...}`` per real item enables humans-vs-metrics.
    ``results`` holds both versions, ``"all_raters"`` and ``"without_flagged"`` (flagged raters removed),
    each ``{task: section}`` with ``"all"`` first; ``exclude_flagged`` picks which one is ``primary``.
    """
    meta = dict(meta or {})
    meta.update(bootstrap=bootstrap, report_seed=seed)
    scales = list((meta.get("questions") or {}).get("likert", []))
    kw = {"scales": scales, "scores": scores or {}, "bootstrap": bootstrap, "seed": seed}
    raters = rater_table(list(records), **dict(rater_params or {}))
    flagged = set(raters["flagged"])
    all_raters = _by_task(list(records), **kw)
    kept = [r for r in records if r.get("rater") not in flagged]
    without = _by_task(kept, **kw) if flagged else all_raters
    primary = "without_flagged" if exclude_flagged else "all_raters"
    main = without if exclude_flagged else all_raters
    return {
        "meta": meta, "tasks": list(all_raters), "exclude_flagged": exclude_flagged, "primary": primary,
        "raters": raters,
        "results": {"all_raters": all_raters, "without_flagged": without},
        "comparison": {t: comparison(all_raters[t], without.get(t, all_raters[t])) for t in all_raters},
        "automatic_metrics": dict(automatic_metrics or {}),
        "methods": methods_paragraph(meta, main[ALL], raters, sorted(flagged, key=str) if exclude_flagged else []),
    }


def report_csv(report: Mapping[str, Any]) -> str:
    """Long-format CSV of every number in the report: version, task, section, name, value, interval, n, p."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["version", "task", "section", "name", "value", "ci_low", "ci_high", "n", "p_value", "note"])

    def row(version, task, section, name, value, ci=None, n=None, p=None, note=None):  # noqa: ANN001, ANN202
        lo, hi = (ci or [None, None])[:2]
        w.writerow([version, task, section, name, value, lo, hi, n, p, note])

    for version, by_task in report["results"].items():
        for task, s in by_task.items():
            for kind, ag in s["agreement"].items():
                if not ag:
                    continue
                for stat in ("alpha", "fleiss_kappa", "gwet_ac1", "percent_agreement"):
                    if stat in ag:
                        v = ag[stat]
                        row(version, task, f"agreement:{kind}", stat, v["value"], v["ci"], ag["n_units"],
                            None, v["reason"] or v["note"])
            for p in s["pairs"]:
                for k in ("wins", "ties", "losses"):
                    row(version, task, "preference", f"{p['a']} vs {p['b']}: {k} of {p['a']}", p[k]["rate"],
                        p[k]["ci"], p["n"], p["sign_test_p"])
                row(version, task, "preference", f"{p['a']} vs {p['b']}: win rate (ties half)",
                    p["win_rate_ties_half"]["rate"], p["win_rate_ties_half"]["ci"], p["n"], p["sign_test_p"])
            bt = s.get("bradley_terry") or {}
            if bt.get("strengths"):
                for r in bt["rows"]:
                    row(version, task, "bradley_terry", r["system"], r["strength"], r["ci"])
            elif bt:
                row(version, task, "bradley_terry", "fit", None, note=bt.get("reason"))
            pb = s.get("position_bias")
            if pb:
                row(version, task, "position_bias", "share_left", pb["share_left"], pb["ci"], pb["n_decisive"],
                    pb["p_value"])
            if s.get("accuracy"):
                for a in s["accuracy"]["by_system"]:
                    row(version, task, "accuracy", a["system"], a["rate"], a["ci"], a["n"])
                for d in s["accuracy"]["differences"]:
                    row(version, task, "accuracy_difference", f"{d['a']} - {d['b']}", d["difference"], None,
                        d.get("n_pairs"), d["p_value"], d["test"])
            for scale in s.get("likert", []):
                for m in scale["means"]:
                    row(version, task, f"likert:{scale['key']}", m["system"], m["mean"], m["ci"], m["n"])
                v = scale["agreement"]["alpha"]
                row(version, task, f"likert:{scale['key']}", "alpha_ordinal", v["value"], v["ci"], None, None,
                    v["reason"])
            for c in s.get("correlation") or []:
                row(version, task, "humans_vs_metrics", f"kendall_tau_b:{c['metric']}", c["kendall_tau_b"], None,
                    c["n_units"], c["kendall_p"], c["kendall_reason"])
                row(version, task, "humans_vs_metrics", f"point_biserial:{c['metric']}", c["point_biserial"],
                    None, c["n_decisive_units"], c["point_biserial_p"], c["point_biserial_reason"])
    for task, rows in report.get("automatic_metrics", {}).items():
        for m in rows:
            row("automatic", task, "metrics", f"{m['system']}: SARI", m["sari"], m["sari_ci"], m["n"])
            row("automatic", task, "metrics", f"{m['system']}: ROUGE-L", m["rouge_l"], m["rouge_l_ci"], m["n"])
    for r in report["raters"]["raters"]:
        row("raters", ALL, "rater", r["rater"], r["control_accuracy"], None, r["n_judgments"], None,
            ";".join(r["flags"]))
    return out.getvalue()


# --------------------------------------------------------------------------------------------------
# Django side: gather a study's inputs, cache the report


def study_report_inputs(study: Any, bootstrap: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Records, per-item metric scores, the automatic metrics table and the study facts, for build_report."""
    from annotation.models import Item
    from annotation.selectors import judgment_records
    from selection.core.metrics import score_system
    from selection.core.text import strip_instruction

    records = judgment_records(study, include_auto_ties=True)
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
    return {"records": records, "scores": scores, "automatic_metrics": automatic_sorted,
            "meta": study_meta(study, records)}


def _metric_row(system: str, scored: Any, idx: np.ndarray, bootstrap: int, seed: int) -> dict[str, Any]:
    """Corpus SARI (EASSE) and mean ROUGE-L of one system on the examples ``idx``, with bootstrap intervals."""
    out = {"system": system, "n": len(idx), "sari": scored.value("sari", idx), "rouge_l": scored.value("rouge_l", idx),
           "sari_ci": None, "rouge_l_ci": None}
    if bootstrap and len(idx) > 1:
        a = scored.interval("sari", idx, n_resamples=bootstrap, random_state=seed)
        b = scored.interval("rouge_l", idx, n_resamples=bootstrap, random_state=seed)
        out["sari_ci"], out["rouge_l_ci"] = [a.low, a.high], [b.low, b.high]
    return out


def study_meta(study: Any, records: list[Mapping]) -> dict[str, Any]:
    from annotation.models import Item

    summary = study.summary or {}
    submitted = sorted(r["submitted_at"] for r in records if r.get("submitted_at"))
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
    }


def _version(study: Any) -> str:
    """Changes whenever a judgment is added or changed, or the study changes status."""
    from django.db.models import Count, Max

    from annotation.models import Judgment

    agg = Judgment.objects.filter(slot__item__study=study).aggregate(n=Count("pk"), last=Max("updated_at"),
                                                                     revs=Max("revision_count"))
    raw = f"{study.pk}:{study.status}:{agg['n']}:{agg['last']}:{agg['revs']}"
    return f"{study.pk}-{agg['n']}-{hashlib.sha1(raw.encode()).hexdigest()[:12]}"


def study_report(study: Any, *, exclude_flagged: bool = False, bootstrap: int = 1000, seed: int = 0,
                 use_cache: bool = True) -> dict[str, Any]:
    """The report of a study (see :func:`build_report`); cached until its judgments or status change.

    Callers check visibility first: this returns unblinded results.
    """
    from django.core.cache import cache

    version = _version(study)
    key = f"deft-study-report:{version}:{int(exclude_flagged)}:{bootstrap}:{seed}"
    from annotation.selectors import rater_notes

    hit = cache.get(key) if use_cache else None
    if hit is not None:
        report = hit
    else:
        inputs = study_report_inputs(study, bootstrap=bootstrap, seed=seed)
        report = build_report(inputs["records"], meta=inputs["meta"], scores=inputs["scores"],
                              automatic_metrics=inputs["automatic_metrics"], exclude_flagged=exclude_flagged,
                              bootstrap=bootstrap, seed=seed)
        report["version"] = version
        if use_cache:
            cache.set(key, report, 3600)
    report["rater_notes"] = rater_notes(study)  # flags and skips change without a new judgment: never cached
    return report



# --------------------------------------------------------------------------------------------------
# Display: the plots and per-task blocks the page, the live fragment and the HTML export share


AGREEMENT_LABELS = {"alpha": "Krippendorff alpha", "fleiss_kappa": "Fleiss' kappa", "gwet_ac1": "Gwet's AC1",
                    "percent_agreement": "percent agreement"}


def _section_plots(s: Mapping[str, Any], task: str) -> dict[str, str]:
    from annotation import report_plots as rp

    plots: dict[str, str] = {}
    for kind in ("preference", "accuracy"):
        ag = s["agreement"].get(kind)
        if ag:
            plots[f"agreement_{kind}"] = rp.interval_plot(
                rp.stat_rows(ag, AGREEMENT_LABELS), title=f"Agreement on {kind} ({task})", ref=0.0)
    if s["pairs"]:
        plots["pairs"] = rp.win_tie_loss_plot(s["pairs"], title=f"Wins, ties and losses ({task})")
    bt = s.get("bradley_terry") or {}
    if bt.get("rows"):
        plots["bradley_terry"] = rp.interval_plot(
            [{"label": r["system"], "value": r["strength"], "ci": r["ci"]} for r in bt["rows"]],
            title=f"Bradley-Terry strengths ({task})", lo=0.0, hi=1.0, ref=1 / len(bt["rows"]))
    pb = s.get("position_bias")
    if pb and pb["n_decisive"]:
        plots["position_bias"] = rp.interval_plot(
            [{"label": "share of decisive answers on the left", "value": pb["share_left"], "ci": pb["ci"]}],
            title=f"Position bias ({task})", lo=0.0, hi=1.0, ref=0.5, percent=True)
    if s.get("accuracy"):
        plots["accuracy"] = rp.interval_plot(
            [{"label": a["system"], "value": a["rate"], "ci": a["ci"]} for a in s["accuracy"]["by_system"]],
            title=f"% of edits judged accurate ({task})", lo=0.0, hi=1.0, percent=True)
    for scale in s.get("likert", []):
        lo, hi = scale["min"], scale["max"]
        plots[f"likert_{scale['key']}"] = rp.interval_plot(
            [{"label": m["system"], "value": m["mean"], "ci": m["ci"]} for m in scale["means"]],
            title=f"{scale['label']}: mean rating ({task})", lo=float(lo), hi=float(hi))
    if s.get("scatter"):
        plots["scatter_sari"] = rp.scatter_plot(s["scatter"], x_key="d_sari", x_label="SARI(a) - SARI(b)",
                                                title=f"SARI difference vs human preference ({task})")
        plots["scatter_rouge"] = rp.scatter_plot(s["scatter"], x_key="d_rougeL", x_label="ROUGE-L(a) - ROUGE-L(b)",
                                                 title=f"ROUGE-L difference vs human preference ({task})")
    return plots


MIN_PAIRABLE = 10   # items rated by two or more raters below which an agreement value is not worth trusting
MIN_DECISIVE = 10   # decisive judgments below which a win rate says little


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _reliability(ag: Mapping[str, Any] | None) -> tuple[str, list[str]]:
    """One sentence on agreement (Krippendorff's thresholds: 0.800 reliable, 0.667 tentative) and warnings."""
    if not ag:
        return "No pairwise judgments yet: agreement is not available.", []
    alpha, warnings = ag["alpha"], []
    n = ag.get("n_pairable", ag.get("n_units", 0))
    if n < MIN_PAIRABLE:
        warnings.append(f"Agreement rests on {n} item{'s' if n != 1 else ''} rated by two or more raters: too few to "
                        f"trust (at least {MIN_PAIRABLE} are needed); read every agreement value below as provisional.")
    if alpha["value"] is None:
        return f"Agreement is undefined so far ({alpha.get('reason') or 'not enough overlap between raters'}).", warnings
    v = alpha["value"]
    ci = f" (95% CI {alpha['ci'][0]:.2f} to {alpha['ci'][1]:.2f})" if alpha.get("ci") else ""
    verdict = ("reliable (alpha at least 0.80)" if v >= 0.8 else
               "good enough for tentative conclusions only (alpha between 0.67 and 0.80)" if v >= 0.667
               else "low: raters often disagree, so treat the preference with care (alpha under 0.67)")
    return (f"Agreement between raters is {verdict}: Krippendorff's alpha {v:.2f}{ci} on {n} items rated by two "
            f"or more raters.", warnings)


def report_headline(report: Mapping[str, Any]) -> dict[str, Any]:
    """The answer first: who wins, how sure, how reliable, on how much data, with warnings for thin evidence."""
    s = report["results"][report["primary"]][ALL]
    warnings: list[str] = []
    winner = answer = sure = ""
    pairs = s.get("pairs") or []
    bt = s.get("bradley_terry") or {}
    if len(pairs) == 1:
        p = pairs[0]
        rate, (lo, hi) = p["win_rate_ties_half"]["rate"], p["win_rate_ties_half"]["ci"]
        decisive = p["wins"]["count"] + p["losses"]["count"]
        if rate == 0.5:
            answer = f"{p['a']} and {p['b']} are level: each wins half of {p['n']} judgments (ties count half)."
        else:
            winner, loser, r, low, high = ((p["a"], p["b"], rate, lo, hi) if rate > 0.5 else
                                           (p["b"], p["a"], 1 - rate, 1 - hi, 1 - lo))
            answer = (f"{winner} is preferred to {loser} in {_pct(r)} of {p['n']} judgments "
                      f"(ties count half; 95% CI {_pct(low)} to {_pct(high)}).")
        pval = p.get("sign_test_p")
        ptxt = "p < 0.001" if pval is not None and pval < 0.001 else f"p = {pval:.3f}" if pval is not None else ""
        if pval is not None and pval < 0.05 and not lo <= 0.5 <= hi:
            sure = f"A clear difference: the sign test on {decisive} decisive judgments gives {ptxt}."
        else:
            sure = (f"Not a clear difference yet: the interval includes 50% and the sign test on {decisive} decisive "
                    f"judgments gives {ptxt or 'no p-value'}; more judgments are needed to tell them apart.")
            winner = winner if pval is not None and pval < 0.05 else ""
        if decisive < MIN_DECISIVE:
            warnings.append(f"The preference rests on only {decisive} decisive judgment{'s' if decisive != 1 else ''} "
                            f"(at least {MIN_DECISIVE} are needed for a useful test).")
    elif bt.get("rows"):
        rows = bt["rows"]
        winner = rows[0]["system"]
        answer = "Ranking by Bradley–Terry strength: " + ", ".join(f"{r['system']} ({r['strength']:.2f})" for r in rows) + "."
        sure = "Intervals of the strengths (below) show which differences are clear."
    elif s.get("accuracy"):
        rows = sorted(s["accuracy"]["by_system"], key=lambda a: -a["rate"])
        winner = rows[0]["system"]
        answer = "Edits judged accurate: " + ", ".join(f"{a['system']} {_pct(a['rate'])} of {a['n']}" for a in rows) + "."
    else:
        answer = "No judgments yet."
    reliable, more = _reliability(s["agreement"].get("preference") or s["agreement"].get("accuracy"))
    warnings += more
    flagged = report["raters"].get("flagged") or {}
    basis = (f"{s['n_judgments']} judgments on {s['n_items']} pairs by {s['n_raters']} rater"
             f"{'s' if s['n_raters'] != 1 else ''}" + (f"; {len(flagged)} rater(s) flagged by the quality checks"
                                                     f"{' and left out' if report['exclude_flagged'] else ''}" if flagged else "") + ".")
    return {"winner": winner, "answer": answer, "sure": sure, "reliable": reliable, "basis": basis,
            "warnings": warnings}


def stat_warning(ag: Mapping[str, Any] | None) -> str:
    """The "too few items" note under an agreement table ("" when there are enough)."""
    if not ag:
        return ""
    n = ag.get("n_pairable", ag.get("n_units", 0))
    if n >= MIN_PAIRABLE:
        return ""
    return (f"Only {n} item{'s' if n != 1 else ''} rated by two or more raters: too few for these values to mean much "
            f"(at least {MIN_PAIRABLE} are needed).")


def report_display(report: Mapping[str, Any]) -> dict[str, Any]:
    """Template context: per task the primary section, its plots, the other version and the comparison."""
    primary = report["results"][report["primary"]]
    other_key = "all_raters" if report["primary"] == "without_flagged" else "without_flagged"
    blocks = []
    for task in report["tasks"]:
        s = primary[task]
        blocks.append({"task": task, "s": s, "plots": _section_plots(s, task),
                       "warnings": {k: stat_warning(ag) for k, ag in s["agreement"].items()},
                       "summary": _block_summary(s),
                       "other": report["results"][other_key].get(task),
                       "comparison": report["comparison"].get(task, []),
                       "metrics": report["automatic_metrics"].get(task, [])})
    return {"report": report, "blocks": blocks, "flagged": report["raters"]["flagged"],
            "headline": report_headline(report),
            "agreement_labels": AGREEMENT_LABELS,
            "other_label": "all raters" if other_key == "all_raters" else "without flagged raters"}


def _block_summary(s: Mapping[str, Any]) -> str:
    """One line for a collapsed per-task section."""
    parts = [f"{s['n_judgments']} judgments on {s['n_items']} pairs"]
    for p in s.get("pairs") or []:
        parts.append(f"{p['a']} vs {p['b']}: {p['a']} wins {_pct(p['win_rate_ties_half']['rate'])}")
    return " · ".join(parts)


def report_html(report: Mapping[str, Any]) -> str:
    """The self-contained HTML file: inline CSS and SVG, no script, no external reference."""
    from django.template.loader import render_to_string

    return render_to_string("annotation/report_export.html", report_display(report))
