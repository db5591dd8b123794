"""python manage.py import_judgments NAME FILE --format potato|label-studio [--new-study [--dataset D]]

Without --new-study: judgments from another tool into the existing study NAME (its pairs must hold every record;
the study must not be live). With --new-study: a new study NAME made from the file: its examples (a new dataset,
named by --dataset-name or NAME; or --dataset D, an existing dataset whose example ids the file names), its systems
(a system of that dataset with the file's name must hold the same texts; others are created), one real item per
pair judged, and the judgments; it ends closed (or --status paused, to collect more ratings here).

The file is read and checked whole before anything is written (annotation.interchange reads it, the service
annotation.services.interchange writes it in one transaction); an error names the line or task and the field,
and then nothing was written."""
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from annotation import interchange, selectors
from annotation.services.interchange import (
    STATUS_AFTER_IMPORT,
    ImportRejected,
    interchange_read,
    judgments_import,
    study_import_create,
)
from selection.selectors import dataset_by_name


class Command(BaseCommand):
    help = ("Import judgments from Potato's annotation output or a Label Studio JSON export (all or nothing), into "
            "study NAME, or (--new-study) as a new study NAME.")

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("name")
        parser.add_argument("file")
        parser.add_argument("--format", choices=sorted(interchange.READERS), required=True)
        parser.add_argument("--new-study", action="store_true", help="create study NAME from the file")
        parser.add_argument("--dataset", help="--new-study: an existing dataset holding the file's example ids")
        parser.add_argument("--dataset-name", default="", help="--new-study: name of the new dataset (default NAME)")
        parser.add_argument("--split", default="test", help="--new-study: split of the new dataset's examples")
        parser.add_argument("--status", choices=STATUS_AFTER_IMPORT, default="closed",
                            help="--new-study: closed (default) or paused (resume it to collect more ratings)")
        parser.add_argument("--owner", help="--new-study: username of the researcher who owns it")

    def handle(self, *args: Any, **o: Any) -> None:
        study = None
        if not o["new_study"]:
            if o["dataset"] or o["dataset_name"]:
                raise CommandError("--dataset and --dataset-name go with --new-study.")
            try:
                study = selectors.study_lookup(o["name"])
            except Http404 as exc:
                raise CommandError(f"{exc} (to create it from the file, add --new-study).") from None
        try:
            with open(o["file"], "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {o['file']}: {exc.strerror}.") from None
        try:
            records = interchange_read(data, o["format"])
            if study is None:
                self._new(o, records)
                return
            summary = judgments_import(study=study, records=records)
        except ImportRejected as exc:
            raise CommandError(f"{o['file']}: {exc} Nothing was imported.") from None
        self.stdout.write(f"{summary.judgments} judgments by {summary.raters} raters ({summary.new_raters} new) "
                          f"on {summary.items} pairs imported into {study.name}.")

    def _new(self, o: dict[str, Any], records: list) -> None:
        dataset = None
        if o["dataset"]:
            dataset = dataset_by_name(o["dataset"])
            if dataset is None:
                raise CommandError(f"No dataset {o['dataset']!r} (leave --dataset out to create one from the file).")
        owner = None
        if o["owner"]:
            owner = selectors.user_named(o["owner"])
            if owner is None:
                raise CommandError(f"No user {o['owner']!r}.")
        done = study_import_create(name=o["name"], records=records, dataset=dataset, dataset_name=o["dataset_name"],
                                   split=o["split"], status=o["status"], source=f"{o['format']} file {o['file']}",
                                   user=owner)
        j = done.judgments
        self.stdout.write(
            f"Study {done.study.name} ({done.study.status}) created from {o['file']}: {done.examples} examples of "
            f"{'new ' if done.new_dataset else ''}dataset {done.dataset.name}, {len(done.systems)} "
            f"systems ({', '.join(done.new_systems) or 'none'} new), {done.pairs} pairs, {j.judgments} judgments by "
            f"{j.raters} raters ({j.new_raters} new accounts).")
