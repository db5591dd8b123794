"""Real Chromium: an annotator rates a short study with the keyboard only; a researcher designs and launches one."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _bar_width(page) -> float:
    return float(re.search(r"([\d.]+)%", page.get_attribute("#progress-bar", "style")).group(1))


def test_annotator_rates_with_keyboard_and_gets_code(live_server, page_at, study_factory, annotator):
    from annotation.models import Judgment

    study = study_factory(name="e2e", n_examples=3, raters_per_item=1, control_rate=0.0, practice_count=1,
                          guidelines="Prefer the output that **follows the instruction**.")
    page = page_at(1280)
    login(page, live_server.url, "anna", "pw-anna")
    page.goto(f"{live_server.url}/work/{study.public_token}/")
    page.wait_for_selector("#mode-banner:not([hidden])")
    assert "Practice" in page.inner_text("#mode-banner")
    page.keyboard.press("1"); page.keyboard.press("1"); page.keyboard.press("2"); page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('status').textContent.includes('better output')", polling=100)
    page.keyboard.press("Enter")  # past the feedback: real work starts
    page.wait_for_function("() => document.getElementById('mode-banner').hidden", polling=100)
    page.keyboard.press("g")
    assert page.is_visible("#guidelines") and "follows the instruction" in page.inner_text("#guidelines")
    page.keyboard.press("Escape")
    screenshot(page, "annotator-desktop")
    widths = [_bar_width(page)]
    for i in range(3):
        page.wait_for_selector("#answer-form[data-state=ready]")
        slot = page.get_attribute("#answer-form", "data-slot")
        page.keyboard.press("1")  # A is better
        page.keyboard.press("1")  # A accurate: yes
        page.keyboard.press("2")  # B accurate: no
        page.keyboard.press("Enter")
        if i < 2:
            page.wait_for_function(f"() => document.getElementById('progress-text').textContent.startsWith('{i + 1} done')", polling=100)
            widths.append(_bar_width(page))
            page.wait_for_function(f"() => document.getElementById('answer-form').dataset.slot !== '{slot}'", polling=100)
    page.wait_for_url(re.compile(r".*/done/$"))
    code = page.inner_text("#completion-code").strip()
    assert re.fullmatch(r"[0-9A-F]{10}", code)
    assert widths == sorted(widths) and widths[-1] > widths[0]
    assert Judgment.objects.filter(slot__rater=annotator).count() == 3
    assert set(Judgment.objects.values_list("preference", flat=True)) == {"left"}


def test_annotator_page_on_a_phone_stacks_outputs(live_server, page_at, study_factory, annotator):
    study = study_factory(name="phone", n_examples=2, raters_per_item=1, control_rate=0.0,
                          questions={"pairwise": True, "accuracy": True, "likert": ["fluency"], "error_flags": ["grammar"]})
    page = page_at(390, 844)
    login(page, live_server.url, "anna", "pw-anna")
    page.goto(f"{live_server.url}/work/{study.public_token}/")
    page.wait_for_selector("#left-diff")
    screenshot(page, "annotator-phone")
    left, right = page.locator("#left-h").bounding_box(), page.locator("#right-h").bounding_box()
    assert right["y"] > left["y"] + 20  # stacked, not side by side
    wide = page.evaluate("""Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 392)
        .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 392, wide  # no sideways scrolling


def test_researcher_walks_wizard_and_launches(live_server, page_at, study_data, researcher):
    from annotation.models import Study

    ds, systems = study_data
    for width, name in ((1280, "wizard-desktop"), (390, "wizard-phone")):
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
        page.wait_for_selector("#preview #left-diff")
        page.wait_for_function("() => document.querySelector('#preview').textContent.includes('Fluency')", polling=100)
        preview = page.inner_text("#preview")
        assert "Output A" in preview and "Output B" in preview
        assert systems[0].name not in preview and systems[1].name not in preview
        screenshot(page, name)
        page.click("#launch-btn")
        page.wait_for_url(re.compile(rf".*/studies/wiz-{width}/$"))
        assert "live" in page.inner_text("h1")
        study = Study.objects.get(name=f"wiz-{width}")
        assert study.status == "live" and study.items.filter(kind="real").count() == 4
        assert study.questions["likert"][0]["key"] == "fluency"
