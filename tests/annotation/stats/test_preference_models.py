"""Davidson's Bradley–Terry with ties, the length-controlled comparison and fragility, on data with known truth."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy.optimize import check_grad

from annotation.stats.preference_models import _davidson_nll, davidson, fragility, length_controlled
from annotation.stats.preferences import bradley_terry


def recs(pattern, left="A", right="B", start=0):
    return [{"item": start + i, "rater": "r", "left": left, "right": right, "answer": a}
            for i, a in enumerate(pattern)]


def test_davidson_two_systems_has_the_closed_form_mle():
    # two players: pi_A / pi_B = W / L and nu = T / sqrt(W L) (Davidson 1970)
    data = recs(["left"] * 12 + ["right"] * 4 + ["tie"] * 6)
    d = davidson(data, bootstrap=100)
    assert math.exp(d["log_strengths"]["A"] - d["log_strengths"]["B"]) == pytest.approx(3.0, rel=1e-6)
    assert d["nu"] == pytest.approx(6 / math.sqrt(48), rel=1e-6)
    lo, hi = d["log_ci"]["A"]
    assert lo < d["log_strengths"]["A"] < hi and d["nu_ci"][0] < d["nu"] < d["nu_ci"][1]


def test_davidson_gradient_is_exact_and_recovers_known_strengths():
    w = np.array([[0, 5, 3], [2, 0, 4], [1, 3, 0.0]])
    t = np.array([[0, 2, 1], [2, 0, 3], [1, 3, 0.0]])
    assert check_grad(lambda x: _davidson_nll(x, w, t)[0], lambda x: _davidson_nll(x, w, t)[1],
                      np.array([0.3, -0.2, 0.1])) < 1e-5
    rng = random.Random(0)
    truth = {"A": 0.8, "B": 0.0, "C": -0.8}
    nu = 0.6
    data = []
    for i in range(6000):
        a, b = rng.sample(sorted(truth), 2)
        pa, pb = math.exp(truth[a]), math.exp(truth[b])
        d = pa + pb + nu * math.sqrt(pa * pb)
        u = rng.random()
        answer = "left" if u < pa / d else "right" if u < (pa + pb) / d else "tie"
        data.append({"item": i, "rater": "r", "left": a, "right": b, "answer": answer})
    fit = davidson(data)
    for s, v in truth.items():
        assert fit["log_strengths"][s] == pytest.approx(v, abs=0.08)
    assert fit["nu"] == pytest.approx(nu, abs=0.06)


def test_davidson_without_ties_matches_bradley_terry_and_refuses_what_bt_refuses():
    data = recs(["left"] * 9 + ["right"] * 3) + recs(["left"] * 4 + ["right"] * 4, "B", "C", 100) \
        + recs(["left"] * 2 + ["right"] * 5, "A", "C", 200)
    d = davidson(data)
    bt = bradley_terry(data, ties="drop")
    for s in ("A", "B", "C"):
        assert d["log_strengths"][s] == pytest.approx(bt["log_strengths"][s], abs=1e-4)
    assert d["nu"] < 1e-3
    never = davidson(recs(["left"] * 5 + ["tie"]))
    assert never["strengths"] is None and "never wins: B" in never["reason"]


def test_length_control_removes_an_advantage_that_is_only_edit_length():
    """A edits more; raters reward longer edits and nothing else: raw A wins, controlled the systems are level."""
    rng = random.Random(1)
    data = []
    for i in range(3000):
        edit_a, edit_b = rng.gauss(6, 2), rng.gauss(3, 2)
        left_is_a = rng.random() < 0.5
        le, re_ = (edit_a, edit_b) if left_is_a else (edit_b, edit_a)
        p_left = 1 / (1 + math.exp(-0.5 * (le - re_)))
        ans = "left" if rng.random() < p_left else "right"
        data.append({"item": i, "rater": "r", "left": "A" if left_is_a else "B", "right": "B" if left_is_a else "A",
                     "answer": ans, "left_edit": le, "right_edit": re_})
    out = length_controlled(data, bootstrap=50)
    raw_gap = out["raw_strengths"]["A"] - out["raw_strengths"]["B"]
    gap = out["strengths"]["A"] - out["strengths"]["B"]
    assert raw_gap > 0.8 and abs(gap) < 0.2
    assert out["beta"] > 0 and out["beta_ci"][0] > 0
    assert length_controlled(recs(["left", "right"]))["reason"].startswith("edit lengths")


def test_fragility_two_systems_is_exact():
    data = recs(["left"] * 12 + ["right"] * 4 + ["tie"] * 6)
    f = fragility(data)
    assert f["winner"] == "A" and f["flip"] == 8  # remove 8 of A's 12 wins: level with B
    strong = recs(["left"] * 30 + ["right"] * 5)
    g = fragility(strong)
    assert g["head_to_head_p"] < 0.05 and g["flip"] == 25
    # removing A's wins one by one: the sign test on (30 - m) vs 5 stops being significant at m = to_non_significant
    from scipy.stats import binomtest
    m = g["to_non_significant"]
    assert binomtest(30 - m, 35 - m).pvalue >= 0.05 > binomtest(31 - m, 36 - m).pvalue
    assert fragility(recs(["left", "right"]))["winner"] is None
