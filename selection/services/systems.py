"""Systems: outputs of a model for a dataset's examples, generated, imported from a file, or built in.

Coverage rule (import and generation alike): a system made for ``split="test"`` has exactly one output for
every example of the dataset's test split and none for any other example; with ``split=None`` it covers
every example of the dataset. An import that breaks the rule (an id no example has, an example of another
split, an example left out, an id given twice, a line that is not JSON) stores nothing, and the error names
the line.
"""
from __future__ import annotations

import csv
import io
import json
from typing import IO, Any, Callable, Iterator

from django.db import transaction
from django.utils.text import slugify

from deft_site.jobs.models import Job
from deft_site.jobs.services import job_create, job_enqueue
from selection.core.text import add_instruction as with_instruction
from selection.core.text import strip_instruction
from selection.models import Dataset, Output, System, TrainingRun

MAX_ERRORS_LISTED = 5


class OutputImportError(ValueError):
    """Why an outputs file was refused; ``line`` (1-based, the header is line 1 in CSV) and ``field`` when known."""

    def __init__(self, message: str, line: int | None = None, field: str | None = None) -> None:
        self.line, self.field = line, field
        super().__init__(f"line {line}: {message}" if line else message)


class SystemCreateError(ValueError):
    """A system that cannot be made as asked (name taken, nothing to generate for, no model)."""


def system_name_validate(*, dataset: Dataset, name: str) -> str:
    if not name or slugify(name) != name:
        raise SystemCreateError(f"system name {name!r} must be a slug, e.g. {slugify(name) or 'my-system'!r}")
    if System.objects.filter(dataset=dataset, name=name).exists():
        raise SystemCreateError(f"dataset {dataset.name!r} already has a system named {name!r}; pick another name")
    return name


def covered_examples(dataset: Dataset, split: str | None):  # noqa: ANN201 - a QuerySet[Example]
    examples = dataset.examples.order_by("id")
    return examples.filter(split=split) if split else examples


# ---------------------------------------------------------------- import


def _iter_output_rows(stream: IO[bytes], filename: str) -> Iterator[tuple[int, str, str]]:
    """(line, id, output) per row of a JSONL (`id`, `output`) or CSV (header id,output) file."""
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OutputImportError(f"the file is not UTF-8 ({exc.reason})") from None
    if not text.strip():
        raise OutputImportError("the file is empty")
    is_csv = filename.lower().endswith(".csv") or not text.lstrip().startswith("{")
    if is_csv:
        yield from _iter_csv(text)
        return
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise OutputImportError(f"not valid JSON ({exc.msg})", line=line_no) from None
        except RecursionError:
            raise OutputImportError("JSON nested too deeply", line=line_no) from None
        if not isinstance(record, dict):
            raise OutputImportError("each line must be a JSON object with `id` and `output`", line=line_no)
        yield line_no, _field_id(record, line_no), _field_output(record, line_no)


