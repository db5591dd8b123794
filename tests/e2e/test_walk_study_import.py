"""Real Chromium: a researcher imports a study from a Potato file on the upload page (a bad file first: the error
names the line and the field, nothing is written), then reads the imported study's report, where each rater's
competence stands beside the other quality measures; at desktop and phone sizes."""
from __future__ import annotations

import io
import json
import os

import pytest
from django.core.management import call_command

from tests.e2e.conftest import SHOTS, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def _no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 2


@pytest.mark.parametrize("size", list(SIZES))
def test_import_a_study_from_a_file(live_server, page_at, study_factory, researcher, tmp_path, size):
    from annotation.models import Study
    from annotation.services import simulate_raters, study_close

    study = study_factory(name="elsewhere", n_systems=2, questions={"pairwise": True, "accuracy": False})
    simulate_raters(study=study, raters=3, seed=1, prefer={"zebrasys0": 0.8}, random_clickers=1)
    study_close(study=study, user=researcher)
    out = io.StringIO()
    call_command("export_study", "elsewhere", "--format", "potato", stdout=out, stderr=io.StringIO())
    good = tmp_path / "annotated_instances.jsonl"
    good.write_text(out.getvalue(), encoding="utf-8")
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    lines[4]["label_annotations"]["preference"] = {"maybe": "1"}
    bad = tmp_path / "broken.jsonl"
    bad.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")

    page = page_at(*SIZES[size])
    login(page, live_server.url, "rita", "pw-rita")
    page.goto(f"{live_server.url}/studies/")
    page.click("text=Import a study")
    page.wait_for_selector("form.import-form")
    _no_sideways_scroll(page)
    screenshot(page, f"study-import-{size}")

    page.fill("input[name=name]", "moved-in")
    page.set_input_files("input[name=file]", str(bad))
    page.click("#import-btn")
    page.wait_for_selector("#error-summary")
    summary = page.inner_text("#error-summary")
    assert "line 5: field 'label_annotations.preference'" in summary and "Nothing was imported" in summary
    assert not Study.objects.filter(name="moved-in").exists()
    _no_sideways_scroll(page)
    screenshot(page, f"study-import-error-{size}")

    page.fill("input[name=name]", "moved-in")
    page.set_input_files("input[name=file]", str(good))
    page.click("#import-btn")
    page.wait_for_url(f"{live_server.url}/studies/moved-in/")
    assert "created from annotated_instances.jsonl" in page.inner_text("body")
    assert Study.objects.get(name="moved-in").status == Study.Status.CLOSED

    page.goto(f"{live_server.url}/studies/moved-in/report/")
    raters = page.inner_text("#raters")
    assert "competence" in raters and "Results on soft labels" in raters
    assert page.locator("#soft-pairs tr").count() == 2  # header and the one system pair
    if os.environ.get("DEFT_SCREENSHOTS") == "1":  # the raters' section only: the full report is long
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#raters").screenshot(path=str(SHOTS / f"report-competence-{size}.png"))
