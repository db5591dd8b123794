"""python manage.py make_demo_data [--out FILE.jsonl] [--rows N] [--seed S] [--name NAME]"""
import io
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selection.demo import make_demo_rows, write_jsonl
from selection.models import Dataset
from selection.services.datasets import DatasetImportError, dataset_import


class Command(BaseCommand):
    help = "Make the deterministic synthetic multi-task demo dataset (six CoEDIT tasks, with splits)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", help="Write JSONL here instead of importing it.")
        parser.add_argument("--rows", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--name", default="demo", help="Dataset name when importing (default: demo).")

    def handle(self, *args: Any, out: str | None, rows: int, seed: int, name: str, **options: Any) -> None:
        if rows < 1:
            raise CommandError("--rows must be at least 1.")
        data = make_demo_rows(n_rows=rows, seed=seed)
        if out:
            write_jsonl(data, out)
            self.stdout.write(self.style.SUCCESS(f"Wrote {len(data)} demo rows (seed {seed}) to {out}."))
            return
        payload = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in data).encode("utf-8")
        try:
            dataset = dataset_import(stream=io.BytesIO(payload), name=name, filename=f"make_demo_data seed={seed}",
                                     origin=Dataset.Origin.DEMO,
                                     description=f"Synthetic demo data: {len(data)} rows, seed {seed}.")
        except DatasetImportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Imported {dataset.row_count} demo rows as dataset '{dataset.name}'."))
