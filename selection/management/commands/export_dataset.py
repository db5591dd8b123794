"""python manage.py export_dataset NAME --out FILE.jsonl"""
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selection import selectors
from selection.services.datasets import dataset_export


class Command(BaseCommand):
    help = "Write a dataset back to JSONL in CoEDIT's format (_id, task, src, tgt, split, extra fields)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--out", required=True, help="Output JSONL file.")
        parser.add_argument("--split", help="Only this split.")

    def handle(self, *args: Any, name: str, out: str, split: str | None, **options: Any) -> None:
        dataset = selectors.dataset_by_name(name)
        if dataset is None:
            known = ", ".join(selectors.dataset_names(20)) or "none"
            raise CommandError(f"No dataset named {name!r} (known: {known}).")
        ids = selectors.dataset_split_example_ids(dataset, split) if split else None
        count = dataset_export(dataset=dataset, path=out, example_ids=ids)
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} rows of '{name}' to {out}."))
