"""Simulated judges of known quality on simulated studies with known truth: the measured agreement, position
bias and consistency come out as their design says (within sampling error), and a judge never counts as a
human rater."""
from __future__ import annotations

import io
import math

import pytest
from django.core.management import call_command

from annotation.judges import parse_spec
from annotation.models import Item, JudgeAnswer, Judgment, Slot, StudyRater
from annotation.reports import gather
from annotation.selectors import judge_answer_rows, judgment_records, study_progress
from annotation.services import judge_run_submit, simulate_raters
from annotation.services.simulation import item_truth_is_a
from annotation.stats.judges import TIE, as_judge_records, judge_report
from annotation.stats.preferences import Judgment as Pref
from deft_site.jobs.models import Job
from deft_site.jobs.services import job_run

from ..conftest import make_study_data

pytestmark = pytest.mark.django_db
PREFER = {"zebrasys0": 0.7}
SEED = 4


@pytest.fixture
def simulated(researcher):
    """A launched two-system study (120 real pairs, no controls) that 4 careful synthetic raters worked through."""
    from annotation.services import study_create

    ds, systems = make_study_data(n_examples=120, n_systems=2, seed=11)
    study = study_create(name="judged", dataset=ds, systems=systems, n_examples=120, raters_per_item=3, seed=2,
                         control_rate=0.0, user=researcher, launch=True)
    simulate_raters(study=study, raters=4, seed=SEED, prefer=PREFER)
    return study


def _run(study, spec_text: str, **kw):
    run = judge_run_submit(study=study, spec=parse_spec(spec_text), truth={"prefer": PREFER, "seed": SEED},
                           enqueue=False, **kw)
    job = job_run(run.job_id)
    assert job.status == Job.Status.SUCCEEDED, job.error
    return run, job


def _truth_records(study) -> list[Pref]:
    """The simulation's truth as one perfect "rater" per item: its majority is the truth itself."""
    out = []
    for item in Item.objects.filter(study=study, kind=Item.Kind.REAL).select_related("system_a__system",
                                                                                     "system_b__system"):
        a, b = item.system_a.system.name, item.system_b.system.name
        out.append(Pref(item=item.pk, rater="truth", left=a, right=b,
                        answer="left" if item_truth_is_a(item, PREFER, SEED) else "right"))
    return out


def _within(measured: float, expected: float, n: int, sds: float = 4.0) -> bool:
    return abs(measured - expected) <= sds * math.sqrt(expected * (1 - expected) / n) + 1e-9


def _expected(acc: float, bias: float) -> dict[str, float]:
    """The judge's design, in closed form (annotation/judges/simulated.py)."""
    p_true = (bias + (1 - bias) * acc) * (1 - bias) * acc  # the true winner in both orders
    p_false = (1 - bias) * (1 - acc) * (bias + (1 - bias) * (1 - acc))
    return {"share_left": 0.5 + bias / 2, "true": p_true, "false": p_false, "tie": 1 - p_true - p_false,
            "consistent": (1 - bias) ** 2 * (acc ** 2 + (1 - acc) ** 2) + bias * (1 - bias)}


@pytest.mark.parametrize(("acc", "bias"), [(0.9, 0.0), (0.75, 0.3)])
def test_a_simulated_judge_measures_as_designed(simulated, acc, bias):
    run, job = _run(simulated, f"sim:accuracy={acc},left_bias={bias}")
    n_items = Item.objects.filter(study=simulated, kind=Item.Kind.REAL).count()
    assert job.result["answers"] == JudgeAnswer.objects.filter(run=run).count() == 2 * n_items
    assert set(JudgeAnswer.objects.filter(run=run).values_list("left_is_a", flat=True)) == {True, False}
    records = as_judge_records(judge_answer_rows(simulated))
    want = _expected(acc, bias)

    vs_truth = judge_report(_truth_records(simulated), records, bootstrap=200)
    assert vs_truth["n_compared"] == n_items
    assert _within(vs_truth["agreement"]["rate"], want["true"], n_items)
    pb = vs_truth["position_bias"]
    assert pb["n_decisive"] == 2 * n_items
    assert _within(pb["share_left"], want["share_left"], 2 * n_items)
    assert _within(vs_truth["consistency"]["rate"], want["consistent"], n_items)

    # Against the human majority: what the design predicts from how often that majority is the truth.
    report = gather.study_report(simulated, bootstrap=200, use_cache=False)
    (judged,) = report["judges"]
    truth = {p.item: p.left if p.answer == "left" else p.right for p in _truth_records(simulated)}
    majority = _human_majority_vs_truth(simulated, truth)
    n = judged["agreement"]["n"]
    expected = want["true"] * majority["true"] + want["false"] * majority["false"] + want["tie"] * majority["tie"]
    assert n >= 0.9 * n_items
    assert _within(judged["agreement"]["rate"], expected, n)
    assert judged["cohen_kappa"]["value"] is not None and judged["cohen_kappa"]["ci"]
    assert _within(judged["position_bias"]["share_left"], want["share_left"], 2 * n_items)
    assert f"Judge {run.name}" in report["methods"] and "both orders" in report["methods"]


