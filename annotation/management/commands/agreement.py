"""python manage.py agreement FILE: every agreement statistic for ratings from anywhere.

FILE is a JSON raters x items matrix (null = missing; or {"ratings": ..., "raters", "items", "categories"})
or a CSV with the header ``rater,item,label`` (one rating per row). ``--json`` prints one object whose keys
are those of :func:`annotation.stats.agreement.agreement_report`; an undefined statistic is null and its
reason is under ``"undefined"``.
"""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotation.stats.agreement import LEVELS, agreement_report, load_ratings
from annotation.stats.competence import MODELS, RaterCompetence


def _check_csv(text: str) -> None:
    """Name the first malformed line before the loader sees it (the loader reports duplicates itself)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise CommandError("the CSV file is empty: expected a header rater,item,label")
    if [h.strip() for h in header[:3]] != ["rater", "item", "label"]:
        raise CommandError(f"line 1: the CSV header must start with rater,item,label; got {','.join(header)!r}")
    for line_no, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) < 3:
            raise CommandError(f"line {line_no}: expected 3 fields rater,item,label; got {len(row)}: {row!r}")
        for field, value in zip(("rater", "item"), row[:2]):
            if not value.strip():
                raise CommandError(f"line {line_no}: field {field!r} is empty")


def read_ratings(path: str) -> tuple[Any, list, list, list]:
    """load_ratings with every failure turned into a CommandError that names the file, line or field."""
    p = Path(path)
    if not p.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if p.suffix.lower() == ".csv":
        _check_csv(text)
    try:
        return load_ratings(p)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise CommandError(f"{path}: {exc}") from None


def _clean(value: Any) -> Any:
    """JSON has no NaN: undefined numbers become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def format_table(report: dict[str, Any]) -> str:
    """The readable form: one statistic per line, its interval when bootstrapped, or why it is undefined."""
    ci = report.get("ci", {})
    undefined = report["undefined"]
    rows = [("percent agreement", "percent_agreement", report["percent_agreement"])]
    rows += [(f"Krippendorff alpha ({lv})", f"krippendorff_alpha.{lv}", report["krippendorff_alpha"][lv])
             for lv in LEVELS]
    rows += [("Fleiss' kappa", "fleiss_kappa", report["fleiss_kappa"]),
             ("Scott's pi (mean over pairs)", "scotts_pi", report["scotts_pi"]),
             ("Gwet's AC1", "gwet_ac1", report["gwet_ac1"])]
    rows += [(f"Cohen's kappa {w} (mean over pairs)", f"cohen_kappa.{w}", report["cohen_kappa"][w])
             for w in ("unweighted", "linear", "quadratic")]
    width = max(len(r[0]) for r in rows)
    lines = [f"{report['n_raters']} raters x {report['n_items']} items (level: {report['level']})", ""]
    for label, key, value in rows:
        line = f"{label:<{width}}  {_fmt(value):>7}"
        if value is None:
            line += f"  undefined: {undefined.get(key, '')}"
        elif ci.get(key):
            lo, hi = ci[key]
            line += f"  [{_fmt(lo)}, {_fmt(hi)}]"
        lines.append(line)
    return "\n".join(lines)


def competence_report(matrix: Any, raters: list, items: list, categories: list, model: str,
                      seed: int) -> dict[str, Any]:
    """Each rater's competence and each item's soft label from MACE / Dawid–Skene on the same ratings."""
    answers = []
    for i, rater in enumerate(raters):
        for j, item in enumerate(items):
            v = matrix[i, j]
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                answers.append((item, rater, v))
    try:
        fit = RaterCompetence(model=model, random_state=seed).fit_labels(answers, labels=list(categories))
    except ValueError as exc:
        return {"model": model, "reason": str(exc)}
    return {"model": model, "reason": None, "threshold": fit.threshold, "min_units": fit.min_units,
            "raters": {str(r): {"competence": c, "n_answers": fit.n_answers_[r],
                                "low": c < fit.threshold if fit.n_answers_[r] >= fit.min_units else None}
                       for r, c in fit.competence_.items()},
            "items": [{"item": row["unit"], "label": _plain(row["label"]),
                       "probabilities": {str(_plain(k)): v for k, v in row["probabilities"].items()}}
                      for row in fit.soft_labels()]}


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def format_competence(comp: dict[str, Any]) -> str:
    if comp.get("reason"):
        return f"competence ({comp['model']}): {comp['reason']}"
    lines = [f"competence ({comp['model']}; low under {comp['threshold']:.2f} on {comp['min_units']}+ answers)"]
    for rater, c in sorted(comp["raters"].items(), key=lambda kv: -kv[1]["competence"]):
        note = "  LOW" if c["low"] else "  (too few answers to tell)" if c["low"] is None else ""
        lines.append(f"  {rater}: {c['competence']:.3f} on {c['n_answers']} answers{note}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = ("Agreement statistics (percent agreement, Krippendorff's alpha at every level, Fleiss' kappa, "
            "Scott's pi, Gwet's AC1, Cohen's kappa) for a JSON raters x items matrix or a rater,item,label CSV.")

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("file", help="JSON matrix (null = missing) or CSV rater,item,label")
        parser.add_argument("--level", choices=LEVELS, default="nominal",
                            help="level of measurement of the labels: picks the headline alpha")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--bootstrap", type=int, default=0, metavar="N",
                            help="item-bootstrap resamples for 95%% intervals (0 = none)")
        parser.add_argument("--seed", type=int, default=0, metavar="S", help="bootstrap seed")
        parser.add_argument("--unequal", choices=["undefined", "drop"], default="undefined",
                            help="Fleiss' kappa when items have different numbers of ratings: undefined (default) "
                                 "or drop (keep only the items with the most common count)")
        parser.add_argument("--competence", choices=MODELS, nargs="?", const="mace", default=None,
                            help="also fit a latent-truth model (MACE by default, or dawid_skene): each rater's "
                                 "competence and each item's soft label")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["bootstrap"] < 0:
            raise CommandError("--bootstrap must be 0 or more resamples")
        matrix, _raters, _items, categories = read_ratings(options["file"])
        try:
            report = agreement_report(matrix, level=options["level"], bootstrap=options["bootstrap"],
                                      random_state=options["seed"], unequal=options["unequal"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        report = _clean(report)
        report["categories"] = [c if isinstance(c, str) else float(c) for c in categories]
        if options["competence"]:
            report["competence"] = _clean(competence_report(matrix, _raters, _items, categories,
                                                            options["competence"], options["seed"]))
        if options["json"]:
            self.stdout.write(json.dumps(report, allow_nan=False, default=_plain))
        else:
            self.stdout.write(format_table(report))
            if options["competence"]:
                self.stdout.write("\n" + format_competence(report["competence"]))
