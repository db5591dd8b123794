"""The report as files: a long-format CSV of every number, and a self-contained HTML page."""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from django.template.loader import render_to_string

from annotation.reports.display import report_display
from annotation.reports.records import ALL

__all__ = ["report_csv", "report_html"]


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
                            None, v["reason"] or v["note"] or v.get("caution"))
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
                for m in scale.get("z_means") or []:  # WMT's per-rater z-scores
                    row(version, task, f"likert_z:{scale['key']}", m["system"], m["mean"], m["ci"], m["n"])
                v = scale["agreement"]["alpha"]
                row(version, task, f"likert:{scale['key']}", "alpha_ordinal", v["value"], v["ci"], None, None,
                    v["reason"])
            _richer_rows(row, version, task, s.get("richer") or {})
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
        for name, c in sorted((r.get("checks") or {}).items()):
            verdict = "undecided" if c["failed"] is None else "failed" if c["failed"] else "passed"
            row("raters", ALL, f"check:{name}", r["rater"], c.get("value"), None,
                c.get("n_repeats", c.get("n", c.get("n_controls"))), c.get("p_value"),
                f"{verdict}{': ' + c['reason'] if c.get('reason') else ''}")
    for j in report.get("judges") or []:
        _judge_rows(row, j)
    _competence_rows(row, report.get("competence") or {})
    adaptive = (report.get("meta") or {}).get("adaptive")
    if adaptive:
        row("design", ALL, "stopping_rule", "stop", int(adaptive["stop"]), note=adaptive["message"])
        for p in adaptive["pairs"]:
            row("design", ALL, "stopping_rule", f"{p['a']} vs {p['b']}: win rate of {p['a']}",
                p["wins"] / p["decisive"] if p["decisive"] else None, p["ci"], p["decisive"], p.get("final_p"),
                f"{p['winner']} ({p['rule']})" if p["winner"] else f"undecided; more ratings: {p['more_ratings']}")
    _adjudication_rows(row, (report.get("meta") or {}).get("adjudication"))
    return out.getvalue()


def _adjudication_rows(row, adj: Mapping[str, Any] | None) -> None:  # noqa: ANN001
    """The adjudicated results (final label where present, else the raters' majority; annotation/review.py)."""
    if not adj:
        return
    for name in ("n_queued", "n_final", "n_changed", "n_queued_open", "n_split_left_out"):
        row("adjudicated", ALL, "adjudication", name, adj[name], note=adj["mode"])
    for p in adj["pairs"]:
        for k in ("wins", "ties", "losses"):
            row("adjudicated", ALL, "preference", f"{p['a']} vs {p['b']}: {k} of {p['a']}", p[k]["rate"], p[k]["ci"],
                p["n"], p["sign_test_p"])
        row("adjudicated", ALL, "preference", f"{p['a']} vs {p['b']}: win rate (ties half)",
            p["win_rate_ties_half"]["rate"], p["win_rate_ties_half"]["ci"], p["n"], p["sign_test_p"])


def _judge_rows(row, j: Mapping[str, Any]) -> None:  # noqa: ANN001
    """An automatic judge's numbers (version "judge:<name>"): agreement, kappa, position bias, consistency."""
    version = f"judge:{j['name']}"
    for key in ("agreement", "agreement_decisive", "agreement_per_answer", "consistency", "human_vs_rest"):
        v = j[key]
        row(version, ALL, "judge", key, v["rate"], v["ci"], v["n"], None, v["reason"] or v["caution"])
    k = j["cohen_kappa"]
    row(version, ALL, "judge", "cohen_kappa", k["value"], k["ci"], j["n_compared"], None, k["reason"] or k.get("caution"))
    pb = j.get("position_bias")
    if pb:
        row(version, ALL, "judge", "share_left", pb["share_left"], pb["ci"], pb["n_decisive"], pb["p_value"],
            pb.get("caution"))
    for p in j.get("pairs") or []:
        row(version, ALL, "judge", f"{p['a']} vs {p['b']}: win rate (ties half)", p["win_rate_ties_half"]["rate"],
            p["win_rate_ties_half"]["ci"], p["n"], p["sign_test_p"])


def _competence_rows(row, comp: Mapping[str, Any]) -> None:  # noqa: ANN001
    """Each rater's competence, and the win rates and Bradley–Terry strengths on soft labels."""
    model = comp.get("model", "")
    for rater, c in (comp.get("raters") or {}).items():
        row("raters", ALL, f"competence:{model}", rater, c["competence"], None, c["n_answers"], None,
            "low competence" if c["low"] else "too few answers to tell" if c["low"] is None else None)
    results = comp.get("results") or {}
    for p in results.get("pairs") or []:
        wr = p["win_rate_ties_half"]
        row("soft_labels", ALL, "preference", f"{p['a']} vs {p['b']}: win rate (ties half)", wr["rate"],
            wr.get("bootstrap_ci") or wr["ci"], p["n"])
    bt = results.get("bradley_terry") or {}
    for system, v in (bt.get("strengths") or {}).items():
        row("soft_labels", ALL, "bradley_terry", system, v)


def _richer_rows(row, version: str, task: str, rich: Mapping[str, Any]) -> None:  # noqa: ANN001
    dav = rich.get("davidson") or {}
    for system, v in (dav.get("log_strengths") or {}).items():
        row(version, task, "davidson", system, v, (dav.get("log_ci") or {}).get(system))
    if dav.get("strengths"):
        row(version, task, "davidson", "nu (ties)", dav["nu"], dav.get("nu_ci"))
    lc = rich.get("length_control") or {}
    for system, v in (lc.get("strengths") or {}).items():
        row(version, task, "length_control", system, v, (lc.get("ci") or {}).get(system), lc["n_decisive"])
    if lc.get("strengths"):
        row(version, task, "length_control", "beta (per sd of edit length)", lc["beta"], lc.get("beta_ci"),
            lc["n_decisive"])
    fr = rich.get("fragility") or {}
    if fr.get("winner"):
        row(version, task, "fragility", f"{fr['winner']}: judgments to flip", fr["flip"], None, fr["n_judgments"],
            fr["head_to_head_p"], f"to non-significant: {fr['to_non_significant']}")


def report_html(report: Mapping[str, Any]) -> str:
    """The self-contained HTML file: inline CSS and SVG, no script, no external reference."""
    return render_to_string("annotation/report_export.html", report_display(report))
