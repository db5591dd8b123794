"""python manage.py adjudication NAME ACTION ...: a study's adjudication from the command line.

  status                         the setting, reviewers and queue counts (no system names)
  set MODE [--agreement X] [--share X]   MODE off | disagreements | sample (any status: raters see no change)
  assign USER / unassign USER    reviewers (users with the reviewer role)
  queue [--json]                 the queued items: example, task, votes in canonical a/b terms, status (no names)
  export [-o FILE] [--format csv|jsonl] [--peek]   one unblinded row per queued or adjudicated item (votes,
                                 majority, final label by system); before close needs --peek (logged)
  import FILE [--reviewer USER]  final labels from CSV or JSONL: item, final_label (a|b|tie|both_bad) or
                                 final_system, note; all or nothing, errors name the row and field
  simulate [--reviewers N] [--seed S] [--prefer SYSTEM:P] [--follow-truth F]   synthetic reviewers (dry run)

The rules are annotation/review.py; the command runs as the operator (annotation.blinding: user None)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotation import blinding, review_queue, selectors, services
from annotation.management.options import parse_prefer
from annotation.models import Study
from annotation.record_files import records_csv, records_jsonl, records_parse

ACTIONS = ("status", "set", "assign", "unassign", "queue", "export", "import", "simulate")


def _read_rows(path: str) -> list[dict]:
    try:
        return records_parse(Path(path).read_text(encoding="utf-8-sig"), jsonl=path.endswith((".jsonl", ".json")))
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from None
    except ValueError as exc:
        raise CommandError(f"{path} {exc}") from None


class Command(BaseCommand):
    help = "A study's adjudication: setting, reviewers, queue, export and import of final labels, simulation."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("name")
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("arg", nargs="?", default="", help="set: the mode; assign/unassign: a username; "
                                                                "import: the file")
        parser.add_argument("--agreement", type=float, help="set: the agreement that settles an item")
        parser.add_argument("--share", type=float, help="set: the share of rated items sampled")
        parser.add_argument("--json", action="store_true", help="queue: JSON lines instead of a table")
        parser.add_argument("--format", choices=["csv", "jsonl"], default="csv", help="export: the file format")
        parser.add_argument("--output", "-o", default="-", help="export: a file, - for stdout")
        parser.add_argument("--peek", action="store_true", help="export: allow before close (logged)")
        parser.add_argument("--reviewer", default="", help="import: the username the labels are recorded under")
        parser.add_argument("--reviewers", type=int, default=1, help="simulate: synthetic reviewers")
        parser.add_argument("--seed", type=int, default=0, help="simulate: the raters' simulation seed (the truth)")
        parser.add_argument("--prefer", action="append", default=[], help="simulate: SYSTEM:P, as simulate_raters")
        parser.add_argument("--follow-truth", type=float, default=1.0, help="simulate: reviewer accuracy")

    def handle(self, *args: Any, **o: Any) -> None:
        study = selectors.study_named(o["name"])
        if not study:
            raise CommandError(f"No study {o['name']!r}.")
        try:
            getattr(self, f"_{o['action']}")(study, o)
        except services.AnnotationError as exc:
            raise CommandError(str(exc)) from None

    def _user(self, name: str) -> Any:
        user = selectors.user_named(name)
        if user is None:
            raise CommandError(f"No user {name!r}.")
        return user

    def _status(self, study: Study, o: dict) -> None:
        s = review_queue.queue_summary(study)
        reviewers = ", ".join(u.username for u in selectors.study_reviewers(study)) or "none"
        self.stdout.write(f"{study.name}: adjudication {study.adjudication} (agreement {study.adjudication_agreement:g}, "
                          f"sample {study.adjudication_share:g}); reviewers: {reviewers}")
        self.stdout.write(f"{s['complete']} of {s['items']} items complete; {s['queued']} queued, {s['decided']} "
                          f"decided, {s['open']} waiting, {s['reserved']} reserved now")

    def _set(self, study: Study, o: dict) -> None:
        if o["arg"] not in Study.Adjudication.values:
            raise CommandError(f"set wants a mode: {', '.join(Study.Adjudication.values)}.")
        services.study_adjudication_set(study=study, adjudication=o["arg"], adjudication_agreement=o["agreement"],
                                        adjudication_share=o["share"])
        self._status(selectors.study_named(study.name), o)

    def _assign(self, study: Study, o: dict) -> None:
        services.reviewer_add(study=study, user=self._user(o["arg"]))
        self.stdout.write(f"{o['arg']} reviews {study.name}.")

    def _unassign(self, study: Study, o: dict) -> None:
        services.reviewer_remove(study=study, user=self._user(o["arg"]))
        self.stdout.write(f"{o['arg']} no longer reviews {study.name}.")

    def _queue(self, study: Study, o: dict) -> None:
        rows = review_queue.queue_listing(study)
        if o["json"]:
            self.stdout.write(records_jsonl(rows), ending="")
            return
        self.stdout.write(f"{'item':>8} {'example':<16} {'task':<14} votes a/b/tie/bad  majority  status")
        for r in rows:
            votes = f"{r['votes_a']}/{r['votes_b']}/{r['votes_tie']}/{r['votes_both_bad']}"
            self.stdout.write(f"{r['item']:>8} {str(r['example'])[:16]:<16} {str(r['task'])[:14]:<14} {votes:<17} "
                              f"{r['majority_label'] or 'split':<9} {r['status']}{' ' + r['final_label'] if r['final_label'] else ''}")
        self.stdout.write(f"{len(rows)} queued items.")

    def _export(self, study: Study, o: dict) -> None:
        try:
            peeked = blinding.unblind(study=study, user=None, peek=o["peek"], channel="adjudication export command")
        except blinding.Blinded as exc:
            raise CommandError(str(exc)) from None
        if peeked:
            self.stderr.write(f"Note: study is {study.status}; this unblinded export was logged as a peek.")
        rows = review_queue.adjudication_records(study)
        body = records_csv(rows, review_queue.ADJUDICATION_FIELDS) if o["format"] == "csv" else records_jsonl(rows)
        if o["output"] == "-":
            self.stdout.write(body, ending="")
        else:
            Path(o["output"]).write_text(body, encoding="utf-8")
            self.stderr.write(f"{len(rows)} items written to {o['output']}")

    def _import(self, study: Study, o: dict) -> None:
        if not o["arg"]:
            raise CommandError("import wants a file: CSV or JSONL with item and final_label or final_system.")
        reviewer = self._user(o["reviewer"]) if o["reviewer"] else None
        out = services.adjudications_import(study=study, rows=_read_rows(o["arg"]), reviewer=reviewer)
        self.stdout.write(f"{out['rows']} final labels stored ({out['created']} new, {out['changed']} changed).")

    def _simulate(self, study: Study, o: dict) -> None:
        prefer = parse_prefer(o["prefer"])
        if not 0 <= o["follow_truth"] <= 1:
            raise CommandError("--follow-truth is a probability in [0, 1].")
        out = services.simulate_reviewers(study=study, reviewers=o["reviewers"], seed=o["seed"], prefer=prefer,
                                          follow_truth=o["follow_truth"])
        self.stdout.write(f"{out['reviewers']} synthetic reviewers gave {out['labels']} final labels.")
