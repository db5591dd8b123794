"""Dataset import and export: validate every row, write in one transaction, stream instead of slurping.

Formats (JSONL or CSV, told apart by the file name or the first byte):
- CoEDIT: `_id`, `task`, `src`, `tgt` (a string or a list of references);
- multi-reference evaluation: `id`, `src`, `refs` (a list), optional `task` and `dataset` (the benchmark,
  e.g. `asset`, `jfleg`: scoring groups on it), optional `coedit_task` (the platform's eval_sets.jsonl);
  the task is `coedit_task` when given, else `task`, else the benchmark name.
Any other field is kept in `Example.extra` (and written back on export); a per-row `split` wins over the
import's default split, and the benchmarks' own split names `valid`, `dev`, `tune` (and `val`) mean
`validation` (the name as given is kept in `extra["original_split"]`).
An import is all or nothing: the first bad row raises `DatasetImportError` naming the line (or CSV row)
and the field, and the transaction rolls back, so a later import under the same name succeeds. With
`skip_invalid=True`, well-formed rows that cannot be scored (a blank `src`, no reference, a blank
reference) are left out instead and listed by line in `Dataset.summary["skipped"]`; anything malformed
still stops the import.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

from django.db import IntegrityError, connection, transaction
from django.utils.text import slugify

from selection.models import Dataset, Example
from selection.models.datasets import Split

MAX_ROW_BYTES = 1024 * 1024
MAX_NESTING = 32  # levels of lists and objects in one row's values
BATCH_SIZE = 2000
ID_FIELDS = ("_id", "id")
SPLITS = tuple(s.value for s in Split)
# The benchmarks' own names for their development splits (ASSET valid, TurkCorpus tune, JFLEG dev).
SPLIT_ALIASES = {"valid": Split.VALIDATION, "val": Split.VALIDATION, "dev": Split.VALIDATION,
                 "tune": Split.VALIDATION}
MAX_SKIPPED_LISTED = 1000
CSV_REQUIRED_HINT = "a header with an id column (_id or id), src, and tgt or refs"


class DatasetImportError(ValueError):
    """A bad input file: the message names the line (or CSV row) and the field."""

    def __init__(self, message: str, line: int | None = None, field: str | None = None) -> None:
        where = f"line {line}: " if line is not None else ""
        what = f"field '{field}': " if field else ""
        super().__init__(f"{where}{what}{message}")
        self.line = line
        self.field = field
        self.reason = message


class UnscoreableRowError(DatasetImportError):
    """A well-formed row that cannot be scored (blank source, no reference, a blank reference)."""


@dataclass(frozen=True)
class ParsedRow:
    ext_id: str
    task: str
    src: str
    refs: list[str]
    split: str
    extra: dict[str, Any]


# ---------------------------------------------------------------- validation of one record


def parse_record(record: Any, line: int, default_split: str) -> ParsedRow:
    """Validate one decoded record (a dict) and normalise it to a ParsedRow."""
    if not isinstance(record, dict):
        raise DatasetImportError(f"expected a JSON object, got {type(record).__name__}", line)
    ext_id = _required_id(record, line)
    unscoreable: list[UnscoreableRowError] = []  # raised only once the whole row is known to be well-formed
    src = _deferred(lambda: _required_text(record, "src", line), unscoreable)
    refs = _deferred(lambda: _references(record, line), unscoreable)
    task = _task(record, line)
    split = record.get("split", default_split)
    if split in (None, ""):
        split = default_split
    known = {"_id", "id", "src", "tgt", "refs", "task", "split"}
    extra = {k: v for k, v in record.items() if k not in known}
    if isinstance(split, str) and split.lower() in SPLIT_ALIASES:
        extra["original_split"] = split
        split = SPLIT_ALIASES[split.lower()].value
    if split not in SPLITS:
        raise DatasetImportError(f"unknown split {split!r}; use one of {', '.join(SPLITS)} (or valid, dev, tune)",
                                 line, "split")
    for key, value in record.items():
        _check_value(value, line, str(key))
    if unscoreable:
        raise unscoreable[0]
    return ParsedRow(ext_id=ext_id, task=task, src=src, refs=refs, split=split, extra=extra)


def _parse_or_unscoreable(record: Any, line: int, default_split: str) -> "ParsedRow | UnscoreableRowError":
    """``parse_record``, but an unscoreable row comes back as its error (the caller skips or raises it)."""
    try:
        return parse_record(record, line, default_split)
    except UnscoreableRowError as exc:
        exc.ext_id = str(record.get("_id", record.get("id", "")))
        return exc


def _deferred(check: Callable[[], Any], unscoreable: list) -> Any:
    try:
        return check()
    except UnscoreableRowError as exc:
        unscoreable.append(exc)
        return None


def _check_value(value: Any, line: int, field: str, depth: int = 0) -> None:
    """No NUL characters (PostgreSQL cannot store them) and no nesting deeper than MAX_NESTING."""
    if "\x00" in field:
        raise DatasetImportError("a field name contains a NUL character", line, field.replace("\x00", "\\0"))
    if isinstance(value, str):
        if "\x00" in value:
            raise DatasetImportError("contains a NUL character (\\0)", line, field)
        return
    if depth >= MAX_NESTING and isinstance(value, (list, dict)):
        raise DatasetImportError(f"is nested more than {MAX_NESTING} levels deep", line, field)
    if isinstance(value, list):
        for item in value:
            _check_value(item, line, field, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                raise DatasetImportError("a key contains a NUL character", line, field)
            _check_value(item, line, field, depth + 1)


def _required_id(record: dict, line: int) -> str:
    field = next((f for f in ID_FIELDS if f in record), None)
    if field is None:
        raise DatasetImportError("missing; every row needs an id (`_id` or `id`)", line, "_id")
    value = record[field]
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DatasetImportError(f"must be a string or an integer, got {type(value).__name__}", line, field)
    value = str(value).strip()
    if not value:
        raise DatasetImportError("is empty", line, field)
    if len(value) > 255:
        raise DatasetImportError("is longer than 255 characters", line, field)
    return value


def _required_text(record: dict, field: str, line: int) -> str:
    if field not in record:
        raise DatasetImportError("missing", line, field)
    value = record[field]
    if not isinstance(value, str):
        raise DatasetImportError(f"must be a string, got {type(value).__name__}", line, field)
    if not value.strip():
        raise UnscoreableRowError("is empty", line, field)
    return value


def _references(record: dict, line: int) -> list[str]:
    field = "tgt" if "tgt" in record else "refs" if "refs" in record else None
    if field is None:
        raise DatasetImportError("missing; give the reference output(s) as `tgt` or `refs`", line, "tgt")
    value = record[field]
    refs = [value] if isinstance(value, str) else value
    if not isinstance(refs, list):
        raise DatasetImportError(f"must be a string or a list of strings, got {type(value).__name__}", line, field)
    if not refs:
        raise UnscoreableRowError("is an empty list; give at least one reference", line, field)
    for i, ref in enumerate(refs):
        if not isinstance(ref, str):
            raise DatasetImportError(f"reference {i} must be a string, got {type(ref).__name__}", line, field)
    for i, ref in enumerate(refs):
        if not ref.strip():
            raise UnscoreableRowError(f"reference {i} is blank", line, field)
    return refs


def _task(record: dict, line: int) -> str:
    coedit_task = record.get("coedit_task")
    if isinstance(coedit_task, str) and coedit_task.strip():
        record = {**record, "task": coedit_task}
    if "task" not in record or record["task"] is None:
        if "_id" in record:  # CoEDIT format: task is required
            raise DatasetImportError("missing", line, "task")
        return str(record.get("dataset") or "unknown")[:64]
    value = record["task"]
    if not isinstance(value, str):
        raise DatasetImportError(f"must be a string, got {type(value).__name__}", line, "task")
    if not value.strip():
        raise DatasetImportError("is empty", line, "task")
    if len(value) > 64:
        raise DatasetImportError("is longer than 64 characters", line, "task")
    return value.strip()


# ---------------------------------------------------------------- readers (streaming)


def iter_jsonl(stream: IO[bytes], default_split: str) -> Iterator[tuple[int, ParsedRow]]:
    for number, raw in enumerate(_bounded_lines(stream), start=1):
        text = _decode(raw, number)
        if not text.strip():
            continue
        text = text.rstrip("\r\n")  # else an error at the end of the line is reported at "column 1" of the next
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetImportError(f"invalid JSON ({exc.msg} at column {exc.pos + 1})", number) from None
        except RecursionError:
            raise DatasetImportError(f"JSON nested too deeply (more than {MAX_NESTING} levels)", number) from None
        yield number, _parse_or_unscoreable(record, number, default_split)


def iter_csv(stream: IO[bytes], default_split: str) -> Iterator[tuple[int, ParsedRow]]:
    lines = (_decode(raw, n) for n, raw in enumerate(_bounded_lines(stream), start=1))
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    if not (set(header) & set(ID_FIELDS)) or "src" not in header or not ({"tgt", "refs"} & set(header)):
        raise DatasetImportError(f"wrong CSV header {header!r}: expected {CSV_REQUIRED_HINT}", 1)
    for record in _csv_records(reader):
        row_number = reader.line_num
        if None in record:
            raise DatasetImportError("has more columns than the header", row_number)
        record = {k: v for k, v in record.items() if not (k == "split" and v == "")}
        for field in ("tgt", "refs"):
            if field in record and record[field].lstrip().startswith("["):
                record[field] = _json_list(record[field], row_number, field)
        yield row_number, _parse_or_unscoreable(record, row_number, default_split)


def _csv_records(reader: csv.DictReader) -> Iterator[dict]:
    """The reader's rows, its errors (a field over csv's 131,072-character limit...) naming the row."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DatasetImportError(f"unreadable CSV ({exc})", reader.line_num + 1) from None
        yield record


