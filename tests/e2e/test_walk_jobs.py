"""Real Chromium, the jobs pages as a researcher and as staff (issue #14): parameters a person reads (no raw
dict, no server paths), a failure in one sentence that says what to do, with the traceback only for staff and
no Retry that would fail the same way, an elapsed time that ticks, and no "saving" on a finished selection."""
from __future__ import annotations

import datetime
import re

import pytest

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = (1366, 900)
PHONE = (390, 844)


def test_jobs_pages_for_researcher_and_staff(live_server, page_at, demo_dataset, researcher, staff, settings,
                                             tmp_path):
    from django.utils import timezone

    from deft_site.jobs.models import Job
    from deft_site.jobs.services import job_run
    from selection.services.selection_runs import selection_run_create

    settings.DEFT_DATA_DIR = tmp_path / "data"
    bad = tmp_path / "broken.jsonl"
    good = '{"_id": "a1", "task": "gec", "src": "Fix grammar: he go home", "tgt": "He goes home."}'
    bad.write_text(good + "\n" + good.replace("a1", "a2")[:-1] + "\n", encoding="utf-8")  # line 2 lacks its "}"

    page = page_at(*DESKTOP)
    login(page, live_server.url, "rita", "pw-rita")
    page.goto(f"{live_server.url}/datasets/upload/")
    page.set_input_files("input[type=file]", str(bad))
    page.fill("input[name=name]", "broken")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/jobs/\d+/$"))
    job = Job.objects.get(kind="dataset_import")
    job_run(job.pk)  # what the interactive worker does
    page.reload()
    page.wait_for_selector(".badge.failed")

    # Why it failed: one sentence naming the file, the line and the true column, and what to do next.
    why = page.inner_text("p.error")
    column = len(good.replace("a1", "a2")[:-1]) + 1  # Python's json parser points just past the text
    assert why.startswith("Could not import broken.jsonl: line 2: invalid JSON")
    assert f"column {column}" in why and "fix the file and import it again" in why
    text = page.inner_text("main")
    assert "Traceback" not in text and "Details (staff)" not in text
    assert text.count("invalid JSON") == 1  # said once, not again under the progress bar
    assert page.locator("button:text('Retry')").count() == 0  # a retry would fail the same way
    # Parameters as a person reads them: the file's own name, no server path, no Python dict.
    params = page.inner_text("table.params")
    assert "broken.jsonl" in params and "/" not in params and "{" not in params and "uploads" not in params
    assert "dataset import on the interactive queue" in text
    screenshot(page, "job-failed-desktop")

    # Staff also get the details, folded.
    admin = page_at(*DESKTOP)
    login(admin, live_server.url, "sam", "pw-sam")
    admin.goto(f"{live_server.url}/jobs/{job.pk}/")
    admin.click("details summary:text('Details (staff)')")
    assert "Traceback" in admin.inner_text("details pre")

    # A running job's elapsed time ticks on its page (it used to stay frozen at the first render).
    run = selection_run_create(dataset=demo_dataset, name="walk-sel", params={
        "strategy": "ucs", "n_clusters": 3, "target_fraction": 0.5, "alpha": 0.0, "beta": 1.0, "embedder": "tfidf"})
    Job.objects.filter(pk=run.job_id).update(status=Job.Status.RUNNING, attempts=1,
                                             started_at=timezone.now() - datetime.timedelta(seconds=65),
                                             lease_expires_at=timezone.now() + datetime.timedelta(minutes=5),
                                             stage="clustering")
    page.goto(f"{live_server.url}/jobs/{run.job_id}/")
    first = page.inner_text(".job-elapsed")
    assert re.fullmatch(r"1 min \d+ s", first), first
    page.wait_for_function("(before) => document.querySelector('.job-elapsed').textContent !== before", arg=first,
                           polling=200, timeout=5000)
    params = page.inner_text("table.params")
    assert "walk-sel" in params and "{" not in params

    # Finished: the selection's job and page never say "saving".
    Job.objects.filter(pk=run.job_id).update(status=Job.Status.QUEUED, started_at=None, attempts=0)
    assert job_run(run.job_id).status == Job.Status.SUCCEEDED
    for url in (f"/jobs/{run.job_id}/", "/jobs/", "/selections/walk-sel/", "/selections/"):
        page.goto(live_server.url + url)
        assert "saving" not in page.inner_text("main").lower(), url
    page.goto(f"{live_server.url}/jobs/")
    screenshot(page, "jobs-desktop")

    phone = page_at(*PHONE)
    login(phone, live_server.url, "rita", "pw-rita")
    phone.goto(f"{live_server.url}/jobs/{job.pk}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE[0] + 2
    screenshot(phone, "job-failed-phone")


def test_jobs_list_reads_without_a_traceback(live_server, page_at, researcher):
    """A crash (not bad input) on the list: one line for the researcher, Retry offered because it may help."""
    from deft_site.jobs.models import Job
    from deft_site.jobs.services import job_create

    job = job_create(kind="dataset_import", title="Import ghost", params={"name": "ghost", "filename": "g.jsonl"},
                     user=researcher)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, retryable=True,
                                         error="Unexpected error (KeyError: 'path'). Retry may help; staff can see "
                                               "the details.",
                                         error_details="Traceback (most recent call last):\n  ...\nKeyError: 'path'")
    page = page_at(*DESKTOP)
    login(page, live_server.url, "rita", "pw-rita")
    page.goto(f"{live_server.url}/jobs/")
    row = page.inner_text("tbody tr")
    assert "Unexpected error (KeyError: 'path')" in row and "Traceback" not in row
    assert page.locator("tbody tr button:text('Retry')").count() == 1
