"""python manage.py simulate_raters NAME --raters R [--seed S] [--prefer SYSTEM:P] [--random-clickers N]
[--always-left N] [--threads T] [--judge sim:accuracy=A,left_bias=B ...]"""
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotation import selectors
from annotation.judges import JudgeError, parse_spec
from annotation.management.options import parse_prefer
from annotation.models import Study
from annotation.services import AnnotationError, judge_run_submit, simulate_raters
from deft_site.jobs.models import Job
from deft_site.jobs.services import job_run


class Command(BaseCommand):
    help = "Synthetic raters work through a launched study via the same services as the web page."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("name")
        parser.add_argument("--raters", type=int, required=True)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--prefer", action="append", default=[], help="SYSTEM:P, e.g. deft:0.7")
        parser.add_argument("--random-clickers", type=int, default=0)
        parser.add_argument("--always-left", type=int, default=0)
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument("--judge", action="append", default=[], metavar="sim:accuracy=A,left_bias=B",
                            help="then a simulated judge of known quality rates the same pairs in both orders, "
                                 "told the same truth (repeatable)")

    def handle(self, *args: Any, **o: Any) -> None:
        study = selectors.study_named(o["name"])
        if not study:
            raise CommandError(f"No study {o['name']!r}.")
        if study.status != Study.Status.LIVE:
            raise CommandError(f"Study {study.name} is {study.status}; launch it first.")
        prefer = parse_prefer(o["prefer"])
        try:
            specs = [parse_spec(j) for j in o["judge"]]
        except JudgeError as exc:
            raise CommandError(str(exc)) from None
        if any(spec.kind != "sim" for spec in specs):
            raise CommandError("simulate_raters runs simulated judges only (sim:...); use judge_study for the others.")
        result = simulate_raters(study=study, raters=o["raters"], seed=o["seed"], prefer=prefer,
                                 random_clickers=o["random_clickers"], always_left=o["always_left"],
                                 threads=o["threads"])
        self.stdout.write(f"{result['raters']} synthetic raters stored {result['judgments']} judgments "
                          f"({', '.join(f'{k}: {v}' for k, v in result['per_style'].items())}).")
        for spec in specs:
            try:
                run = judge_run_submit(study=study, spec=spec, truth={"prefer": prefer, "seed": o["seed"]},
                                       enqueue=False)
            except AnnotationError as exc:
                raise CommandError(str(exc)) from None
            job = job_run(run.job_id, interrupt="cancel")
            if job.status != Job.Status.SUCCEEDED:
                raise CommandError(f"judge {run.name} {job.status}: {job.error_headline}")
            self.stdout.write(f"Simulated judge {run.name} stored {job.result['answers']} answers.")
