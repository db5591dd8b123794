"""python manage.py score --dataset D [--split S] --system A [--system B ...] [--by dataset|task] [--json]
[--n-boot N] [--seed S] [--no-cache] [--enqueue]"""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selection.core.metrics import METRIC_DIGITS, METRIC_LABELS
from selection.management.lookups import dataset_or_error
from selection.services.scoring import (
    DEFAULT_N_BOOT,
    GROUP_BY,
    ScoringError,
    score_report_create,
    score_report_submit,
    scoring_systems,
    set_label,
)

SHOWN = ("sari", "sari_add", "sari_keep", "sari_del", "gleu", "fkgl", "rouge_l", "sari_evaluate")


class Command(BaseCommand):
    help = ("Every metric of systems per evaluation set (its headline metrics first: ASSET/TurkCorpus SARI + FKGL, "
            "JFLEG GLEU + SARI, IteraTeR SARI) with 95 % bootstrap intervals, edit statistics and paired bootstrap "
            "tests of the first two systems (cached as a score report).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--split", default="test", help="Split to score ('' for every example).")
        parser.add_argument("--system", action="append", required=True, help="Repeat for several systems.")
        parser.add_argument("--by", choices=GROUP_BY, default="dataset",
                            help="dataset: the example's extra 'dataset' field, else its task; task: its task.")
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument("--n-boot", type=int, default=DEFAULT_N_BOOT)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--no-cache", action="store_true")
        parser.add_argument("--enqueue", action="store_true",
                            help="Queue the scoring for a worker (interactive queue); prints the job id last.")

    def handle(self, *args: Any, **o: Any) -> None:
        dataset = dataset_or_error(o["dataset"])
        try:
            systems = scoring_systems(dataset=dataset, names=o["system"])
            if o["enqueue"]:
                job = score_report_submit(dataset=dataset, split=o["split"] or None, systems=systems, by=o["by"],
                                          n_boot=o["n_boot"], seed=o["seed"])
                self.stdout.write(f"Queued scoring of {', '.join(s.name for s in systems)} on the {job.queue} "
                                  "queue. Job id:")
                self.stdout.write(str(job.pk))
                return
            report = score_report_create(dataset=dataset, split=o["split"] or None, systems=systems, by=o["by"],
                                         n_boot=o["n_boot"], seed=o["seed"], use_cache=not o["no_cache"])
        except (ScoringError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        result = report.result
        if o["as_json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(f"{dataset.name} / {result['split'] or 'all'}: {result['n']} examples, by {result['group_by']}"
                          " (SARI: EASSE corpus SARI; GLEU: JFLEG x100; 95% bootstrap intervals)")
        for group in result["groups"]:
            self.stdout.write(f"\n{set_label(group['name'])}, n={group['n']}; headline: "
                              + ", ".join(METRIC_LABELS.get(m, m) for m in group["headline"]))
            shown = [*group["headline"], *(m for m in SHOWN if m not in group["headline"])]
            for name in result["systems"]:
                cell = group["systems"][name]
                parts = []
                for metric in shown:
                    if cell.get(metric) is None:
                        continue
                    digits = METRIC_DIGITS.get(metric, 3)
                    text = f"{METRIC_LABELS.get(metric, metric)} {cell[metric]:.{digits}f}"
                    if f"{metric}_ci" in cell:
                        low, high = cell[f"{metric}_ci"]
                        text += f" [{low:.{digits}f}, {high:.{digits}f}]"
                    parts.append(text)
                self.stdout.write(f"  {name:<20} " + "  ".join(parts))
            if group.get("paired"):
                p = group["paired"]
                for metric in (m for m in p if m not in ("a", "b")):
                    d, digits = p[metric], METRIC_DIGITS.get(metric, 3)  # the metric's own decimals
                    self.stdout.write(f"  paired bootstrap {p['a']} - {p['b']} ({METRIC_LABELS.get(metric, metric)}): "
                                      f"diff {d['mean_diff']:.{digits}f} [{d['low']:.{digits}f}, {d['high']:.{digits}f}], "
                                      f"p {_p_text(d['p_value'], result['params']['n_boot'])}")
        self.stdout.write("\nsystem statistics (every example)")
        for name, stats in result["stats"].items():
            self.stdout.write(f"  {name:<20} " + "  ".join(f"{METRIC_LABELS.get(k, k)} {v:.{METRIC_DIGITS.get(k, 3)}f}"
                                                          for k, v in stats.items() if k != "n"))


def _p_text(p_value: float | None, n_boot: int) -> str:
    """``= 0.031``, ``< 0.001``, or ``< 0.01`` when no resample of 100 crossed zero (the bootstrap cannot resolve
    less); never ``0.0000``."""
    if p_value is None:
        return "undefined"
    if p_value <= 0:
        return f"< {1 / max(n_boot, 1):.3g}"
    return "< 0.001" if p_value < 0.001 else f"= {p_value:.3f}"
