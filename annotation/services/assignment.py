"""Handing out work: one slot at a time from a queue with reservations that expire, never more than k raters
per item, nobody seeing an item twice, each rater's own random order and a balanced left/right order.

Concurrency (see annotation/blinding.md): on PostgreSQL candidate items are locked with
`SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent requests take different items instead of queueing; the seats
of a locked item are counted under its lock. SQLite has no row locks, so there the transaction takes the
database's write lock first (a no-op UPDATE), which serialises assignment. Either way the unique constraints
(item, rater) and (item, seat) make an over-assigned item impossible in the database itself.

Cost (bench/RESULTS.md, "Annotators under load"): nothing per request scans every item or slot of a study. Which
items have a free seat is `Item.seats_taken` (an index range) and the side balance is `SideTally` (a row per rater
and pair of systems), both kept in the same transaction as the slot changes they count (tallies.py); a rater's own
counts come from their own slots (an index range on the rater).

Which real item comes next is `real_candidates`: the open items in the rater's own seeded order. It is the one
place a different choice (adaptive allocation, say) plugs in: any iterator of open real item ids, best first;
`_real_slot` takes the first whose seat it can lock and never needs to know why it came first.
"""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from annotation import hot_sql
from annotation.models import Item, Slot, Study, StudyRater
from annotation.queue import (
    _wants_control,
    rater_counts,
    rater_may_join,
    real_candidates,
    repeat_counts,
    repeats_pending,
    stable_int,
)
from annotation.sides import side_choice

from . import tallies
from .errors import NotAllowed, StudyNotLive

RETRIES = 50


def rater_join(*, study: Study, user: User) -> StudyRater:
    """The user's membership of the study; annotators join open studies on first request (get_or_create is
    atomic on its own, so a member's every request is one read, not a transaction)."""
    member = StudyRater.objects.filter(study=study, user=user).first()
    if member:
        return member
    if not rater_may_join(study, user):
        raise NotAllowed("You are not a rater of this study.")
    member, _ = StudyRater.objects.get_or_create(study=study, user=user)
    return member


def slot_reclaim_expired(*, study: Study, now: datetime | None = None) -> int:
    """Expired reservations give their seat back to the queue (the rater keeps having seen the item).

    The expired slots are locked (on PostgreSQL skipping any another request holds: it is reclaiming them or its
    rater is answering), released, and their items' seats and raters' side tallies counted down, items and raters
    in id order so that two reclaims never wait on each other in a cycle."""
    if not connection.in_atomic_block:
        with transaction.atomic():
            return slot_reclaim_expired(study=study, now=now)
    now = now or timezone.now()
    rows = hot_sql.expired_reservations(study.pk, now)
    if not rows:
        return 0
    Slot.objects.filter(pk__in=[row[0] for row in rows]).update(status=Slot.Status.EXPIRED, seat=None)
    for item_id in sorted({row[1] for row in rows if row[2] is not None}):
        tallies.seats_changed(item_id, -sum(1 for row in rows if row[1] == item_id and row[2] is not None))
    for _, _, _, rater_id, left_is_a, kind, a, b in sorted(rows, key=lambda row: (row[3], row[0])):
        item = Item(kind=kind, system_a_id=a, system_b_id=b)
        tallies.sides_changed(study.pk, rater_id, tallies.pair_key(item), left_is_a, -1)
    return len(rows)


def _take_write_lock_if_sqlite(study: Study) -> None:
    if connection.vendor == "sqlite":
        Study.objects.filter(pk=study.pk).update(seed=F("seed"))


def slot_next(*, study: Study, user: User, now: datetime | None = None, joined: bool = False) -> Slot | None:
    """The rater's current slot, or a newly reserved one; None when nothing is left for them. `joined`: the caller
    has just made sure the user is a member (rater_join), so that is not asked again."""
    return slot_next_counted(study=study, user=user, now=now, joined=joined)[0]


def slot_next_counted(*, study: Study, user: User, now: datetime | None = None,
                      joined: bool = False) -> tuple[Slot | None, dict[str, int] | None]:
    """slot_next, and the rater's counts (queue.rater_counts) as they stand once that slot is handed out, for the
    same request's progress bar (selectors.rater_progress): counted before the slot was made, then moved by it,
    rather than counted again (the open items' count is an index range over the study). None where they are not
    known that way: the current reservation handed back, nothing left, or an adaptive study (its allocation
    decides what is open). Concurrent raters may have taken seats since; a recount a moment later may differ
    by those, as two recounts would (tests/annotation/test_annotator_speed.py checks them against a recount)."""
    now = now or timezone.now()
    if not joined:
        rater_join(study=study, user=user)
    for attempt in range(RETRIES):
        try:
            with transaction.atomic():
                slot, before = _slot_next(study, user, now)
                return slot, _counts_after(study, before, slot)
        except (IntegrityError, _Busy):  # another request took the same seat, or held every open item
            time.sleep(min(0.2, 0.005 * (attempt + 1)) * (1 + random.random()))
    return None, None


