"""Moving judgments into a study from another tool (Potato, Label Studio: annotation.interchange reads the files),
or making a new study from such a file (``study_import_create``).

``judgments_import`` checks every record before it writes anything, then writes all of them in one transaction:
each record must name an example of the study and its two systems (a real item of the study), one rater at most
once per item, and no item may get more raters than the study's k. Raters are accounts named as in the file
(created without a usable password when new: they are the other tool's annotators, not logins here).
"""
from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone as dt_timezone

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotation.interchange import SLUG, InterchangeError, PairJudgment, StudyPlan, study_plan
from annotation.models import Item, Judgment, Slot, Study, StudyEvent, StudyRater, StudySystem
from annotation.services import tallies
from annotation.services.errors import AnnotationError
from annotation.services.studies import questions_normalise
from selection.models import Dataset, Example, Output, Split, System
from selection.services.datasets import DatasetImportError, dataset_name_validate, summarise

logger = logging.getLogger(__name__)

RATER_NAME_MAX = User._meta.get_field("username").max_length


class ImportRejected(AnnotationError):
    """The file does not fit the study: nothing was written; the message names the record and the field."""


@dataclass(frozen=True)
class ImportSummary:
    judgments: int
    raters: int
    new_raters: int
    items: int


def _plan(study: Study, records: list[PairJudgment], where: list[str]) -> list[tuple[Item, bool, PairJudgment]]:
    names = {ss.system.name: ss.pk for ss in study.study_systems.select_related("system")}
    items = {(it.example.ext_id, frozenset((it.system_a_id, it.system_b_id))): it
             for it in study.items.filter(kind=Item.Kind.REAL).select_related("example")}
    taken = {(s["item_id"], s["rater__username"]) for s in
             Slot.objects.filter(item__study=study).values("item_id", "rater__username")}
    seats: dict[int, int] = {it.pk: it.seats_taken for it in items.values()}
    plan = []
    for r, at in zip(records, where):
        for field, system in (("left system", r.left_system), ("right system", r.right_system)):
            if system not in names:
                raise ImportRejected(f"{at}: {field} {system!r} is not a system of study {study.name} "
                                     f"(its systems: {', '.join(sorted(names))}).")
        left, right = names[r.left_system], names[r.right_system]
        if left == right:
            raise ImportRejected(f"{at}: left and right name the same system {r.left_system!r}.")
        item = items.get((r.example, frozenset((left, right))))
        if item is None:
            raise ImportRejected(f"{at}: example {r.example!r} with systems {r.left_system!r} and "
                                 f"{r.right_system!r} is not a pair of study {study.name}.")
        if (item.pk, r.rater) in taken:
            raise ImportRejected(f"{at}: rater {r.rater!r} has judged example {r.example!r} "
                                 f"({r.left_system} vs {r.right_system}) already.")
        if not 0 < len(r.rater) <= RATER_NAME_MAX:
            raise ImportRejected(f"{at}: rater name {r.rater[:40]!r} must have 1 to {RATER_NAME_MAX} characters.")
        if r.answer not in ("left", "right", "tie", "both_bad"):
            raise ImportRejected(f"{at}: answer {r.answer!r} is not left, right, tie or both_bad.")
        if r.strength and r.answer not in ("left", "right"):
            raise ImportRejected(f"{at}: a strength ({r.strength!r}) needs a left or right answer.")
        if r.submitted_at and _when(r.submitted_at) is None:
            raise ImportRejected(f"{at}: time {r.submitted_at!r} is not an ISO 8601 date and time.")
        if seats[item.pk] >= study.raters_per_item:
            raise ImportRejected(f"{at}: example {r.example!r} ({r.left_system} vs {r.right_system}) would get "
                                 f"more than the study's {study.raters_per_item} raters.")
        taken.add((item.pk, r.rater))
        seats[item.pk] += 1
        plan.append((item, item.system_a_id == left, r))
    return plan


