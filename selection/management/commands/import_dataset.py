"""python manage.py import_dataset PATH --name NAME [--split SPLIT] [--description TEXT] [--skip-invalid] [--enqueue]"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selection.models.datasets import Split
from selection.services.datasets import DatasetImportError, UnscoreableRowError, dataset_import, dataset_import_submit


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
        parser.add_argument("--enqueue", action="store_true",
                            help="Copy the file to the server's uploads and queue the import for a worker; prints the job id last.")

    def handle(self, *args: Any, path: str, name: str, split: str, description: str, skip_invalid: bool = False,
               **options: Any) -> None:
        if options["enqueue"]:
            return self._enqueue(path, name, split, description)
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

    def _enqueue(self, path: str, name: str, split: str, description: str) -> None:
        source = sys.stdin.buffer if path == "-" else None
        if source is None and not Path(path).is_file():
            raise CommandError(f"{path}: no such file")
        filename = "stdin.jsonl" if source else Path(path).name
        try:
            if source is not None:
                job = dataset_import_submit(chunks=iter(lambda: source.read(1 << 20), b""), name=name,
                                            filename=filename, split=split, description=description)
            else:
                with Path(path).open("rb") as stream:
                    job = dataset_import_submit(chunks=iter(lambda: stream.read(1 << 20), b""), name=name,
                                                filename=filename, split=split, description=description)
        except DatasetImportError as exc:
            raise CommandError(f"{path}: {exc}. Nothing was queued.") from None
        self.stdout.write(f"Queued the import of {filename} as dataset '{name}' on the {job.queue} queue. Job id:")
        self.stdout.write(str(job.pk))

    def _import(self, stream, name: str, filename: str, split: str, description: str,  # noqa: ANN001, ANN202
                skip_invalid: bool):
        def progress(rows: int) -> None:
            if self.stdout.isatty():
                self.stderr.write(f"\r  {rows} rows", ending="")

        return dataset_import(stream=stream, name=name, filename=filename, default_split=split,
                              description=description, progress=progress, skip_invalid=skip_invalid)
