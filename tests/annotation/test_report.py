"""The study report end to end: a study built and rated through the annotation services, then its report,
exports, commands, API and permissions."""
from __future__ import annotations

import csv
import io
import json
import random
import re
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from annotation import reports
from annotation.models import Item, StudyEvent
from annotation.services import judgment_submit, slot_next, study_close, study_create

from .conftest import make_study_data

BOOT = 200  # keeps the test fast; the pages use 1000


def _rate(study, user, style: str, truth: dict, rng: random.Random) -> int:
    """Work through the study as one synthetic rater, through slot_next / judgment_submit like the web page.

    Careful raters follow each pair's own "true" winner 90 % of the time (so careful raters agree with each
    other item by item, which is what agreement statistics measure) and get controls right 95 % of the time.
    """
    n = 0
    while (slot := slot_next(study=study, user=user)) is not None:
        item = Item.objects.select_related("system_a__system", "control").get(pk=slot.item_id)
        if style == "random":
            pref = rng.choice(["left", "right", "tie"])
        elif style == "always_left":
            pref = "left"
        else:
            if item.kind == Item.Kind.CONTROL:
                a_wins = rng.random() < 0.95
            else:
                a_wins = truth[item.pk] if rng.random() < 0.9 else not truth[item.pk]
            pref = "left" if a_wins == slot.left_is_a else "right"
        answer = {"preference": pref, "accurate_left": pref == "left" or rng.random() < 0.3,
                  "accurate_right": pref == "right" or rng.random() < 0.3,
                  "likert": {"fluency": {"left": 5 if pref == "left" else 3, "right": 5 if pref == "right" else 3}},
                  "seconds": rng.uniform(2, 5) if style == "random" else rng.uniform(8, 30)}
        judgment_submit(slot=slot, user=user, answer=answer, idempotency_key=f"t-{slot.token}")
        n += 1
    return n


def _build_rated_study():
    from annotation.models import Study

    owner = User.objects.create_user(username="report-owner")
    ds, systems = make_study_data(n_examples=90, n_systems=2, seed=5)
    study = study_create(name="rep", dataset=ds, systems=systems, n_examples=60, raters_per_item=3, seed=1,
                         control_rate=0.25, quota_per_rater=30, user=owner, launch=True,
                         questions={"pairwise": True, "accuracy": True,
                                    "likert": [{"key": "fluency", "label": "Fluency", "min": 1, "max": 5}]})
    rng = random.Random(7)
    truth = {}
    for item in study.items.filter(kind=Item.Kind.REAL).select_related("system_a__system"):
        zero_wins = rng.random() < 0.7
        truth[item.pk] = zero_wins == (item.system_a.system.name == "zebrasys0")
    group = Group.objects.get_or_create(name="annotator")[0]
    users = [owner]
    for i, style in enumerate(["careful"] * 4 + ["random", "always_left"]):
        user = User.objects.create_user(username=f"{style}-{i}")
        user.groups.add(group)
        users.append(user)
        _rate(study, user, style, truth, rng)
    return Study.objects.get(pk=study.pk), ds, systems, users


@pytest.fixture(scope="module")
def _rated_study_data(django_db_setup, django_db_blocker):
    """Built once for the module (rating through the services takes a few seconds), removed afterwards;
    each test still runs in its own rolled-back transaction, so closing the study there does not leak."""
    from selection.models import Output

    with django_db_blocker.unblock():
        study, ds, systems, users = _build_rated_study()
    yield study
    with django_db_blocker.unblock():
        study.items.all().delete()  # items protect the study's systems and examples
        study.delete()
        Output.objects.filter(system__in=systems).delete()
        for system in systems:
            system.delete()
        ds.examples.all().delete()
        ds.delete()
        for user in users:
            user.delete()


@pytest.fixture
def rated_study(_rated_study_data, db, researcher):
    """Two systems, 60 examples, 3 raters per item: four careful raters (zebrasys0 truly better on about 70 %
    of the pairs), one random clicker and one always-left rater, at most 30 real pairs each (fewer make the
    rater flags depend on which items each rater happened to get). Owned by the `researcher` fixture."""
    type(_rated_study_data).objects.filter(pk=_rated_study_data.pk).update(owner=researcher)
    _rated_study_data.refresh_from_db()
    return _rated_study_data


def _report(study, **kw):
    return reports.study_report(study, bootstrap=BOOT, use_cache=False, **kw)


