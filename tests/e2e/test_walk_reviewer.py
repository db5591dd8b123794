"""Real Chromium, the reviewer's walk (issue #15, adjudication): the queue of disputed pairs, one at a time, the
raters' answers in the reviewer's own sides with their comments, the final label from the keyboard, a note, and
the same page on a phone; nothing on it names a system."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = (1366, 900)
PHONE = (390, 844)


@pytest.fixture
def disputed(study_factory):
    from annotation.models import Judgment
    from annotation.services import reviewer_add, simulate_raters

    study = study_factory(name="zebrasys-review-walk", n_examples=6, raters_per_item=3, control_rate=0.0,
                          adjudication="disagreements")
    simulate_raters(study=study, raters=2, random_clickers=2, seed=4, prefer={"zebrasys0": 0.8})
    Judgment.objects.filter(slot__item__study=study).exclude(preference="tie").update(
        comment="The first one keeps the meaning; the other drops a word.")
    user = User.objects.create_user("rhea", password="pw-rhea")
    user.groups.add(Group.objects.get_or_create(name="reviewer")[0])
    reviewer_add(study=study, user=user)
    return study


def _no_system_names(page, study) -> None:
    html = page.content()
    for ss in study.study_systems.select_related("system"):
        assert ss.system.name not in html and ss.system.model_path not in html
    assert study.name not in html


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_reviewer_keyboard_walk_desktop_and_phone(live_server, page_at, disputed):
    from annotation.models import Adjudication
    from annotation.review_queue import queue_summary

    queued = queue_summary(disputed)["queued"]
    assert queued >= 2
    page = page_at(*DESKTOP)
    login(page, live_server.url, "rhea", "pw-rhea")
    assert page.url.endswith("/review/")  # a reviewer lands on their queue
    page.click(f"a[href='/review/{disputed.public_token}/']")
    page.wait_for_selector("#review-form")
    assert "What the raters said" in page.inner_text(".raters")
    assert page.locator("#rater-answers li").count() == 3
    assert "keeps the meaning" in page.inner_text("#rater-answers")
    left, right = page.locator("#left-out").bounding_box(), page.locator("#right-out").bounding_box()
    assert abs(left["y"] - right["y"]) < 5 and right["x"] > left["x"] + 300  # side by side
    _no_system_names(page, disputed)
    screenshot(page, "reviewer-desktop")

    # V switches the view; 2 chooses "B is better"; N writes a note; Esc leaves it; Enter saves.
    assert page.is_visible(".output .diff") or page.is_visible(".output .plain")
    view = page.get_attribute(".rate.review", "data-view")
    page.keyboard.press("v")
    assert page.get_attribute(".rate.review", "data-view") != view
    first_token = page.get_attribute("input[name=item]", "value")
    page.keyboard.press("2")
    assert page.is_checked("input[name=label][value=right]")
    page.keyboard.press("n")
    page.keyboard.type("B keeps the meaning")
    page.keyboard.press("Escape")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    adj = Adjudication.objects.get(token=first_token)
    assert adj.status == "done" and adj.note == "B keeps the meaning"
    assert adj.label == ("b" if adj.left_is_a else "a")  # stored in canonical terms
    assert page.get_attribute("input[name=item]", "value") != first_token
    assert "1 decided" in page.inner_text("#progress-text")

    # Enter with no label chosen saves nothing.
    token = page.get_attribute("input[name=item]", "value")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.get_attribute("input[name=item]", "value") == token

    # The same page on a phone: outputs stacked, big tap targets, no sideways scrolling; tapping works.
    phone = page_at(*PHONE)
    login(phone, live_server.url, "rhea", "pw-rhea")
    phone.goto(f"{live_server.url}/review/{disputed.public_token}/")
    phone.wait_for_selector("#review-form")
    left, right = phone.locator("#left-out").bounding_box(), phone.locator("#right-out").bounding_box()
    assert right["y"] > left["y"] + left["height"] - 1  # stacked
    assert _no_sideways_scroll(phone)
    assert phone.locator("#review-form .choices label >> nth=0").bounding_box()["height"] >= 44
    _no_system_names(phone, disputed)
    screenshot(phone, "reviewer-phone")
    while phone.locator("#review-form").count():
        phone.click("#review-form .choices label >> nth=2")  # "Equally good"
        with phone.expect_navigation():
            phone.click("#review-submit")
    assert "Nothing is waiting" in phone.inner_text("main")
    assert Adjudication.objects.filter(study=disputed, status="done").count() == queued
