"""Study design, assignment and submission services on the default database."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from annotation.models import Control, Item, Judgment, JudgmentRevision, Slot, Study, StudyRater
from annotation.selectors import judgment_records, study_progress, study_progress_all
from annotation.services import (
    AnnotationError,
    InvalidAnswer,
    NotAllowed,
    StudyFrozen,
    StudyNotLive,
    judgment_submit,
    slot_next,
    slot_skip,
    study_close,
    study_launch,
    study_update,
)
from annotation.services.judgments import rater_finish
from annotation.sides import SIDE_BOUND

ANSWER = {"preference": "left", "accurate_left": True, "accurate_right": False, "seconds": 4.2}


def _annotators(n: int) -> list[User]:
    group = Group.objects.get_or_create(name="annotator")[0]
    users = []
    for i in range(n):
        u = User.objects.create_user(username=f"r{i}")
        u.groups.add(group)
        users.append(u)
    return users


def _work_through(study: Study, user: User, answer=None) -> int:
    n = 0
    while (slot := slot_next(study=study, user=user)) is not None:
        judgment_submit(slot=slot, user=user, answer=answer or ANSWER, idempotency_key=f"k{slot.pk}")
        n += 1
    return n


def test_items_are_every_pair_stratified_and_controls_built(study_factory):
    study = study_factory(n_systems=3, n_examples=9)
    real = study.items.filter(kind=Item.Kind.REAL)
    assert real.count() == 9 * 3  # three system pairs per example
    tasks = Counter(real.values_list("example__task", flat=True))
    assert set(tasks.values()) == {9}  # 3 examples per task x 3 pairs
    controls = Control.objects.filter(item__study=study)
    assert controls.count() >= 1
    for c in controls:
        assert c.item.text_a != c.item.text_b and c.expected == "a"


def test_sampling_is_seeded(study_factory):
    a = study_factory(name="a", seed=7)
    b = study_factory(name="b", seed=7)
    c = study_factory(name="c", seed=8)
    ex = lambda s: sorted(s.items.filter(kind="real").values_list("example_id", flat=True))  # noqa: E731
    assert ex(a) == ex(b)
    assert ex(a) != ex(c)


def test_every_item_gets_exactly_k_distinct_raters(study_factory):
    study = study_factory(raters_per_item=2, control_rate=0.0)
    raters = _annotators(5)
    for r in raters:
        _work_through(study, r)
    per_item = Counter(Slot.objects.filter(item__study=study, status="done").values_list("item_id", flat=True))
    assert set(per_item.values()) == {2}
    assert len(per_item) == study.items.filter(kind="real").count()
    pairs = Slot.objects.filter(item__study=study).values_list("item_id", "rater_id")
    assert len(pairs) == len(set(pairs))
    assert study_progress(study)["percent"] == 100.0


def test_left_right_balanced_per_rater_and_overall(study_factory):
    study = study_factory(raters_per_item=3, control_rate=0.0, n_examples=12)
    raters = _annotators(3)
    for r in raters:
        _work_through(study, r)
    slots = Slot.objects.filter(item__study=study, item__kind="real")
    for r in raters:
        mine = slots.filter(rater=r)
        assert abs(2 * mine.filter(left_is_a=True).count() - mine.count()) <= SIDE_BOUND
    assert abs(2 * slots.filter(left_is_a=True).count() - slots.count()) <= len(raters)


def test_each_rater_has_own_order(study_factory):
    study = study_factory(raters_per_item=2, control_rate=0.0)
    r1, r2 = _annotators(2)
    _work_through(study, r1)
    _work_through(study, r2)
    order = lambda r: list(Slot.objects.filter(rater=r).order_by("pk").values_list("item_id", flat=True))  # noqa
    assert order(r1) != order(r2)
    assert sorted(order(r1)) == sorted(order(r2))


def test_reservation_expires_and_is_reclaimed(study_factory):
    study = study_factory(raters_per_item=1, control_rate=0.0, n_examples=3)
    r1, r2 = _annotators(2)
    held = [slot_next(study=study, user=r1)]
    assert slot_next(study=study, user=r1) == held[0]  # the same reservation, not a new one
    later = timezone.now() + timedelta(minutes=study.reservation_minutes + 1)
    got = []
    while (s := slot_next(study=study, user=r2, now=later)) is not None:
        judgment_submit(slot=s, user=r2, answer=ANSWER, idempotency_key=f"x{s.pk}")
        got.append(s.item_id)
    assert held[0].item_id in got  # r1's expired seat went to r2
    held[0].refresh_from_db()
    assert held[0].status == "expired" and held[0].seat is None
    with pytest.raises(NotAllowed):  # r1's late answer finds the seat taken
        judgment_submit(slot=held[0], user=r1, answer=ANSWER, idempotency_key="late")


def test_quota_per_rater(study_factory):
    study = study_factory(quota_per_rater=3, control_rate=0.0)
    (r,) = _annotators(1)
    assert _work_through(study, r) == 3


def test_double_submission_is_stored_once_and_changes_keep_history(study_factory):
    study = study_factory()
    (r,) = _annotators(1)
    slot = slot_next(study=study, user=r)
    j1, created1 = judgment_submit(slot=slot, user=r, answer=ANSWER, idempotency_key="abc")
    j2, created2 = judgment_submit(slot=slot, user=r, answer=ANSWER, idempotency_key="abc")
    assert created1 and not created2 and j1.pk == j2.pk
    assert Judgment.objects.filter(slot=slot).count() == 1
    changed = {**ANSWER, "preference": "tie"}
    j3, _ = judgment_submit(slot=slot, user=r, answer=changed, idempotency_key="def")
    assert j3.preference == "tie" and j3.revision_count == 1
    assert JudgmentRevision.objects.get(judgment=j3).previous["preference"] == "left"
    judgment_submit(slot=slot, user=r, answer=ANSWER, idempotency_key="abc")  # a stale retry changes nothing
    j3.refresh_from_db()
    assert j3.preference == "tie"


def test_answers_are_validated(study_factory):
    study = study_factory(questions={"pairwise": True, "accuracy": False,
                                     "likert": [{"key": "fluency", "label": "Fluency", "min": 1, "max": 5}]})
    (r,) = _annotators(1)
    slot = slot_next(study=study, user=r)
    with pytest.raises(InvalidAnswer):
        judgment_submit(slot=slot, user=r, answer={"preference": "left"}, idempotency_key="a")
    with pytest.raises(InvalidAnswer):
        judgment_submit(slot=slot, user=r, answer={"preference": "left", "likert": {"fluency": {"left": 9, "right": 1}}},
                        idempotency_key="b")
    j, _ = judgment_submit(slot=slot, user=r, answer={"preference": "left", "likert": {"fluency": {"left": 5, "right": 2}}},
                           idempotency_key="c")
    assert j.likert == {"fluency": {"left": 5, "right": 2}}


def test_other_raters_slot_refused(study_factory):
    study = study_factory()
    r1, r2 = _annotators(2)
    slot = slot_next(study=study, user=r1)
    with pytest.raises(NotAllowed):
        judgment_submit(slot=slot, user=r2, answer=ANSWER, idempotency_key="z")
    with pytest.raises(NotAllowed):
        slot_skip(slot=slot, user=r2)


def test_launched_study_is_frozen_and_states(study_factory):
    draft = study_factory(name="d", launch=False)
    with pytest.raises(StudyNotLive):
        slot_next(study=draft, user=_annotators(1)[0])
    study_update(study=draft, n_examples=6)
    assert draft.items.filter(kind="real").count() == 6
    study_launch(study=draft)
    with pytest.raises(StudyFrozen):
        study_update(study=draft, n_examples=3)
    study_close(study=draft)
    assert [p["name"] for p in study_progress_all()] == ["d"]


def test_skip_frees_the_seat(study_factory):
    study = study_factory(raters_per_item=1, control_rate=0.0, n_examples=2)
    r1, r2 = _annotators(2)
    slot = slot_next(study=study, user=r1)
    slot_skip(slot=slot, user=r1, reason="unreadable")
    assert slot_next(study=study, user=r1).item_id != slot.item_id
    items_r2 = []
    while (s := slot_next(study=study, user=r2)) is not None:
        judgment_submit(slot=s, user=r2, answer=ANSWER, idempotency_key=f"q{s.pk}")
        items_r2.append(s.item_id)
    assert slot.item_id in items_r2


def test_controls_scored_and_completion_code(study_factory):
    study = study_factory(control_rate=0.3, raters_per_item=3)
    careful, careless = _annotators(2)

    def answer_for(slot, good: bool):
        item = slot.item
        if item.kind == "control":
            better = "left" if slot.left_is_a else "right"
            if not good:
                better = "right" if better == "left" else "left"
            return {**ANSWER, "preference": better}
        return ANSWER

    for user, good in ((careful, True), (careless, False)):
        while (s := slot_next(study=study, user=user)) is not None:
            judgment_submit(slot=s, user=user, answer=answer_for(s, good), idempotency_key=f"c{s.pk}")
    n_controls = Slot.objects.filter(rater=careful, item__kind="control").count()
    assert n_controls >= 1
    records = [r for r in judgment_records(study) if r["is_control"]]
    assert {r["control_passed"] for r in records if r["rater"] == careful.username} == {True}
    assert {r["control_passed"] for r in records if r["rater"] == careless.username} == {False}
    assert rater_finish(study=study, user=careful).qc_passed is True
    assert rater_finish(study=study, user=careless).qc_passed is False


def test_identical_outputs_policy(db, researcher):
    from annotation.services import study_create
    from tests.annotation.conftest import make_study_data

    ds, systems = make_study_data(n_examples=12, seed=5, identical_every=3)
    excl = study_create(name="ex", dataset=ds, systems=systems[:2], n_examples=12, raters_per_item=1,
                        identical_outputs="exclude", control_rate=0)
    assert excl.summary["identical_excluded"] == 4 and not excl.items.filter(identical=True).exists()
    tie = study_create(name="tie", dataset=ds, systems=systems[:2], n_examples=12, raters_per_item=1,
                       identical_outputs="tie", control_rate=0, launch=True)
    (r,) = _annotators(1)
    assert _work_through(tie, r) == 8  # identical pairs are never asked
    auto = [x for x in judgment_records(tie, include_auto_ties=True) if x.get("auto")]
    assert len(auto) == 4 and {x["answer"] for x in auto} == {"tie"}


def test_create_refuses_bad_designs(study_data):
    from annotation.services import study_create

    ds, systems = study_data
    with pytest.raises(AnnotationError):
        study_create(name="one", dataset=ds, systems=systems[:1], n_examples=3)
    with pytest.raises(AnnotationError):
        study_create(name="noq", dataset=ds, systems=systems[:2], n_examples=3,
                     questions={"pairwise": False, "accuracy": False})


def test_records_are_unblinded_and_flat(study_factory):
    study = study_factory(control_rate=0.0)
    (r,) = _annotators(1)
    _work_through(study, r)
    recs = judgment_records(study)
    assert recs and all(rec["answer"] == "left" for rec in recs)
    for rec in recs:
        assert rec["preferred_system"] == rec["left_system"]
        assert {rec["left_system"], rec["right_system"]} == {"zebrasys0", "zebrasys1"}


def test_practice_done_is_recorded_once_through_the_api(study_factory, annotator_client, annotator):
    study = study_factory(name="practice", practice_count=1)
    token = study.public_token
    assert annotator_client.post(f"/api/work/{token}/next/").status_code == 200  # joins the study
    member = StudyRater.objects.get(study=study, user=annotator)
    assert member.practice_done is False
    for _ in range(2):  # idempotent
        assert annotator_client.post(f"/api/work/{token}/practice-done/").status_code == 204
    member.refresh_from_db()
    assert member.practice_done is True