def _counts_after(study: Study, before: dict[str, int] | None, slot: Slot | None) -> dict[str, int] | None:
    """rater_counts moved by one newly reserved slot: a real pair was open to the rater and no longer is (whether
    or not it still has a free seat), a control is one more met, a repeat counts only as taken."""
    if before is None or slot is None or study.allocation == Study.Allocation.ADAPTIVE:
        return None
    after = {**before, "reserved": before["reserved"] + 1, "taken": before["taken"] + 1}
    if slot.item.kind == Item.Kind.REAL:
        after["real"], after["open"] = before["real"] + 1, before["open"] - 1
    elif slot.item.kind == Item.Kind.CONTROL:
        after["controls"] = before["controls"] + 1
    return after


def _slot_next(study: Study, user: User, now: datetime) -> tuple[Slot | None, dict[str, int] | None]:
    """The slot, and the rater's counts before it was made (None when the current reservation is handed back)."""
    _take_write_lock_if_sqlite(study)
    study.status = hot_sql.study_status(study.pk)
    if study.status != Study.Status.LIVE:
        raise StudyNotLive(f"This study is {study.status}: no work is handed out.")
    until = now + timedelta(minutes=study.reservation_minutes)
    current_id = hot_sql.current_slot_id(study.pk, user.pk, now)  # usually none: a pair was just answered
    if current_id:
        current = Slot.objects.select_related("item__example").get(pk=current_id)
        Slot.objects.filter(pk=current.pk).update(reserved_until=until)
        current.reserved_until = until
        current.item.study = study
        return current, None
    slot_reclaim_expired(study=study, now=now)
    mine = rater_counts(study, user)
    pending = repeats_pending(study, user)
    repeats = repeat_counts(study, user)[3] if study.repeat_rate else 0
    due = next((r for r in pending if r[1] <= mine["taken"]), None)
    if due:
        return _repeat_slot(study, user, until, due[0]), mine
    if study.quota_per_rater is not None and mine["real"] >= study.quota_per_rater:
        return _repeat_tail(study, user, until, pending), mine
    # Controls come only between real pairs, never as a tail once the real ones are gone: a rater who has
    # "0 left" and still gets pairs would know they are controls (see slots_ahead, which forecasts the same).
    if _wants_control(study, user, mine["taken"] - repeats) and mine["open"] > 0:
        slot = _control_slot(study, user, until)
        if slot:
            return slot, mine
    slot = _real_slot(study, user, until)
    return slot or _repeat_tail(study, user, until, pending), mine


def _repeat_slot(study: Study, user: User, until: datetime, item_id: int) -> Slot:
    """The rater's repeat of a pair they judged: no seat (it adds no rating to the item), sides drawn afresh by
    the study's side design; a concurrent copy of this request loses on the unique (item, rater). Its row is
    locked and its seats read, and the rater's real queue looked at, as for a real pair, so that handing out a
    repeat runs the database work a real pair does (annotation/blinding.md: timing)."""
    next(iter(real_candidates(study, user)), None)
    rows = Item.objects.filter(pk=item_id).select_related("example")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(of=("self",))
    item = rows.get()
    list(Slot.objects.filter(item_id=item_id, seat__isnull=False).values_list("seat", flat=True))
    return _slot_create(study, user, item, until, seat=None)


def _repeat_tail(study: Study, user: User, until: datetime, pending: list[tuple[int, int]]) -> Slot | None:
    """No real pair is left: the scheduled repeats come now, sooner than their gap if need be, so that every
    repeat slots_ahead counted is handed out (a rater's "left" never promises pairs that do not come)."""
    return _repeat_slot(study, user, until, pending[0][0]) if pending else None


def _real_slot(study: Study, user: User, until: datetime) -> Slot | None:
    k = study.raters_per_item
    lockable = connection.features.has_select_for_update_skip_locked
    busy = False
    for pk in real_candidates(study, user):
        # One row at a time: a request holds the lock of the one item it is taking, never a whole batch.
        rows = Item.objects.filter(pk=pk).select_related("example")
        if lockable:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        item = rows.first()
        if item is None:  # another request is taking a seat of this item right now
            busy = True
            continue
        taken = hot_sql.taken_seats(pk)
        free = [s for s in range(k) if s not in taken]
        if free:  # the rater held none of these items (hot_sql.open_among); a concurrent copy of this request that
            # took the same one since loses on the unique (item, rater) constraint and slot_next retries
            return _slot_create(study, user, item, until, seat=free[0])
    if busy:
        raise _Busy()
    return None