def test_flags_exactly_the_bad_raters_and_favours_the_preferred_system(rated_study):
    rep = _report(rated_study)
    flagged = rep["raters"]["flagged"]
    assert sorted(flagged) == sorted(r for r in (row["rater"] for row in rep["raters"]["raters"])
                                     if "random" in r or "always_left" in r)
    assert len(flagged) == 2
    main = rep["results"]["all_raters"]["all"]
    (pair,) = main["pairs"]
    assert {pair["a"], pair["b"]} == {"zebrasys0", "zebrasys1"}
    assert pair["a"] == "zebrasys0" and pair["win_rate_ties_half"]["rate"] > 0.6
    assert pair["sign_test_p"] < 0.05
    bt = main["bradley_terry"]
    assert bt["strengths"]["zebrasys0"] > bt["strengths"]["zebrasys1"]
    acc = {a["system"]: a["rate"] for a in main["accuracy"]["by_system"]}
    assert acc["zebrasys0"] > acc["zebrasys1"]
    alpha = main["agreement"]["preference"]["alpha"]
    assert alpha["value"] is not None and alpha["ci"][0] <= alpha["value"] <= alpha["ci"][1]
    # Per task sections exist (the fixture has three tasks) and humans-vs-metrics was computed.
    assert set(rep["tasks"]) == {"all", "gec", "simplification", "paraphrase"}
    assert {c["metric"] for c in main["correlation"]} == {"sari", "rougeL"}
    assert main["scatter"] and {"d_sari", "d_rougeL"} <= set(main["scatter"][0])
    assert {m["system"] for m in rep["automatic_metrics"]["all"]} == {"zebrasys0", "zebrasys1"}


def test_excluding_flagged_raters_changes_results_and_says_so(rated_study):
    rep = _report(rated_study, exclude_flagged=True)
    assert rep["primary"] == "without_flagged"
    kept = rep["results"]["without_flagged"]["all"]
    everyone = rep["results"]["all_raters"]["all"]
    assert kept["n_judgments"] < everyone["n_judgments"]
    # The always-left rater pulled the left share up; without it the sides are balanced (sides are randomised
    # per rater, so careful raters land near one half).
    assert everyone["position_bias"]["share_left"] > kept["position_bias"]["share_left"]
    assert abs(kept["position_bias"]["share_left"] - 0.5) < 0.1
    rows = {r["name"]: r for r in rep["comparison"]["all"]}
    win = rows["zebrasys0 vs zebrasys1: win rate (ties half)"]
    assert win["delta"] == pytest.approx(win["without_flagged"] - win["all_raters"])
    assert "excluded" in rep["methods"]


def test_methods_paragraph(rated_study):
    rep = _report(rated_study)
    text = rep["methods"]
    assert "3 raters per item" in text
    alpha = rep["results"]["all_raters"]["all"]["agreement"]["preference"]["alpha"]["value"]
    assert f"Krippendorff's alpha (nominal) = {alpha:.2f}" in text
    assert "zebrasys0" in text and "60 examples" in text and "control pairs" in text


def test_report_is_cached_until_a_judgment_changes(rated_study, django_assert_max_num_queries):
    first = reports.study_report(rated_study, bootstrap=BOOT)
    with django_assert_max_num_queries(3):
        again = reports.study_report(rated_study, bootstrap=BOOT)
    assert again["version"] == first["version"]


def _closed(study, researcher):
    return study_close(study=study, user=researcher)


def test_page_and_exports_after_close(rated_study, researcher, researcher_client):
    _closed(rated_study, researcher)
    url = f"/studies/{rated_study.name}/report/"
    page = researcher_client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "Bradley" in body and body.count("<tr class=\"flagged\">") == 2

    html = researcher_client.get(url + "?format=html")
    assert html.status_code == 200 and "attachment" in html["Content-Disposition"]
    doc = html.content.decode()
    assert doc.startswith("<!doctype html>") and "<svg" in doc and "<style>" in doc
    assert "http" not in doc.lower()  # no external stylesheet, script, font or link of any kind
    assert not re.search(r"<(script|link|img|iframe)\b", doc)

    data = json.loads(researcher_client.get(url + "?format=json").content)
    assert data["raters"]["flagged"] and data["methods"]
    rows = list(csv.DictReader(io.StringIO(researcher_client.get(url + "?format=csv").content.decode())))
    names = {(r["version"], r["section"], r["name"]) for r in rows}
    assert ("all_raters", "preference", "zebrasys0 vs zebrasys1: win rate (ties half)") in names
    assert ("without_flagged", "agreement:preference", "alpha") in names


