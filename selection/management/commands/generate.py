"""python manage.py generate (--run RUN | --model PATH | --copy-baseline) --dataset D --split S --system NAME
[--beams B] [--batch-size N] [--max-new-tokens N] [--add-instruction] [--enqueue]"""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deft_site.jobs.models import Job
from deft_site.jobs.reporter import terminal_progress
from deft_site.jobs.services import job_enqueue, job_run
from selection import selectors
from selection.management.lookups import dataset_or_error
from selection.services.systems import SystemCreateError, system_copy_baseline, system_generate_submit


class Command(BaseCommand):
    help = ("Generate outputs for a dataset split with a trained run (or any model path) and store them as a "
            "system; --copy-baseline stores the copy baseline (output = input without the instruction).")

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--run", help="Training run name (uses its final model).")
        source.add_argument("--model", help="Any model directory or HF id.")
        source.add_argument("--copy-baseline", action="store_true")
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--split", default="test", help="Split to generate for ('' for every example).")
        parser.add_argument("--system", help="System name (default: the run's name, or 'copy').")
        parser.add_argument("--beams", type=int, default=1, help="1 = greedy decoding.")
        parser.add_argument("--batch-size", type=int, default=32)
        parser.add_argument("--max-new-tokens", type=int, default=64)
        parser.add_argument("--add-instruction", action="store_true",
                            help="Prepend CoEDIT's instruction for each row's task (e.g. 'Fix grammar: ', "
                                 "'Simplify this sentence: '; selection.core.text.DEFAULT_INSTRUCTIONS) to sources "
                                 "that have none, as CoEDIT's models were evaluated.")
        parser.add_argument("--enqueue", "--background", action="store_true", dest="enqueue",
                            help="Queue the job for a worker instead of generating here; prints the job id last.")

    def handle(self, *args: Any, **o: Any) -> None:
        dataset = dataset_or_error(o["dataset"])
        split = o["split"] or None
        try:
            if o["copy_baseline"]:
                if o["enqueue"]:
                    raise CommandError("--copy-baseline takes a moment and runs here; drop --enqueue")
                system = system_copy_baseline(dataset=dataset, split=split, name=o["system"] or "copy")
                self.stdout.write(self.style.SUCCESS(
                    f"System {system.name}: {selectors.system_output_count(system)} copy-baseline outputs on {dataset.name}."))
                return
            run = None
            if o["run"]:
                run = selectors.training_run_named(o["run"])
                if run is None:
                    raise CommandError(f"no training run named {o['run']!r}")
            name = o["system"] or (run.name if run else None)
            if not name:
                raise CommandError("give --system NAME")
            job = system_generate_submit(name=name, dataset=dataset, split=split, training_run=run,
                                         model_path=o["model"] or "", num_beams=o["beams"],
                                         batch_size=o["batch_size"], max_new_tokens=o["max_new_tokens"],
                                         enqueue=False, add_instruction=o["add_instruction"])
        except SystemCreateError as exc:
            raise CommandError(str(exc)) from None
        if o["enqueue"]:
            job_enqueue(job)
            self.stdout.write(f"Queued generation of {name} on the {job.queue} queue. Job id:")
            self.stdout.write(str(job.pk))
            return
        job = job_run(job.pk, echo=terminal_progress(f"{name} "), interrupt="cancel")
        if job.status != Job.Status.SUCCEEDED:
            raise CommandError(f"generation {job.status}: {job.error_headline}")
        self.stdout.write(self.style.SUCCESS(f"System {name}: {job.result['outputs']} outputs on {dataset.name}."))
