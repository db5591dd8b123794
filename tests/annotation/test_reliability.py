"""Rater reliability as WMT does it (issue 15): repeated pairs for self-consistency, Appraise's degraded-copy
test, per-rater z-scored Likert, and the study setting that makes the completion gate and "exclude flagged
raters" use any of these checks. On simulated studies with known truth (annotation/services/simulation.py),
from the wizard, the CLI and the API; with the blinding properties of annotation/blinding.md for repeats."""
from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from annotation.models import Item, Judgment, Slot, Study, StudyRater
from annotation.services import AnnotationError
from annotation.services.simulation import simulate_raters

from .conftest import make_study_data, next_queries_by_kind

pytestmark = pytest.mark.django_db


@pytest.fixture
def rel_factory(db, researcher):
    """Studies on a dataset large enough for 40 real examples plus controls from outside them."""
    from annotation.services import study_create

    ds, systems = make_study_data(n_examples=150, seed=11)

    def make(name: str, **kw):
        params = dict(n_examples=40, raters_per_item=2, seed=5, control_rate=0.3, control_kinds=["degraded"],
                      user=researcher, launch=True)
        params.update(kw)
        return study_create(name=name, dataset=ds, systems=systems[:2], **params)

    return make


def _pinned(study: Study) -> Study:
    """The study's side seeds (its secret) fixed, so that a simulation's every draw is seeded. The per-rater tests
    below run at alpha 0.01: a random clicker passes one by chance with probability at most 0.01."""
    Study.objects.filter(pk=study.pk).update(secret="pinned-for-the-test")
    study.refresh_from_db()
    return study


def _annotator(name: str) -> User:
    user = User.objects.create_user(name)
    user.groups.add(Group.objects.get_or_create(name="annotator")[0])
    return user


def _walk(client, study, user, skip=lambda i, kind: False) -> list[dict]:
    """One rater's whole queue over the API: what each step showed and what kind of pair it was."""
    client.force_login(user)
    steps = []
    for i in range(400):
        nxt = client.post(f"/api/work/{study.public_token}/next/").json()
        if nxt["finished"]:
            steps.append({"finished": True, "total": nxt["progress"]["total"]})
            break
        slot = Slot.objects.select_related("item").get(token=nxt["slot"]["slot"])
        step = {"kind": slot.item.kind, "item": slot.item_id, "repeat_of": slot.item.repeat_of_id,
                "left": nxt["progress"]["left"], "total": nxt["progress"]["total"], "keys": sorted(nxt["slot"])}
        if skip(i, slot.item.kind):
            client.post(f"/api/work/slots/{slot.token}/skip/", {"reason": "x"}, content_type="application/json")
            step["skipped"] = True
        else:
            client.post(f"/api/work/slots/{slot.token}/judgment/",
                        data={"idempotency_key": f"k{i}", "preference": "left", "accurate_left": True,
                              "accurate_right": False}, content_type="application/json")
        steps.append(step)
    return steps


def test_repeats_come_back_to_the_same_rater_later_and_look_like_any_pair(client, rel_factory):
    study = rel_factory("rep-walk", n_examples=20, raters_per_item=1, repeat_rate=0.3, repeat_gap=3)
    steps = _walk(client, study, _annotator("lone"))
    pairs = [s for s in steps if "kind" in s]
    kinds = [s["kind"] for s in pairs]
    assert kinds.count("repeat") >= 3 and "real" in kinds and "control" in kinds
    position = {s["item"]: i for i, s in enumerate(pairs) if s["kind"] == "real"}
    for i, s in enumerate(pairs):
        if s["kind"] != "repeat":
            continue
        assert s["repeat_of"] in position and position[s["repeat_of"]] < i  # only a pair this rater judged
        tail = all(p["kind"] == "repeat" for p in pairs[i:])
        assert tail or i - position[s["repeat_of"]] - 1 >= 3, (i, position[s["repeat_of"]])  # the gap
    # Progress cannot tell a repeat: done + left stays the same throughout, "left" counts down by one.
    assert len({s["total"] for s in steps}) == 1
    assert [s["left"] for s in pairs] == list(range(len(pairs), 0, -1))
    # Same payload shape for every kind: no field says "repeat".
    assert len({tuple(s["keys"]) for s in pairs}) == 1


