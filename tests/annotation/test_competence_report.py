"""Rater competence and soft labels in the study report, on a study worked by `simulate_raters` with known truth:
careful raters, and more random clickers and always-left spammers than careful raters."""
from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from annotation import reports
from annotation.models import Item, Study
from annotation.reports.competence import competence_check
from annotation.reports.records import as_records
from annotation.selectors import judgment_records
from annotation.services import simulate_raters, study_close, study_create
from annotation.services.simulation import _true_winner_is_a

from .conftest import make_study_data

SEED = 4


@pytest.fixture
def noisy_study(db, researcher):
    ds, systems = make_study_data(n_examples=110, n_systems=2, seed=13)
    study = study_create(name="noisy", dataset=ds, systems=systems, n_examples=80, raters_per_item=3, seed=2,
                         control_rate=0.15, user=researcher, launch=True, questions={"pairwise": True})
    simulate_raters(study=study, raters=3, seed=SEED, prefer={"zebrasys0": 0.7}, random_clickers=3, always_left=2)
    return Study.objects.get(pk=study.pk)


def _style(rater: str) -> str:
    return rater.split("-")[2]  # sim-<study>-<style>-<seed>-<i>


def _truth(study: Study) -> dict[int, str]:
    """Each real item's true winner as a / b (zebrasys0, the first in name order, is system a)."""
    out = {}
    for item in study.items.filter(kind=Item.Kind.REAL).select_related("system_a__system"):
        assert item.system_a.system.name == "zebrasys0"
        out[item.pk] = "a" if _true_winner_is_a(item, 0.7, SEED) else "b"
    return out


def _majority_accuracy(study: Study, truth: dict[int, str]) -> float:
    votes: dict[int, Counter] = defaultdict(Counter)
    for r in as_records(judgment_records(study)):
        if r.real and r.answer:
            won = r.left_system if r.answer == "left" else r.right_system if r.answer == "right" else None
            votes[r.item]["a" if won == "zebrasys0" else "b" if won else "tie"] += 1
    score = 0.0
    for item, c in votes.items():
        top = max(c.values())
        best = [lab for lab, n in c.items() if n == top]
        score += (truth[item] in best) / len(best)
    return score / len(votes)


def test_competence_ranks_careful_raters_first_and_soft_labels_beat_majority_vote(noisy_study):
    rep = reports.study_report(noisy_study, bootstrap=100, use_cache=False)
    comp = rep["competence"]
    assert comp["reason"] is None and comp["model"] == "mace"
    by_style = defaultdict(list)
    for rater, c in comp["raters"].items():
        by_style[_style(rater)].append(c["competence"])
    assert min(by_style["careful"]) > max(by_style["random"] + by_style["always_left"])
    low = {_style(r) for r, c in comp["raters"].items() if c["low"]}
    assert "careful" not in low and low
    # the rater table carries it beside the other quality measures
    rows = {row["rater"]: row for row in rep["raters"]["raters"]}
    assert all(rows[r]["competence"] == c["competence"] for r, c in comp["raters"].items())

    truth = _truth(noisy_study)
    soft = sum(truth[row["item"]] == row["label"] for row in comp["items"]) / len(comp["items"])
    assert len(comp["items"]) == len(truth)  # every real pair, no control
    assert soft > _majority_accuracy(noisy_study, truth) + 0.05
    assert "MACE" in rep["methods"] and "soft labels" in rep["methods"]


def test_soft_label_win_rates_are_closer_to_the_truth_than_raw_ones_over_several_studies(db, researcher):
    """One study's win rate is noisy (80 pairs: a standard error near 0.055), so the claim is made on the mean
    error over four simulated studies with different truths and raters."""
    ds, systems = make_study_data(n_examples=110, n_systems=2, seed=13)
    soft_err, raw_err = [], []
    for seed in (4, 5, 6, 7):
        study = study_create(name=f"noisy-{seed}", dataset=ds, systems=systems, n_examples=80, raters_per_item=3,
                             seed=seed, control_rate=0.15, user=researcher, launch=True,
                             questions={"pairwise": True})
        simulate_raters(study=study, raters=3, seed=seed, prefer={"zebrasys0": 0.7}, random_clickers=3,
                        always_left=2)
        rep = reports.study_report(Study.objects.get(pk=study.pk), bootstrap=50, use_cache=False)
        truth = {item.pk: _true_winner_is_a(item, 0.7, seed)
                 for item in study.items.filter(kind=Item.Kind.REAL).select_related("system_a__system")}
        true_rate = sum(truth.values()) / len(truth)
        (pair,) = rep["competence"]["results"]["pairs"]
        raw = rep["results"]["all_raters"]["all"]["pairs"][0]["win_rate_ties_half"]["rate"]
        soft_err.append(abs(pair["win_rate_ties_half"]["rate"] - true_rate))
        raw_err.append(abs(raw - true_rate))
    assert sum(soft_err) < sum(raw_err), (soft_err, raw_err)


def test_the_competence_check_fails_the_bad_raters_for_the_gate_and_the_exclusion(noisy_study):
    records = as_records(judgment_records(noisy_study, include_auto_ties=True))
    results = competence_check(records, {})
    failed = {_style(r) for r, res in results.items() if res["failed"]}
    assert "careful" not in failed and failed <= {"random", "always_left"} and failed
    assert all(set(res) == {"failed", "value", "reason", "detail"} for res in results.values())
    dawid = competence_check(records, {"competence_model": "dawid_skene"})
    assert next(iter(dawid.values()))["detail"]["model"] == "dawid_skene"


def test_page_csv_command_and_api_show_competence(noisy_study, researcher, researcher_client):
    study_close(study=noisy_study, user=researcher)
    page = researcher_client.get(f"/studies/{noisy_study.name}/report/").content.decode()
    assert "competence" in page and "Results on soft labels" in page and "low competence" in page
    body = researcher_client.get(f"/studies/{noisy_study.name}/report/?format=csv")
    rows = list(csv.DictReader(io.StringIO(body.content.decode())))
    assert any(r["section"] == "competence:mace" for r in rows)
    assert any(r["version"] == "soft_labels" for r in rows)
    data = researcher_client.get(f"/api/studies/{noisy_study.name}/report/").json()
    assert data["competence"]["raters"] and data["competence"]["results"]["pairs"]
    out = StringIO()
    call_command("study_report", noisy_study.name, "--bootstrap", "50", stdout=out)
    assert "competence (MACE" in out.getvalue() and "soft labels: zebrasys0 vs zebrasys1" in out.getvalue()
    out = StringIO()
    call_command("study_report", noisy_study.name, "--json", "--bootstrap", "50", stdout=out)
    assert json.loads(out.getvalue())["competence"]["flagged"]


def test_no_pairwise_question_gives_a_reason_not_an_error(db, researcher):
    ds, systems = make_study_data(n_examples=40, n_systems=2, seed=3)
    study = study_create(name="acc-only", dataset=ds, systems=systems, n_examples=10, raters_per_item=1,
                         control_rate=0, user=researcher, launch=True,
                         questions={"pairwise": False, "accuracy": True})
    simulate_raters(study=study, raters=1, seed=0)
    rep = reports.study_report(Study.objects.get(pk=study.pk), bootstrap=0, use_cache=False)
    assert rep["competence"]["reason"].startswith("competence needs the pairwise question")
    assert User.objects.filter(username__startswith="sim-").exists()
