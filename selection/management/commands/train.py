"""python manage.py train --dataset D [--name RUN] [--base-model M] [--epochs E | --max-steps N] [--lr LR]
[--batch-size B] [--grad-accum G] [--seed S] [--precision P] [--set KEY=VALUE ...] [--enqueue [--gpu]]"""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from deft_site.jobs.models import Job
from deft_site.jobs.queues import Queue
from deft_site.jobs.reporter import terminal_progress
from deft_site.jobs.services import job_enqueue, job_run
from selection.management.lookups import dataset_or_error
from selection.services.training import TrainingRunError, training_run_create


class Command(BaseCommand):
    help = ("Fine-tune a seq2seq model on a dataset's train split (a run directory under DEFT_RUNS_DIR with "
            "checkpoints, loss log and manifest). Re-running a failed run's job resumes from its last checkpoint.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--name", help="Run name (a slug); default <dataset>-<timestamp>.")
        parser.add_argument("--split", default="train", help="Split to train on ('' for all examples).")
        parser.add_argument("--base-model", help="HF id or local path; default settings.DEFT_BASE_MODEL.")
        steps = parser.add_mutually_exclusive_group()
        steps.add_argument("--epochs", type=float)
        steps.add_argument("--max-steps", type=int)
        parser.add_argument("--lr", type=float, dest="learning_rate")
        parser.add_argument("--schedule", dest="lr_scheduler", choices=["linear", "constant", "cosine"])
        parser.add_argument("--batch-size", type=int)
        parser.add_argument("--grad-accum", type=int, dest="grad_accumulation")
        parser.add_argument("--max-source-length", type=int)
        parser.add_argument("--max-target-length", type=int)
        parser.add_argument("--seed", type=int)
        parser.add_argument("--precision", choices=["fp32", "bf16", "auto"])
        parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                            help="Any other TrainingConfig setting, value as JSON (e.g. --set num_layers=1).")
        parser.add_argument("--generate-split", help="Generate outputs for this split when training ends.")
        parser.add_argument("--enqueue", "--background", action="store_true", dest="enqueue",
                            help="Queue the job for a worker instead of training here; prints the job id last.")
        parser.add_argument("--gpu", action="store_true",
                            help="Queue it on the gpu queue (only workers started with --queue gpu take it).")

    def handle(self, *args: Any, **o: Any) -> None:
        dataset = dataset_or_error(o["dataset"])
        name = o["name"] or f"{dataset.name}-{timezone.now():%Y%m%d-%H%M%S}"
        config = {k: o[k] for k in ("epochs", "max_steps", "learning_rate", "lr_scheduler", "batch_size",
                                    "grad_accumulation", "max_source_length", "max_target_length", "seed",
                                    "precision") if o.get(k) is not None}
        if o["base_model"]:
            config["base_model"] = o["base_model"]
        if o["max_steps"] is not None:
            config["epochs"] = None
        config.update(_parse_sets(o["set"]))
        then = ({"dataset": dataset.name, "split": o["generate_split"], "system": name}
                if o["generate_split"] else None)
        try:
            run = training_run_create(name=name, dataset=dataset, config=config, split=o["split"],
                                      then_generate=then, enqueue=False, queue=Queue.GPU if o["gpu"] else None)
        except TrainingRunError as exc:
            raise CommandError(str(exc)) from None
        if o["enqueue"]:
            job_enqueue(run.job)
            self.stdout.write(f"Queued training run {run.name} on the {run.job.queue} queue; follow it with "
                              f"`manage.py jobs` or at /jobs/{run.job.pk}/. Job id:")
            self.stdout.write(str(run.job.pk))
            return
        self.stdout.write(f"Training {run.name} in {run.run_dir}")
        job = job_run(run.job.pk, echo=terminal_progress(f"{run.name} "), interrupt="cancel")
        if job.status != Job.Status.SUCCEEDED:
            raise CommandError(f"training {job.status}: {job.error_headline} "
                               f"(retry job #{job.pk} to resume from the last checkpoint)")
        r = job.result
        self.stdout.write(self.style.SUCCESS(
            f"Trained {run.name}: {r['steps']} steps, final loss {r['final_loss']:.4f}, {r['train_seconds']:.1f} s;"
            f" model in {r['final_dir']}"))
        if r.get("generation_job"):
            gen = job_run(r["generation_job"], echo=terminal_progress("generate "), interrupt="cancel")
            self.stdout.write(f"Generation job #{gen.pk}: {gen.status} {gen.result or gen.error}")


def _parse_sets(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise CommandError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out
