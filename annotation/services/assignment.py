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

import hashlib
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from annotation.models import Item, Slot, Study, StudyRater
from annotation.sides import side_choice

from . import tallies
from .adaptive import adaptive_order
from .errors import NotAllowed, StudyNotLive

RETRIES = 50


def stable_int(*parts: object) -> int:
    """A seeded 62-bit integer from its parts: the same on every run and machine."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 2


def rater_may_join(study: Study, user: User) -> bool:
    from deft_site.roles import is_annotator

    return (StudyRater.objects.filter(study=study, user=user).exists()
            or (study.open_to_annotators and is_annotator(user)))


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
    expired = Slot.objects.filter(item__study=study, status=Slot.Status.RESERVED, reserved_until__lt=now)
    if connection.features.has_select_for_update_skip_locked:
        expired = expired.select_for_update(skip_locked=True, of=("self",))
    rows = list(expired.values_list("pk", "item_id", "seat", "rater_id", "left_is_a", "item__kind",
                                    "item__system_a_id", "item__system_b_id"))
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
    now = now or timezone.now()
    if not joined:
        rater_join(study=study, user=user)
    for attempt in range(RETRIES):
        try:
            with transaction.atomic():
                return _slot_next(study, user, now)
        except (IntegrityError, _Busy):  # another request took the same seat, or held every open item
            time.sleep(min(0.2, 0.005 * (attempt + 1)) * (1 + random.random()))
    return None


def _slot_next(study: Study, user: User, now: datetime) -> Slot | None:
    _take_write_lock_if_sqlite(study)
    study.refresh_from_db(fields=["status"])
    if study.status != Study.Status.LIVE:
        raise StudyNotLive(f"This study is {study.status}: no work is handed out.")
    until = now + timedelta(minutes=study.reservation_minutes)
    current = (Slot.objects.filter(item__study=study, rater=user, status=Slot.Status.RESERVED,
                                   reserved_until__gte=now).select_related("item__example")
               .order_by("reserved_at", "id").first())
    if current:
        Slot.objects.filter(pk=current.pk).update(reserved_until=until)
        current.item.study = study
        return current
    slot_reclaim_expired(study=study, now=now)
    mine = rater_counts(study, user)
    if study.quota_per_rater is not None and mine["real"] >= study.quota_per_rater:
        return None
    # Controls come only between real pairs, never as a tail once the real ones are gone: a rater who has
    # "0 left" and still gets pairs would know they are controls (see slots_ahead, which forecasts the same).
    if _wants_control(study, user, mine["taken"]) and mine["open"] > 0:
        slot = _control_slot(study, user, until)
        if slot:
            return slot
    return _real_slot(study, user, until)


def _wants_control(study: Study, user: User, n_taken: int) -> bool:
    """The seeded draw for the rater's (n_taken + 1)-th slot."""
    return random.Random(stable_int(study.seed, user.pk, n_taken, "control")).random() < study.control_rate


def _open_real(study: Study, user: User):  # noqa: ANN202 (a QuerySet of Item)
    """Real items this rater has never held that still have a free seat (Item.seats_taken, see tallies.py)."""
    askable = Item.objects.filter(study=study, kind=Item.Kind.REAL, seats_taken__lt=study.raters_per_item)
    if study.identical_outputs == Study.Identical.TIE:
        askable = askable.filter(identical=False)
    return askable.exclude(slots__rater=user)


def _counts_sql() -> str:
    slot, item = Slot._meta.db_table, Item._meta.db_table
    st, real, control = Slot.Status, Item.Kind.REAL, Item.Kind.CONTROL
    open_item = f"{{p}}kind = '{real}' AND {{p}}seats_taken < %(k)s AND (%(all)s OR NOT {{p}}identical)"
    return (  # one round trip: the rater's slots (an index range on the rater) and the study's open items
        f"SELECT COALESCE(SUM(CASE WHEN s.status = '{st.DONE}' THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN s.status = '{st.RESERVED}' THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN s.status <> '{st.EXPIRED}' THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN i.kind = '{real}' AND s.status <> '{st.EXPIRED}' THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN i.kind = '{control}' THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN {open_item.format(p='i.')} THEN 1 ELSE 0 END), 0), "
        f"(SELECT COUNT(*) FROM {item} o WHERE o.study_id = %(study)s AND {open_item.format(p='o.')}) "
        f"FROM {slot} s INNER JOIN {item} i ON i.id = s.item_id WHERE s.rater_id = %(rater)s AND i.study_id = %(study)s")


_COUNTS_SQL: list[str] = []


def rater_counts(study: Study, user: User) -> dict[str, int]:
    """The rater's own slots counted, and the real items still open to them, in one statement (the ORM spent
    more time building this aggregate than the database running it; tests/annotation/test_annotator_speed.py
    compares every number with the plain ORM queries): done, reserved, taken (not expired), real (real and not
    expired: a skipped real pair counts toward the quota, as a skipped control does toward the controls),
    controls (control items they ever held, whatever became of them) and open (real items with a free seat they
    never held, as _open_real: the askable ones less those among them the rater held, two index ranges whatever
    the planner's statistics)."""
    if not _COUNTS_SQL:
        _COUNTS_SQL.append(_counts_sql())
    params = {"k": study.raters_per_item, "all": study.identical_outputs != Study.Identical.TIE,
              "study": study.pk, "rater": user.pk}
    with connection.cursor() as cursor:
        cursor.execute(_COUNTS_SQL[0], params)
        done, reserved, taken, real, controls, held_open, askable_open = cursor.fetchone()
    counts = {"done": done, "reserved": reserved, "taken": taken, "real": real, "controls": controls,
              "open": askable_open - held_open}
    if study.allocation == Study.Allocation.ADAPTIVE:  # h7: open = what the allocation still wants rated
        counts["open"] = len(adaptive_order(study, user))
    return counts


