"""What the page, the live fragment and the HTML export show: per task the primary section, its plots, the other
version of the results and the comparison. Plots come from ``selection.plots`` (which escapes every text)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotation.reports.prose import block_summary, report_headline, stat_warning
from selection import plots

__all__ = ["AGREEMENT_LABELS", "report_display"]


AGREEMENT_LABELS = {"alpha": "Krippendorff alpha", "fleiss_kappa": "Fleiss' kappa", "gwet_ac1": "Gwet's AC1",
                    "percent_agreement": "percent agreement"}


def _section_plots(s: Mapping[str, Any], task: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for kind in ("preference", "accuracy"):
        ag = s["agreement"].get(kind)
        if ag:
            out[f"agreement_{kind}"] = plots.interval_svg(
                plots.stat_rows(ag, AGREEMENT_LABELS), title=f"Agreement on {kind} ({task})", ref=0.0)
    if s["pairs"]:
        out["pairs"] = plots.win_tie_loss_svg(s["pairs"], title=f"Wins, ties and losses ({task})")
    bt = s.get("bradley_terry") or {}
    if bt.get("rows"):
        out["bradley_terry"] = plots.interval_svg(
            [{"label": r["system"], "value": r["strength"], "ci": r["ci"]} for r in bt["rows"]],
            title=f"Bradley-Terry strengths ({task})", lo=0.0, hi=1.0, ref=1 / len(bt["rows"]))
    pb = s.get("position_bias")
    if pb and pb["n_decisive"]:
        out["position_bias"] = plots.interval_svg(
            [{"label": "share of decisive answers on the left", "value": pb["share_left"], "ci": pb["ci"]}],
            title=f"Position bias ({task})", lo=0.0, hi=1.0, ref=0.5, percent=True)
    if s.get("accuracy"):
        out["accuracy"] = plots.interval_svg(
            [{"label": a["system"], "value": a["rate"], "ci": a["ci"]} for a in s["accuracy"]["by_system"]],
            title=f"% of edits judged accurate ({task})", lo=0.0, hi=1.0, percent=True)
    for scale in s.get("likert", []):
        lo, hi = scale["min"], scale["max"]
        out[f"likert_{scale['key']}"] = plots.interval_svg(
            [{"label": m["system"], "value": m["mean"], "ci": m["ci"]} for m in scale["means"]],
            title=f"{scale['label']}: mean rating ({task})", lo=float(lo), hi=float(hi))
    if s.get("scatter"):
        out["scatter_sari"] = plots.metric_human_scatter_svg(s["scatter"], x_key="d_sari", x_label="SARI(a) - SARI(b)",
                                                title=f"SARI difference vs human preference ({task})")
        out["scatter_rouge"] = plots.metric_human_scatter_svg(s["scatter"], x_key="d_rougeL", x_label="ROUGE-L(a) - ROUGE-L(b)",
                                                 title=f"ROUGE-L difference vs human preference ({task})")
    return out


def _judge_plot(j: Mapping[str, Any]) -> str:
    """One judge against the humans: agreement with their majority, one rater's with the others (for scale),
    the share of left answers and consistency across the two orders."""
    pb = j.get("position_bias") or {}
    rows = [{"label": "agrees with the human majority", **_share_row(j["agreement"])},
            {"label": "a rater agrees with the others", **_share_row(j.get("human_vs_rest") or {})},
            {"label": "share of left answers", "value": pb.get("share_left"), "ci": pb.get("ci"),
             "reason": None if pb.get("share_left") is not None else "no decisive answer"},
            {"label": "same output in both orders", **_share_row(j["consistency"])}]
    return plots.interval_svg(rows, title=f"Judge {j['name']} against the raters", lo=0.0, hi=1.0, ref=0.5,
                              percent=True)


def _share_row(share: Mapping[str, Any]) -> dict[str, Any]:
    return {"value": share.get("rate"), "ci": share.get("ci"), "reason": share.get("reason") or "no data"}


def report_display(report: Mapping[str, Any]) -> dict[str, Any]:
    """Template context: per task the primary section, its plots, the other version and the comparison."""
    primary = report["results"][report["primary"]]
    other_key = "all_raters" if report["primary"] == "without_flagged" else "without_flagged"
    blocks = []
    for task in report["tasks"]:
        s = primary[task]
        blocks.append({"task": task, "s": s, "plots": _section_plots(s, task),
                       "warnings": {k: stat_warning(ag) for k, ag in s["agreement"].items()},
                       "summary": block_summary(s),
                       "other": report["results"][other_key].get(task),
                       "comparison": report["comparison"].get(task, []),
                       "metrics": report["automatic_metrics"].get(task, [])})
    return {"report": report, "blocks": blocks, "flagged": report["raters"]["flagged"],
            "judge_blocks": [{"j": j, "plot": _judge_plot(j)} for j in report.get("judges") or []],
            "headline": report_headline(report),
            "agreement_labels": AGREEMENT_LABELS,
            "other_label": "all raters" if other_key == "all_raters" else "without flagged raters"}
