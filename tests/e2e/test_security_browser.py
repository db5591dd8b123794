"""Real Chromium: a crowd participant joins through the welcome / consent page at phone width, and the pages
that run script do so under the Content-Security-Policy without a single violation."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch_csp(page) -> list[str]:
    """Chromium reports each blocked script or style on the console ("...violates the following Content
    Security Policy directive...")."""
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    return seen


def test_crowd_participant_joins_from_the_welcome_page_on_a_phone(live_server, page_at, study_factory):
    from annotation.models import StudyRater
    from annotation.services import invite_create

    study = study_factory(name="crowd-e2e", n_examples=3, raters_per_item=1, control_rate=0.0, practice_count=1,
                          open_to_annotators=False, guidelines="Prefer the output that **follows the instruction**.")
    invite = invite_create(study=study, label="phone")
    page = page_at(390, 844, csp=True)
    violations = _watch_csp(page)
    page.goto(f"{live_server.url}/join/{invite.token}/?PROLIFIC_PID=PHONE1")
    assert "What you will do" in page.inner_text("main")
    assert not StudyRater.objects.filter(study=study).exists()  # looking changes nothing
    # one column: nothing wider than the phone's screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    start = page.locator("button[type=submit]", has_text="Start")
    assert start.bounding_box()["height"] >= 40  # a comfortable tap target
    screenshot(page, "join-phone")
    start.click()  # the browser refuses: consent is required
    page.wait_for_timeout(200)
    assert page.url.startswith(f"{live_server.url}/join/")
    page.check("#consent")
    start.click()
    page.wait_for_url(f"{live_server.url}/work/{study.public_token}/")
    page.wait_for_selector("#mode-banner:not([hidden])")
    assert StudyRater.objects.filter(study=study, participant_id="PHONE1").exists()
    assert not violations, violations


def test_welcome_page_at_desktop_width(live_server, page_at, study_factory):
    from annotation.services import invite_create

    study = study_factory(name="crowd-desk", n_examples=3, raters_per_item=1, control_rate=0.0,
                          open_to_annotators=False, guidelines="Prefer fluent edits.")
    invite = invite_create(study=study)
    page = page_at(1366, 900)
    page.goto(f"{live_server.url}/join/{invite.token}/")
    page.fill("#pid", "DESK1")
    screenshot(page, "join-desktop")
    page.check("#consent")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/work/{study.public_token}/")


def test_researcher_pages_with_script_run_under_the_csp(live_server, page_at, study_factory, researcher):
    study = study_factory(name="csp-e2e", n_examples=3, raters_per_item=1, control_rate=0.0)
    page = page_at(1366, 900, csp=True)
    violations = _watch_csp(page)
    login(page, live_server.url, "rita", "pw-rita")
    page.goto(f"{live_server.url}/studies/{study.name}/report/?peek=1")
    # the live poll is a static file reading its URL from the page
    assert page.locator("script[src*='report_live']").count() == 1
    assert page.locator("#report-body[data-live-url]").count() == 1
    page.goto(f"{live_server.url}/results/")
    page.select_option("select[data-autosubmit]", study.dataset.name)  # submits itself (autosubmit.js)
    page.wait_for_url(f"**/results/?dataset={study.dataset.name}*")
    page.goto(f"{live_server.url}/studies/new/")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/account/tokens/")
    page.click("button:has-text('Create a token')")
    assert len(page.inner_text("#new-token")) == 40
    assert not violations, violations
