"""Sides stay hard to guess while staying balanced: a simulated study in serving order, and the design's core."""
from __future__ import annotations

import random

import pytest

from annotation.models import Item, Slot
from annotation.services import study_create
from annotation.services.blinding_audit import interleaved_study, less_often_left_guess
from annotation.sides import SIDE_BOUND, side_choice
from tests.annotation.conftest import make_study_data
from tests.conftest import make_users

pytestmark = pytest.mark.django_db
ANSWER = {"preference": "tie", "accurate_left": True, "accurate_right": True}


def _simulate(study, n_raters: int, seed: int) -> list[Slot]:
    return interleaved_study(study, make_users(f"side{seed}-", n_raters), seed, ANSWER)


def test_sides_are_hard_to_guess_and_balanced_in_a_simulated_study(db):
    ds, systems = make_study_data(n_examples=50, n_systems=2, seed=21)
    study = study_create(name="sides", dataset=ds, systems=systems, n_examples=50, raters_per_item=4,
                         control_rate=0.0, seed=4, launch=True)
    slots = _simulate(study, n_raters=8, seed=4)
    assert len(slots) == 200
    accuracy, lead = less_often_left_guess(slots)
    assert accuracy <= 0.65, f"'less often left so far' guessed {accuracy:.1%} of sides"
    assert max(abs(v) for v in lead.values()) <= SIDE_BOUND  # per rater, at the end of the study
    a_left = sum(s.left_is_a for s in slots)
    assert abs(a_left / len(slots) - 0.5) <= 0.02, f"system a on the left {a_left} of {len(slots)} times"


def test_three_systems_balance_every_pair_per_rater(db):
    ds, systems = make_study_data(n_examples=30, n_systems=3, seed=22)
    study = study_create(name="sides3", dataset=ds, systems=systems, n_examples=15, raters_per_item=2,
                         control_rate=0.3, seed=5, launch=True)
    slots = _simulate(study, n_raters=3, seed=5)
    _, lead = less_often_left_guess(slots)
    assert len(slots) == 90
    assert max(abs(v) for v in lead.values()) <= SIDE_BOUND
    controls = Slot.objects.filter(item__study=study, item__kind=Item.Kind.CONTROL, status=Slot.Status.DONE)
    for rater_id in {s.rater_id for s in slots}:  # the intact side of controls is balanced the same way
        mine = controls.filter(rater_id=rater_id)
        assert abs(2 * mine.filter(left_is_a=True).count() - mine.count()) <= SIDE_BOUND


def _exact_alternation(mine: int, everyone: int, draw: float) -> bool:
    """The previous design, for the comparison below: the rater's under-used side, else overall, else a coin."""
    if mine:
        return mine < 0
    return everyone < 0 if everyone else draw < 0.5


@pytest.mark.parametrize("design, most", [(side_choice, 0.62), (_exact_alternation, 1.0)])
def test_side_design_core_predictability(design, most):
    """Many simulated studies on the pure design: the bound always holds, the guess is near 58 %, not 75 %."""
    rng = random.Random(0)
    right = total = 0.0
    for _ in range(200):
        order = [r for r in range(8) for _ in range(20)]
        rng.shuffle(order)
        mine, everyone = [0] * 8, 0
        for r in order:
            a_left = design(mine[r], everyone, rng.random())
            right += 0.5 if mine[r] == 0 else float((mine[r] < 0) == a_left)
            total += 1
            step = 1 if a_left else -1
            mine[r] += step
            everyone += step
            assert abs(mine[r]) <= SIDE_BOUND
        assert abs(everyone) <= 0.04 * len(order)
    assert right / total <= most
    if design is _exact_alternation:
        assert right / total >= 0.74  # what the old design gave away
