"""Controls look like real pairs: built from examples no rater meets as a real pair, and a classifier trained on
simple surface features cannot tell them from the real pairs much better than chance."""
from __future__ import annotations

import random

import pytest
from django.db.models import Count

from annotation.controls import degrade, pair_features
from annotation.models import Item
from annotation.services import AnnotationError, study_create
from annotation.services.blinding_audit import control_surface_auc, realistic_study_data

pytestmark = pytest.mark.django_db


def test_a_classifier_cannot_tell_controls_from_real_pairs(db):
    ds, systems = realistic_study_data()
    study = study_create(name="ctl", dataset=ds, systems=systems, n_examples=70, raters_per_item=1,
                         control_rate=0.5, seed=2)
    auc = control_surface_auc(study)
    print(f"controls vs real pairs: ROC AUC {auc:.3f}")
    assert auc <= 0.65, f"controls are told from real pairs with ROC AUC {auc:.2f}"


def test_controls_never_reuse_an_input_of_the_study(db):
    ds, systems = realistic_study_data(n_rows=120, seed=4)
    study = study_create(name="ctl-in", dataset=ds, systems=systems, n_examples=40, raters_per_item=2,
                         control_rate=0.3, practice_count=3, seed=1)
    real = set(study.items.filter(kind=Item.Kind.REAL).values_list("example_id", flat=True))
    practice = set(study.items.filter(kind=Item.Kind.PRACTICE).values_list("example_id", flat=True))
    controls = list(study.items.filter(kind=Item.Kind.CONTROL).select_related("control", "example"))
    assert len(controls) == study.summary["controls"] == study.summary["controls_wanted"] >= 10
    assert not {c.example_id for c in controls} & (real | practice)
    assert len({c.example_id for c in controls}) == len(controls)  # two systems: one pair per input, like real
    for c in controls:
        assert c.text_a != c.text_b and c.control.expected == "a"
        if c.control.kind == "gold":
            assert c.text_b == c.example.input_text


def test_controls_need_examples_outside_the_study(db):
    ds, systems = realistic_study_data(n_rows=20, seed=5)
    with pytest.raises(AnnotationError, match="outside the study"):
        study_create(name="all-in", dataset=ds, systems=systems, n_examples=20, control_rate=0.2)
    study = study_create(name="all-in", dataset=ds, systems=systems, n_examples=20, control_rate=0.0)
    assert study.summary["controls"] == 0


def test_degradations_change_the_text_and_features_are_side_symmetric():
    rng = random.Random(0)
    text, source = "the cat sat on the mat today", "the cat sit on the mat today"
    for kind in ("drop", "swap", "repeat", "cut", "shuffle", "reverse"):
        out = degrade(text, kind, rng, source=source)
        assert out is not None and out != text, kind
    assert degrade("same", "reverse", rng, source="same") is None
    assert pair_features(source, text, source) == pair_features(source, source, text)
    assert pair_features(source, source, text)[0] == 1.0


def test_two_accounts_of_one_cheater_share_no_more_controls_than_chance(db, researcher):
    """A crowd study with a quota: a cheater with two accounts compares the pairs both got. Were every rater to
    meet every control (controls sized for one rater's quota), the shared pairs would be mostly controls; here
    controls are met by about as many raters as a real pair is (k), so shared pairs are controls about as often
    as any pair is."""
    import itertools

    from annotation.models import Slot
    from annotation.services import invite_create, invite_join, judgment_submit, slot_next
    from tests.annotation.conftest import make_study_data

    ds, systems = make_study_data(n_examples=160, n_systems=2, seed=41)
    study = study_create(name="sybil", dataset=ds, systems=systems, n_examples=60, raters_per_item=3,
                         control_rate=0.2, quota_per_rater=12, user=researcher, launch=True, seed=8)
    invite = invite_create(study=study)
    seen: dict[int, set] = {}
    for pid in range(15):
        user = invite_join(invite=invite, participant_id=f"p{pid}", may_resume=False).user
        while (slot := slot_next(study=study, user=user)) is not None:
            judgment_submit(slot=slot, user=user, answer={"preference": "left", "accurate_left": True,
                                                          "accurate_right": True}, idempotency_key=f"k{slot.pk}")
        seen[user.pk] = set(Slot.objects.filter(rater=user).values_list("item_id", "item__kind"))
    every = [pair for pairs in seen.values() for pair in pairs]
    shared = [pair for a, b in itertools.combinations(seen, 2) for pair in seen[a] & seen[b]]
    share_all = sum(kind == Item.Kind.CONTROL for _, kind in every) / len(every)
    share_shared = sum(kind == Item.Kind.CONTROL for _, kind in shared) / len(shared)
    print(f"controls: {share_all:.0%} of all slots, {share_shared:.0%} of the pairs two raters share")
    assert share_all >= 0.1 and share_shared <= share_all + 0.1
    met = Slot.objects.filter(item__study=study, item__kind=Item.Kind.CONTROL).values("item").annotate(
        n=Count("pk")).values_list("n", flat=True)
    assert max(met) <= study.raters_per_item + 1
