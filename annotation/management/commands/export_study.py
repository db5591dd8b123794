"""python manage.py export_study NAME --format csv|jsonl: one unblinded row per judgment, for researchers."""
from django.core.management.base import BaseCommand, CommandError

from annotation.models import Study
from annotation.selectors import judgment_records
from annotation.services import study_peek
from annotation.views.researcher import records_csv, records_jsonl


class Command(BaseCommand):
    help = "Export a study's judgments, unblinded (before close the export is logged as a peek)."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("name")
        parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
        parser.add_argument("--output", "-o", default="-")

    def handle(self, *args, **o) -> None:
        study = Study.objects.filter(name=o["name"]).first()
        if not study:
            raise CommandError(f"No study {o['name']!r}.")
        if study.status != Study.Status.CLOSED:
            study_peek(study=study, user=None, note="export_study before close")
            self.stderr.write(f"Note: study is {study.status}; this unblinded export was logged as a peek.")
        records = judgment_records(study, include_skipped=True)
        body = records_csv(records) if o["format"] == "csv" else records_jsonl(records)
        if o["output"] == "-":
            self.stdout.write(body, ending="")
        else:
            with open(o["output"], "w", encoding="utf-8") as fh:
                fh.write(body)
            self.stderr.write(f"{len(records)} judgments written to {o['output']}")
