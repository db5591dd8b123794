"""The annotator's hot path as written-out SQL: the statements "next pair" and "submit" run on every request
that return ids, counts or a few scalars (no model instances).

Why by hand: on the rating endpoints Django's ORM spent more CPU compiling each of these statements than
PostgreSQL spent running it (a third of a request's CPU was the compiler; bench/RESULTS.md, "Annotators under
load"). Each function here is one plain statement on both PostgreSQL and SQLite, with the same meaning as the
ORM query it replaced (named in its docstring); tests/annotation/test_annotator_speed.py and test_concurrency.py
compare the results with plain ORM queries and run them concurrently. Nothing here decides anything: the
services call these inside their own transactions, and the unique constraints on slots (item, rater) and
(item, seat) still make a lost race an IntegrityError, never a double assignment.
"""
from __future__ import annotations

from datetime import datetime
from functools import cache

from django.db import connection

from annotation.models import Item, Slot, Study


@cache
def _tables() -> dict[str, str]:
    return {"slot": Slot._meta.db_table, "item": Item._meta.db_table, "study": Study._meta.db_table,
            "reserved": Slot.Status.RESERVED, "real": Item.Kind.REAL}


def _lock(of: str, skip_locked: bool = False) -> str:
    """FOR UPDATE OF the alias on PostgreSQL; nothing on SQLite, where the transaction holds the write lock."""
    if not connection.features.has_select_for_update:
        return ""
    return f" FOR UPDATE OF {of}" + (" SKIP LOCKED" if skip_locked else "")


def _fetchall(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _when(value: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(value)


def study_status(study_id: int) -> str:
    """`study.refresh_from_db(fields=["status"])`'s value."""
    rows = _fetchall(f"SELECT status FROM {_tables()['study']} WHERE id = %s", [study_id])  # noqa: S608
    return rows[0][0]


def current_slot_id(study_id: int, rater_id: int, now: datetime) -> int | None:
    """The rater's current reservation in the study (the oldest one still valid), as
    `Slot.objects.filter(item__study=..., rater=..., status=RESERVED, reserved_until__gte=now)
    .order_by("reserved_at", "id").first()`."""
    t = _tables()
    rows = _fetchall(
        f"SELECT s.id FROM {t['slot']} s INNER JOIN {t['item']} i ON i.id = s.item_id "  # noqa: S608
        f"WHERE s.rater_id = %s AND i.study_id = %s AND s.status = %s AND s.reserved_until >= %s "
        f"ORDER BY s.reserved_at, s.id LIMIT 1", [rater_id, study_id, t["reserved"], _when(now)])
    return rows[0][0] if rows else None


def expired_reservations(study_id: int, now: datetime) -> list[tuple]:
    """The study's expired reservations, locked (PostgreSQL: skipping those another request holds): (slot id,
    item id, seat, rater id, left_is_a, item kind, system a id, system b id), as slot_reclaim_expired's
    `values_list` over `select_for_update(skip_locked=True, of=("self",))`."""
    t = _tables()
    rows = _fetchall(
        f"SELECT s.id, s.item_id, s.seat, s.rater_id, s.left_is_a, i.kind, i.system_a_id, i.system_b_id "  # noqa: S608
        f"FROM {t['slot']} s INNER JOIN {t['item']} i ON i.id = s.item_id "
        f"WHERE i.study_id = %s AND s.status = %s AND s.reserved_until < %s" + _lock("s", skip_locked=True),
        [study_id, t["reserved"], _when(now)])
    return [(*row[:4], bool(row[4]), *row[5:]) for row in rows]


def open_among(study: Study, rater_id: int, ids: list[int] | tuple[int, ...]) -> set[int]:
    """Which of `ids` are open to the rater: real, a free seat, askable (not identical outputs when the study
    ties those), never held by this rater (its ORM statement is in tests/annotation/test_annotator_speed.py)."""
    if not ids:
        return set()
    t = _tables()
    marks = ", ".join(["%s"] * len(ids))
    identical = " AND NOT i.identical" if study.identical_outputs == Study.Identical.TIE else ""
    rows = _fetchall(
        f"SELECT i.id FROM {t['item']} i WHERE i.study_id = %s AND i.kind = %s AND i.seats_taken < %s"  # noqa: S608
        f"{identical} AND i.id IN ({marks}) AND NOT EXISTS "
        f"(SELECT 1 FROM {t['slot']} s WHERE s.item_id = i.id AND s.rater_id = %s)",
        [study.pk, t["real"], study.raters_per_item, *ids, rater_id])
    return {row[0] for row in rows}


def taken_seats(item_id: int) -> set[int]:
    """The item's seats held by a slot (`Slot.objects.filter(item_id=..., seat__isnull=False)`); the caller holds
    the item's lock."""
    rows = _fetchall(f"SELECT seat FROM {_tables()['slot']} WHERE item_id = %s AND seat IS NOT NULL",  # noqa: S608
                     [item_id])
    return {row[0] for row in rows}


def lock_slot(slot_id: int) -> tuple[str, int | None, int, str]:
    """Lock the slot for an answer and read it fresh: (status, seat, rater id, its study's status), as
    `Slot.objects.select_for_update().select_related("item__study").get(pk=...)` did."""
    t = _tables()
    rows = _fetchall(
        f"SELECT s.status, s.seat, s.rater_id, st.status FROM {t['slot']} s "  # noqa: S608
        f"INNER JOIN {t['item']} i ON i.id = s.item_id INNER JOIN {t['study']} st ON st.id = i.study_id "
        f"WHERE s.id = %s" + _lock("s"), [slot_id])
    if not rows:
        raise Slot.DoesNotExist(f"No slot {slot_id}.")
    return rows[0]


def set_slot_status(slot_id: int, status: str, seat: int | None, repeat_due: int | None = None) -> None:
    """`slot.save(update_fields=["status", "seat", "repeat_due"])`."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_tables()['slot']} SET status = %s, seat = %s, repeat_due = %s "  # noqa: S608
                       "WHERE id = %s", [status, seat, repeat_due, slot_id])
