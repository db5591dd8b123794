"""Automatic judges in the browser: a researcher starts one from the study page, sees its job, and reads it in the
report, at desktop and phone sizes (no page wider than the screen)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from annotation.models import JudgeRun
from annotation.services import simulate_raters
from deft_site.jobs.services import job_run
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LOOK = os.environ.get("DEFT_LOOK_DIR")  # a directory to drop every screenshot of this walk into, to look at


def _shot(page, name: str) -> None:
    screenshot(page, name)
    if LOOK:
        Path(LOOK).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(LOOK) / f"{name}.png"), full_page=True)


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


def test_a_researcher_adds_a_judge_and_reads_it_in_the_report(live_server, page_at, study_factory, researcher):
    study = study_factory("walk-judge", n_examples=12, raters_per_item=3, control_rate=0.0)
    simulate_raters(study=study, raters=3, seed=2, prefer={"zebrasys0": 0.8})
    page = page_at(1366, 900)
    login(page, live_server.url, "rita", "pw-rita")
    page.goto(f"{live_server.url}/studies/{study.name}/")
    assert page.is_visible("#judges-h") and page.is_visible("#judge-add input[name=judge]")  # open: none yet
    if LOOK:
        page.locator("#judge-add").screenshot(path=str(Path(LOOK) / "judge-form-desktop.png"))
    page.fill("#judge-add input[name=judge]", "sim:accuracy=0.85,left_bias=0.2")
    page.fill("#judge-add input[name=judge_name]", "walk-sim")
    page.fill("#judge-add input[name=prefer]", "zebrasys0:0.8")
    page.fill("#judge-add input[name=truth_seed]", "2")
    page.click("#judge-btn")
    page.wait_for_load_state()
    assert "Judge walk-sim queued" in page.content()
    run = JudgeRun.objects.get(study=study, name="walk-sim")
    job_run(run.job_id)  # what a worker does
    page.reload()  # the same address: the page the researcher comes back to
    page.locator("#judges-h").scroll_into_view_if_needed()
    assert page.inner_text("#judge-runs").count("succeeded") == 1 and "24" in page.inner_text("#judge-runs")
    _shot(page, "study-judges-desktop")
    page.goto(f"{live_server.url}/studies/{study.name}/report/?peek=1")
    assert page.is_visible("#judges") and "walk-sim" in page.inner_text("#judges")
    assert "position bias: share of left answers" in page.inner_text("#judges")
    _shot(page, "report-judges-desktop")
    if LOOK:
        page.locator("#judges").screenshot(path=str(Path(LOOK) / "report-judges-section-desktop.png"))

    phone = page_at(390, 844)
    login(phone, live_server.url, "rita", "pw-rita")
    for url, name in [(f"/studies/{study.name}/", "study-judges-phone"),
                      (f"/studies/{study.name}/report/?peek=1", "report-judges-phone"),
                      ("/studies/new/", "wizard-judge-phone")]:
        phone.goto(live_server.url + url)
        _fits(phone, 390)
        _shot(phone, name)
        if LOOK and "report" in url:
            phone.locator("#judges").screenshot(path=str(Path(LOOK) / "report-judges-section-phone.png"))
    assert phone.is_visible("#judge-fieldset")
    if LOOK:
        phone.locator("#judge-fieldset").screenshot(path=str(Path(LOOK) / "wizard-judge-fieldset-phone.png"))
