"""python manage.py metrics FILE.jsonl [--json] [--per-row] [--stem]

Scores rows of {"src", "prediction", "refs"} (``src`` exactly as given: strip any instruction yourself;
``refs`` a list of strings, or one string for a single reference) with corpus SARI (0-100) and ROUGE-L
(F-measure, 0-1), plus the system statistics. '-' reads standard input.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selection.core.metrics import score_rows


class RowError(ValueError):
    pass


def read_metric_rows(stream: IO[str]) -> tuple[list[str], list[str], list[list[str]]]:
    """Sources, predictions and reference lists of a JSONL stream; RowError names the line and field."""
    srcs, preds, refs = [], [], []
    for line_no, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RowError(f"line {line_no}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise RowError(f"line {line_no}: expected a JSON object with src, prediction, refs")
        for field in ("src", "prediction"):
            if not isinstance(row.get(field), str):
                raise RowError(f"line {line_no}: field `{field}` must be a string"
                               + (" (missing)" if field not in row else ""))
        row_refs = row.get("refs")
        if isinstance(row_refs, str):
            row_refs = [row_refs]
        if not isinstance(row_refs, list) or not row_refs or not all(isinstance(r, str) for r in row_refs):
            raise RowError(f"line {line_no}: field `refs` must be a non-empty list of strings"
                           + (" (missing)" if "refs" not in row else ""))
        srcs.append(row["src"])
        preds.append(row["prediction"])
        refs.append(row_refs)
    if not preds:
        raise RowError("no rows to score")
    return srcs, preds, refs


class Command(BaseCommand):
    help = "Corpus SARI and ROUGE-L (and system statistics) of a JSONL file of {src, prediction, refs} rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="JSONL file, or '-' for standard input.")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print one JSON object.")
        parser.add_argument("--per-row", action="store_true", help="Also give each row's scores (in input order).")
        parser.add_argument("--stem", action="store_true", help="ROUGE-L with the Porter stemmer.")

    def handle(self, *args, path: str, as_json: bool, per_row: bool, stem: bool, **o) -> None:
        try:
            if path == "-":
                srcs, preds, refs = read_metric_rows(sys.stdin)
            else:
                file = Path(path)
                if not file.is_file():
                    raise CommandError(f"{path}: no such file")
                with file.open(encoding="utf-8") as stream:
                    srcs, preds, refs = read_metric_rows(stream)
        except RowError as exc:
            raise CommandError(f"{path}: {exc}") from None
        rows, corpus = score_rows(srcs, preds, refs, use_stemmer=stem)
        if as_json:
            out = dict(corpus)
            if per_row:
                out["rows"] = rows
            self.stdout.write(json.dumps(out))
            return
        self.stdout.write(f"n        {corpus['n']}\nSARI     {corpus['sari']:.2f}  (add {corpus['sari_add']:.2f}, "
                          f"keep {corpus['sari_keep']:.2f}, del {corpus['sari_del']:.2f})\n"
                          f"ROUGE-L  {corpus['rouge_l']:.4f}")
        for key in ("exact_match", "copy_rate", "mean_edit_distance", "length_ratio"):
            if key in corpus:
                self.stdout.write(f"{key:<20} {corpus[key]:.4f}")
        if per_row:
            for i, row in enumerate(rows, start=1):
                self.stdout.write(f"{i}\tSARI {row['sari']:.2f}\tROUGE-L {row['rouge_l']:.4f}")

