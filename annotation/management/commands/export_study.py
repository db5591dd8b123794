"""python manage.py export_study NAME --format csv|jsonl|preference-pairs|hf-dataset|potato|label-studio [--peek]

csv/jsonl: one unblinded row per judgment (skipped pairs and controls included). The research formats
(annotation.interchange) carry the judgments on real pairs: preference-pairs (prompt, chosen, rejected JSONL),
hf-dataset (a Hugging Face dataset saved to the --output folder, plus judgments.parquet there), potato (Potato's
annotation output JSONL) and label-studio (Label Studio's JSON export); import_judgments reads the last two back.
Every format carries each item's adjudicated final label beside the raw answers (final_label / final_system);
adjudications: one row per queued or adjudicated item (votes, majority, final label), as `adjudication export`.
A closed study exports freely; before close the export needs --peek, which is logged (annotation.blinding)."""
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotation import blinding, interchange
from annotation.record_files import records_csv, records_jsonl
from annotation.review_queue import ADJUDICATION_FIELDS, adjudication_records
from annotation.selectors import judgment_records, pair_judgments, study_named


class Command(BaseCommand):
    help = "Export a study's judgments, unblinded. Before close it needs --peek, which is logged."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("name")
        parser.add_argument("--format", choices=["csv", "jsonl", "adjudications", *interchange.FORMATS],
                            default="csv", help="adjudications: one row per queued or adjudicated item (CSV)")
        parser.add_argument("--output", "-o", default="-", help="a file, - for stdout; hf-dataset: a folder")
        parser.add_argument("--peek", action="store_true", help="allow the unblinded export before close (logged)")

    def handle(self, *args: Any, **o: Any) -> None:
        study = study_named(o["name"])
        if not study:
            raise CommandError(f"No study {o['name']!r}.")
        try:
            peeked = blinding.unblind(study=study, user=None, peek=o["peek"], channel="export_study command")
        except blinding.Blinded as exc:
            raise CommandError(str(exc)) from None
        if peeked:
            self.stderr.write(f"Note: study is {study.status}; this unblinded export was logged as a peek.")
        fmt = o["format"]
        if fmt == "hf-dataset":
            if o["output"] == "-":
                raise CommandError("--format hf-dataset writes a folder: give it with --output DIR.")
            pairs = pair_judgments(study)
            where = interchange.save_hf_dataset(pairs, o["output"])
            self.stderr.write(f"{len(pairs)} judgments written to {where['dataset']} (and {where['parquet']})")
            return
        if fmt == "adjudications":
            records = adjudication_records(study)
            body = records_csv(records, ADJUDICATION_FIELDS)
        elif fmt in interchange.WRITERS:
            records = pair_judgments(study)
            body = interchange.WRITERS[fmt](records)
        else:
            records = judgment_records(study, include_skipped=True)
            body = records_csv(records) if fmt == "csv" else records_jsonl(records)
        if o["output"] == "-":
            self.stdout.write(body, ending="")
        else:
            with open(o["output"], "w", encoding="utf-8") as fh:
                fh.write(body)
            self.stderr.write(f"{len(records)} judgments written to {o['output']}")
