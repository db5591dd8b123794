"""Real Chromium: a researcher designs and launches a study in the wizard with its live preview (the annotator's
own walk is tests/e2e/test_walk_annotator.py)."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_researcher_walks_wizard_and_launches(live_server, page_at, study_data, researcher):
    from annotation.models import Study

    ds, systems = study_data
    for width, name in ((1366, "wizard-desktop"), (390, "wizard-phone")):
        page = page_at(width)
        login(page, live_server.url, "rita", "pw-rita")
        page.goto(f"{live_server.url}/studies/new/")
        page.fill("input[name=name]", f"wiz-{width}")
        page.select_option("select[name=dataset]", ds.name)
        page.check(f"input[name=systems][value='{systems[0].pk}']")
        page.check(f"input[name=systems][value='{systems[1].pk}']")
        page.fill("input[name=n_examples]", "4")
        page.fill("input[name=raters_per_item]", "2")
        page.fill("input[name=q_likert]", "fluency")
        page.select_option("select[name=display_mode]", "plain")
        page.wait_for_selector("#preview #left-h")
        page.wait_for_function("() => document.querySelector('#preview').textContent.includes('Fluency')", polling=100)
        preview = page.inner_text("#preview")
        assert "Output A" in preview and "Output B" in preview
        assert systems[0].name not in preview and systems[1].name not in preview
        page.wait_for_selector("#preview section.rate[data-view=plain]")  # the study's choice of view
        assert page.is_visible("#preview #left-text") and not page.is_visible("#preview #left-diff")
        page.click("#preview .view-switch [data-view=diff]")  # the rater may switch
        assert page.is_visible("#preview #left-diff")
        assert "1 = very poor" in page.inner_text("#preview fieldset.likert")
        screenshot(page, name)
        page.click("#launch-btn")
        page.wait_for_url(re.compile(rf".*/studies/wiz-{width}/$"))
        assert "live" in page.inner_text("h1")
        study = Study.objects.get(name=f"wiz-{width}")
        assert study.status == "live" and study.items.filter(kind="real").count() == 4
        assert study.questions["likert"][0]["key"] == "fluency" and study.display_mode == "plain"
