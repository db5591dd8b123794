"""Under concurrent requests every real item ends with exactly k raters (never more) and no rater holds an item
twice: twelve raters, one thread each, ask for work and answer at the same moment until nothing is left.

Needs PostgreSQL (DATABASE_URL pointing at it, as CI has), where assignment locks rows with SKIP LOCKED; on
SQLite the test skips, and under CI=true it fails instead of skipping (tests/needs.py)."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connections

from annotation.models import Item, Slot
from tests.conftest import make_users

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(users: list[User], work: Callable[[User], None], join_s: float) -> list[str]:
    """One thread per user, all released at once, each calling ``work(user)`` and closing its own DB
    connections; returns the exceptions the threads raised (repr)."""
    barrier = threading.Barrier(len(users))
    errors = []

    def run(user):
        try:
            barrier.wait()
            work(user)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(join_s)
    return errors



def test_many_threads_never_exceed_k_per_item(pg, study_factory):
    from annotation.services import judgment_submit, slot_next

    k = 3
    study = study_factory(n_examples=12, raters_per_item=k, control_rate=0.0)
    users = make_users("c", 12)

    def work(user):
        while (slot := slot_next(study=study, user=user)) is not None:
            judgment_submit(slot=slot, user=user, answer={"preference": "left", "accurate_left": True,
                                                          "accurate_right": True}, idempotency_key=slot.token)

    assert not run_concurrently(users, work, 60)
    done = Counter(Slot.objects.filter(item__study=study, status="done").values_list("item_id", flat=True))
    n_items = Item.objects.filter(study=study, kind="real").count()
    assert len(done) == n_items and set(done.values()) == {k}
    pairs = list(Slot.objects.filter(item__study=study).values_list("item_id", "rater_id"))
    assert len(pairs) == len(set(pairs))


def test_counters_stay_exact_under_concurrent_next_skip_expire_and_late_answers(pg, study_factory):
    """Item.seats_taken and the side tallies (annotation/services/tallies.py) equal a recount from the slots
    after threads take, answer, skip, let expire (reclaimed by others) and answer late, all at once."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from annotation.services import judgment_submit, slot_next, slot_skip
    from annotation.services.errors import NotAllowed
    from annotation.services.tallies import counters_match

    study = study_factory(n_examples=16, raters_per_item=2, control_rate=0.2)
    users = make_users("t", 8)

    def work(user):
        rng = random.Random(user.pk)
        late = None  # a slot this rater let expire, answered later
        for step in range(14):
            # an hour on: earlier reservations (30 minutes) have lapsed and this request reclaims them
            now = timezone.now() + timedelta(hours=step)
            slot = slot_next(study=study, user=user, now=now)
            if slot is None:
                break
            roll = rng.random()
            if roll < 0.2:
                slot_skip(slot=slot, user=user)
            elif roll < 0.35 and late is None:
                late = slot  # left reserved: lapses and is reclaimed by the next request an hour on
            else:
                try:
                    judgment_submit(slot=slot, user=user, answer={"preference": "left", "accurate_left": True,
                                                                  "accurate_right": True},
                                    idempotency_key=slot.token)
                except NotAllowed:  # a thread some simulated hours ahead reclaimed this reservation first
                    pass
            if late is not None and step % 4 == 3:
                try:
                    judgment_submit(slot=late, user=user, answer={"preference": "tie", "accurate_left": True,
                                                                  "accurate_right": True},
                                    idempotency_key=f"late-{late.token}")
                except NotAllowed:  # the seat went to another rater meanwhile
                    pass
                late = None

    assert not run_concurrently(users, work, 120)
    assert Slot.objects.filter(item__study=study, status="expired").exists()  # the test did what it says
    assert Slot.objects.filter(item__study=study, status="skipped").exists()
    assert counters_match(study)


def test_reviewers_racing_for_the_queue_decide_each_item_once(pg, study_factory):
    """Six reviewers ask for work and answer at the same moment, some twice with one key: every queued item ends
    with exactly one final label (one Adjudication per item), none is decided twice, and none is lost."""
    from django.contrib.auth.models import Group

    from annotation.models import Adjudication
    from annotation.review_queue import item_rows
    from annotation.services import adjudication_next, adjudication_submit, reviewer_add, simulate_raters

    study = study_factory(n_examples=10, raters_per_item=3, control_rate=0.0, adjudication="sample",
                          adjudication_share=1.0)
    simulate_raters(study=study, raters=3, seed=1)
    users = make_users("rv", 6, group="reviewer")
    for u in users:
        reviewer_add(study=study, user=u)
    assert Group.objects.get(name="reviewer").user_set.count() == 6

    def work(user):
        while (adj := adjudication_next(study=study, user=user)) is not None:
            for _ in range(2):  # a double submission
                adjudication_submit(adjudication=adj, user=user, answer="tie", idempotency_key=adj.token)

    assert not run_concurrently(users, work, 90)
    queued = {r["item"] for r in item_rows(study) if r["queued"]}
    decided = list(Adjudication.objects.filter(study=study).values_list("item_id", "status", "history"))
    assert {i for i, _, _ in decided} == queued and len(decided) == len(queued)
    assert all(status == "done" and not history for _, status, history in decided)
