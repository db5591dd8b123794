"""Real Chromium, the researcher's and the admin's day (issue #14): the study page (report link, sealing,
confirmations before Launch / Close / Peek, raters' flags and skips), the report (the answer first, folded
tasks, warnings on thin evidence), the export's flag column, the results page (pair picker, readable charts),
forms (error summary, Split dropdowns, readable help), the selection page's histograms, and the admin, at
desktop and phone sizes."""
from __future__ import annotations

import csv
import io
import re

import pytest

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = (1366, 900)
PHONE = (390, 844)


def _no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    wide = page.evaluate(f"""Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > {width + 2}
        && !e.closest('.table-wrap')).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 6)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 2, wide


def _confirm(page, selector: str, *, yes: bool) -> None:
    """Click a button or link that asks first; the in-page dialog opens, then confirm or cancel it."""
    page.on("dialog", lambda d: pytest.fail(f"native browser dialog: {d.message}"))
    page.click(selector)
    page.wait_for_selector("#confirm-dialog[open]")
    page.click("#confirm-yes" if yes else "#confirm-no")


def _rate_some(study, annotator, other):
    """Two raters answer server-side (the annotator walk covers the page); one flags a pair, one skips one."""
    from annotation.services import judgment_submit, slot_flag, slot_next, slot_skip

    for n, user in enumerate((annotator, other)):
        for i in range(5):
            slot = slot_next(study=study, user=user)
            if slot is None:
                break
            if n == 0 and i == 0:
                slot_flag(slot=slot, user=user, reason="The text is broken or unreadable")
            if n == 1 and i == 0:
                slot_skip(slot=slot, user=user, reason="I cannot judge this (language or topic)")
                continue
            judgment_submit(slot=slot, user=user, idempotency_key=f"k-{n}-{i}",
                            answer={"preference": "left" if (i + n) % 3 else "right", "accurate_left": True,
                                    "accurate_right": False, "seconds": 5})


def test_researcher_study_report_and_export(live_server, page_at, study_factory, researcher, annotator,
                                            other_annotator):
    from annotation.models import Judgment, Study, StudyEvent

    draft = study_factory(name="draft-study", launch=False, n_examples=6)
    page = page_at(*DESKTOP)
    login(page, live_server.url, "rita", "pw-rita")

    # Launch asks first; Cancel leaves the draft alone.
    page.goto(f"{live_server.url}/studies/{draft.name}/")
    _confirm(page, "#launch-btn", yes=False)
    assert Study.objects.get(pk=draft.pk).status == "draft"
    _confirm(page, "#launch-btn", yes=True)
    page.wait_for_selector("h1 .badge:text('live')")
    assert Study.objects.get(pk=draft.pk).status == "live"

    study = study_factory(name="walk-study", n_examples=12, raters_per_item=2, control_rate=0.0)
    _rate_some(study, annotator, other_annotator)
    page.goto(f"{live_server.url}/studies/{study.name}/")
    sealed = page.inner_text("#sealing")
    assert "sealed until you close the study" in sealed and "recorded" in sealed
    assert "sealed until close" in page.inner_text("#report-link")
    notes = page.inner_text("#rater-notes")
    assert "The text is broken or unreadable" in notes and "I cannot judge this" in notes
    screenshot(page, "study-desktop")

    # Peek asks first and says it is logged; Cancel does not peek.
    _confirm(page, "#peek-link", yes=False)
    assert not StudyEvent.objects.filter(study=study, action="peek").exists()
    _confirm(page, "#peek-link", yes=True)
    page.wait_for_selector("#answer")
    assert StudyEvent.objects.filter(study=study, action="peek").count() == 1
    body = page.locator("#report-body")
    first = body.locator("section, details").first
    assert first.get_attribute("id") == "answer"  # the answer comes first
    answer = page.inner_text("#answer")
    assert "preferred" in answer or "level" in answer or "No clear winner yet" in answer
    assert "How sure" in answer and "How reliable" in answer
    assert "too few" in answer  # 8 judgments on 12 items: the report says the evidence is thin
    # No verdict on a handful of items: the answer neither crowns a winner the next line doubts nor calls
    # agreement on two items "reliable".
    assert "Not known yet" in page.inner_text("#answer-reliable")
    if "Not a clear difference" in page.inner_text("#answer-sure"):
        assert "is preferred to" not in answer
    judged_tasks = set(Judgment.objects.filter(slot__item__study=study, slot__item__kind="real")
                       .values_list("slot__item__example__task", flat=True))
    tasks = page.locator("details.task-block:not(#task-all)")
    assert len(judged_tasks) >= 2 and tasks.count() == len(judged_tasks)  # one folded section per judged task
    assert page.locator("details.task-block[open]:not(#task-all)").count() == 0
    methods = page.inner_text("#methods p") if page.is_visible("#methods p") else page.locator("#methods p").text_content()
    assert not re.search(r"between \d{4}-\d\d-\d\d and", methods) and re.search(r" on \d{4}-\d\d-\d\d", methods)
    assert "The text is broken or unreadable" in page.inner_text("#rater-notes")
    assert page.evaluate("document.documentElement.scrollHeight") < 9000  # was ~30,000 px with every task open
    screenshot(page, "report-desktop")

    # Close asks first, then the report opens without a peek.
    page.goto(f"{live_server.url}/studies/{study.name}/")
    _confirm(page, "#close-btn", yes=True)
    page.wait_for_selector("h1 .badge:text('closed')")
    assert Study.objects.get(pk=study.pk).status == "closed"
    export = page.request.get(f"{live_server.url}/studies/{study.name}/export/?format=csv")
    rows = list(csv.DictReader(io.StringIO(export.text())))
    assert [r["flag"] for r in rows if r["flag"]] == ["The text is broken or unreadable"]
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert [r["skip_reason"] for r in skipped] == ["I cannot judge this (language or topic)"]

    phone = page_at(*PHONE)
    login(phone, live_server.url, "rita", "pw-rita")
    for url, name in ((f"/studies/{study.name}/", "study-phone"), (f"/studies/{study.name}/report/", "report-phone")):
        phone.goto(live_server.url + url)
        _no_sideways_scroll(phone)
        screenshot(phone, name)


@pytest.fixture
def scored(demo_dataset, settings, tmp_path):
    """demo-small with the copy baseline and a "reference" system on its test split, and a finished UCS run."""
    from deft_site.jobs.services import job_run
    from selection.models import Output, System
    from selection.services.selection_runs import selection_run_create
    from selection.services.systems import system_copy_baseline

    settings.DEFT_DATA_DIR = tmp_path / "data"
    system_copy_baseline(dataset=demo_dataset, split="test")
    ref = System.objects.create(name="refsys", dataset=demo_dataset, kind="imported")
    Output.objects.bulk_create(Output(system=ref, example=ex, text=ex.refs[0])
                               for ex in demo_dataset.examples.filter(split="test"))
    run = selection_run_create(dataset=demo_dataset, name="walk-ucs", params={
        "strategy": "ucs", "n_clusters": 3, "target_fraction": 0.5, "alpha": 0.0, "beta": 1.0, "embedder": "tfidf"})
    job_run(run.job_id)
    return demo_dataset


def _overlaps(page, selector: str) -> list:
    return page.evaluate(f"""Array.from(document.querySelectorAll('{selector}')).map(svg => {{
        const boxes = Array.from(svg.querySelectorAll('text')).map(t => t.getBoundingClientRect());
        const hits = [];
        boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {{
            if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) hits.push([i]);
        }}));
        return hits.length; }}).filter(n => n > 0)""")


def test_researcher_results_forms_selection_and_admin(live_server, page_at, scored, researcher, staff):
    from selection.services.datasets import dataset_import
    from tests.conftest import jsonl_bytes

    page = page_at(*DESKTOP)
    login(page, live_server.url, "rita", "pw-rita")

    # Results: the researcher picks the pair; charts are wide enough to read and their labels never overlap.
    page.goto(f"{live_server.url}/results/?dataset={scored.name}")
    assert page.locator("select[name=split]").count() == 1  # a dropdown, not a free-text box
    page.check("input[name=system][value=copy]")
    page.check("input[name=system][value=refsys]")
    page.select_option("#pair-a", "refsys")
    page.select_option("#pair-b", "copy")
    page.click("form.results-form button[type=submit]")
    page.wait_for_selector("#paired")
    assert "refsys (A) vs copy (B)" in page.inner_text("#paired-h")
    text = page.inner_text("main")
    assert "0.0000" not in text and "a_wins" not in text and "Grouped by dataset" not in text
    assert "columns: task" in text  # demo rows name no source dataset: the columns are tasks, and say so
    widths = page.evaluate("Array.from(document.querySelectorAll('figure.wide svg')).map(s => s.getBoundingClientRect().width)")
    assert len(widths) >= 2 and min(widths) >= 600  # one wide chart per metric shown
    assert _overlaps(page, "figure.wide svg") == []
    screenshot(page, "results-desktop")

    # Forms: an error summary on top, focused; the training form refuses a split the dataset lacks.
    train_only = dataset_import(stream=io.BytesIO(jsonl_bytes([
        {"_id": f"t{i}", "task": "gec", "src": f"Fix grammar: he go {i}", "tgt": f"He goes {i}.", "split": "train"}
        for i in range(4)])), name="train-only", filename="t.jsonl")
    page.goto(f"{live_server.url}/training/new/?dataset={train_only.name}")
    page.select_option("select[name=generate_split]", "test")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    summary = page.inner_text("#error-summary")
    assert "has no test split" in summary and "it has: train" in summary
    screenshot(page, "form-errors-desktop")
    page.goto(f"{live_server.url}/selections/new/?dataset={scored.name}")
    assert page.locator("select[name=split]").count() == 1
    help_text = page.inner_text("main")
    assert "e.g. demo-ucs-975" in help_text and "Blank: --" not in help_text

    # Selection page: histograms at a readable size with labelled axes; a hint for the easy cut-off at alpha = 0.
    page.goto(f"{live_server.url}/selections/walk-ucs/")
    params = page.inner_text("main table >> nth=0")  # parameters by their labels, only those of the strategy
    assert "Clusters (K)" in params and "n_clusters" not in params and "SemDeDup" not in params
    assert "False" not in params and "None" not in params
    hists = page.locator(".hist-grid svg")
    assert hists.count() == 3
    assert hists.first.bounding_box()["width"] >= 340
    assert "distance to centroid" in hists.first.text_content() and "examples" in hists.first.text_content()
    assert "because α = 0" in page.inner_text("#cutoff-hint")
    assert "chosen" in page.inner_text("#picks-chosen") and "all rows" in page.inner_text("#picks-all")
    chosen = page.request.get(live_server.url + page.get_attribute("#picks-chosen", "href"))
    assert chosen.ok and all('"chosen": true' in line for line in chosen.text().splitlines())
    screenshot(page, "selection-desktop")

    phone = page_at(*PHONE)
    login(phone, live_server.url, "rita", "pw-rita")
    for url, name in ((f"/results/?dataset={scored.name}&system=refsys&system=copy", "results-phone"),
                      ("/selections/walk-ucs/", "selection-phone")):
        phone.goto(live_server.url + url)
        _no_sideways_scroll(phone)
        screenshot(phone, name)

    # The admin: the staff dashboard and Django's admin, at both sizes.
    for size in (DESKTOP, PHONE):
        admin = page_at(*size)
        login(admin, live_server.url, "sam", "pw-sam")
        admin.goto(f"{live_server.url}/dashboard/")
        assert admin.locator("h1").count() == 1
        _no_sideways_scroll(admin)
        screenshot(admin, "dashboard-desktop" if size == DESKTOP else "dashboard-phone")
        admin.goto(f"{live_server.url}/admin/annotation/study/")
        assert admin.locator("#changelist, #content-main").count() >= 1
