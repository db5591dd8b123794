"""Automatic judges from the study wizard, the study page and the API (the CLI is in test_hf / test_openai);
the report shows them on its page, in its CSV and in its methods paragraph."""
from __future__ import annotations

import pytest

from annotation.models import JudgeAnswer, JudgeRun, Study
from annotation.reports import gather, report_csv
from annotation.services import simulate_raters
from deft_site.jobs.models import Job
from deft_site.jobs.services import job_run

pytestmark = pytest.mark.django_db


def _wizard_post(ds, systems, **extra) -> dict:
    data = {"name": "wiz-judge", "public_title": "Evaluation", "dataset": ds.name, "split": "test",
            "systems": [systems[0].pk, systems[1].pk], "n_examples": 6, "raters_per_item": 2, "seed": 0,
            "control_rate": 0.1, "control_kinds": ["degraded"], "q_pairwise": "on", "practice_count": 0,
            "identical_outputs": "tie", "display_mode": "auto", "allocation": "fixed", "min_raters_per_item": 1,
            "stop_alpha": 0.05, "launch": "1"}
    data.update(extra)
    return data


def test_the_wizard_queues_a_judge_with_the_study(researcher_client, study_data):
    ds, systems = study_data
    page = researcher_client.get("/studies/new/").content.decode()
    assert 'name="judge"' in page and 'name="judge_model"' in page and 'id="judge-fieldset"' in page
    resp = researcher_client.post("/studies/new/", _wizard_post(
        ds, systems, judge="openai:http://127.0.0.1:8499/v1", judge_model="llama-judge",
        judge_api_key_env="LAB_JUDGE_KEY"))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    run = JudgeRun.objects.get(study__name="wiz-judge")
    assert run.name == "openai:llama-judge@127.0.0.1:8499" and run.kind == "openai"
    assert run.spec["options"] == {"api_key_env": "LAB_JUDGE_KEY"}  # the variable's name, never a key
    assert run.job.status == Job.Status.QUEUED and run.job.kind == "judge" and run.job.queue == "long"
    detail = researcher_client.get("/studies/wiz-judge/").content.decode()
    assert 'id="judge-runs"' in detail and "openai:llama-judge@127.0.0.1:8499" in detail


@pytest.mark.parametrize(("judge", "message"), [("sim:accuracy=0.8", "needs a simulated study"),
                                                ("gpt4", "A judge is hf:PATH"),
                                                ("openai:ftp://x", "needs a base URL")])
def test_the_wizard_refuses_a_judge_it_cannot_run_and_creates_nothing(researcher_client, study_data, judge, message):
    ds, systems = study_data
    resp = researcher_client.post("/studies/new/", _wizard_post(ds, systems, judge=judge, judge_model="m"))
    assert resp.status_code == 200 and message in resp.content.decode()
    assert not Study.objects.filter(name="wiz-judge").exists()


def test_the_study_page_starts_a_simulated_judge_and_the_report_shows_it(researcher_client, study_factory):
    study = study_factory("page-judge", n_examples=12, raters_per_item=3, control_rate=0.0)
    simulate_raters(study=study, raters=3, seed=5, prefer={"zebrasys0": 0.8})
    resp = researcher_client.post(f"/studies/{study.name}/", {
        "action": "judge", "judge": "sim:accuracy=0.9,left_bias=0.2", "judge_name": "sim-page",
        "prefer": "zebrasys0:0.8", "truth_seed": "5"}, follow=True)
    assert "Judge sim-page queued" in resp.content.decode()
    run = JudgeRun.objects.get(study=study, name="sim-page")
    assert run.spec["truth"] == {"prefer": {"zebrasys0": 0.8}, "seed": 5}
    assert job_run(run.job_id).status == Job.Status.SUCCEEDED
    assert JudgeAnswer.objects.filter(run=run).count() == 2 * 12
    again = researcher_client.post(f"/studies/{study.name}/", {
        "action": "judge", "judge": "sim:accuracy=0.9,left_bias=0.2", "judge_name": "sim-page",
        "prefer": "zebrasys0:0.8", "truth_seed": "5"}, follow=True)
    assert "is already succeeded" in again.content.decode()
    bad = researcher_client.post(f"/studies/{study.name}/", {"action": "judge", "judge": "sim:accuracy=2"},
                                 follow=True)
    assert "Judge not started" in bad.content.decode() and "probability in [0, 1]" in bad.content.decode()

    html = researcher_client.get(f"/studies/{study.name}/report/?peek=1").content.decode()
    assert 'id="judges"' in html and "sim-page" in html and "position bias: share of left answers" in html
    assert "Judge sim-page (a simulated judge" in html  # the methods paragraph
    csv_text = report_csv(gather.study_report(study, bootstrap=0))
    assert "judge:sim-page,all,judge,share_left," in csv_text and "judge:sim-page,all,judge,cohen_kappa," in csv_text


def test_the_api_lists_and_starts_judges_for_managers_only(researcher_client, study_factory, client, annotator):
    study = study_factory("api-judge", n_examples=12, raters_per_item=2, control_rate=0.0)
    simulate_raters(study=study, raters=2, seed=1, prefer={"zebrasys1": 0.7})
    url = f"/api/studies/{study.name}/judges/"
    assert researcher_client.get(url).json() == []
    resp = researcher_client.post(url, {"judge": "sim:accuracy=0.7,left_bias=0.5",
                                        "truth": {"prefer": {"zebrasys1": 0.7}, "seed": 1}},
                                  content_type="application/json")
    assert resp.status_code == 202, resp.content
    body = resp.json()
    assert body["name"] == "sim:acc0.70-left0.50" and body["job"]["status"] == "queued" and body["n_answers"] == 0
    job_run(body["job"]["id"])
    (listed,) = researcher_client.get(url).json()
    assert listed["n_answers"] == 24 and listed["job"]["status"] == "succeeded"
    assert listed["options"] == {"accuracy": 0.7, "left_bias": 0.5}
    report = researcher_client.get(f"/api/studies/{study.name}/report/?peek=1").json()
    assert report["judges"][0]["name"] == "sim:acc0.70-left0.50" and "automatic judge" in report["methods"]

    for payload, field in [({"judge": "hf:"}, "judge"), ({"judge": "openai:http://h/v1"}, "judge"),
                           ({"judge": "sim:accuracy=0.5", "options": {"tie_margin": 0.1}}, "judge"),
                           ({"judge": "sim:"}, None), ({}, "judge"), ([1, 2], None)]:
        bad = researcher_client.post(url, payload, content_type="application/json")
        assert bad.status_code == 400, (payload, bad.content)
        if field:
            assert field in bad.json() or "detail" in bad.json()
    client.force_login(annotator)
    assert client.get(url).status_code == 403
    assert client.post(url, {"judge": "sim:"}, content_type="application/json").status_code == 403
