"""A judge sees what a rater sees, built by the same selector: the rating page's payload, and nothing that names a
system, a model path or a run (annotation/blinding.md)."""
from __future__ import annotations

import dataclasses

import pytest

from annotation.judges import JudgeQuery
from annotation.models import Item, Slot
from annotation.services import slot_next
from annotation.services.judges import _query, _work

pytestmark = pytest.mark.django_db


def test_a_judges_query_is_the_rating_pages_payload(annotator_client, annotator, study_factory):
    study = study_factory("blind-judge", n_systems=3, control_rate=0.0)
    for _ in range(6):
        slot = slot_next(study=study, user=annotator)
        shown = annotator_client.get(f"/api/work/slots/{slot.token}/").json()
        assert JudgeQuery.from_payload(shown) == _query(study, slot.item, slot.left_is_a)
        Slot.objects.filter(pk=slot.pk).update(status=Slot.Status.SKIPPED, seat=None)


def test_nothing_a_judge_is_asked_names_a_system(study_factory):
    study = study_factory("blind-judge2", n_systems=3, control_rate=0.2)
    secrets = ["zebrasys", "secretpath", "runid", "/runs/"]
    items = _work(study)
    assert {i.kind for i in items} == {Item.Kind.REAL} and len(items) == 36
    for item in items:
        for left_is_a in (True, False):
            text = " ".join(dataclasses.astuple(_query(study, item, left_is_a)))
            assert not any(s in text for s in secrets), text
    a, b = _query(study, items[0], True), _query(study, items[0], False)
    assert (a.left, a.right) == (b.right, b.left) and a.source == b.source  # the two orders of one pair