def _when(text: str) -> datetime | None:
    """An ISO 8601 time (a naive one is read as UTC), or None."""
    try:
        when = parse_datetime(text)
    except ValueError:
        return None
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when, dt_timezone.utc)
    return when


def judgments_import(*, study: Study, records: list[PairJudgment]) -> ImportSummary:
    """Write `records` into `study` as done slots with their judgments, all or nothing. Errors name each
    record's place in its file (``PairJudgment.place``; "record N" when it has none). A live study takes no imports (its
    raters are still being assigned seats); draft, paused and closed ones do."""
    if study.status == Study.Status.LIVE:
        raise ImportRejected(f"Study {study.name} is live: pause or close it before importing judgments.")
    if not records:
        raise ImportRejected("The file holds no judgments.")
    where = [r.place or f"record {n}" for n, r in enumerate(records, start=1)]
    with transaction.atomic():
        plan = _plan(study, records, where)
        users = {u.username: u for u in User.objects.filter(username__in={r.rater for r in records})}
        new = 0
        for name in sorted({r.rater for r in records} - set(users)):
            u = User(username=name)
            u.set_unusable_password()
            u.save()
            users[name] = u
            new += 1
        for u in users.values():
            StudyRater.objects.get_or_create(study=study, user=u)
        now = timezone.now()
        next_seat = {it.pk: it.seats_taken for it, _, _ in plan}
        for item, left_is_a, r in plan:
            slot = Slot.objects.create(item=item, rater=users[r.rater], seat=next_seat[item.pk], left_is_a=left_is_a,
                                       seed=0, status=Slot.Status.DONE, reserved_until=now)
            next_seat[item.pk] += 1
            tallies.seats_changed(item.pk, 1)
            tallies.slot_sides_changed(slot, item, study.pk, 1)
            j = Judgment.objects.create(slot=slot, preference=r.answer, strength=r.strength, comment=r.comment,
                                        seconds=r.seconds, idempotency_key=f"import:{slot.token}")
            if r.submitted_at:  # keep when the other tool's rater answered (auto_now_add set "now")
                when = _when(r.submitted_at)
                Judgment.objects.filter(pk=j.pk).update(submitted_at=when, updated_at=when)
                Slot.objects.filter(pk=slot.pk).update(reserved_at=when)
    logger.info("imported %d judgments by %d raters (%d new) into study %s", len(plan), len(users), new, study.name)
    return ImportSummary(judgments=len(plan), raters=len(users), new_raters=new,
                         items=len({item.pk for item, _, _ in plan}))


MAX_IMPORT_BYTES = 64 * 1024 * 1024


def interchange_read(data: bytes | str, fmt: str) -> list[PairJudgment]:
    """The records of an uploaded or read file in format ``fmt`` ("potato" or "label-studio"); ImportRejected
    names the line or task and the field when it cannot be read (too big, not UTF-8, not the format)."""
    from annotation.interchange import READERS

    if fmt not in READERS:
        raise ImportRejected(f"format must be one of {', '.join(sorted(READERS))}, not {fmt!r}.")
    if isinstance(data, bytes):
        if len(data) > MAX_IMPORT_BYTES:
            raise ImportRejected(f"The file is larger than {MAX_IMPORT_BYTES // 2**20} MiB.")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise ImportRejected(f"line {line}: not UTF-8 text (byte {exc.start}).") from None
    try:
        return READERS[fmt](data)
    except InterchangeError as exc:
        raise ImportRejected(str(exc)) from None


# --- A new study from a file --------------------------------------------------------------------------------

STATUS_AFTER_IMPORT = (Study.Status.CLOSED, Study.Status.PAUSED)


@dataclass(frozen=True)
class StudyImportSummary:
    study: Study
    dataset: Dataset
    new_dataset: bool
    systems: list[str]
    new_systems: list[str]
    examples: int
    pairs: int
    judgments: ImportSummary