def _human_majority_vs_truth(study, truth: dict) -> dict[str, float]:
    from annotation.reports.build import preference_records
    from annotation.reports.records import as_records
    from annotation.stats.judges import human_majority

    majority, _ = human_majority(preference_records(as_records(judgment_records(study))))
    n = len(majority)
    return {"true": sum(majority[i] == truth[i] for i in majority) / n,
            "tie": sum(majority[i] == TIE for i in majority) / n,
            "false": sum(majority[i] not in (TIE, truth[i]) for i in majority) / n}


def test_a_judge_counts_in_no_human_result(simulated):
    before = (study_progress(simulated), len(judgment_records(simulated)), Slot.objects.count(),
              Judgment.objects.count(), StudyRater.objects.filter(study=simulated).count())
    report_before = gather.study_report(simulated, bootstrap=0, use_cache=False)
    _run(simulated, "sim:accuracy=0.2,left_bias=1.0")  # a terrible judge: any leak would move the numbers
    after = (study_progress(simulated), len(judgment_records(simulated)), Slot.objects.count(),
             Judgment.objects.count(), StudyRater.objects.filter(study=simulated).count())
    assert after == before
    report_after = gather.study_report(simulated, bootstrap=0, use_cache=False)
    assert report_after["results"] == report_before["results"]
    assert report_after["raters"] == report_before["raters"]
    assert report_before["judges"] == [] and len(report_after["judges"]) == 1
    assert report_after["judges"][0]["position_bias"]["share_left"] == 1.0


def test_the_cached_report_changes_when_a_judge_answers(simulated):
    first = gather.study_report(simulated, bootstrap=0)
    _run(simulated, "sim:accuracy=0.9")
    second = gather.study_report(simulated, bootstrap=0)
    assert first["judges"] == [] and second["judges"] and first["version"] != second["version"]


def test_simulate_raters_runs_simulated_judges_after_the_raters(researcher):
    from annotation.services import study_create

    ds, systems = make_study_data(n_examples=20, n_systems=2, seed=12)
    study = study_create(name="simcli", dataset=ds, systems=systems, n_examples=20, raters_per_item=2, seed=1,
                         control_rate=0.0, user=researcher, launch=True)
    out = io.StringIO()
    call_command("simulate_raters", "simcli", "--raters", "2", "--prefer", "zebrasys1:0.8",
                 "--judge", "sim:accuracy=0.9,left_bias=0.1", stdout=out)
    assert "Simulated judge sim:acc0.90-left0.10 stored 40 answers." in out.getvalue()
    assert study.judge_runs.get().spec["truth"] == {"prefer": {"zebrasys1": 0.8}, "seed": 0}


def test_a_cancelled_judge_stops_and_a_retry_resumes_without_repeating(simulated, monkeypatch):
    import time

    from annotation.judges.simulated import SimulatedJudge
    from deft_site.jobs.services import job_retry

    run = judge_run_submit(study=simulated, spec=parse_spec("sim:accuracy=0.9"), truth={"prefer": PREFER, "seed": SEED},
                           enqueue=False)
    calls = {"n": 0}
    answer = SimulatedJudge.judge

    def slow(self, query):  # noqa: ANN001, ANN202 - a judge someone cancels after its fifth answer
        calls["n"] += 1
        if calls["n"] == 5:
            Job.objects.filter(pk=run.job_id).update(cancel_requested=True)
        time.sleep(0.02)
        return answer(self, query)

    monkeypatch.setattr(SimulatedJudge, "judge", slow)
    job = job_run(run.job_id)
    stored = JudgeAnswer.objects.filter(run=run).count()
    assert job.status == Job.Status.CANCELLED and 5 <= stored < 240
    assert "It stopped at: judged" in job.error
    asked = []
    monkeypatch.setattr(SimulatedJudge, "judge", lambda self, q: asked.append(q) or answer(self, q))
    job = job_run(job_retry(job).pk)
    assert job.status == Job.Status.SUCCEEDED and JudgeAnswer.objects.filter(run=run).count() == 240
    assert len(asked) == 240 - stored  # the retry asked only what was not stored
