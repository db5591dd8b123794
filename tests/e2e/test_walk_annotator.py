"""Real Chromium, the annotator's day (issue #14): practice feedback where the eye is, flag and skip in
in-page dialogs from the keyboard with a confirmation, word diff or plain texts, Likert end labels, the
guidelines dialog, the completion page (in-house and crowd), and a phone with touch."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = (1366, 900)
PHONE = (390, 844)


def _in_viewport(page, selector: str) -> bool:
    return page.evaluate("""(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
        return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth; }""",
                         selector)


def _ready(page) -> str:
    page.wait_for_selector("#answer-form[data-state=ready]")
    return page.get_attribute("#answer-form", "data-slot")


def _next_slot(page, slot: str) -> None:
    page.wait_for_function(f"() => document.getElementById('answer-form').dataset.slot !== '{slot}'", polling=100)


def test_in_house_annotator_keyboard_day(live_server, page_at, study_factory, annotator):
    from annotation.models import Judgment, Slot

    study = study_factory(name="walk", n_examples=4, raters_per_item=1, control_rate=0.0, practice_count=1,
                          guidelines="# How to judge\n\nPrefer the output that **follows the instruction**.",
                          questions={"pairwise": True, "accuracy": False, "likert": ["fluency"], "comment": False})
    page = page_at(*DESKTOP)
    posts: list[str] = []  # the page's API calls: one round trip per answer (?next=1)
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/api/work/" in r.url else None)
    login(page, live_server.url, "anna", "pw-anna")
    page.goto(f"{live_server.url}/work/{study.public_token}/")
    page.wait_for_selector("#mode-banner:not([hidden])")
    assert "Practice" in page.inner_text("#mode-banner")

    # Likert questions say what their ends mean.
    legend = page.inner_text("fieldset.likert >> nth=0")  # the ends are written under the points
    assert "1 = very poor" in legend and "5 = excellent" in legend

    # Practice: the feedback opens in a dialog in the middle of the screen and says what happens next.
    for key in ("1", "3", "3", "Enter"):
        page.keyboard.press(key)
    page.wait_for_selector("#feedback-dialog[open]")
    assert _in_viewport(page, "#feedback-dialog")
    feedback = page.inner_text("#feedback-dialog")
    assert re.search(r"better output was [AB]", feedback) and "real" in feedback
    assert page.locator(".output.expected").count() == 1  # the better output is outlined
    screenshot(page, "annotator-practice-feedback-desktop")
    page.keyboard.press("Enter")  # one Enter goes on: real work starts
    page.wait_for_function("() => document.getElementById('mode-banner').hidden", polling=100)
    assert not page.is_visible("#feedback-dialog")

    # Guidelines: the researcher's own heading is the dialog's title, not repeated under "Guidelines".
    page.keyboard.press("g")
    assert page.is_visible("#guidelines")
    assert page.inner_text("#guidelines-h") == "How to judge"
    assert page.locator("#guidelines h1, #guidelines h2").count() == 1
    page.keyboard.press("Escape")

    # Word diff first for small edits; V switches to the plain texts side by side and back.
    page.wait_for_selector("form[data-state=ready]")  # keys typed while the first real pair loads are ignored
    assert page.is_visible("#left-diff") and not page.is_visible("#left-text")
    page.keyboard.press("v")
    for side in ("#left-text", "#right-text"):
        page.locator(side).wait_for(state="visible")  # the view switches on the next frame, not synchronously
    assert not page.is_visible("#left-diff")
    left, right = page.locator("#left-text").bounding_box(), page.locator("#right-text").bounding_box()
    assert left and right, "the plain view's texts have no layout box"
    assert abs(left["y"] - right["y"]) < 5 and right["x"] > left["x"] + 300  # side by side
    page.keyboard.press("v")
    assert page.is_visible("#left-diff")

    # F: an in-page dialog (no browser prompt), operated from the keyboard, then a visible confirmation.
    page.on("dialog", lambda d: pytest.fail(f"native browser dialog opened: {d.message}"))
    slot = _ready(page)
    page.keyboard.press("f")
    page.wait_for_selector("#flag-dialog[open]")
    page.keyboard.press("Enter")  # no reason yet: refused in place
    assert page.is_visible("#flag-dialog") and "reason" in page.inner_text("#flag-error")
    page.keyboard.press("1")
    assert page.inner_text("#flag-error") == ""  # a reason is picked: the refusal is gone
    screenshot(page, "annotator-flag-dialog-desktop")
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.getElementById('notice').hidden && "
                           "document.getElementById('notice').textContent.includes('Flag recorded')", polling=100)
    assert _in_viewport(page, "#notice")
    assert "Please answer" not in page.inner_text("#status")
    assert Slot.objects.get(token=slot).flag_reason == "The text is broken or unreadable"
    # The flagged pair can still be answered; its flag reaches the export.
    for key in ("1", "4", "3", "Enter"):
        page.keyboard.press(key)
    _next_slot(page, slot)

    # K: a confirmation dialog with optional reasons; Esc keeps the pair, Enter skips it.
    slot = _ready(page)
    page.keyboard.press("k")
    page.wait_for_selector("#skip-dialog[open]")
    page.keyboard.press("Escape")
    assert not page.is_visible("#skip-dialog") and page.get_attribute("#answer-form", "data-slot") == slot
    page.keyboard.press("k")
    page.wait_for_selector("#skip-dialog[open]")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    _next_slot(page, slot)
    assert "Skipped" in page.inner_text("#notice")
    assert "Please answer" not in page.inner_text("#status")  # the dialog's Enter did not also submit the page
    assert Slot.objects.get(token=slot).skip_reason == "The texts are too long or unclear"

    # The progress bar stays in view while the page scrolls.
    page.mouse.wheel(0, 2000)
    assert _in_viewport(page, "#progress-bar")
    screenshot(page, "annotator-desktop")
    while True:
        slot = _ready(page)
        for key in ("2", "3", "4", "Enter"):
            page.keyboard.press(key)
        page.wait_for_function(f"() => location.pathname.endsWith('/done/') || "
                               f"document.getElementById('answer-form').dataset.slot !== '{slot}'", polling=100)
        if page.url.endswith("/done/"):
            break
    page.wait_for_selector("#completion-code")
    text = page.inner_text("main")
    assert "All done" in text and "nothing more to do" in text and "Prolific" not in text
    assert re.fullmatch(r"[0-9A-F]{10}", page.inner_text("#completion-code").strip())
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#copy-code")
    page.wait_for_function("() => document.getElementById('copy-status').textContent.includes('Copied')", polling=100)
    assert page.evaluate("navigator.clipboard.readText()") == page.inner_text("#completion-code").strip()
    screenshot(page, "annotator-done-desktop")
    assert Judgment.objects.filter(slot__rater=annotator).count() == 3
    answers = [u for u in posts if "/judgment/" in u]
    assert len(answers) == 3 and all(u.endswith("/judgment/?next=1") for u in answers)
    assert sum(u.endswith("/next/") for u in posts) == 1  # only after the skip: each answer brought the next pair


def test_crowd_participant_on_a_phone(live_server, browser, study_factory):
    """A crowd participant joins from an invite link on a touch phone: no key caps, big targets, progress in
    view, plain texts for heavy rewrites, and a completion page that says to paste the code back."""
    from annotation.models import Judgment, Study
    from annotation.services import invite_create

    study = study_factory(name="crowd", n_examples=2, raters_per_item=1, control_rate=0.0,
                          open_to_annotators=False, display_mode="plain",
                          questions={"pairwise": True, "accuracy": True, "likert": ["fluency", "meaning"],
                                     "error_flags": ["grammar"]})
    invite = invite_create(study=study, label="batch 1")
    ctx = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, has_touch=True, is_mobile=True,
                              device_scale_factor=2)
    try:
        page = ctx.new_page()
        page.goto(f"{live_server.url}/join/{invite.token}/?PROLIFIC_PID=crowd-p1")
        assert "/work/" not in page.url  # a welcome / consent page comes before the first pair
        assert page.is_visible("#consent")
        page.locator("#consent").tap()
        page.locator("button[type=submit]").last.tap()
        page.wait_for_selector("#answer-form[data-state=ready]")
        assert page.is_visible("#left-text") and not page.is_visible("#left-diff")  # the study chose plain texts
        assert not page.locator("kbd").first.is_visible() and not page.is_visible(".keys")
        small = page.evaluate("""Array.from(document.querySelectorAll('.choices label, .actions button'))
            .filter(e => e.offsetParent && e.getBoundingClientRect().height < 44).map(e => e.textContent.trim()).slice(0, 5)""")
        assert not small, small
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0] + 2
        left, right = page.locator("#left-h").bounding_box(), page.locator("#right-h").bounding_box()
        assert right["y"] > left["y"] + 20  # stacked
        screenshot(page, "annotator-phone")
        page.locator("#submit-btn").scroll_into_view_if_needed()
        assert _in_viewport(page, "#progress-bar")
        for _ in range(2):
            slot = _ready(page)
            page.locator("label:has(input[name=preference][value=left])").tap()
            page.locator("label:has(input[name=accurate_left][value=yes])").tap()
            page.locator("label:has(input[name=accurate_right][value=no])").tap()
            for scale in ("fluency", "meaning"):
                for side in "AB":
                    page.locator(f"label:has(input[name=likert-{scale}-{side}][value='4'])").tap()
            page.locator("#submit-btn").tap()
            page.wait_for_function(f"() => location.pathname.endsWith('/done/') || "
                                   f"document.getElementById('answer-form').dataset.slot !== '{slot}'", polling=100)
        page.wait_for_url(re.compile(r".*/done/$"))
        text = page.inner_text("main")
        assert "paste it into the platform that sent you here" in text
        assert page.is_visible("#copy-code")
        screenshot(page, "annotator-done-phone")
        assert Judgment.objects.filter(slot__item__study=study).count() == 2
        assert Study.objects.get(pk=study.pk).raters.get().participant_id == "crowd-p1"
    finally:
        ctx.close()
