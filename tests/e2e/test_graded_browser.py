"""Real Chromium: a graded study with criteria answered from the keyboard (digits pick, Enter submits), and the
answer restored when the rater goes back (B)."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_graded_preference_and_criteria_by_keyboard(live_server, page_at, study_factory, annotator):
    from annotation.models import Judgment

    study = study_factory(name="graded-walk", n_examples=3, raters_per_item=1, control_rate=0.0,
                          questions={"pairwise": True, "accuracy": False, "graded": True,
                                     "criteria": ["fluency", "meaning"], "comment": False})
    page = page_at(1366, 900)
    login(page, live_server.url, "anna", "pw-anna")
    page.goto(f"{live_server.url}/work/{study.public_token}/")
    page.wait_for_selector("#answer-form[data-state=ready]")
    slot = page.get_attribute("#answer-form", "data-slot")
    for key in ("4", "2", "3", "Enter"):  # B slightly better; fluency: B; meaning: equal
        page.keyboard.press(key)
    page.wait_for_function(f"() => document.getElementById('answer-form').dataset.slot !== '{slot}'", polling=100)
    j = Judgment.objects.get(slot__token=slot)
    assert (j.preference, j.strength, j.criteria) == ("right", "slightly", {"fluency": "right", "meaning": "tie"})
    page.wait_for_selector("#answer-form[data-state=ready]")
    page.keyboard.press("b")
    page.wait_for_function(f"() => document.getElementById('answer-form').dataset.slot === '{slot}'", polling=100)
    assert page.is_checked("input[name=preference][value='right:slightly']")
    assert page.is_checked("input[name=criterion-fluency][value=right]")
    assert page.is_checked("input[name=criterion-meaning][value=tie]")
