"""python manage.py judge_study STUDY --judge hf:PATH|openai:URL|sim:accuracy=A,left_bias=B [--model NAME]
[--name LABEL] [--api-key-env VAR] [--tie-margin X] [--logprobs] [--timeout S] [--retries N]
[--prefer SYSTEM:P --seed S] [--gpu] [--enqueue]"""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from annotation import selectors, services
from annotation.judges import JudgeError, parse_spec
from annotation.management.options import parse_prefer
from deft_site.jobs.models import Job
from deft_site.jobs.reporter import terminal_progress
from deft_site.jobs.services import job_run


class Command(BaseCommand):
    help = ("An automatic judge rates the study's blinded pairs, each in both orders, beside the human raters "
            "(kept apart from them); the study report compares it with the human majority.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("study", help="study name (or id)")
        parser.add_argument("--judge", required=True,
                            help="hf:PATH (a local model directory or cached id), openai:BASE_URL (an "
                                 "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1) or "
                                 "sim:accuracy=A,left_bias=B (a simulated judge; needs --prefer/--seed)")
        parser.add_argument("--model", default="", help="the model name an openai endpoint serves")
        parser.add_argument("--name", default="", help="the run's name (default: from the judge)")
        parser.add_argument("--api-key-env", help="environment variable holding the API key (default OPENAI_API_KEY)")
        parser.add_argument("--tie-margin", type=float, help="hf: answer tie when P(left) is this close to 1/2")
        parser.add_argument("--logprobs", action="store_true", default=None,
                            help="openai: ask for log-probabilities, to store the judge's P(left)")
        parser.add_argument("--timeout", type=float, help="openai: seconds per request (default 60)")
        parser.add_argument("--retries", type=int, help="openai: retries on 429/5xx/timeouts (default 4)")
        parser.add_argument("--prefer", action="append", default=[], help="sim: SYSTEM:P, as given to simulate_raters")
        parser.add_argument("--seed", type=int, default=0, help="sim: the seed given to simulate_raters")
        parser.add_argument("--gpu", action="store_true", help="queue on the gpu queue")
        parser.add_argument("--enqueue", "--background", action="store_true", dest="enqueue",
                            help="queue the job for a worker instead of judging here; prints the job id last")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            study = selectors.study_lookup(o["study"])
        except Http404:
            raise CommandError(f"No study {o['study']!r}.") from None
        kind = o["judge"].partition(":")[0].lower()
        options = {"api_key_env": o["api_key_env"], "timeout": o["timeout"], "retries": o["retries"],
                   "logprobs": o["logprobs"]} if kind == "openai" else {"tie_margin": o["tie_margin"]} if kind == "hf" else {}
        try:
            spec = parse_spec(o["judge"], model=o["model"], **options)
            truth = {"prefer": parse_prefer(o["prefer"]), "seed": o["seed"]} if spec.kind == "sim" else None
            run = services.judge_run_submit(study=study, spec=spec, name=o["name"], truth=truth, gpu=o["gpu"],
                                            enqueue=o["enqueue"])
        except (JudgeError, services.AnnotationError) as exc:
            raise CommandError(str(exc)) from None
        if o["enqueue"]:
            self.stdout.write(f"Queued judge {run.name} on {study.name} on the {run.job.queue} queue. Job id:")
            self.stdout.write(str(run.job_id))
            return
        job = job_run(run.job_id, echo=terminal_progress(f"{run.name} "), interrupt="cancel")
        if job.status != Job.Status.SUCCEEDED:
            raise CommandError(f"judge {job.status}: {job.error_headline}")
        r = job.result
        unusable = f"; {r['unusable']} replies named no answer" if r["unusable"] else ""
        self.stdout.write(self.style.SUCCESS(
            f"Judge {run.name} answered {r['answers']} times on {r['items']} pairs (each in both orders{unusable}). "
            f"Its agreement with the raters and its position bias are in the report: "
            f"manage.py study_report {study.name}"))
