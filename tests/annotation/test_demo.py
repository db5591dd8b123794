"""The demo `make run` loads: users of each role, the demo dataset, one pipeline job, and nothing twice."""
from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from annotation.demo import DEMO_USERS
from deft_site.jobs.models import Job
from deft_site.roles import is_annotator, is_researcher, is_reviewer
from selection.models import Dataset


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_logins_work():
    out = StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)
    assert Dataset.objects.get(name="demo").row_count == 3000
    assert set(Dataset.objects.get(name="demo").summary["tasks"]) == {
        "gec", "simplification", "clarity", "coherence", "paraphrase", "neutralize"}
    assert Job.objects.filter(kind="demo_pipeline").count() == 1
    assert "Demo pipeline: job #" in out.getvalue()
    for username, password, role in DEMO_USERS:
        user = authenticate(RequestFactory().post("/login/"), username=username, password=password)
        assert user is not None, username
        assert is_researcher(user) == (role in ("researcher", "admin"))
        assert is_annotator(user) == (role == "annotator")
        assert is_reviewer(user) == (role == "reviewer")
    logins = StringIO()
    call_command("demo_logins", stdout=logins)
    assert "researcher  researcher / researcher-demo" in logins.getvalue()
