"""The rater's queue, read side: who may join a study, a rater's counts, the order real items are offered in, the
seeded control draws and how many slots are still ahead. Nothing here writes; annotation/services/assignment.py
hands out and changes slots through these reads, and the selectors (progress bars) read them directly, so the
progress a rater sees and the work they are given come from one computation.

Memoised per process (bounded): each rater's control and repeat draws and item order, and a launched study's
control count, since a live study's items never change (bench/RESULTS.md, "Annotators under load").
"""
from __future__ import annotations

import bisect
import hashlib
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Exists, OuterRef, Subquery

from annotation import hot_sql
from annotation.adaptive import adaptive_order
from annotation.models import Item, Slot, Study, StudyRater


def stable_int(*parts: object) -> int:
    """A seeded 62-bit integer from its parts: the same on every run and machine."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 2


def rater_may_join(study: Study, user: User) -> bool:
    from deft_site.roles import is_annotator

    return (StudyRater.objects.filter(study=study, user=user).exists()
            or (study.open_to_annotators and is_annotator(user)))


def _wants_control(study: Study, user: User, n_taken: int) -> bool:
    """The seeded draw for the rater's (n_taken + 1)-th slot."""
    return random.Random(stable_int(study.seed, user.pk, n_taken, "control")).random() < study.control_rate


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
    never held, as hot_sql.open_among: the askable ones less those among them the rater held, two index ranges whatever
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
        order = adaptive_order(study, user)
        study._adaptive_order = (user.pk, order)  # real_candidates takes it once: a real pair and a control cost alike
        counts["open"] = len(order)
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
    """How many more slots slot_next will hand this rater (controls and repeats included), if nobody else takes a
    seat.

    Replays slot_next's seeded control draws, so the "left" a rater sees counts controls exactly like real pairs
    and done + left does not move when a control comes: progress cannot tell a control apart. With repeats, the
    repeats already scheduled and those the seeded draws will schedule for the real pairs still ahead count too,
    so a repeat moves done + left no more than a control does. `counts` is rater_counts(study, user), for a
    caller that has it already."""
    counts = counts or rater_counts(study, user)
    real = counts["open"]
    if study.quota_per_rater is not None:
        real = max(0, min(real, study.quota_per_rater - counts["real"]))
    controls = _n_controls(study) - counts["controls"]
    if study.repeat_rate:
        return _ahead_with_repeats(study, user, counts, real, controls)
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


# --------------------------------------------------------------------------------------------------
# Repeated pairs (Study.repeat_rate). When a rater answers their k-th real pair (k counts answered real pairs), a
# seeded draw says whether it comes back, and how many slots later (repeat_gap plus a seeded 0..repeat_gap);
# judgment_submit stores that as the slot's repeat_due. Drawing on answers, not on reservations, means a skipped
# or expired pair passes its draw on to the next pair answered (what a skip does to "left": annotation/blinding.md).
# slot_next serves a due repeat before anything else and the scheduled ones as a tail once no real pair is left,
# so every scheduled repeat is served and slots_ahead can count them all.


def repeat_draw(study: Study, user: User, k: int) -> int | None:
    """For the rater's k-th answered real pair (0-based): None when it is not to come back, else how many slots
    after its answer its repeat is due (at least repeat_gap, seeded; memoised, see _repeat_draws)."""
    return _repeat_draws(study, user, k + 1)[k]


def _seeded_repeat_draw(study: Study, user: User, k: int) -> int | None:
    rng = random.Random(stable_int(study.seed, user.pk, k, "repeat"))
    if rng.random() >= study.repeat_rate:
        return None
    return study.repeat_gap + rng.randrange(study.repeat_gap + 1)


def repeat_counts(study: Study, user: User) -> tuple[int, int, bool, int]:
    """(real pairs answered, slots taken, is the reserved slot a real pair, repeats taken) for the rater: what the
    repeat draw of the next answer and the control draw of the next slot need (repeats take no control draw, so
    the controls fall among the other pairs exactly as in a study without repeats). judgment_submit asks it on
    every answer of a repeat study, whatever its kind, so that answering a real pair costs the server what
    answering a control or a repeat does."""
    rows = Slot.objects.filter(item__study=study, rater=user).exclude(status=Slot.Status.EXPIRED)
    done_real = reserved_real = taken = repeats = 0
    for kind, status in rows.values_list("item__kind", "status"):
        taken += 1
        repeats += kind == Item.Kind.REPEAT
        if kind == Item.Kind.REAL:
            done_real += status == Slot.Status.DONE
            reserved_real += status == Slot.Status.RESERVED
    return done_real, taken, bool(reserved_real), repeats


