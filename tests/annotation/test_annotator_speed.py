"""The annotator's endpoints under load (bench/load/): what was made fast still gives the same answers, and the
number of queries a request makes has a budget that does not grow with the size of the study."""
from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotation import queue
from annotation.models import Item, Slot, Study
from annotation.services import assignment, judgment_submit, slot_next
from tests.conftest import make_users

pytestmark = pytest.mark.django_db

ANSWER = {"preference": "left", "accurate_left": True, "accurate_right": False}
# Budgets on PostgreSQL and SQLite (which adds one write-lock statement). Next: session, user, study with
# membership; BEGIN, study status, current slot, expired reservations, the rater's counts, a window of open items,
# the item's lock, its seats, the side tallies, the insert, the seat counter, the tally, COMMIT; progress from the
# counts the assignment took (16 on PostgreSQL). Submit: session, user, slot; BEGIN, its lock, the insert, the
# slot's update, COMMIT; progress (9). Measured 24/12 before the counters (bench/RESULTS.md, "Annotators under
# load"). The rating page's combined "answer and next" (?next=1): session, user, slot; the answer's 5; the next
# pair's 13 (21 on PostgreSQL, one more on SQLite; under the production settings the session comes from Redis:
# one less each).
NEXT_BUDGET, SUBMIT_BUDGET, COMBINED_BUDGET = 17, 9, 22


def _annotators(n: int) -> list[User]:
    return make_users("speed", n)


def _plain_open_real(study, user):
    """Open real items counted from every slot, as before Item.seats_taken."""
    askable = Item.objects.filter(study=study, kind=Item.Kind.REAL, identical=False)
    return (askable.exclude(slots__rater=user).annotate(taken=Count("slots", filter=Q(slots__seat__isnull=False)))
            .filter(taken__lt=study.raters_per_item))


def _open_real_orm(study, user):
    """Real items this rater has never held that still have a free seat, as the ORM says it (what
    hot_sql.open_among writes out)."""
    askable = Item.objects.filter(study=study, kind=Item.Kind.REAL, seats_taken__lt=study.raters_per_item)
    if study.identical_outputs == Study.Identical.TIE:
        askable = askable.filter(identical=False)
    return askable.exclude(slots__rater=user)


def _plain_slots_ahead(study, user) -> int:
    """The forecast as it was first written: open real items and unseen controls, every seeded draw replayed."""
    mine = Slot.objects.filter(item__study=study, rater=user).exclude(status=Slot.Status.EXPIRED)
    real = _plain_open_real(study, user).count()
    if study.quota_per_rater is not None:
        n_real = mine.filter(item__kind=Item.Kind.REAL).count()  # a skipped real pair counts toward the quota
        real = max(0, min(real, study.quota_per_rater - n_real))
    controls = Item.objects.filter(study=study, kind=Item.Kind.CONTROL).exclude(slots__rater=user).count()
    ahead, n_taken = 0, mine.count()
    while real > 0:
        if controls and queue._wants_control(study, user, n_taken + ahead):
            controls -= 1
        else:
            real -= 1
        ahead += 1
    return ahead


def _plain_counts(study, user) -> dict[str, int]:
    """rater_counts as plain ORM queries."""
    mine = Slot.objects.filter(item__study=study, rater=user)
    return {"done": mine.filter(status="done").count(), "reserved": mine.filter(status="reserved").count(),
            "taken": mine.exclude(status="expired").count(),
            "real": mine.filter(item__kind="real").exclude(status="expired").count(),
            "controls": mine.filter(item__kind="control").count(), "open": _plain_open_real(study, user).count()}


@pytest.mark.parametrize("quota", [None, 7])
def test_slots_ahead_equals_a_plain_replay_of_every_draw(study_factory, quota):
    study = study_factory(n_examples=22, raters_per_item=2, control_rate=0.35, quota_per_rater=quota)
    users = _annotators(4)
    for step in range(12):  # raters at different stages, with skips, so counts and draws differ
        for i, user in enumerate(users[: 1 + step % 4]):
            assert queue.slots_ahead(study, user) == _plain_slots_ahead(study, user), (step, i)
            assert queue.rater_counts(study, user) == _plain_counts(study, user), (step, i)
            slot = slot_next(study=study, user=user)
            if slot is None:
                continue
            if (step + i) % 5 == 4:
                assignment.slot_skip(slot=slot, user=user)
            else:
                judgment_submit(slot=slot, user=user, answer=ANSWER, idempotency_key=uuid.uuid4().hex)
    for user in users:
        assert queue.slots_ahead(study, user) == _plain_slots_ahead(study, user)
        assert queue.rater_counts(study, user) == _plain_counts(study, user)


