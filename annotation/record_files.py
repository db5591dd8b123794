"""Judgment records (``selectors.judgment_records``) as file text: CSV or JSON Lines. Used by the export page and
the ``export_study`` command, which must write the same files, and (``records_parse``) by the commands that read
such a file back."""
from __future__ import annotations

import csv
import io
import json

# The columns of an empty export (a study with no judgments yet still gets a header).
EMPTY_FIELDS = ["item", "rater", "left_system", "right_system", "answer", "seconds", "is_control", "submitted_at"]


def records_csv(records: list[dict], empty_fields: list[str] | None = None) -> str:
    """CSV with one row per record; dict and list values are written as JSON. With no record, the header is
    `empty_fields` (the judgments' columns by default)."""
    out = io.StringIO()
    fields = list(records[0].keys()) if records else (empty_fields or EMPTY_FIELDS)
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for r in records:
        writer.writerow({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in r.items()})
    return out.getvalue()


def records_jsonl(records: list[dict]) -> str:
    """One JSON object per line."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def records_parse(text: str, *, jsonl: bool) -> list[dict]:
    """The rows of a CSV (with a header) or JSON Lines file; ValueError naming the first line that is not JSON."""
    if not jsonl:
        return list(csv.DictReader(io.StringIO(text)))
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {n}: not JSON ({exc.msg}).") from None
    return rows
