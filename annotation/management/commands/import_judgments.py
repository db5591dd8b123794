"""python manage.py import_judgments NAME FILE --format potato|label-studio: judgments from another tool.

The file is read and checked whole before anything is written (annotation.interchange reads it, the service
annotation.services.interchange matches every record to a real pair of study NAME); an error names the line or
task and the field, and then nothing was written. The study must not be live (draft, paused or closed)."""
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from annotation import interchange, selectors
from annotation.services.interchange import ImportRejected, judgments_import


class Command(BaseCommand):
    help = "Import judgments from Potato's annotation output or a Label Studio JSON export (all or nothing)."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("name")
        parser.add_argument("file")
        parser.add_argument("--format", choices=sorted(interchange.READERS), required=True)

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            study = selectors.study_lookup(o["name"])
        except Http404 as exc:
            raise CommandError(str(exc)) from None
        try:
            with open(o["file"], encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {o['file']}: {exc.strerror}.") from None
        try:
            records = interchange.READERS[o["format"]](text)
            summary = judgments_import(study=study, records=records)
        except (interchange.InterchangeError, ImportRejected) as exc:
            raise CommandError(f"{o['file']}: {exc} Nothing was imported.") from None
        self.stdout.write(f"{summary.judgments} judgments by {summary.raters} raters ({summary.new_raters} new) "
                          f"on {summary.items} pairs imported into {study.name}.")