def _check_names(name: str, split: str, status: str) -> None:
    if not name or not SLUG.match(name) or len(name) > 100:
        raise ImportRejected(f"Study name {name!r} must be a slug of at most 100 characters (letters, digits, '-', '_').")
    if Study.objects.filter(name=name).exists():
        raise ImportRejected(f"A study named {name!r} already exists: pick another name, or import the file into it.")
    if split not in Split.values:
        raise ImportRejected(f"split must be one of {', '.join(Split.values)}, not {split!r}.")
    if status not in STATUS_AFTER_IMPORT:
        raise ImportRejected(f"status after import must be one of {', '.join(STATUS_AFTER_IMPORT)}, not {status!r}.")


def _new_dataset(plan: StudyPlan, name: str, split: str, source: str, user: User | None) -> dict[str, Example]:
    try:
        dataset_name_validate(name)
    except DatasetImportError as exc:
        raise ImportRejected(f"{exc}: pass --dataset {name} to use it (the page: choose it), or another new "
                             "dataset name.") from None
    for ext, (task, _) in plan.examples.items():
        if len(task) > 64:
            raise ImportRejected(f"{plan.places['example:' + ext]}: field 'task' is longer than 64 characters.")
    counts = Counter((task, split) for task, _ in plan.examples.values())
    ds = Dataset.objects.create(name=name, origin=Dataset.Origin.IMPORT, source_name=source[:255],
                                description="Examples of a study imported from another annotation tool.",
                                created_by=user, row_count=len(plan.examples), summary=summarise(counts))
    Example.objects.bulk_create(Example(dataset=ds, ext_id=ext, task=task, src=prompt, refs=[], split=split)
                                for ext, (task, prompt) in plan.examples.items())
    return {e.ext_id: e for e in Example.objects.filter(dataset=ds)}


def _existing_examples(plan: StudyPlan, dataset: Dataset) -> dict[str, Example]:
    found = {e.ext_id: e for e in Example.objects.filter(dataset=dataset, ext_id__in=list(plan.examples))}
    for ext in plan.examples:
        if ext not in found:
            raise ImportRejected(f"{plan.places['example:' + ext]}: example {ext!r} is not in dataset "
                                 f"{dataset.name}.")
    splits = sorted({e.split for e in found.values()})
    if len(splits) > 1:
        raise ImportRejected(f"The file's examples come from several splits of {dataset.name} ({', '.join(splits)}): "
                             "a study samples one split.")
    return found


def _systems(plan: StudyPlan, dataset: Dataset, examples: dict[str, Example], source: str,
             user: User | None) -> tuple[list[System], list[str]]:
    """The file's systems: a system of the dataset with that name must hold the same outputs; others are created
    (kind "imported") with the file's texts."""
    out, new = [], []
    for name in plan.systems:
        system = System.objects.filter(dataset=dataset, name=name).first()
        mine = {ext: text for (ext, s), text in plan.outputs.items() if s == name}
        if system is None:
            system = System.objects.create(name=name, dataset=dataset, kind=System.Kind.IMPORTED, created_by=user,
                                           params={"source": source[:200] or "study import"},
                                           description="Imported with a study from another annotation tool.")
            Output.objects.bulk_create(Output(system=system, example=examples[ext], text=text)
                                       for ext, text in mine.items())
            new.append(name)
        else:
            stored = {o.example.ext_id: o.text for o in
                      Output.objects.filter(system=system, example__in=[examples[e] for e in mine]).select_related("example")}
            for ext, text in mine.items():
                at = plan.places[f"output:{ext}:{name}"]
                if ext not in stored:
                    raise ImportRejected(f"{at}: system {name!r} of dataset {dataset.name} has no output for example "
                                         f"{ext!r}.")
                if " ".join(stored[ext].split()) != " ".join(text.split()):
                    raise ImportRejected(f"{at}: the text of system {name!r} on example {ext!r} differs from its stored "
                                         f"output in dataset {dataset.name}.")
        out.append(system)
    return out, new