@pytest.mark.parametrize("kind", ["controls", "repeats", "quota"])
def test_the_counts_a_slot_is_handed_out_with_equal_a_recount(study_factory, kind):
    """slot_next_counted's counts (the progress bar's, without counting again) are exactly rater_counts recounted
    right after, whatever the slot was (real, control, repeat, the current one again, none), through skips, late
    answers to expired reservations and a quota; and the progress built from them is the recounted one."""
    from datetime import timedelta

    from django.utils import timezone

    from annotation.selectors import rater_progress

    params = {"controls": {"control_rate": 0.35}, "repeats": {"control_rate": 0.2, "repeat_rate": 0.5, "repeat_gap": 1},
              "quota": {"control_rate": 0.3, "quota_per_rater": 6}}[kind]
    study = study_factory(n_examples=16, raters_per_item=2, **params)
    users, seen, now = _annotators(3), {"none": 0, "current": 0}, timezone.now()
    for step in range(60):
        user = users[step % 3]
        if step % 11 == 10:  # time passes: this rater's and others' reservations expire and are reclaimed
            now += timedelta(minutes=study.reservation_minutes + 1)
        slot, counts = assignment.slot_next_counted(study=study, user=user, now=now)
        if counts is None:
            seen["none" if slot is None else "current"] += 1
        else:
            seen[slot.item.kind] = seen.get(slot.item.kind, 0) + 1
            assert counts == queue.rater_counts(study, user), (step, slot.item.kind)
            assert rater_progress(study, user, counts) == rater_progress(study, user), step
        if slot is None:
            continue
        if step % 7 == 3:
            assignment.slot_skip(slot=slot, user=user)
        elif step % 5 != 4:  # every fifth pair is left reserved: the next request hands it back, or it expires
            judgment_submit(slot=slot, user=user, answer=ANSWER, idempotency_key=uuid.uuid4().hex)
    assert seen.get("real") and seen.get("control") and seen["current"], seen
    assert kind != "repeats" or seen.get("repeat"), seen


def test_a_repeat_studys_progress_draws_each_repeat_once_per_process(study_factory, monkeypatch):
    """slots_ahead counts the repeats the real pairs still ahead will bring, one seeded draw each: they are drawn
    once per process and rater (the memo grows as more are asked for) and are the draws themselves."""
    study = study_factory(n_examples=16, raters_per_item=2, control_rate=0.2, repeat_rate=0.4, repeat_gap=2)
    user = _annotators(1)[0]
    monkeypatch.setattr(queue, "_DRAWS", type(queue._DRAWS)())
    drawn = []
    plain = queue._seeded_repeat_draw
    monkeypatch.setattr(queue, "_seeded_repeat_draw", lambda s, u, k: drawn.append(k) or plain(s, u, k))
    first = queue.slots_ahead(study, user)
    assert drawn and len(drawn) == len(set(drawn))
    assert queue.slots_ahead(study, user) == first and len(drawn) == len(set(drawn))
    before = len(drawn)
    assert queue.slots_ahead(study, user) == first and len(drawn) == before  # nothing drawn again
    assert [queue.repeat_draw(study, user, k) for k in range(40)] == [plain(study, user, k) for k in range(40)]


