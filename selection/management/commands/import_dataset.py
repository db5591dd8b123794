"""python manage.py import_dataset PATH --name NAME [--split SPLIT] [--description TEXT] [--skip-invalid]"""
from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selection.models.datasets import Split
from selection.services.datasets import DatasetImportError, UnscoreableRowError, dataset_import


class Command(BaseCommand):
    help = "Import a JSONL or CSV file (CoEDIT or multi-reference format) as a new dataset, all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="JSONL or CSV file ('-' reads JSONL from standard input).")
        parser.add_argument("--name", required=True, help="Name of the new dataset (a slug).")
        parser.add_argument("--split", default=Split.TRAIN, help="Split for rows without a `split` field.")
        parser.add_argument("--description", default="")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="Leave out well-formed rows that cannot be scored (a blank source or reference) "
                                 "and list them by line, instead of refusing the file.")

    def handle(self, *args, path: str, name: str, split: str, description: str, skip_invalid: bool = False,
               **options) -> None:
        try:
            if path == "-":
                dataset = self._import(sys.stdin.buffer, name, "stdin.jsonl", split, description, skip_invalid)
            else:
                file = Path(path)
                if not file.is_file():
                    raise CommandError(f"{path}: no such file")
                with file.open("rb") as stream:
                    dataset = self._import(stream, name, file.name, split, description, skip_invalid)
        except UnscoreableRowError as exc:
            raise CommandError(f"{path}: {exc}. Nothing was imported (--skip-invalid leaves out rows that "
                               "cannot be scored and lists them).") from None
        except DatasetImportError as exc:
            raise CommandError(f"{path}: {exc}. Nothing was imported.") from None
        tasks = ", ".join(f"{t} {n}" for t, n in dataset.summary["tasks"].items())
        splits = ", ".join(f"{s} {n}" for s, n in dataset.summary["splits"].items())
        self.stdout.write(self.style.SUCCESS(f"Imported {dataset.row_count} rows as dataset '{dataset.name}'."))
        self.stdout.write(f"  tasks: {tasks}\n  splits: {splits}")
        if dataset.summary.get("benchmarks"):
            self.stdout.write("  benchmarks: " + ", ".join(f"{b} {n}" for b, n in dataset.summary["benchmarks"].items()))
        skipped = dataset.summary.get("skipped") or []
        if skipped:
            self.stdout.write(self.style.WARNING(
                f"Left out {dataset.summary['skipped_count']} row(s) that cannot be scored:"))
            for row in skipped:
                self.stdout.write(f"  line {row['line']} (id {row['id']}): field '{row['field']}' {row['error']}")

    def _import(self, stream, name: str, filename: str, split: str, description: str,  # noqa: ANN001, ANN202
                skip_invalid: bool):
        def progress(rows: int) -> None:
            if self.stdout.isatty():
                self.stderr.write(f"\r  {rows} rows", ending="")

        return dataset_import(stream=stream, name=name, filename=filename, default_split=split,
                              description=description, progress=progress, skip_invalid=skip_invalid)