def _iter_csv(text: str) -> Iterator[tuple[int, str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "id" not in header or "output" not in header:
        raise OutputImportError(f"the CSV header must name `id` and `output`, found {header}", line=1)
    reader.fieldnames = header
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field over csv's 131,072-character limit
            raise OutputImportError(f"unreadable CSV ({exc})", line=reader.line_num + 1) from None
        line_no = reader.line_num
        yield line_no, _field_id(record, line_no), _field_output(record, line_no)


def _field_id(record: dict, line: int) -> str:
    value = record.get("id")
    if value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, (list, dict)):
        raise OutputImportError("missing `id`", line=line, field="id")
    if "\x00" in str(value):
        raise OutputImportError("contains a NUL character (\\0)", line=line, field="id")
    return str(value).strip()


def _field_output(record: dict, line: int) -> str:
    value = record.get("output")
    if not isinstance(value, str):
        raise OutputImportError("`output` must be a string" if value is not None else "missing `output`",
                                line=line, field="output")
    if "\x00" in value:
        raise OutputImportError("contains a NUL character (\\0)", line=line, field="output")
    return value


def system_import(
    *, stream: IO[bytes], dataset: Dataset, name: str, filename: str = "", split: str | None = None,
    description: str = "", user: Any = None,
) -> System:
    """Store a file of outputs as a new system, all or nothing (see the module's coverage rule)."""
    system_name_validate(dataset=dataset, name=name)
    wanted = dict(covered_examples(dataset, split).values_list("ext_id", "id"))
    if not wanted:
        raise OutputImportError(f"dataset {dataset.name!r} has no examples{f' in split {split!r}' if split else ''}")
    seen: dict[str, int] = {}
    texts: dict[int, str] = {}
    for line, ext_id, text in _iter_output_rows(stream, filename):
        if ext_id in seen:
            raise OutputImportError(f"id {ext_id!r} appears twice (first on line {seen[ext_id]})", line, "id")
        seen[ext_id] = line
        if ext_id not in wanted:
            raise OutputImportError(_unknown_id_message(dataset, split, ext_id), line, "id")
        texts[wanted[ext_id]] = text
    missing = [ext_id for ext_id in wanted if ext_id not in seen]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:MAX_ERRORS_LISTED])
        raise OutputImportError(
            f"{len(missing)} example(s) of {dataset.name!r}{f' split {split!r}' if split else ''} have no output,"
            f" e.g. {shown}", field="id")
    params = {"source": filename, "split": split, "n_outputs": len(texts)}
    return _system_store(dataset=dataset, name=name, kind=System.Kind.IMPORTED, texts=texts, params=params,
                         description=description, user=user)


def _unknown_id_message(dataset: Dataset, split: str | None, ext_id: str) -> str:
    other = dataset.examples.filter(ext_id=ext_id).values_list("split", flat=True).first()
    if other is not None:
        return f"id {ext_id!r} is an example of split {other!r}, not {split!r}"
    return f"id {ext_id!r} matches no example of dataset {dataset.name!r}"


