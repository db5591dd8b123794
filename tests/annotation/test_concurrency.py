"""Under concurrent requests every real item ends with exactly k raters (never more) and no rater holds an item
twice: twelve raters, one thread each, ask for work and answer at the same moment until nothing is left.

Needs PostgreSQL (DATABASE_URL pointing at it, as CI has), where assignment locks rows with SKIP LOCKED; on
SQLite the test skips, and under CI=true it fails instead of skipping (tests/needs.py)."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.contrib.auth.models import Group, User
from django.db import connections

from annotation.models import Item, Slot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]



def test_many_threads_never_exceed_k_per_item(pg, study_factory):
    from annotation.services import judgment_submit, slot_next

    k = 3
    study = study_factory(n_examples=12, raters_per_item=k, control_rate=0.0)
    group = Group.objects.get_or_create(name="annotator")[0]
    users = []
    for i in range(12):
        u = User.objects.create_user(f"c{i}")
        u.groups.add(group)
        users.append(u)
    barrier = threading.Barrier(len(users))
    errors = []

    def work(user):
        try:
            barrier.wait()
            while (slot := slot_next(study=study, user=user)) is not None:
                judgment_submit(slot=slot, user=user, answer={"preference": "left", "accurate_left": True,
                                                              "accurate_right": True}, idempotency_key=slot.token)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
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
    group = Group.objects.get_or_create(name="annotator")[0]
    users = []
    for i in range(8):
        u = User.objects.create_user(f"t{i}")
        u.groups.add(group)
        users.append(u)
    barrier = threading.Barrier(len(users))
    errors = []

    def work(user):
        rng = random.Random(user.pk)
        late = None  # a slot this rater let expire, answered later
        try:
            barrier.wait()
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
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert Slot.objects.filter(item__study=study, status="expired").exists()  # the test did what it says
    assert Slot.objects.filter(item__study=study, status="skipped").exists()
    assert counters_match(study)
