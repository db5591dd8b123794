"""python manage.py score --dataset D [--split S] --system A [--system B ...] [--by dataset|task] [--json]
[--n-boot N] [--seed S] [--no-cache] [--enqueue]"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selection.models import Dataset
from selection.services.scoring import (
    DEFAULT_N_BOOT, GROUP_BY, ScoringError, score_report_create, score_report_rows, score_report_submit,
    scoring_systems,
)


class Command(BaseCommand):
    help = ("SARI and ROUGE-L of systems per evaluation set with 95 % bootstrap intervals, system statistics and "
            "a paired bootstrap test of the first two systems (cached as a score report).")

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

    def handle(self, *args, **o) -> None:
        dataset = Dataset.objects.filter(name=o["dataset"]).first()
        if dataset is None:
            raise CommandError(f"no dataset named {o['dataset']!r}")
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
        self.stdout.write(f"{dataset.name} / {result['split'] or 'all'}: {result['n']} examples, by {result['group_by']}")
        self.stdout.write(f"{'set':<18} {'system':<20} {'n':>5}  {'SARI [95% CI]':<22} ROUGE-L [95% CI]")
        for r in score_report_rows(result):
            self.stdout.write(f"{r['group']:<18} {r['system']:<20} {r['n']:>5}  "
                              f"{r['sari']:6.2f} [{r['sari_low']:.2f}, {r['sari_high']:.2f}]".ljust(54)
                              + f"  {r['rouge_l']:.4f} [{r['rouge_l_low']:.4f}, {r['rouge_l_high']:.4f}]")
        self.stdout.write("\nsystem statistics")
        for name, stats in result["stats"].items():
            self.stdout.write(f"  {name:<20} " + "  ".join(f"{k} {v:.3f}" for k, v in stats.items() if k != "n"))
        if result["paired"]:
            p = result["paired"]
            for metric in ("sari", "rouge_l"):
                d = p[metric]
                self.stdout.write(f"paired bootstrap {p['a']} - {p['b']} ({metric}): diff {d['mean_diff']:.4f} "
                                  f"[{d['low']:.4f}, {d['high']:.4f}], p = {d['p_value']:.4f}")