def _system_store(
    *, dataset: Dataset, name: str, kind: str, texts: dict[int, str], params: dict, description: str = "",
    user: Any = None, model_path: str = "", training_run: TrainingRun | None = None,
) -> System:
    with transaction.atomic():
        system = System.objects.create(
            dataset=dataset, name=name, kind=kind, params=params, description=description, model_path=model_path,
            training_run=training_run, created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        Output.objects.bulk_create(
            [Output(system=system, example_id=pk, text=text) for pk, text in texts.items()], batch_size=2000
        )
    return system


# ---------------------------------------------------------------- built-in baseline


def system_copy_baseline(*, dataset: Dataset, split: str | None = None, name: str = "copy") -> System:
    """The copy baseline: each output is its input without the instruction ("Fix grammar: ...").

    Idempotent: asking again (for another split, too) adds the missing outputs to the same system.
    """
    with transaction.atomic():
        system, _ = System.objects.get_or_create(
            dataset=dataset, name=name,
            defaults={"kind": System.Kind.BUILTIN, "description": "Output = input, minus the instruction.",
                      "params": {"builtin": "copy"}},
        )
        if system.kind != System.Kind.BUILTIN:
            raise SystemCreateError(f"dataset {dataset.name!r} already has a non-built-in system named {name!r}")
        have = set(system.outputs.values_list("example_id", flat=True))
        new = [Output(system=system, example_id=pk, text=strip_instruction(src, (extra or {}).get("instruction")))
               for pk, src, extra in covered_examples(dataset, split).values_list("id", "src", "extra")
               if pk not in have]
        Output.objects.bulk_create(new, batch_size=2000)
    return system


# ---------------------------------------------------------------- generation


def model_path_for(*, training_run: TrainingRun | None = None, model_path: str = "") -> str:
    if training_run is not None:
        if training_run.finished_at is None:  # set once its final model is saved (its job then succeeds)
            raise SystemCreateError(f"training run {training_run.name!r} is {training_run.status}; "
                                    "it has no trained model yet")
        return training_run.final_dir
    if not model_path:
        raise SystemCreateError("give a training run or a model path")
    return model_path


def system_generate(
    *, name: str, dataset: Dataset, split: str | None, training_run: TrainingRun | None = None,
    model_path: str = "", num_beams: int = 1, batch_size: int = 32, max_new_tokens: int = 64,
    user: Any = None, progress: Callable[[int, int], None] | None = None, add_instruction: bool = False,
) -> System:
    """Generate one output per example of ``split`` with a trained run's model (or any model path).

    With ``add_instruction`` every source without a known instruction gets CoEDIT's instruction for its task
    in front ("Simplify this sentence: ..."), as CoEDIT's models were evaluated; sources of a task CoEDIT has
    no instruction for are given as they are and counted in the system's ``params``.
    """
    from selection.core.generation import generate

    system_name_validate(dataset=dataset, name=name)
    path = model_path_for(training_run=training_run, model_path=model_path)
    rows = list(covered_examples(dataset, split).values_list("id", "src", "task"))
    if not rows:
        raise SystemCreateError(f"dataset {dataset.name!r} has no examples{f' in split {split!r}' if split else ''}")
    inputs = [src for _, src, _ in rows]
    unprefixed = 0
    if add_instruction:
        prefixed = [with_instruction(src, task) for _, src, task in rows]
        unprefixed = sum(p is None for p in prefixed)
        inputs = [p if p is not None else src for p, src in zip(prefixed, inputs)]
    max_src = (training_run.config.get("max_source_length") if training_run else None) or 512
    outputs = generate(path, inputs, batch_size=batch_size, num_beams=num_beams,
                       max_new_tokens=max_new_tokens, progress=progress, max_source_length=max_src)
    params = {"split": split, "num_beams": num_beams, "batch_size": batch_size, "max_new_tokens": max_new_tokens,
              "decoding": "greedy" if num_beams == 1 else f"beam search ({num_beams})", "model": path,
              "add_instruction": add_instruction}
    if add_instruction:
        params["without_instruction"] = unprefixed
    return _system_store(dataset=dataset, name=name, kind=System.Kind.GENERATED, params=params, user=user,
                         texts={pk: text for (pk, _, _), text in zip(rows, outputs)}, model_path=path,
                         training_run=training_run)


def system_generate_submit(
    *, name: str, dataset: Dataset, split: str | None, training_run: TrainingRun | None = None,
    model_path: str = "", num_beams: int = 1, batch_size: int = 32, max_new_tokens: int = 64,
    user: Any = None, enqueue: bool = True, add_instruction: bool = False,
) -> Job:
    """Create (and enqueue) a "generation" job; the name is checked now, the model when it runs."""
    system_name_validate(dataset=dataset, name=name)
    if training_run is None and not model_path:
        raise SystemCreateError("give a training run or a model path")
    params = {"system": name, "dataset": dataset.name, "split": split, "run": training_run.name if training_run else None,
              "model_path": model_path, "num_beams": num_beams, "batch_size": batch_size,
              "max_new_tokens": max_new_tokens, "add_instruction": add_instruction}
    with transaction.atomic():
        job = job_create(kind="generation", title=f"Generate {name} on {dataset.name}/{split or 'all'}",
                         params=params, user=user)
        if enqueue:
            job_enqueue(job)
    return job


def run_generation_job(job: Job, report: Any) -> dict[str, Any]:
    p = job.params
    run = TrainingRun.objects.get(name=p["run"]) if p.get("run") else None
    dataset = Dataset.objects.get(name=p["dataset"])
    report.progress(0, covered_examples(dataset, p.get("split")).count(), "loading the model")

    def progress(done: int, total: int) -> None:
        report.progress(done, total, f"generated {done}/{total}")

    earlier = System.objects.filter(dataset=dataset, name=p["system"], created_at__gte=job.created_at).first()
    if earlier is not None and job.attempts > 1:  # an earlier attempt stored it, then its worker died
        return {"system": earlier.name, "system_id": earlier.pk, "dataset": dataset.name,
                "outputs": earlier.outputs.count()}
    system = system_generate(
        name=p["system"], dataset=dataset, split=p.get("split"), training_run=run, model_path=p.get("model_path") or "",
        num_beams=int(p.get("num_beams", 1)), batch_size=int(p.get("batch_size", 32)),
        max_new_tokens=int(p.get("max_new_tokens", 64)), user=job.created_by, progress=progress,
        add_instruction=bool(p.get("add_instruction", False)),
    )
    return {"system": system.name, "system_id": system.pk, "dataset": dataset.name, "outputs": system.outputs.count()}

