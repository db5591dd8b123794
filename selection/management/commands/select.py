"""python manage.py select --dataset NAME [--strategy ucs|random|stratified|semdedup] [--clusters K] [--eps E] ... [--out FILE.jsonl] [--enqueue]

Runs a selection inline with a terminal progress bar and prints sizes per task in D, D_base and D_c.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deft_site.jobs.models import Job
from deft_site.jobs.reporter import terminal_progress
from deft_site.jobs.services import job_enqueue, job_run
from selection.management.lookups import dataset_or_error
from selection.params import PARAMS
from selection.services.selection_runs import (
    SelectionError,
    selection_picks_write_jsonl,
    selection_run_create,
    selection_run_export,
)


class Command(BaseCommand):
    help = "Select a core-set (UCS, SemDeDup or a baseline) from a dataset; optionally write the picks and export a dataset."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True, help="Name of the dataset to select from.")
        parser.add_argument("--name", help="Name of the run (a slug); default <dataset>-<strategy>-<n>.")
        for p in PARAMS:  # one specification (selection.params): values go to SelectionParams.parse as typed
            if p.kind is bool:
                parser.add_argument(p.option, dest=p.name, action="store_true", default=None, help=p.help)
                continue
            default = {"target_fraction": "1/3 when A is not given", "per_cluster": "none (A is solved for)",
                       "embedder": "the site's DEFT_EMBEDDER"}.get(p.name, p.default)
            what = f"one of {', '.join(p.choices)}" if p.choices else p.requirement()
            parser.add_argument(p.option, dest=p.name, metavar=p.name.upper() if not p.choices else None,
                                help=f"{p.help} {what[0].upper() + what[1:]}; default {default}.")
        parser.add_argument("--out", help="Write one JSONL row per example of the split, chosen or not (id, task, "
                                          "cluster, distance, chosen flag, reason).")
        parser.add_argument("--chosen-only", action="store_true",
                            help="With --out: write only the chosen rows (D_base ∪ D_c).")
        parser.add_argument("--export-dataset", metavar="NAME", help="Also save D_base ∪ D_c as a new dataset.")
        parser.add_argument("--enqueue", "--background", action="store_true", dest="enqueue",
                            help="Queue the job for a worker instead of running here; prints the job id last.")

    def handle(self, *args: Any, **opts: Any) -> None:
        dataset = dataset_or_error(opts["dataset"])
        params = {p.name: opts[p.name] for p in PARAMS if opts.get(p.name) is not None}
        try:
            run = selection_run_create(dataset=dataset, params=params, name=opts.get("name"))
        except SelectionError as exc:
            raise CommandError(str(exc)) from None
        if opts["enqueue"]:
            if opts.get("out") or opts.get("export_dataset"):
                raise CommandError("--out and --export-dataset need the result here; drop them with --enqueue")
            job_enqueue(run.job)
            self.stdout.write(f"Selection run {run.name} queued on the {run.job.queue} queue. Job id:")
            self.stdout.write(str(run.job.pk))
            return
        job = job_run(run.job.pk, echo=terminal_progress(f"{run.name} "), interrupt="cancel")
        if job.status != Job.Status.SUCCEEDED:
            raise CommandError(f"selection run {run.name} {job.status}: {job.error_headline}")
        run.refresh_from_db()
        self._print_summary(run)
        if opts.get("out"):
            path = Path(opts["out"])
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as out:
                count = selection_picks_write_jsonl(run=run, out=out, chosen_only=opts["chosen_only"])
            what = "chosen rows" if opts["chosen_only"] else "rows (every example of the split, with a chosen flag)"
            self.stdout.write(f"Wrote {count} {what} to {path}.")
        if opts.get("export_dataset"):
            try:
                exported = selection_run_export(run=run, name=opts["export_dataset"])
            except SelectionError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Exported {exported.row_count} examples as dataset {exported.name}.")

    def _print_summary(self, run) -> None:  # noqa: ANN001
        sizes = run.summary["sizes"]
        tasks = [t for t in sizes if t != "total"] + ["total"]
        header = f"{'task':<16}{'D':>8}{'D_base':>8}{'D_c':>8}{'chosen':>8}{'share':>8}"
        self.stdout.write(self.style.SUCCESS(f"Selection run {run.name} ({run.strategy}) done."))
        self.stdout.write(header)
        for task in tasks:
            s = sizes[task]
            share = s["chosen"] / s["D"] if s["D"] else 0.0
            self.stdout.write(f"{task:<16}{s['D']:>8}{s['D_base']:>8}{s['D_c']:>8}{s['chosen']:>8}{share:>8.1%}")
        diag = run.summary.get("diagnostics") or {}
        if diag:
            baseline = diag.get("purity_baseline")
            one = f" (one cluster: {baseline:.3f})" if baseline is not None else ""
            self.stdout.write(f"clusters vs tasks: purity {diag['purity']:.3f}{one}, NMI {diag['nmi']:.3f}, "
                              f"ARI {diag['ari']:.3f}")
            phr = diag.get("instruction")
            if phr:
                self.stdout.write(f"clusters vs instruction phrasing ({phr['n_classes']} distinct): purity "
                                  f"{phr['purity']:.3f} (one cluster: {phr['purity_baseline']:.3f}), "
                                  f"NMI {phr['nmi']:.3f}, ARI {phr['ari']:.3f}")
        sources = run.summary.get("sources") or {}
        if sources.get("rows"):
            self.stdout.write(f"{sources['rows']} rows chosen from {sources['distinct_sources']} distinct source "
                              f"sentences ({sources['rows_per_source']:.2f} per sentence)")
        for warning in run.summary.get("warnings") or []:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
