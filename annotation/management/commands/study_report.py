"""python manage.py study_report STUDY [--json] [--html FILE] [--csv FILE] [--exclude-flagged] [--peek]"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from annotation import blinding, reports
from annotation.selectors import study_lookup


def _jsonable(o: Any) -> Any:
    return o.item() if hasattr(o, "item") else str(o)


class Command(BaseCommand):
    help = ("The study report: agreement, preferences, Bradley-Terry, accuracy, raters, humans vs metrics. "
            "Before close it needs --peek, which is logged.")

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("study", help="study name (or id)")
        parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
        parser.add_argument("--html", metavar="FILE", help="write the self-contained HTML report to FILE")
        parser.add_argument("--csv", metavar="FILE", help="write every number as long-format CSV to FILE")
        parser.add_argument("--exclude-flagged", action="store_true", help="primary results without flagged raters")
        parser.add_argument("--peek", action="store_true", help="allow unblinded results before close (logged)")
        parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            study = study_lookup(o["study"])
        except Http404:
            raise CommandError(f"No study {o['study']!r}.") from None
        try:
            blinding.unblind(study=study, user=None, peek=o["peek"], channel="study_report command")
        except blinding.Blinded as exc:
            raise CommandError(str(exc)) from None
        if o["bootstrap"] < 0:
            raise CommandError("--bootstrap must be 0 or more")
        report = reports.study_report(study, exclude_flagged=o["exclude_flagged"], bootstrap=o["bootstrap"],
                                      seed=o["seed"])
        if o["html"]:
            Path(o["html"]).write_text(reports.report_html(report), encoding="utf-8")
        if o["csv"]:
            Path(o["csv"]).write_text(reports.report_csv(report), encoding="utf-8")
        if o["json"]:
            self.stdout.write(json.dumps(report, default=_jsonable))
            return
        self.stdout.write(summary_text(report))
        for path in (o["html"], o["csv"]):
            if path:
                self.stdout.write(f"wrote {path}")


def _f(x: float | None, d: int = 3) -> str:
    return "—" if x is None else f"{x:.{d}f}"


def _check_line(row: dict) -> str:
    parts = []
    for name, c in sorted(row["checks"].items()):
        verdict = "undecided" if c["failed"] is None else "FAILED" if c["failed"] else "passed"
        extra = (f" same {_f(c.get('share_same'), 2)}, kappa {_f(c.get('kappa'), 2)}" if name == "self_consistency"
                 else f" p {_f(c.get('p_value'), 4)} ({c.get('test')})" if name == "degraded_test" else "")
        parts.append(f"{name} {verdict}{extra}")
    return f"  {row['rater']}: " + "; ".join(parts)


def competence_text(comp: dict) -> list[str]:
    """Each rater's competence and the win rates on soft labels (annotation.reports.competence)."""
    if not comp:
        return []
    if comp.get("reason"):
        return ["", f"competence: {comp['reason']}"]
    lines = ["", f"competence ({comp['model_label']}; low under {_f(comp['threshold'], 2)}):"]
    for rater, c in sorted(comp["raters"].items(), key=lambda kv: -kv[1]["competence"]):
        note = " LOW" if c["low"] else " (too few answers to tell)" if c["low"] is None else ""
        lines.append(f"  {rater}: {_f(c['competence'], 2)} on {c['n_answers']} answers{note}")
    for p in (comp.get("results") or {}).get("pairs", []):
        lines.append(f"  soft labels: {p['a']} vs {p['b']}: win rate (ties half) {_f(p['win_rate_ties_half']['rate'])}"
                     f" over {p['n']} pairs")
    return lines


def summary_text(report: dict) -> str:
    """A short readable summary: methods, headline numbers of every task, flagged raters."""
    lines = [report["methods"], ""]
    for task, s in report["results"][report["primary"]].items():
        lines.append(f"[{task}] {s['n_judgments']} judgments on {s['n_items']} pairs")
        ag = s["agreement"].get("preference")
        if ag:
            a = ag["alpha"]
            ci = f" [{_f(a['ci'][0])}, {_f(a['ci'][1])}]" if a.get("ci") else ""
            lines.append(f"  alpha (nominal, which system won) {_f(a['value'])}{ci}"
                         + (f" ({a['reason']})" if a["reason"] else ""))
        for p in s["pairs"]:
            lines.append(f"  {p['a']} vs {p['b']}: {p['wins']['count']} wins / {p['ties']['count']} ties / "
                         f"{p['losses']['count']} losses, win rate (ties half) {_f(p['win_rate_ties_half']['rate'])}, "
                         f"sign test p {_f(p['sign_test_p'], 4)}")
        bt = s.get("bradley_terry") or {}
        if bt.get("rows"):
            lines.append("  Bradley-Terry: " + ", ".join(f"{r['system']} {_f(r['strength'])}" for r in bt["rows"]))
        elif bt:
            lines.append(f"  Bradley-Terry: {bt.get('reason')}")
        for a in (s.get("accuracy") or {}).get("by_system", []):
            lines.append(f"  accurate {a['system']}: {a['accurate']}/{a['n']} = {_f(a['rate'])}")
        for sc in s.get("likert") or []:
            z = {m["system"]: m["mean"] for m in sc.get("z_means") or []}
            lines.append(f"  {sc['label']}: " + ", ".join(f"{m['system']} {_f(m['mean'], 2)} raw / "
                                                          f"{_f(z.get(m['system']), 2)} z" for m in sc["means"]))
    lines += ["", "reliability checks per rater (failed / passed / undecided = too little data):"]
    lines += [_check_line(r) for r in report["raters"]["raters"] if r.get("checks")]
    lines += competence_text(report.get("competence") or {})
    flagged = report["raters"]["flagged"]
    lines.append("")
    lines.append("flagged raters: " + (", ".join(f"{r} ({', '.join(f)})" for r, f in flagged.items()) or "none"))
    return "\n".join(lines)
