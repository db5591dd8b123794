"""Security events, jobs and workers leave log lines (an operator reads them; nothing else records a refusal)."""
from __future__ import annotations

import logging

import pytest
from django.test import override_settings

from deft_site.jobs.registry import job_handler
from deft_site.jobs.services import job_create, job_run


@job_handler("test_logged")
def _logged(job, report):  # noqa: ANN001
    return {}


@pytest.mark.django_db
def test_a_refused_researcher_page_and_api_call_are_logged(annotator_client, annotator, caplog):
    with caplog.at_level(logging.WARNING, logger="deft.security"):
        assert annotator_client.get("/datasets/").status_code == 403
        assert annotator_client.get("/api/datasets/").status_code == 403
    denied = [r.getMessage() for r in caplog.records if r.name == "deft.security"]
    assert any(annotator.username in m and "/datasets/" in m and "GET" in m for m in denied), denied
    assert any("/api/datasets/" in m for m in denied), denied


@pytest.mark.django_db
@override_settings(DEFT_UPLOAD_MAX_BYTES=100)
def test_an_upload_over_the_limit_is_logged(researcher_client, caplog):
    with caplog.at_level(logging.WARNING, logger="deft.security"):
        response = researcher_client.post("/api/datasets/", data=b"x" * 500, content_type="application/octet-stream")
    assert response.status_code == 413
    assert any("refused" in r.getMessage() and "500-byte" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_a_job_logs_its_start_and_its_end(caplog):
    job = job_create(kind="test_logged", title="logged", params={})
    with caplog.at_level(logging.INFO, logger="deft.jobs"):
        job_run(job.pk)
    lines = [r.getMessage() for r in caplog.records if r.name == "deft.jobs"]
    assert any(f"job {job.pk} (test_logged) attempt 1 started" in m for m in lines), lines
    assert any(f"job {job.pk} (test_logged) succeeded" in m for m in lines), lines