def test_skipping_moves_progress_the_same_for_a_repeat_as_for_any_pair(client, rel_factory):
    study = rel_factory("rep-skip", n_examples=20, raters_per_item=1, repeat_rate=0.4, repeat_gap=2)
    steps = _walk(client, study, _annotator("skipper"), skip=lambda i, kind: i % 3 == 2 or kind == "repeat")
    moves: dict[str, set] = {}
    for a, b in zip(steps, steps[1:]):
        if a.get("skipped"):
            moves.setdefault(a["kind"], set()).add(b["total"] - a["total"])
    assert "repeat" in moves and "real" in moves, moves
    # What a skip does to done + left never singles out a repeat or a control: each moves it in a way that
    # skipping a real pair also does (a real pair's seeded repeat draw passes to the next pair answered, so a
    # skip costs one pair, or two when the rater's last draw was a repeat: annotation/blinding.md).
    assert moves["repeat"] <= moves["real"] and moves.get("control", set()) <= moves["real"], moves
    assert moves["real"] <= {-1, -2}, moves


def test_a_repeat_costs_the_server_what_a_real_pair_costs(client, rel_factory):
    study = rel_factory("rep-timing", n_examples=20, raters_per_item=2, control_rate=0.2, repeat_rate=0.4,
                        repeat_gap=2)
    counts = next_queries_by_kind(client, study, 80)
    assert counts["real"] and counts.get("repeat"), counts
    real, repeat = sorted(counts["real"]), sorted(counts["repeat"])
    assert real[0] - 1 <= repeat[0] and repeat[-1] <= real[-1] + 1, counts
    assert abs(real[len(real) // 2] - repeat[len(repeat) // 2]) <= 1, counts


def test_sides_of_repeats_follow_the_side_design(rel_factory):
    """Repeats balance with the real pairs of their system pair (one side tally), not as a pair of their own."""
    from annotation.models import SideTally

    study = rel_factory("rep-sides", repeat_rate=0.5, repeat_gap=2)
    simulate_raters(study=study, raters=4, seed=3, prefer={"zebrasys0": 0.8})
    assert Slot.objects.filter(item__study=study, item__kind="repeat").exists()
    assert not SideTally.objects.filter(study=study, pair="repeat").exists()
    for t in SideTally.objects.filter(study=study, pair__startswith="real:"):
        assert abs(2 * t.a_left - t.n) <= 2 * 3, (t.a_left, t.n)


def test_careful_raters_are_self_consistent_and_pass_the_degraded_test_random_clickers_do_not(rel_factory):
    from annotation import reports

    # Every rater rates all 120 pairs and gets about 60 back: enough that a careful rater of the simulation
    # (consistent about 74 % of the time, against 45 % by chance) fails the test at alpha 0.01 only about 1 % of
    # the time, and a random clicker passes it at most 1 % of the time.
    study = _pinned(rel_factory("rep-sim", n_examples=120, raters_per_item=5, repeat_rate=0.5, repeat_gap=3,
                                reliability_alpha=0.01, exclude_checks=["self_consistency", "degraded_test"]))
    simulate_raters(study=study, raters=3, random_clickers=2, seed=4, prefer={"zebrasys0": 0.8})
    report = reports.study_report(study, bootstrap=0, use_cache=False)
    rows = {r["rater"]: r for r in report["raters"]["raters"]}
    careful = [r for name, r in rows.items() if "-careful-" in name]
    clickers = [r for name, r in rows.items() if "-random-" in name]
    for r in careful:
        sc, dg = r["checks"]["self_consistency"], r["checks"]["degraded_test"]
        assert sc["failed"] is False and sc["share_same"] > 0.55, sc
        assert dg["failed"] is False and dg["test"] == "sign", dg
    for r in clickers:
        sc, dg = r["checks"]["self_consistency"], r["checks"]["degraded_test"]
        assert sc["failed"] is True and sc["share_same"] < 0.45, sc
        assert dg["failed"] is True, dg
        assert "fails_degraded_test" in r["flags"]
    # Kappa between first and repeat answers (about 0.35 expected for a careful rater, 0 for a clicker; its
    # standard error on ~60 repeats is about 0.1, so it is compared on average, not against a threshold).
    careful_kappa, clicker_kappa = ([r["checks"]["self_consistency"]["kappa"] for r in rows] for rows in (careful, clickers))
    assert sum(careful_kappa) / len(careful_kappa) > sum(clicker_kappa) / len(clicker_kappa) + 0.1
    # Who "exclude flagged raters" drops is the study's exclude_checks: exactly the clickers here.
    assert set(report["raters"]["flagged"]) == {r["rater"] for r in clickers}
    # Repeats are never counted twice: the results hold one judgment per (real item, rater).
    real_done = Judgment.objects.filter(slot__item__study=study, slot__item__kind="real").count()
    repeats = Judgment.objects.filter(slot__item__study=study, slot__item__kind="repeat").count()
    section = report["results"]["all_raters"]["all"]
    assert repeats > 0 and section["n_judgments"] == real_done
    assert sum(p["n"] for p in section["pairs"]) == real_done
    assert report["meta"]["n_repeats"] == repeats
    methods = report["methods"]
    assert "shown to the same rater again" in methods and "not counted in any result" in methods
    assert "Wilcoxon" in methods and "binomial" in methods
    html, csv = reports.report_html(report), reports.report_csv(report)
    assert "repeats same / kappa" in html and "real above degraded p" in html
    assert "check:self_consistency" in csv and "check:degraded_test" in csv


def test_with_likert_the_degraded_test_is_wilcoxon_and_scores_are_z_normalised(rel_factory):
    from annotation import reports

    study = _pinned(rel_factory("rep-likert", n_examples=60, raters_per_item=4, control_rate=0.4,
                                questions={"likert": ["fluency"]}, reliability_alpha=0.01,
                                gate_checks=["degraded_test"]))
    simulate_raters(study=study, raters=3, random_clickers=1, seed=6, prefer={"zebrasys0": 0.85})
    report = reports.study_report(study, bootstrap=20, use_cache=False)
    rows = report["raters"]["raters"]
    careful = [r for r in rows if "-careful-" in r["rater"]]
    assert all(r["checks"]["degraded_test"]["test"] == "wilcoxon_signed_rank" for r in careful)
    assert all(r["checks"]["degraded_test"]["failed"] is False for r in careful), [r["checks"]["degraded_test"] for r in careful]
    clicker = [r for r in rows if "-random-" in r["rater"]]
    assert all(r["checks"]["degraded_test"]["failed"] is True for r in clicker), [r["checks"]["degraded_test"] for r in clicker]
    scale = report["results"]["all_raters"]["all"]["likert"][0]
    z = {m["system"]: m["mean"] for m in scale["z_means"]}
    raw = {m["system"]: m["mean"] for m in scale["means"]}
    assert z["zebrasys0"] > 0 > z["zebrasys1"] and raw["zebrasys0"] > raw["zebrasys1"]
    assert "per-rater z-scores" in report["methods"] and "Wilcoxon" in report["methods"]
    assert "mean z (per-rater standardised" in reports.report_html(report)
    assert "likert_z:fluency" in reports.report_csv(report)
    # The gate: a careful rater's code is valid, the random clicker's is not (the degraded test fails).
    from annotation.services import rater_finish

    for member in StudyRater.objects.filter(study=study).select_related("user"):
        member = rater_finish(study=study, user=member.user)
        assert member.qc_passed is ("-careful-" in member.user.username), member.user.username


def test_the_default_gate_and_exclusion_are_todays(rel_factory):
    from annotation import reports
    from annotation.services import rater_finish

    study = rel_factory("rep-default")
    assert (study.gate_checks, study.exclude_checks, study.repeat_rate) == (["controls"], ["rater_flags"], 0)
    assert not Item.objects.filter(study=study, kind="repeat").exists()
    simulate_raters(study=study, raters=3, random_clickers=1, seed=8)
    report = reports.study_report(study, bootstrap=0, use_cache=False)
    for r in report["raters"]["raters"]:  # flagged exactly by RaterQuality's flags, as before
        assert (r["rater"] in report["raters"]["flagged"]) == bool([f for f in r["flags"] if not f.startswith("fails_")])
    assert report["raters"]["flagged"]  # the random clicker
    inputs = reports.study_report_inputs(study, bootstrap=0)
    none = reports.build_report(inputs.records, meta={**inputs.meta, "exclude_checks": []}, bootstrap=0)
    assert none["raters"]["flagged"] == {}  # an empty list excludes nobody (not the default)
    for member in StudyRater.objects.filter(study=study).select_related("user"):
        member = rater_finish(study=study, user=member.user)
        passed = sum(1 for j in Judgment.objects.filter(slot__rater=member.user, slot__item__kind="control")
                     if j.preference == ("left" if j.slot.left_is_a else "right"))
        scored = Judgment.objects.filter(slot__rater=member.user, slot__item__kind="control").count()
        assert member.qc_passed == (scored == 0 or passed / scored >= study.qc_min_pass)


def test_the_design_refuses_checks_it_cannot_run(rel_factory):
    with pytest.raises(AnnotationError, match="unknown reliability check"):
        rel_factory("bad1", gate_checks=["controls", "vibes"])
    with pytest.raises(AnnotationError, match="repeat rate"):
        rel_factory("bad2", exclude_checks=["self_consistency"])
    with pytest.raises(AnnotationError, match="degraded controls"):
        rel_factory("bad3", control_rate=0, gate_checks=["degraded_test"])
    with pytest.raises(AnnotationError, match="repeat rate"):
        rel_factory("bad4", repeat_rate=0.9)


def test_reliability_from_the_api(researcher_client, rel_factory):
    study = rel_factory("base")  # the dataset and systems
    body = {"name": "api-rel", "dataset": study.dataset.name, "systems": ["zebrasys0", "zebrasys1"],
            "n_examples": 20, "control_rate": 0.3, "control_kinds": ["degraded"], "repeat_rate": 0.2,
            "repeat_gap": 4, "reliability_alpha": 0.01, "gate_checks": ["controls", "degraded_test"],
            "exclude_checks": ["rater_flags", "self_consistency"]}
    resp = researcher_client.post("/api/studies/", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    got = resp.json()
    assert (got["repeat_rate"], got["repeat_gap"], got["reliability_alpha"]) == (0.2, 4, 0.01)
    assert got["gate_checks"] == ["controls", "degraded_test"]
    assert got["exclude_checks"] == ["rater_flags", "self_consistency"]
    assert got["summary"]["repeat_items"] == 20
    bad = researcher_client.post("/api/studies/", {**body, "name": "api-rel2", "gate_checks": ["vibes"]},
                                 content_type="application/json")
    assert bad.status_code == 400 and "vibes" in bad.content.decode()


def test_reliability_from_the_wizard(researcher_client, rel_factory):
    study = rel_factory("base")
    page = researcher_client.get("/studies/new/").content.decode()
    for name in ("repeat_rate", "repeat_gap", "reliability_alpha", "gate_checks", "exclude_checks"):
        assert f'name="{name}"' in page, name
    assert 'value="degraded_test"' in page and 'value="self_consistency"' in page
    systems = [ss.system for ss in study.study_systems.all()]
    resp = researcher_client.post("/studies/new/", {
        "name": "wiz-rel", "public_title": "Evaluation", "dataset": study.dataset.name, "split": "test",
        "systems": [systems[0].pk, systems[1].pk], "n_examples": 20, "raters_per_item": 2, "seed": 0,
        "control_rate": 0.3, "control_kinds": ["degraded"], "q_pairwise": "on", "practice_count": 0,
        "identical_outputs": "tie", "display_mode": "auto", "allocation": "fixed", "repeat_rate": 0.25,
        "repeat_gap": 6, "reliability_alpha": 0.05, "gate_checks": ["controls", "self_consistency"],
        "exclude_checks": ["degraded_test"], "save": "1"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    made = Study.objects.get(name="wiz-rel")
    assert (made.repeat_rate, made.repeat_gap) == (0.25, 6)
    assert made.gate_checks == ["controls", "self_consistency"] and made.exclude_checks == ["degraded_test"]
    # The study page says what the design chose, in the wizard's words.
    detail = researcher_client.get("/studies/wiz-rel/").content.decode()
    assert "0.25 of each rater's pairs repeated, at least 6 pairs later" in detail
    assert "needs: control pass rate, self-consistency on repeated pairs" in detail
    assert "drops failures of: real above degraded (Appraise&#x27;s test)" in detail


def test_reliability_from_the_cli(rel_factory):
    study = rel_factory("base")
    out = io.StringIO()
    call_command("create_study", "cli-rel", "--dataset", study.dataset.name, "--system", "zebrasys0",
                 "--system", "zebrasys1", "--items", "20", "--control-rate", "0.3", "--repeat-rate", "0.4",
                 "--repeat-gap", "2", "--gate-checks", "controls,degraded_test",
                 "--exclude-checks", "self_consistency,degraded_test", "--launch", stdout=out)
    made = Study.objects.get(name="cli-rel")
    assert made.repeat_rate == 0.4 and made.gate_checks == ["controls", "degraded_test"]
    assert "Repeats:" in out.getvalue() and "completion gate controls, degraded_test" in out.getvalue()
    out = io.StringIO()
    call_command("simulate_raters", "cli-rel", "--raters", "2", "--random-clickers", "1", stdout=out)
    out = io.StringIO()
    call_command("study_report", "cli-rel", "--peek", "--bootstrap", "0", stdout=out)
    text = out.getvalue()
    assert "reliability checks per rater" in text and "self_consistency" in text and "degraded_test" in text