def repeats_pending(study: Study, user: User) -> list[tuple[int, int]]:
    """The rater's scheduled repeats not yet handed out, soonest first: (repeat item id, due slot count), in one
    query whether or not there are any. A repeat handed out once (even if then skipped or expired) is not handed
    out again."""
    if not study.repeat_rate:
        return []
    copy = Item.objects.filter(repeat_of=OuterRef("item_id"), kind=Item.Kind.REPEAT).values("pk")[:1]
    held = Slot.objects.filter(rater=user, item__repeat_of=OuterRef("item_id"), item__kind=Item.Kind.REPEAT)
    rows = (Slot.objects.filter(item__study=study, rater=user, repeat_due__isnull=False, status=Slot.Status.DONE)
            .annotate(copy=Subquery(copy), held=Exists(held)).filter(held=False, copy__isnull=False)
            .order_by("repeat_due", "copy").values_list("copy", "repeat_due"))
    return list(rows)


def _ahead_with_repeats(study: Study, user: User, counts: dict[str, int], real: int, controls: int) -> int:
    """slots_ahead for a study with repeats: slot_next's order replayed while controls remain (a due repeat takes
    a slot's place, and that slot's control draw is not used), then plain counting. The reserved real pair, if
    any, is counted as answered: its draw is the next one."""
    pending = sorted(due for _, due in repeats_pending(study, user))
    k, n, reserved_real, repeats = repeat_counts(study, user)
    if reserved_real:
        delay = repeat_draw(study, user, k)
        if delay is not None:
            bisect.insort(pending, n + delay)
        k += 1
    ahead = 0
    draws = _control_draws(study, user, n - repeats + real + controls + 1) if controls > 0 else b""
    while real > 0 and controls > 0:
        if pending and pending[0] <= n:
            pending.pop(0)
            repeats += 1
        elif draws[n - repeats]:  # the control draws count the slots that are not repeats
            controls -= 1
        else:
            real -= 1
            delay = repeat_draw(study, user, k)
            if delay is not None:
                bisect.insort(pending, n + 1 + delay)
            k += 1
        n, ahead = n + 1, ahead + 1
    future = sum(1 for delay in _repeat_draws(study, user, k + real)[k:k + real] if delay is not None)
    return ahead + real + future + len(pending)


_DRAWS: OrderedDict[tuple, tuple | bytes] = OrderedDict()
_DRAWS_LOCK = threading.Lock()
_DRAWS_RATERS = 4096


def _memo_prefix(key: tuple, upto: int, draw: Callable[[int], object], kind: type[bytes] | type[tuple]
                 ) -> bytes | tuple:
    """A rater's seeded draws 0..upto-1, `kind(draw(n) for n ...)`, memoised per process (at most _DRAWS_RATERS
    raters per kind of draw) and extended as more are asked for. A study's draws are a pure function of the study
    and the rater; replaying thousands of them for every progress bar took most of an annotator's request
    (bench/RESULTS.md, "Annotators under load"), so each is drawn once per process."""
    with _DRAWS_LOCK:
        draws = _DRAWS.get(key, kind())
        _DRAWS[key] = draws
        _DRAWS.move_to_end(key)
        while len(_DRAWS) > 2 * _DRAWS_RATERS:
            _DRAWS.popitem(last=False)
    if len(draws) < upto:
        draws += kind(draw(n) for n in range(len(draws), upto))
        with _DRAWS_LOCK:
            if len(draws) > len(_DRAWS.get(key, kind())):
                _DRAWS[key] = draws
    return draws


def _control_draws(study: Study, user: User, upto: int) -> bytes:
    """`_wants_control` for the rater's slots 0..upto-1."""
    return _memo_prefix(("control", study.public_token, study.seed, study.control_rate, user.pk), upto,
                        lambda n: _wants_control(study, user, n), bytes)


def _repeat_draws(study: Study, user: User, upto: int) -> tuple[int | None, ...]:
    """`repeat_draw` for the rater's answered real pairs 0..upto-1. slots_ahead counts the repeats still to come
    for every real pair ahead, so a repeat study's progress bar asked for thousands of these on every request."""
    return _memo_prefix(("repeat", study.public_token, study.seed, study.repeat_rate, study.repeat_gap, user.pk),
                        upto, lambda k: _seeded_repeat_draw(study, user, k), tuple)


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
    function (same contract: ids of open real items, in the order they should be offered; it may read the
    study's judgments); locking, seats, sides and progress stay as they are. An adaptive study's strategy is
    annotation.adaptive (the items worth one more rating from this rater, best first)."""
    if study.allocation == Study.Allocation.ADAPTIVE:
        cached = study.__dict__.pop("_adaptive_order", None)
        return iter(cached[1] if cached and cached[0] == user.pk else adaptive_order(study, user))
    return _open_in_rater_order(study, user)


def _open_in_rater_order(study: Study, user: User) -> Iterator[int]:
    """The open real items (see hot_sql.open_among) in this rater's order, asked of the database a growing window of
    the order at a time: the first window nearly always has one, so a request reads a few rows, not every item."""
    order, start, size = _askable_in_rater_order(study, user), 0, _FIRST_WINDOW
    while start < len(order):
        window = order[start:start + size]
        open_here = hot_sql.open_among(study, user.pk, window)
        yield from (pk for pk in window if pk in open_here)
        start, size = start + size, size * 4
