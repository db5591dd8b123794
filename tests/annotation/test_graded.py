"""Graded preference (much / slightly better, tie) and per-criterion preferences as study options: the
wizard, the CLI, the API, the annotator's page, answer validation, simulate_raters and the records."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from annotation.models import Judgment, Study
from annotation.selectors import judgment_records
from annotation.services import InvalidAnswer, judgment_submit, simulate_raters, slot_next

pytestmark = pytest.mark.django_db

GRADED = {"pairwise": True, "accuracy": False, "graded": True, "criteria": ["fluency", "meaning", "instruction fit"]}


def test_questions_are_normalised(study_factory):
    study = study_factory(name="g1", questions=GRADED, control_rate=0.0)
    q = study.questions
    assert q["graded"] is True
    assert q["criteria"] == [{"key": "fluency", "label": "Fluency"}, {"key": "meaning", "label": "Meaning"},
                             {"key": "instruction_fit", "label": "Instruction fit"}]
    plain = study_factory(name="g2", control_rate=0.0)
    assert plain.questions["graded"] is False and plain.questions["criteria"] == []
    no_pair = study_factory(name="g3", control_rate=0.0, questions={"pairwise": False, "accuracy": True, "graded": True})
    assert no_pair.questions["graded"] is False  # a grade needs the pairwise question


def test_answers_need_a_strength_and_every_criterion(study_factory, annotator):
    study = study_factory(name="g4", questions=GRADED, control_rate=0.0)
    slot = slot_next(study=study, user=annotator)
    crit = {"fluency": "left", "meaning": "tie", "instruction_fit": "right"}
    with pytest.raises(InvalidAnswer, match="how much better"):
        judgment_submit(slot=slot, user=annotator, answer={"preference": "left", "criteria": crit}, idempotency_key="a")
    with pytest.raises(InvalidAnswer, match="Meaning"):
        judgment_submit(slot=slot, user=annotator, answer={"preference": "left", "strength": "much",
                                                           "criteria": {"fluency": "left"}}, idempotency_key="b")
    j, _ = judgment_submit(slot=slot, user=annotator, answer={"preference": "right", "strength": "slightly",
                                                              "criteria": {**crit, "extra": "left"}},
                           idempotency_key="c")
    assert (j.strength, j.criteria) == ("slightly", crit)  # a criterion the study does not ask is dropped
    slot2 = slot_next(study=study, user=annotator)
    j2, _ = judgment_submit(slot=slot2, user=annotator, answer={"preference": "tie", "strength": "much",
                                                                "criteria": crit}, idempotency_key="d")
    assert j2.strength == ""  # a tie has no strength


def test_simulated_study_records_strength_criteria_and_edit_lengths(study_factory):
    study = study_factory(name="g5", questions=GRADED, control_rate=0.0, raters_per_item=2)
    simulate_raters(study=study, raters=3, seed=1, prefer={"zebrasys0": 0.8})
    js = Judgment.objects.filter(slot__item__study=study)
    assert js.count() == 24
    assert {j.strength for j in js if j.preference in ("left", "right")} == {"much", "slightly"}
    assert all(set(j.criteria) == {"fluency", "meaning", "instruction_fit"} for j in js)
    rows = judgment_records(study)
    row = rows[0]
    assert row["strength"] in ("much", "slightly", "")
    assert row["criteria"]["fluency"]["preferred_system"] in (row["left_system"], row["right_system"], "tie")
    assert isinstance(row["left_edit"], int) and row["left_edit"] > 0


def test_annotator_page_shows_graded_choices_and_criteria(study_factory, annotator_client, annotator):
    study = study_factory(name="g6", questions=GRADED, control_rate=0.0)
    page = annotator_client.get(f"/work/{study.public_token}/").content.decode()
    for value in ("left:much", "left:slightly", "tie", "right:slightly", "right:much", "both_bad"):
        assert f'value="{value}"' in page
    assert 'data-key="instruction_fit"' in page and "Which output is better for Fluency?" in page
    assert "zebrasys" not in page


def test_graded_via_api(annotator_client, annotator, study_factory):
    study = study_factory(name="g7", questions=GRADED, control_rate=0.0)
    nxt = annotator_client.post(f"/api/work/{study.public_token}/next/").json()
    token = nxt["slot"]["slot"]
    bad = annotator_client.post(f"/api/work/slots/{token}/judgment/", {"idempotency_key": "k1", "preference": "left"},
                                content_type="application/json")
    assert bad.status_code == 400 and "how much better" in bad.content.decode()
    ok = annotator_client.post(f"/api/work/slots/{token}/judgment/", {
        "idempotency_key": "k2", "preference": "left", "strength": "much",
        "criteria": {"fluency": "left", "meaning": "left", "instruction_fit": "tie"}}, content_type="application/json")
    assert ok.status_code == 201, ok.content
    again = annotator_client.get(f"/api/work/slots/{token}/").json()
    assert again["answer"]["strength"] == "much" and again["answer"]["criteria"]["instruction_fit"] == "tie"


def test_graded_from_cli_and_wizard(study_data, researcher_client):
    ds, systems = study_data
    call_command("create_study", "cli-graded", "--dataset", ds.name, "--system", systems[0].name, "--system",
                 systems[1].name, "--items", "5", "--graded", "--criterion", "fluency", "--criterion", "meaning",
                 "--control-rate", "0", stdout=io.StringIO())
    q = Study.objects.get(name="cli-graded").questions
    assert q["graded"] and [c["key"] for c in q["criteria"]] == ["fluency", "meaning"]
    resp = researcher_client.post("/studies/new/", {
        "name": "wiz-graded", "public_title": "Evaluation", "dataset": ds.name, "split": "test",
        "systems": [systems[0].pk, systems[1].pk], "n_examples": 6, "raters_per_item": 3, "seed": 0,
        "control_rate": 0.0, "q_pairwise": "on", "q_graded": "on", "q_criteria": "fluency, meaning preservation",
        "practice_count": 0, "identical_outputs": "tie", "display_mode": "auto", "allocation": "fixed", "save": "1"})
    assert resp.status_code == 302, resp.content.decode()[:1500]
    q = Study.objects.get(name="wiz-graded").questions
    assert q["graded"] and [c["key"] for c in q["criteria"]] == ["fluency", "meaning_preservation"]


def test_report_shows_graded_criteria_davidson_length_control_and_fragility(study_factory, researcher_client):
    from annotation import reports

    study = study_factory(name="g8", questions=GRADED, control_rate=0.0, raters_per_item=3)
    simulate_raters(study=study, raters=4, seed=3, prefer={"zebrasys0": 0.85})
    report = reports.study_report(study, bootstrap=30)
    rich = report["results"]["all_raters"]["all"]["richer"]
    assert rich["davidson"]["strengths"] and rich["davidson"]["nu"] > 0
    assert rich["length_control"]["reason"] is None and "beta" in rich["length_control"]
    assert rich["fragility"]["winner"] == "zebrasys0" and rich["fragility"]["flip"] >= 1
    (g,) = rich["graded"]
    assert g["a_much"] + g["a_slightly"] + g["tie"] + g["b_slightly"] + g["b_much"] == g["n"] == 36
    assert [c["key"] for c in rich["criteria"]] == ["fluency", "meaning", "instruction_fit"]
    assert "much or slightly better" in report["methods"] and "Fragility: removing" in report["methods"]
    assert "Davidson" in report["methods"] and "edit length" in report["methods"]
    csv_text = reports.report_csv(report)
    assert ",davidson,nu (ties)," in csv_text and ",fragility,zebrasys0: judgments to flip," in csv_text
    assert ",length_control,beta (per sd of edit length)," in csv_text
    html = researcher_client.get(f"/studies/{study.name}/report/?peek=1").content.decode()
    for anchor in ('id="davidson"', 'id="length-control"', 'id="fragility"', 'id="graded"', "Criterion: Fluency"):
        assert anchor in html