def _build_items(study: Study, plan: StudyPlan, examples: dict[str, Example], sss: dict[str, StudySystem]) -> None:
    """One real item per pair the file judged, in a seeded shuffled order (ids say nothing about systems)."""
    rng = random.Random(study.seed)
    items = []
    for ext, a, b in plan.pairs:
        ta, tb = plan.outputs[(ext, a)], plan.outputs[(ext, b)]
        items.append(Item(study=study, example=examples[ext], kind=Item.Kind.REAL, system_a=sss[a], system_b=sss[b],
                          text_a=ta, text_b=tb, identical=" ".join(ta.split()) == " ".join(tb.split())))
    rng.shuffle(items)
    for item in items:
        item.order_key = rng.getrandbits(62)
    Item.objects.bulk_create(items)
    k = len(plan.systems)
    study.summary = {"examples": len(plan.examples), "eligible_examples": len(plan.examples), "real_items": len(items),
                     "identical": sum(i.identical for i in items), "identical_excluded": 0, "controls": 0,
                     "controls_wanted": 0, "practice": 0, "pairs_per_example": k * (k - 1) // 2, "imported": True}
    study.save(update_fields=["summary"])


def study_import_create(*, name: str, records: list[PairJudgment], dataset: Dataset | None = None,
                        dataset_name: str = "", split: str = Split.TEST, status: str = Study.Status.CLOSED,
                        source: str = "", user: User | None = None) -> StudyImportSummary:
    """A new study made from another tool's file, all or nothing: its examples (a new dataset named
    ``dataset_name`` or the study's name; or those of ``dataset``, matched by id), its systems (a system of the
    dataset with the file's name must hold the file's texts; others are created), one real item per pair the file
    judged, and the judgments (raters as accounts, see ``judgments_import``). The study ends ``closed`` (its
    ratings were collected elsewhere) or ``paused`` (resume it to collect more here, up to the file's largest
    number of raters on one pair). Nothing is written when any record is wrong; the error names it."""
    user = user if getattr(user, "pk", None) else None
    _check_names(name, split, status)
    try:
        plan = study_plan(records)
    except InterchangeError as exc:
        raise ImportRejected(str(exc)) from None
    with transaction.atomic():
        if dataset is None:
            examples = _new_dataset(plan, dataset_name or name, split, source, user)
            ds = Dataset.objects.get(name=dataset_name or name)
        else:
            ds, examples = dataset, _existing_examples(plan, dataset)
            split = next(iter(examples.values())).split
        systems, new_systems = _systems(plan, ds, examples, source, user)
        study = Study.objects.create(
            name=name, dataset=ds, split=split, n_examples=len(plan.examples), raters_per_item=plan.max_raters,
            control_rate=0, control_kinds=[], practice_count=0, identical_outputs=Study.Identical.SHOW,
            questions=questions_normalise({"pairwise": True, "accuracy": False, "graded": plan.graded,
                                           "comment": True}),
            created_by=user, owner=user)
        sss = {}
        for i, system in enumerate(systems):
            sss[system.name] = StudySystem.objects.create(study=study, system=system, position=i)
        _build_items(study, plan, examples, sss)
        StudyEvent.objects.create(study=study, user=user, action=StudyEvent.Action.CREATE,
                                  note=f"imported from {source or 'a file'}"[:300])
        summary = judgments_import(study=study, records=records)
        now = timezone.now()
        study.status, study.launched_at = status, now
        fields = ["status", "launched_at"]
        if status == Study.Status.CLOSED:
            study.closed_at = now
            fields.append("closed_at")
        study.save(update_fields=fields)
        StudyEvent.objects.create(study=study, user=user, action=status, note="imported study")
    logger.info("study %s created from %s: %d examples, %d pairs, %d judgments", name, source or "a file",
                len(plan.examples), len(plan.pairs), summary.judgments)
    return StudyImportSummary(study=study, dataset=ds, new_dataset=dataset is None, systems=plan.systems,
                              new_systems=new_systems,
                              examples=len(plan.examples), pairs=len(plan.pairs), judgments=summary)