def test_open_items_come_in_the_raters_own_order_window_by_window(study_factory, monkeypatch):
    study = study_factory(n_examples=30, raters_per_item=1, control_rate=0.0)
    anna, otto = _annotators(2)
    for _ in range(9):  # otto fills some seats: those items are no longer open to anyone
        judgment_submit(slot=slot_next(study=study, user=otto), user=otto, answer=ANSWER,
                        idempotency_key=uuid.uuid4().hex)
    monkeypatch.setattr(queue, "_ORDERS", type(queue._ORDERS)())  # a cold cache, then a warm one
    monkeypatch.setattr(queue, "_FIRST_WINDOW", 2)  # windows of 2, 8, 32 items
    expected = queue._rater_order(study, anna, list(_plain_open_real(study, anna)
                                                         .values_list("pk", flat=True)))
    assert len(expected) == Item.objects.filter(study=study, kind="real", identical=False).count() - 9 > 9
    assert list(queue._open_in_rater_order(study, anna)) == expected
    assert list(queue._open_in_rater_order(study, anna)) == expected
    assert slot_next(study=study, user=anna).item_id == expected[0]


def _queries_for_one_pair(client: Client, study) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as next_q:
        resp = client.post(f"/api/work/{study.public_token}/next/")
    assert resp.status_code == 200, resp.content
    slot = resp.json()["slot"]["slot"]
    with CaptureQueriesContext(connection) as submit_q:
        resp = client.post(f"/api/work/slots/{slot}/judgment/", json.dumps({**ANSWER, "idempotency_key": slot}),
                           content_type="application/json")
    assert resp.status_code == 201, resp.content
    return len(next_q), len(submit_q)


def test_next_and_submit_stay_within_their_query_budget(study_factory, django_assert_max_num_queries):
    study = study_factory(n_examples=20, raters_per_item=2, control_rate=0.0)
    (user,) = _annotators(1)
    client = Client()
    client.force_login(user)
    _queries_for_one_pair(client, study)  # joins the study
    with django_assert_max_num_queries(NEXT_BUDGET):
        slot = client.post(f"/api/work/{study.public_token}/next/").json()["slot"]["slot"]
    with django_assert_max_num_queries(SUBMIT_BUDGET):
        client.post(f"/api/work/slots/{slot}/judgment/", json.dumps({**ANSWER, "idempotency_key": "k"}),
                    content_type="application/json")
    slot = client.post(f"/api/work/{study.public_token}/next/").json()["slot"]["slot"]
    with django_assert_max_num_queries(COMBINED_BUDGET):
        resp = client.post(f"/api/work/slots/{slot}/judgment/?next=1",
                           json.dumps({**ANSWER, "idempotency_key": "k2"}), content_type="application/json")
    assert resp.status_code == 201 and resp.json()["next"]["slot"]["slot"] != slot


def test_query_count_does_not_grow_with_the_study(study_data, researcher):
    from annotation.services import study_create

    ds, systems = study_data
    counts = []
    for name, n in (("small", 6), ("large", 30)):
        study = study_create(name=name, dataset=ds, systems=systems[:2], n_examples=n, raters_per_item=2,
                             control_rate=0.0, user=researcher, launch=True)
        user = User.objects.create_user(f"grow-{name}")
        user.groups.add(Group.objects.get_or_create(name="annotator")[0])
        client = Client()
        client.force_login(user)
        _queries_for_one_pair(client, study)
        counts.append(_queries_for_one_pair(client, study))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("identical", ["tie", "show"])
def test_written_out_open_items_equal_the_orm_definition(study_factory, identical):
    """annotation/hot_sql.open_among is _open_real_orm (the definition) restricted to the ids asked, for raters
    who have answered, skipped and hold nothing, whatever the study does with identical outputs."""
    from annotation import hot_sql

    study = study_factory(n_examples=16, raters_per_item=1, control_rate=0.0, identical_outputs=identical)
    anna, otto, zoe = _annotators(3)
    for i in range(6):
        slot = slot_next(study=study, user=otto if i % 2 else anna)
        if i % 3 == 2:
            assignment.slot_skip(slot=slot, user=slot.rater)
        else:
            judgment_submit(slot=slot, user=slot.rater, answer=ANSWER, idempotency_key=uuid.uuid4().hex)
    ids = list(Item.objects.filter(study=study).values_list("pk", flat=True))
    for user in (anna, otto, zoe):
        expected = set(_open_real_orm(study, user).values_list("pk", flat=True))
        assert hot_sql.open_among(study, user.pk, ids) == expected
        assert hot_sql.open_among(study, user.pk, ids[:5]) == expected & set(ids[:5])
    assert hot_sql.open_among(study, zoe.pk, []) == set()
