"""python manage.py simulate_raters NAME --raters R [--seed S] [--prefer SYSTEM:P] [--random-clickers N]
[--always-left N] [--threads T]"""
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotation import selectors
from annotation.models import Study
from annotation.services import AnnotationError, simulate_raters
from annotation.services.simulation import parse_prefer


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

    def handle(self, *args: Any, **o: Any) -> None:
        study = selectors.study_named(o["name"])
        if not study:
            raise CommandError(f"No study {o['name']!r}.")
        if study.status != Study.Status.LIVE:
            raise CommandError(f"Study {study.name} is {study.status}; launch it first.")
        try:
            prefer = parse_prefer(o["prefer"])
        except AnnotationError as exc:
            raise CommandError(str(exc)) from None
        result = simulate_raters(study=study, raters=o["raters"], seed=o["seed"], prefer=prefer,
                                 random_clickers=o["random_clickers"], always_left=o["always_left"],
                                 threads=o["threads"])
        self.stdout.write(f"{result['raters']} synthetic raters stored {result['judgments']} judgments "
                          f"({', '.join(f'{k}: {v}' for k, v in result['per_style'].items())}).")
