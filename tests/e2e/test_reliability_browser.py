"""The wizard's rater-reliability section (issue 15) in Chromium, at desktop and phone sizes."""
from __future__ import annotations

import os
import re

import pytest

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_researcher_sets_repeats_and_reliability_checks_in_the_wizard(live_server, page_at, study_data, researcher):
    from annotation.models import Study

    ds, systems = study_data
    for width, height, name in ((1366, 900, "wizard-reliability-desktop"), (390, 844, "wizard-reliability-phone")):
        page = page_at(width, height)
        login(page, live_server.url, "rita", "pw-rita")
        page.goto(f"{live_server.url}/studies/new/")
        page.fill("input[name=name]", f"wiz-rel-{width}")
        page.select_option("select[name=dataset]", ds.name)
        page.check(f"input[name=systems][value='{systems[0].pk}']")
        page.check(f"input[name=systems][value='{systems[1].pk}']")
        page.fill("input[name=n_examples]", "6")
        legend = page.locator("legend", has_text="Rater reliability")
        assert legend.is_visible()
        page.fill("input[name=repeat_rate]", "0.2")
        page.fill("input[name=repeat_gap]", "4")
        page.check("input[name=gate_checks][value=degraded_test]")
        page.check("input[name=exclude_checks][value=self_consistency]")
        assert page.is_checked("input[name=gate_checks][value=controls]")  # today's default stays ticked
        assert page.is_checked("input[name=exclude_checks][value=rater_flags]")
        legend.scroll_into_view_if_needed()
        # No horizontal scrolling on a phone: the section fits the viewport.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1
        screenshot(page, name)
        if os.environ.get("DEFT_SHOTS_DIR"):
            page.screenshot(path=os.path.join(os.environ["DEFT_SHOTS_DIR"], f"{name}.png"), full_page=True)
            legend.locator("xpath=..").screenshot(path=os.path.join(os.environ["DEFT_SHOTS_DIR"], f"{name}-section.png"))
        page.click("button[name=save]")
        page.wait_for_url(re.compile(rf".*/studies/wiz-rel-{width}/$"))
        study = Study.objects.get(name=f"wiz-rel-{width}")
        assert (study.repeat_rate, study.repeat_gap) == (0.2, 4)
        assert study.gate_checks == ["controls", "degraded_test"]
        assert study.exclude_checks == ["rater_flags", "self_consistency"]
        assert study.items.filter(kind="repeat").count() == study.items.filter(kind="real").count()
