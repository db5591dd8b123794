"""Moving judgments into a study from another tool (Potato, Label Studio: annotation.interchange reads the files).

``judgments_import`` checks every record before it writes anything, then writes all of them in one transaction:
each record must name an example of the study and its two systems (a real item of the study), one rater at most
once per item, and no item may get more raters than the study's k. Raters are accounts named as in the file
(created without a usable password when new: they are the other tool's annotators, not logins here).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone as dt_timezone

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotation.interchange import PairJudgment
from annotation.models import Item, Judgment, Slot, Study, StudyRater
from annotation.services import tallies
from annotation.services.errors import AnnotationError

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