def _json_list(value: str, line: int, field: str) -> Any:
    try:
        return json.loads(value)
    except (json.JSONDecodeError, RecursionError):
        raise DatasetImportError("looks like a JSON list but does not parse", line, field) from None


def _bounded_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """Lines of the stream, refusing any line over MAX_ROW_BYTES without reading it all into memory."""
    number = 0
    while True:
        raw = stream.readline(MAX_ROW_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_ROW_BYTES and not raw.endswith(b"\n"):
            raise DatasetImportError(
                f"is longer than the {MAX_ROW_BYTES // (1024 * 1024)} MB limit for one row", number
            )
        yield raw


def _decode(raw: bytes, line: int) -> str:
    try:
        return raw.decode("utf-8-sig" if line == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetImportError(
            f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start}); save the file as UTF-8",
            line,
        ) from None


def detect_format(name: str, head: bytes) -> str:
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    return "jsonl" if head.lstrip()[:1] in (b"{", b"") else "csv"


# ---------------------------------------------------------------- the service


def dataset_import(
    *,
    stream: IO[bytes],
    name: str,
    filename: str = "",
    default_split: str = Split.TRAIN,
    description: str = "",
    origin: str = Dataset.Origin.IMPORT,
    user: Any = None,
    progress: Callable[[int], None] | None = None,
    skip_invalid: bool = False,
) -> Dataset:
    """Import a JSONL or CSV stream as a new dataset, all or nothing.

    With ``skip_invalid``, unscoreable rows are left out and listed in ``summary["skipped"]`` as
    ``{"line", "id", "error"}`` (the first MAX_SKIPPED_LISTED; ``summary["skipped_count"]`` counts them all).
    """
    name = dataset_name_validate(name)
    if default_split not in SPLITS:
        raise DatasetImportError(f"unknown split {default_split!r}; use one of {', '.join(SPLITS)}", field="split")
    head = stream.read(1)
    if not head:
        raise DatasetImportError("the file is empty")
    stream = _Prepend(head, stream)
    fmt = detect_format(filename, head)
    rows = iter_csv(stream, default_split) if fmt == "csv" else iter_jsonl(stream, default_split)
    try:
        with transaction.atomic():
            dataset = Dataset.objects.create(
                name=name, description=description, origin=origin, source_name=filename[:255],
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
            count, summary = _insert_rows(dataset, rows, progress, skip_invalid=skip_invalid)
            if count == 0:
                raise DatasetImportError("the file has no rows")
            dataset.row_count = count
            dataset.summary = summary
            dataset.save(update_fields=["row_count", "summary"])
    except IntegrityError as exc:
        if "name" in str(exc).lower() and Dataset.objects.filter(name=name).exists():
            raise DatasetImportError(f"a dataset named {name!r} already exists", field="name") from None
        raise
    return dataset


def dataset_name_validate(name: str) -> str:
    if not name or slugify(name) != name:
        raise DatasetImportError(
            f"dataset name {name!r} must be a slug (letters, digits, '-' and '_'), e.g. {slugify(name) or 'coedit-train'!r}",
            field="name",
        )
    if Dataset.objects.filter(name=name).exists():
        raise DatasetImportError(f"a dataset named {name!r} already exists; pick another name", field="name")
    return name


def _insert_rows(
    dataset: Dataset, rows: Iterable[tuple[int, ParsedRow | UnscoreableRowError]],
    progress: Callable[[int], None] | None, *, skip_invalid: bool = False,
) -> tuple[int, dict]:
    seen: dict[str, int] = {}
    counts: Counter[tuple[str, str]] = Counter()
    batch: list[ParsedRow] = []
    skipped: list[dict[str, Any]] = []
    skipped_count = 0
    benchmarks: Counter[str] = Counter()
    count = 0
    for line, row in rows:
        if isinstance(row, UnscoreableRowError):
            if not skip_invalid:
                raise row
            skipped_count += 1
            if len(skipped) < MAX_SKIPPED_LISTED:
                skipped.append({"line": line, "id": getattr(row, "ext_id", ""), "field": row.field,
                                "error": row.reason})
            continue
        if row.ext_id in seen:
            raise DatasetImportError(f"duplicate id {row.ext_id!r} (first seen on line {seen[row.ext_id]})", line, "_id")
        seen[row.ext_id] = line
        batch.append(row)
        counts[(row.task, row.split)] += 1
        if isinstance(row.extra.get("dataset"), str):
            benchmarks[row.extra["dataset"]] += 1
        count += 1
        if len(batch) >= BATCH_SIZE:
            examples_insert(dataset, batch)
            batch.clear()
            if progress:
                progress(count)
    examples_insert(dataset, batch)
    if progress:
        progress(count)
    summary = summarise(counts)
    if benchmarks:
        summary["benchmarks"] = dict(sorted(benchmarks.items()))
    if skipped_count:
        summary["skipped"] = skipped
        summary["skipped_count"] = skipped_count
    return count, summary


_EXAMPLE_COLUMNS = ("dataset_id", "ext_id", "task", "src", "refs", "split", "extra")


def examples_insert(dataset: Dataset, rows: Iterable[ParsedRow | Example]) -> None:
    """Insert rows as examples of `dataset` with one parameterised executemany.

    Why not `bulk_create`: for 100,000 rows the ORM's per-field SQL compilation costs 5x the database's
    own work. The values are still passed as parameters (never formatted into SQL), and the model's
    constraints are enforced by the database as usual.
    """
    values = [
        (dataset.pk, r.ext_id, r.task, r.src, json.dumps(r.refs, ensure_ascii=False), r.split,
         json.dumps(r.extra or {}, ensure_ascii=False))
        for r in rows
    ]
    if not values:
        return
    quote = connection.ops.quote_name
    table = quote(Example._meta.db_table)
    columns = ", ".join(quote(c) for c in _EXAMPLE_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_EXAMPLE_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)


def summarise(counts: Counter) -> dict:
    by_task: Counter[str] = Counter()
    by_split: Counter[str] = Counter()
    for (task, split), n in counts.items():
        by_task[task] += n
        by_split[split] += n
    return {"tasks": dict(sorted(by_task.items())), "splits": dict(sorted(by_split.items()))}


class _Prepend(io.RawIOBase):
    """A byte stream with already-read bytes put back in front (to sniff the first byte of an upload)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readline(self, size: int = -1) -> bytes:  # type: ignore[override]
        if self._head:
            head, self._head = self._head, b""
            if head.endswith(b"\n"):
                return head
            more = self._rest.readline(size - len(head) if size and size > 0 else -1)
            return head + more
        return self._rest.readline(size)


# ---------------------------------------------------------------- export


def example_to_record(example: Example) -> dict[str, Any]:
    """One example in CoEDIT's format (`tgt` a string for one reference, else a list)."""
    tgt: str | list[str] = example.refs[0] if len(example.refs) == 1 else list(example.refs)
    record = {"_id": example.ext_id, "task": example.task, "src": example.src, "tgt": tgt, "split": example.split}
    record.update(example.extra or {})
    return record


def examples_write_jsonl(examples: Iterable[Example], out: IO[str]) -> int:
    count = 0
    for example in examples:
        out.write(json.dumps(example_to_record(example), ensure_ascii=False))
        out.write("\n")
        count += 1
    return count


def dataset_export(*, dataset: Dataset, path: Path | str, example_ids: Iterable[int] | None = None) -> int:
    """Write a dataset (or the given subset of its examples) to a JSONL file; returns the row count."""
    queryset = dataset.examples.order_by("id")
    if example_ids is not None:
        queryset = queryset.filter(id__in=list(example_ids))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    with tmp.open("w", encoding="utf-8") as out:
        count = examples_write_jsonl(queryset.iterator(chunk_size=2000), out)
    tmp.replace(path)
    return count


def dataset_create_from_examples(
    *, name: str, parent: Dataset, examples: Iterable[Example], description: str = "",
    origin: str = Dataset.Origin.SELECTION, user: Any = None,
) -> Dataset:
    """A new dataset holding copies of existing examples (e.g. a selection's D_base ∪ D_c)."""
    name = dataset_name_validate(name)
    with transaction.atomic():
        dataset = Dataset.objects.create(
            name=name, description=description, origin=origin, parent=parent, source_name=f"derived from {parent.name}",
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        counts: Counter[tuple[str, str]] = Counter()
        batch: list[Example] = []
        for ex in examples:
            batch.append(ex)
            counts[(ex.task, ex.split)] += 1
            if len(batch) >= BATCH_SIZE:
                examples_insert(dataset, batch)
                batch.clear()
        examples_insert(dataset, batch)
        dataset.row_count = sum(counts.values())
        dataset.summary = summarise(counts)
        dataset.save(update_fields=["row_count", "summary"])
    return dataset


# ---------------------------------------------------------------- background import (upload page, --enqueue)


def dataset_upload_store(chunks: Iterable[bytes], filename: str) -> Path:
    """Save an uploaded file under DEFT_DATA_DIR/uploads (written to a temporary name, then renamed)."""
    import uuid

    from django.conf import settings

    folder = Path(settings.DEFT_DATA_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{Path(filename).suffix.lower()}"
    part = path.with_name(path.name + ".part")
    with part.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    part.replace(path)
    return path


def dataset_import_submit(*, chunks: Iterable[bytes], name: str, filename: str, split: str = Split.TRAIN,
                          description: str = "", user: Any = None, skip_invalid: bool = False) -> Any:
    """Store the file and queue its import on the interactive queue; the job owns the file until it succeeds."""
    from deft_site.jobs.services import job_submit

    dataset_name_validate(name)
    path = str(dataset_upload_store(chunks, filename))
    return job_submit(kind="dataset_import", title=f"Import {name}", user=user, input_file=path,
                      params={"path": path, "name": name, "filename": filename, "split": split,
                              "description": description, "skip_invalid": skip_invalid})


def run_dataset_import_job(job, report) -> dict:  # noqa: ANN001
    """Import an uploaded file saved under the data directory, reporting bytes read as progress.

    The file belongs to the job (``Job.input_file``): it stays while the job can be retried and is deleted
    when the job succeeds or is deleted.
    """
    from deft_site.jobs.errors import JobError

    params = job.params
    path = Path(params["path"])
    if not path.is_file():
        raise JobError(f"the uploaded file {params.get('filename') or path.name} is no longer on the server",
                       hint="Upload it again.")
    earlier = Dataset.objects.filter(name=params["name"], created_at__gte=job.created_at).first()
    if earlier is not None and job.attempts > 1:  # an earlier attempt committed it, then its worker died
        return {"dataset": earlier.name, "dataset_id": earlier.pk, "rows": earlier.row_count}
    total = path.stat().st_size
    report.progress(0, total, f"importing {params.get('filename') or path.name}")
    filename = params.get("filename") or path.name
    try:
        with path.open("rb") as raw:
            dataset = dataset_import(
                stream=raw, name=params["name"], filename=filename,
                default_split=params.get("split", Split.TRAIN), description=params.get("description", ""),
                user=job.created_by, progress=lambda rows: report.progress(raw.tell(), total, f"{rows} rows"),
                skip_invalid=bool(params.get("skip_invalid", False)),
            )
    except DatasetImportError as exc:  # what a researcher does next, in the headline the job page shows
        raise JobError(f"Could not import {filename}: {exc}",
                       hint="Nothing was imported: fix the file and import it again.") from exc
    result = {"dataset": dataset.name, "dataset_id": dataset.pk, "rows": dataset.row_count}
    if dataset.summary.get("skipped_count"):
        result["skipped"] = dataset.summary["skipped_count"]
        result["skipped_lines"] = [row["line"] for row in dataset.summary["skipped"][:50]]
    return result