def test_before_close_needs_a_logged_peek(rated_study, researcher_client):
    url = f"/studies/{rated_study.name}/report/"
    gate = researcher_client.get(url)
    assert gate.status_code == 403 and b"Peek" in gate.content and b"zebrasys" not in gate.content
    assert researcher_client.get(url + "live/").status_code == 403
    assert not StudyEvent.objects.filter(study=rated_study, action="peek").exists()
    page = researcher_client.get(url + "?peek=1")
    assert page.status_code == 200 and b"zebrasys0" in page.content
    assert StudyEvent.objects.filter(study=rated_study, action="peek").count() == 1
    live = researcher_client.get(url + "live/?exclude_flagged=0&version=old").json()
    assert live["changed"] and "<svg" in live["html"]
    same = researcher_client.get(url + f"live/?exclude_flagged=0&version={live['version']}").json()
    assert same["changed"] is False and same["html"] == ""
    assert StudyEvent.objects.filter(study=rated_study, action="peek").count() == 1  # polls are not re-logged


def test_api_report_by_name_or_id(rated_study, researcher, researcher_client):
    before = researcher_client.get(f"/api/studies/{rated_study.name}/report/")
    assert before.status_code == 403
    peek = researcher_client.get(f"/api/studies/{rated_study.pk}/report/?peek=1&exclude_flagged=1")
    assert peek.status_code == 200 and peek.json()["primary"] == "without_flagged"
    _closed(rated_study, researcher)
    data = researcher_client.get(f"/api/studies/{rated_study.name}/report/").json()
    assert data["results"]["all_raters"]["all"]["pairs"][0]["a"] == "zebrasys0"
    assert researcher_client.get("/api/studies/nope/report/").status_code == 404


def test_annotators_get_403(rated_study, researcher, annotator_client):
    _closed(rated_study, researcher)
    for url in (f"/studies/{rated_study.name}/report/", f"/studies/{rated_study.name}/report/?format=html",
                f"/studies/{rated_study.name}/report/live/", f"/api/studies/{rated_study.name}/report/"):
        assert annotator_client.get(url).status_code == 403, url


def test_command(rated_study, researcher, tmp_path):
    with pytest.raises(CommandError, match="--peek"):
        call_command("study_report", rated_study.name, stdout=StringIO())
    _closed(rated_study, researcher)
    out = StringIO()
    html = tmp_path / "r.html"
    call_command("study_report", rated_study.name, "--html", str(html), "--bootstrap", str(BOOT), stdout=out)
    assert "flagged raters:" in out.getvalue() and "zebrasys0 vs zebrasys1" in out.getvalue()
    assert "<svg" in html.read_text() and "http" not in html.read_text().lower()
    out = StringIO()
    call_command("study_report", rated_study.name, "--json", "--exclude-flagged", "--bootstrap", str(BOOT),
                 stdout=out)
    data = json.loads(out.getvalue())
    assert data["exclude_flagged"] is True and len(data["raters"]["flagged"]) == 2
    with pytest.raises(CommandError, match="No study"):
        call_command("study_report", "missing", stdout=StringIO())


@pytest.mark.django_db
def test_simulated_study_flags_the_random_clicker_and_the_always_left_rater_and_nobody_else():
    """The issue's scenario through `simulate_raters` itself: careful raters, one random clicker, one
    always-left rater, all working through the same assignment and submission services as the web page."""
    from annotation.models import Study
    from annotation.services import simulate_raters

    owner = User.objects.create_user(username="sim-owner")
    ds, systems = make_study_data(n_examples=120, n_systems=2, seed=11)
    study = study_create(name="sim", dataset=ds, systems=systems, n_examples=90, raters_per_item=3, seed=1,
                         control_rate=0.2, user=owner, launch=True, questions={"pairwise": True})
    done = simulate_raters(study=study, raters=4, seed=3, prefer={"zebrasys0": 0.7}, random_clickers=1,
                           always_left=1)
    assert done["per_style"]["careful"] > 0 and done["per_style"]["random"] > 0
    rep = _report(Study.objects.get(pk=study.pk))
    flagged = sorted(rep["raters"]["flagged"])
    assert len(flagged) == 2
    assert [name.split("-")[2] for name in flagged] == ["always_left", "random"]
    (pair,) = rep["results"]["without_flagged"]["all"]["pairs"]
    assert pair["a"] == "zebrasys0" and pair["win_rate_ties_half"]["rate"] > 0.55
