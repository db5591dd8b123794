"""Under concurrent requests every real item ends with exactly k raters (never more) and no rater holds an item
twice: twelve raters, one thread each, ask for work and answer at the same moment until nothing is left.

Needs PostgreSQL (DATABASE_URL pointing at it, as CI has), where assignment locks rows with SKIP LOCKED; on
SQLite the test skips, and under CI=true it fails instead of skipping (tests/needs.py)."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, connections

from annotation.models import Item, Slot
from tests.needs import need, port_open

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pg(transactional_db):
    need(connection.vendor == "postgresql",
         "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
         + ("" if port_open(5432) else " (and nothing listens on 127.0.0.1:5432)"))
    return connection


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
