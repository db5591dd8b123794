"""python manage.py import_outputs PATH --dataset D --system NAME [--split S] [--description TEXT]"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selection import selectors
from selection.management.lookups import dataset_or_error
from selection.services.systems import OutputImportError, SystemCreateError, system_import


class Command(BaseCommand):
    help = ("Import a system's outputs: JSONL lines {\"id\", \"output\"} or CSV with header id,output. With --split "
            "the file must cover exactly that split's examples, otherwise every example of the dataset. "
            "All or nothing: any bad line stores nothing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--system", required=True, help="Name of the new system (a slug).")
        parser.add_argument("--split", default="", help="The split the file covers (default: all examples).")
        parser.add_argument("--description", default="")

    def handle(self, *args: Any, path: str, dataset: str, system: str, split: str, description: str, **o: Any) -> None:
        ds = dataset_or_error(dataset)
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            with file.open("rb") as stream:
                made = system_import(stream=stream, filename=file.name, dataset=ds, name=system,
                                     split=split or None, description=description)
        except (OutputImportError, SystemCreateError) as exc:
            raise CommandError(f"{path}: {exc}. Nothing was stored.") from None
        self.stdout.write(self.style.SUCCESS(f"Imported {selectors.system_output_count(made)} outputs as system '{made.name}'."))
