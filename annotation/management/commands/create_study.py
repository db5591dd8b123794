"""python manage.py create_study NAME --dataset D --split S --system A --system B --items N --raters-per-item K
[--owner USERNAME] (default owner: the first admin; see annotation.blinding)"""
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from annotation import selectors
from annotation.reports.checks import check_names
from annotation.services import AnnotationError, study_create
from selection import selectors as selection_selectors


class Command(BaseCommand):
    help = "Create a blinded pairwise study (a draft, or live with --launch)."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("name")
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--split", default="test")
        parser.add_argument("--system", action="append", required=True, dest="systems")
        parser.add_argument("--items", type=int, required=True, help="examples to sample (stratified by task)")
        parser.add_argument("--raters-per-item", type=int, default=3)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--control-rate", type=float, default=0.1)
        parser.add_argument("--practice", type=int, default=0)
        parser.add_argument("--quota", type=int, default=None)
        parser.add_argument("--adaptive", action="store_true",
                            help="adaptive allocation with a stopping rule; --raters-per-item is then each item's ceiling")
        parser.add_argument("--floor", type=int, default=1, help="adaptive: ratings every item gets (default 1)")
        parser.add_argument("--stop-alpha", type=float, default=0.05, help="adaptive: the stopping rule's error level")
        parser.add_argument("--likert", action="append", default=[], help="a Likert scale, e.g. fluency")
        parser.add_argument("--graded", action="store_true", help="graded preference: much / slightly better, tie")
        parser.add_argument("--criterion", action="append", default=[], dest="criteria",
                            help="a criterion with its own preference, e.g. fluency (repeat for several)")
        parser.add_argument("--no-accuracy", action="store_true")
        parser.add_argument("--no-pairwise", action="store_true")
        parser.add_argument("--identical", choices=["show", "tie", "exclude"], default="tie")
        parser.add_argument("--guidelines", default="", help="a Markdown file")
        parser.add_argument("--repeat-rate", type=float, default=0.0,
                            help="share of each rater's real pairs shown to them again, for self-consistency")
        parser.add_argument("--repeat-gap", type=int, default=5, help="a repeat comes at least this many slots later")
        parser.add_argument("--reliability-alpha", type=float, default=0.05, help="error level of the per-rater tests")
        parser.add_argument("--gate-checks", default=None,
                            help="reliability checks a valid completion code needs, comma-separated (default "
                                 "'controls'; '' for none): " + ", ".join(check_names()))
        parser.add_argument("--exclude-checks", default=None,
                            help="checks whose failures 'exclude flagged raters' drops (default 'rater_flags')")
        parser.add_argument("--launch", action="store_true")
        parser.add_argument("--owner", default="", help="the researcher who owns the study (default: the first admin)")
        parser.add_argument("--adjudication", choices=["off", "disagreements", "sample"], default="off",
                            help="which rated items a reviewer decides (annotation/review.py)")
        parser.add_argument("--adjudication-agreement", type=float, default=1.0,
                            help="disagreements: an item queues when its top answer has less than this share")
        parser.add_argument("--adjudication-share", type=float, default=0.1, help="sample: the share of rated items")
        parser.add_argument("--reviewer", action="append", default=[], dest="reviewers",
                            help="a user with the reviewer role (repeat for several)")

    def handle(self, *args: Any, **o: Any) -> None:
        dataset = selection_selectors.dataset_by_name(o["dataset"])
        if dataset is None:
            raise CommandError(f"No dataset {o['dataset']!r}.")
        systems = []
        for name in o["systems"]:
            system = selection_selectors.dataset_system_named(dataset, name)
            if not system:
                raise CommandError(f"No system {name!r} for dataset {dataset.name!r}.")
            systems.append(system)
        owner = self._owner(o["owner"])
        guidelines = open(o["guidelines"], encoding="utf-8").read() if o["guidelines"] else ""
        reviewers = []
        for name in o["reviewers"]:
            user = selectors.user_named(name)
            if user is None:
                raise CommandError(f"No user {name!r} (--reviewer).")
            reviewers.append(user)
        try:
            study = study_create(
                name=o["name"], dataset=dataset, split=o["split"], systems=systems, n_examples=o["items"],
                raters_per_item=o["raters_per_item"], seed=o["seed"], control_rate=o["control_rate"],
                practice_count=o["practice"], quota_per_rater=o["quota"], identical_outputs=o["identical"],
                questions={"pairwise": not o["no_pairwise"], "accuracy": not o["no_accuracy"], "likert": o["likert"],
                           "graded": o["graded"], "criteria": o["criteria"]},
                guidelines=guidelines, owner=owner, launch=o["launch"],
                allocation="adaptive" if o["adaptive"] else "fixed", min_raters_per_item=o["floor"],
                stop_alpha=o["stop_alpha"], adjudication=o["adjudication"],
                adjudication_agreement=o["adjudication_agreement"], adjudication_share=o["adjudication_share"],
                reviewers=reviewers, repeat_rate=o["repeat_rate"], repeat_gap=o["repeat_gap"],
                reliability_alpha=o["reliability_alpha"], gate_checks=_names(o["gate_checks"]),
                exclude_checks=_names(o["exclude_checks"]))
        except AnnotationError as exc:
            raise CommandError(str(exc)) from None
        s = study.summary
        self.stdout.write(f"Study {study.name} ({study.status}): {s['real_items']} items from {s['examples']} examples, "
                          f"{s['controls']} controls, {s['practice']} practice, k={study.raters_per_item}"
                          + (f" (adaptive: floor {study.min_raters_per_item}, stopping rule at alpha "
                             f"{study.stop_alpha:g})." if study.allocation == "adaptive" else "."))
        if study.repeat_rate:
            self.stdout.write(f"Repeats: about {study.repeat_rate:.0%} of each rater's pairs come back at least "
                              f"{study.repeat_gap} slots later ({s.get('repeat_items', 0)} repeat copies).")
        self.stdout.write(f"Reliability checks: completion gate {', '.join(study.gate_checks) or 'none'}; "
                          f"exclusion {', '.join(study.exclude_checks) or 'none'} (alpha {study.reliability_alpha:g}).")
        self.stdout.write(f"Annotators work at /work/{study.public_token}/")
        self.stdout.write(f"Owner: {owner.username if owner else 'none (admins only)'}")

    @staticmethod
    def _owner(username: str) -> User | None:
        if username:
            user = selectors.user_named(username)
            if user is None:
                raise CommandError(f"No user {username!r} (--owner).")
            return user
        return selectors.first_admin()


def _names(value: str | None) -> list[str] | None:
    """A comma-separated list of check names; None (the option not given) keeps the study's default."""
    return None if value is None else [n.strip() for n in value.split(",") if n.strip()]