_CONTROLS: dict[tuple, int] = {}


def _n_controls(study: Study) -> int:
    """The study's control items; memoised per process once it is launched (its items never change then)."""
    key = (study.public_token, study.pk)
    if key in _CONTROLS:
        return _CONTROLS[key]
    n = Item.objects.filter(study=study, kind=Item.Kind.CONTROL).count()
    if study.status != Study.Status.DRAFT:
        with _DRAWS_LOCK:
            _CONTROLS[key] = n
            while len(_CONTROLS) > _DRAWS_RATERS:
                _CONTROLS.pop(next(iter(_CONTROLS)))
    return n


def slots_ahead(study: Study, user: User, *, counts: dict[str, int] | None = None) -> int:
    """How many more slots slot_next will hand this rater (controls included), if nobody else takes a seat.

    Replays slot_next's seeded control draws, so the "left" a rater sees counts controls exactly like real pairs
    and done + left does not move when a control comes: progress cannot tell a control apart. `counts` is
    rater_counts(study, user), for a caller that has it already."""
    counts = counts or rater_counts(study, user)
    real = counts["open"]
    if study.quota_per_rater is not None:
        real = max(0, min(real, study.quota_per_rater - counts["real"]))
    controls = _n_controls(study) - counts["controls"]
    ahead = 0
    n_taken = counts["taken"]
    draws = _control_draws(study, user, n_taken + real + controls)  # each step uses up a real or a control
    while real > 0 and controls > 0:
        if draws[n_taken + ahead]:
            controls -= 1
        else:
            real -= 1
        ahead += 1
    return ahead + real  # once the controls are used up, every step is a real pair


_DRAWS: OrderedDict[tuple, bytes] = OrderedDict()
_DRAWS_LOCK = threading.Lock()
_DRAWS_RATERS = 4096


def _control_draws(study: Study, user: User, upto: int) -> bytes:
    """`_wants_control` for the rater's slots 0..upto-1, memoised per process (at most _DRAWS_RATERS raters).

    The draws are a pure function of the study (its token, seed and rate) and the rater. Replaying thousands of
    seeded draws for every progress bar took most of an annotator's request (bench/RESULTS.md, "Annotators
    under load"); now each is drawn once per process."""
    key = (study.public_token, study.seed, study.control_rate, user.pk)
    with _DRAWS_LOCK:
        draws = _DRAWS.get(key, b"")
        _DRAWS[key] = draws
        _DRAWS.move_to_end(key)
        while len(_DRAWS) > _DRAWS_RATERS:
            _DRAWS.popitem(last=False)
    if len(draws) < upto:
        draws += bytes(_wants_control(study, user, n) for n in range(len(draws), upto))
        with _DRAWS_LOCK:
            if len(draws) > len(_DRAWS.get(key, b"")):
                _DRAWS[key] = draws
    return draws


def _rater_order(study: Study, user: User, ids: list[int]) -> list[int]:
    return sorted(ids, key=lambda pk: stable_int(study.seed, study.pk, user.pk, pk))


_ORDERS: OrderedDict[tuple, tuple[int, ...]] = OrderedDict()
_FIRST_WINDOW = 64


def _askable_in_rater_order(study: Study, user: User) -> tuple[int, ...]:
    """Every askable real item of the study in this rater's order, memoised per process like _control_draws.

    A live study's items never change (a study is frozen once launched), so the order is computed once per
    rater rather than hashing and sorting every open item on every request."""
    key = (study.public_token, study.seed, study.identical_outputs, user.pk)
    with _DRAWS_LOCK:
        order = _ORDERS.get(key)
        if order is not None:
            _ORDERS.move_to_end(key)
            return order
    askable = Item.objects.filter(study=study, kind=Item.Kind.REAL)
    if study.identical_outputs == Study.Identical.TIE:
        askable = askable.filter(identical=False)
    order = tuple(_rater_order(study, user, list(askable.values_list("pk", flat=True))))
    with _DRAWS_LOCK:
        _ORDERS[key] = order
        while len(_ORDERS) > _DRAWS_RATERS:
            _ORDERS.popitem(last=False)
    return order


def real_candidates(study: Study, user: User) -> Iterator[int]:
    """The choice strategy: open real items for this rater, best first. A different strategy replaces this
    function (same contract: ids of items _open_real holds, in the order they should be offered; it may read the
    study's judgments); locking, seats, sides and progress stay as they are. An adaptive study's strategy is
    annotation.services.adaptive (the items worth one more rating from this rater, best first)."""
    if study.allocation == Study.Allocation.ADAPTIVE:
        return iter(adaptive_order(study, user))
    return _open_in_rater_order(study, user)


def _open_in_rater_order(study: Study, user: User) -> Iterator[int]:
    """The open real items (see _open_real) in this rater's order, asked of the database a growing window of
    the order at a time: the first window nearly always has one, so a request reads a few rows, not every item."""
    order, start, size = _askable_in_rater_order(study, user), 0, _FIRST_WINDOW
    while start < len(order):
        window = order[start:start + size]
        open_here = set(_open_real(study, user).filter(pk__in=window).values_list("pk", flat=True))
        yield from (pk for pk in window if pk in open_here)
        start, size = start + size, size * 4


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
        taken = set(Slot.objects.filter(item_id=pk, seat__isnull=False).values_list("seat", flat=True))
        free = [s for s in range(k) if s not in taken]
        if free:  # the rater held none of these items (_open_real); a concurrent copy of this request that
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
    pk, _, _ = min(ids, key=lambda row: (row[1] not in started, row[2],
                                         stable_int(study.seed, user.pk, row[1], "control"),
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
