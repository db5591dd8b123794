"""Adaptive allocation for a live study: the database side of annotation/stats/allocation.py.

`adaptive_order` gives `annotation.queue.real_candidates` (and so `assignment._real_slot`) the items worth one more rating from this rater, best first; seats,
locks, sides and controls stay exactly as in the fixed design (assignment.py), so blinding and the side design do
not change: the allocation only reorders and shortens the list of open items. `adaptive_status` is the stopping
rule's verdict, for the report. Both read every real item's vote counts in one grouped query.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q

from annotation.models import Item, Slot, Study
from annotation.stats.allocation import ItemState, next_items, study_status

A_WON = (Q(judgment__preference="left", left_is_a=True) | Q(judgment__preference="right", left_is_a=False))
B_WON = (Q(judgment__preference="right", left_is_a=True) | Q(judgment__preference="left", left_is_a=False))


def _askable(study: Study):  # noqa: ANN202 (a QuerySet of Item)
    askable = Item.objects.filter(study=study, kind=Item.Kind.REAL)
    if study.identical_outputs == Study.Identical.TIE:
        askable = askable.filter(identical=False)
    return askable


def item_states(study: Study) -> list[ItemState]:
    """Every askable real item's votes (canonical sides), pending reservations and raters, in the study's seeded
    order (`Item.order_key`, drawn when the study was built, before any rating). One query for the items, one for
    their slots; an expired or skipped slot still counts its rater as having seen the item."""
    items = list(_askable(study).values_list("pk", "system_a_id", "system_b_id", "order_key"))
    votes: dict[int, dict[str, Any]] = defaultdict(lambda: {"a": 0, "b": 0, "ties": 0, "pending": 0, "raters": set()})
    askable = {pk for pk, *_ in items}
    rows = (Slot.objects.filter(item__study=study, item__kind=Item.Kind.REAL)
            .values_list("item_id", "rater_id", "status", "left_is_a", "judgment__preference"))
    for item_id, rater_id, status, left_is_a, pref in rows:
        if item_id not in askable:
            continue
        v = votes[item_id]
        v["raters"].add(rater_id)
        if status == Slot.Status.RESERVED and not pref:
            v["pending"] += 1
        elif status == Slot.Status.DONE and pref:
            if pref in ("left", "right"):
                v["a" if (pref == "left") == left_is_a else "b"] += 1
            else:
                v["ties"] += 1
    rank = {pk: i for i, (pk, *_rest) in enumerate(sorted(items, key=lambda row: (row[3], row[0])))}
    return [ItemState(item=pk, pair=(a, b), order=rank[pk], a=votes[pk]["a"], b=votes[pk]["b"],
                      ties=votes[pk]["ties"], pending=votes[pk]["pending"], raters=frozenset(votes[pk]["raters"]))
            for pk, a, b, _ in items]


def adaptive_order(study: Study, user: User) -> list[int]:
    """Ids of the real items worth one more rating from `user`, best first (see allocation.next_items)."""
    return next_items(item_states(study), user.pk, study.raters_per_item, study.min_raters_per_item,
                      study.stop_alpha)


def adaptive_status(study: Study) -> dict[str, Any] | None:
    """The stopping rule's verdict for an adaptive study (None for a fixed one), pairs named by system."""
    if study.allocation != Study.Allocation.ADAPTIVE:
        return None
    status = study_status(item_states(study), study.raters_per_item, study.stop_alpha, study.min_raters_per_item)
    names = {ss.pk: ss.system.name for ss in study.study_systems.select_related("system")}
    for p in status["pairs"]:
        p["a"], p["b"] = names.get(p["a"], p["a"]), names.get(p["b"], p["b"])
        if p["winner"] is not None:
            p["winner"] = names.get(p["winner"], p["winner"])
    return status