class _Busy(Exception):
    """Every open item was locked by concurrent requests: try again shortly rather than report no work."""


def _control_slot(study: Study, user: User, until: datetime) -> Slot | None:
    """The rater's next control. Controls of one example come one after another (in the rater's own order), so
    with several systems a control's input comes back as often as a real pair's would; otherwise the control
    the fewest raters have met comes first, so that controls, like real pairs, are each met by a few raters and
    not by everyone (two accounts of one cheater would share mostly controls)."""
    ids = list(Item.objects.filter(study=study, kind=Item.Kind.CONTROL).exclude(slots__rater=user)
               .annotate(met=Count("slots", filter=~Q(slots__status=Slot.Status.EXPIRED)))
               .values_list("pk", "example_id", "met"))
    if not ids:
        return None
    started = set(Item.objects.filter(study=study, kind=Item.Kind.CONTROL, slots__rater=user)
                  .values_list("example_id", flat=True))
    # The seeded tiebreaks are hashed only among the controls that tie on (not started, met): the same choice as
    # hashing every row, without a hash or two per control of the study on every control handed out.
    first = min((row[1] not in started, row[2]) for row in ids)
    pk, _, _ = min((row for row in ids if (row[1] not in started, row[2]) == first),
                   key=lambda row: (stable_int(study.seed, user.pk, row[1], "control"),
                                    stable_int(study.seed, study.pk, user.pk, row[0])))
    return _slot_create(study, user, Item.objects.select_related("example").get(pk=pk), until, seat=None)


def _slot_create(study: Study, user: User, item: Item, until: datetime, seat: int | None) -> Slot:
    """Insert the slot and count it (seat, sides) in the caller's transaction: a lost race raises IntegrityError
    out of slot_next's transaction, which rolls all of it back and tries again."""
    seed = stable_int(study.secret, study.seed, user.pk, item.pk, "side")
    slot = Slot(item=item, rater=user, seat=seat, seed=seed, reserved_until=until,
                left_is_a=_left_is_a(study, user, item, seed))
    slot.save(force_insert=True)
    if seat is not None:
        tallies.seats_changed(item.pk, 1)
    tallies.slot_sides_changed(slot, item, study.pk, 1)
    item.study = study
    return slot


def _left_is_a(study: Study, user: User, item: Item, seed: int) -> bool:
    """Sides for this rater and pair of systems (controls count as one pair of their own); see side_choice. The
    imbalances are over slots that are or will be judged, from the side tallies (tallies.py)."""
    mine, everyone = tallies.side_imbalances(study, user.pk, tallies.pair_key(item))
    return side_choice(mine, everyone, random.Random(seed).random())


def study_accepts_writes(study: Study, what: str) -> None:
    """Annotators write (answer, skip, flag, finish) only while a study is live or paused: never before launch
    and never after close. Raises StudyNotLive (HTTP 409) naming what was refused."""
    if study.status == Study.Status.DRAFT:
        raise StudyNotLive(f"This study has not started yet: {what} not accepted.")
    if study.status == Study.Status.CLOSED:
        raise StudyNotLive(f"This study is closed: {what} no longer accepted.")


@transaction.atomic
def slot_skip(*, slot: Slot, user: User, reason: str = "") -> Slot:
    """Give the slot back: its seat returns to the queue, the rater will not get the item again."""
    slot = Slot.objects.select_for_update(of=("self",)).select_related("item__study").get(pk=slot.pk)
    if slot.rater_id != user.pk:
        raise NotAllowed("Not your slot.")
    study_accepts_writes(slot.item.study, "skips are")
    if slot.status == Slot.Status.RESERVED:
        if slot.seat is not None:
            tallies.seats_changed(slot.item_id, -1)
        tallies.slot_sides_changed(slot, slot.item, slot.item.study_id, -1)
        slot.status, slot.seat, slot.skip_reason = Slot.Status.SKIPPED, None, reason[:200]
        slot.save(update_fields=["status", "seat", "skip_reason"])
    return slot


@transaction.atomic
def slot_flag(*, slot: Slot, user: User, reason: str) -> Slot:
    """Flag a pair for the researchers (broken text, offensive content...) without skipping it."""
    if slot.rater_id != user.pk:
        raise NotAllowed("Not your slot.")
    study_accepts_writes(Study.objects.get(items=slot.item_id), "flags are")
    Slot.objects.filter(pk=slot.pk).update(flag_reason=reason[:200])
    slot.flag_reason = reason[:200]
    return slot
