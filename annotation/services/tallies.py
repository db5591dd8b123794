"""Denormalised counters kept in the same transaction as the slot changes they count (bench/RESULTS.md,
"Annotators under load": counting them from every slot of a study was most of an annotator's request).

- `Item.seats_taken`: how many of an item's slots hold a seat. Changes with every seat taken (a new real slot, a
  late answer re-seated) or released (a skip, an expired reservation reclaimed).
- `SideTally`: per study, rater and pair of systems, how many slots that are or will be judged (reserved or done)
  exist and on how many system a was on the left. Changes when a slot is created (reserved), when a reserved
  slot is skipped or expires, and when an expired one is answered late (done again).

Every function here is called inside the transaction that changes the slot, after the change; the increments are
single UPDATE statements (row-locked by the database), so concurrent requests never lose a count.
`counters_match` recomputes both from the slots, for tests and checks.
"""
from __future__ import annotations

from django.db import connection
from django.db.models import F

from annotation.models import Item, SideTally, Slot, Study

JUDGED = (Slot.Status.RESERVED, Slot.Status.DONE)  # the slots whose sides count (see annotation/sides.py)


def pair_key(item: Item) -> str:
    """Real items (and their repeats) balance per pair of systems; controls (of any system) count as one pair of
    their own."""
    if item.kind in (Item.Kind.REAL, Item.Kind.REPEAT):
        return f"real:{item.system_a_id}:{item.system_b_id}"
    return str(item.kind)


def seats_changed(item_id: int, delta: int) -> None:
    Item.objects.filter(pk=item_id).update(seats_taken=F("seats_taken") + delta)


def sides_changed(study_id: int, rater_id: int, pair: str, left_is_a: bool, delta: int) -> None:
    """Add (delta=1: one upsert statement) or take away (delta=-1: one update; the row exists since the slot was
    counted when it was made) one judged slot from the rater's tally."""
    if delta < 0:
        SideTally.objects.filter(study_id=study_id, rater_id=rater_id, pair=pair).update(
            a_left=F("a_left") + (delta if left_is_a else 0), n=F("n") + delta)
        return
    table = SideTally._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (study_id, rater_id, pair, a_left, n) VALUES (%s, %s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (study_id, rater_id, pair) DO UPDATE SET a_left = {table}.a_left + excluded.a_left, "
            f"n = {table}.n + excluded.n",
            [study_id, rater_id, pair, delta if left_is_a else 0, delta])


def slot_sides_changed(slot: Slot, item: Item, study_id: int, delta: int) -> None:
    sides_changed(study_id, slot.rater_id, pair_key(item), slot.left_is_a, delta)


def side_imbalances(study: Study, user_id: int, pair: str) -> tuple[int, int]:
    """(the rater's, everyone's) imbalance for the pair: (times a was on the left) - (times b was). One
    statement over the pair's rows (one per rater), written out: building it with the ORM cost more."""
    table = SideTally._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM(CASE WHEN rater_id = %s THEN 2 * a_left - n ELSE 0 END), 0), "
            f"COALESCE(SUM(2 * a_left - n), 0) FROM {table} WHERE study_id = %s AND pair = %s",
            [user_id, study.pk, pair])
        mine, everyone = cursor.fetchone()
    return int(mine), int(everyone)


def counters_from_slots(study: Study) -> tuple[dict[int, int], dict[tuple[int, str], tuple[int, int]]]:
    """Both counters as they would be if recounted from every slot: ({item: seats}, {(rater, pair): (a_left, n)})."""
    seats: dict[int, int] = {pk: 0 for pk in study.items.values_list("pk", flat=True)}
    tallies: dict[tuple[int, str], list[int]] = {}
    for slot in Slot.objects.filter(item__study=study).select_related("item"):
        if slot.seat is not None:
            seats[slot.item_id] += 1
        if slot.status in JUDGED:
            tally = tallies.setdefault((slot.rater_id, pair_key(slot.item)), [0, 0])
            tally[0] += slot.left_is_a
            tally[1] += 1
    return seats, {key: (a, n) for key, (a, n) in tallies.items()}


def counters_match(study: Study) -> bool:
    seats, tallies = counters_from_slots(study)
    stored_seats = dict(study.items.values_list("pk", "seats_taken"))
    stored = {(r, p): (a, n) for r, p, a, n in SideTally.objects.filter(study=study).exclude(n=0)
              .values_list("rater_id", "pair", "a_left", "n")}
    return stored_seats == seats and stored == tallies
