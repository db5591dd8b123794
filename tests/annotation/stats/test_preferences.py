"""Pairwise preference statistics: proportions, tests, Bradley–Terry, accuracy judgments."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest
from scipy import optimize, stats

from annotation.stats import preferences
from annotation.stats.preferences import (
    BradleyTerry,
    BradleyTerryUndefined,
    Judgment,
    accuracy_by_system,
    accuracy_difference,
    bradley_terry,
    by_task,
    pairwise_preferences,
    position_bias,
    preference_summary,
    sign_test,
    wilson_interval,
)


def rec(item, left, right, answer, rater="r1", task=None):
    return {"item": item, "rater": rater, "left": left, "right": right, "answer": answer, "task": task}


@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (10, 10), (47, 120), (1, 1)])
def test_wilson_matches_scipy(k, n):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_interval(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_wilson_rejects_bad_counts():
    with pytest.raises(ValueError, match="n must be positive"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="k must be in"):
        wilson_interval(5, 4)


def test_sign_test_matches_scipy_and_handles_no_decisions():
    assert sign_test(14, 4) == pytest.approx(stats.binomtest(14, 18, 0.5).pvalue)
    assert sign_test(0, 0) is None


def test_pairwise_counts_ties_and_both_bad_for_the_sorted_pair():
    records = [rec(1, "B", "A", "right"), rec(2, "A", "B", "left"), rec(3, "A", "B", "right"),
               rec(4, "B", "A", "tie"), rec(5, "A", "B", "both_bad"), rec(6, "B", "A", "right")]
    (pair,) = pairwise_preferences(records)
    assert (pair["a"], pair["b"], pair["n"]) == ("A", "B", 6)
    assert (pair["wins"]["count"], pair["losses"]["count"], pair["ties"]["count"]) == (3, 1, 2)
    assert pair["both_bad"] == 1
    assert pair["win_rate_ties_half"]["rate"] == pytest.approx(4 / 6)
    assert pair["sign_test_p"] == pytest.approx(stats.binomtest(3, 4).pvalue)
    assert pair["wins"]["ci"] == pytest.approx(list(wilson_interval(3, 6)))


def test_records_are_validated():
    with pytest.raises(ValueError, match="answer must be one of"):
        pairwise_preferences([rec(1, "A", "B", "maybe")])
    with pytest.raises(ValueError, match="lacks"):
        pairwise_preferences([{"item": 1, "left": "A", "right": "B", "answer": "left"}])
    with pytest.raises(ValueError, match="two different systems"):
        pairwise_preferences([rec(1, "A", "A", "left")])


def test_position_bias_counts_sides_not_systems():
    records = [rec(i, "A", "B", "left") for i in range(9)] + [rec(9, "B", "A", "right"), rec(10, "A", "B", "tie")]
    pb = position_bias(records)
    assert (pb["left"], pb["right"], pb["n_decisive"]) == (9, 1, 10)
    assert pb["p_value"] == pytest.approx(stats.binomtest(9, 10).pvalue)


def test_bradley_terry_two_systems_has_closed_form():
    records = [rec(i, "A", "B", "left") for i in range(7)] + [rec(i, "A", "B", "right") for i in range(7, 10)]
    records.append(rec(10, "B", "A", "tie"))
    model = BradleyTerry().fit(records)
    assert model.win_probability("A", "B") == pytest.approx(7.5 / 11)
    dropped = BradleyTerry(ties="drop").fit(records)
    assert dropped.win_probability("A", "B") == pytest.approx(0.7)


def simulate_bt(strengths, n_per_pair, seed):
    rng = np.random.default_rng(seed)
    systems = list(strengths)
    records, item = [], 0
    for i, a in enumerate(systems):
        for b in systems[i + 1:]:
            p = strengths[a] / (strengths[a] + strengths[b])
            for _ in range(n_per_pair):
                left, right = (a, b) if rng.random() < 0.5 else (b, a)
                a_wins = rng.random() < p
                answer = "left" if (left == a) == a_wins else "right"
                records.append(rec(item, left, right, answer))
                item += 1
    return records


def test_bradley_terry_recovers_simulated_strengths():
    truth = {"A": 4.0, "B": 2.0, "C": 1.0, "D": 0.5}
    model = BradleyTerry().fit(simulate_bt(truth, 1500, seed=0))
    true_log = np.log(list(truth.values()))
    true_log -= true_log.mean()
    fitted = np.array([model.log_strengths_[s] for s in truth])
    assert np.abs(fitted - true_log).max() < 0.1
    assert model.converged_


def test_bradley_terry_mm_is_the_likelihood_maximum():
    records = simulate_bt({"A": 3.0, "B": 1.0, "C": 1.5}, 40, seed=2)
    model = BradleyTerry(ties="drop").fit(records)
    systems = model.systems_
    w = preferences._win_matrix(preferences.parse_judgments(records), systems, "drop")

    def nll(theta):
        t = np.concatenate([[0.0], theta])
        diff = t[:, None] - t[None, :]
        return -(w * (diff - np.logaddexp(0, diff))).sum()

    theta = optimize.minimize(nll, np.zeros(2), method="BFGS", options={"gtol": 1e-10}).x
    t = np.concatenate([[0.0], theta])
    t -= t.mean()
    assert np.array([model.log_strengths_[s] for s in systems]) == pytest.approx(t, abs=1e-5)


def test_bradley_terry_says_when_the_mle_does_not_exist():
    never_wins = [rec(1, "A", "B", "left"), rec(2, "A", "C", "left"), rec(3, "B", "C", "left"),
                  rec(4, "A", "B", "right")]
    with pytest.raises(BradleyTerryUndefined, match="^no maximum likelihood estimate: never wins: C$"):
        BradleyTerry().fit(never_wins)
    # Two groups, each internally fine, but A/B always beat C/D: not strongly connected.
    split = [rec(1, "A", "B", "left"), rec(2, "A", "B", "right"), rec(3, "C", "D", "left"),
             rec(4, "C", "D", "right"), rec(5, "A", "C", "left"), rec(6, "D", "B", "right")]
    result = bradley_terry(split)
    assert result["strengths"] is None
    assert result["reason"] == ("no maximum likelihood estimate: comparison graph is not strongly connected "
                                "(A, B | C, D): some group never beats another")
    # A tie counts as half a win each way, which restores existence.
    assert bradley_terry(split + [rec(7, "C", "A", "tie")])["strengths"] is not None
    assert bradley_terry(split + [rec(7, "C", "A", "tie")], ties="drop")["strengths"] is None


def test_bradley_terry_bootstrap_is_seeded_and_brackets_estimate():
    records = simulate_bt({"A": 2.0, "B": 1.0, "C": 0.7}, 60, seed=4)
    a = bradley_terry(records, bootstrap=100, random_state=1)
    b = bradley_terry(records, bootstrap=100, random_state=1)
    assert a == b
    for s, (lo, hi) in a["ci"].items():
        assert lo <= a["strengths"][s] <= hi
    assert a["bootstrap_failed"] == 0
    json.dumps(a)


def test_accuracy_by_system_with_wilson():
    records = [{"item": i, "rater": "r", "system": "ucs", "answer": "yes" if i < 8 else "no"} for i in range(10)]
    records += [{"item": i, "rater": "r", "system": "random", "answer": i < 5} for i in range(10)]
    acc = accuracy_by_system(records)
    assert acc["ucs"]["rate"] == 0.8 and acc["ucs"]["ci"] == pytest.approx(list(wilson_interval(8, 10)))
    assert acc["random"]["accurate"] == 5


def test_accuracy_difference_paired_is_exact_mcnemar():
    rng = np.random.default_rng(0)
    a = rng.random(60) < 0.8
    b = rng.random(60) < 0.55
    records = [{"item": i, "rater": "r", "system": "A", "answer": bool(a[i])} for i in range(60)]
    records += [{"item": i, "rater": "r", "system": "B", "answer": bool(b[i])} for i in range(60)]
    res = accuracy_difference(records, "A", "B")
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    assert res["test"] == "mcnemar_exact" and (res["a_only"], res["b_only"]) == (only_a, only_b)
    assert res["p_value"] == pytest.approx(stats.binomtest(only_a, only_a + only_b).pvalue)
    assert res["difference"] == pytest.approx(a.mean() - b.mean())


def test_accuracy_difference_unpaired_is_fisher():
    records = [{"item": i, "rater": "r", "system": "A", "answer": i < 15} for i in range(20)]
    records += [{"item": 100 + i, "rater": "r", "system": "B", "answer": i < 6} for i in range(20)]
    res = accuracy_difference(records, "A", "B")
    assert res["test"] == "fisher_exact"
    assert res["p_value"] == pytest.approx(stats.fisher_exact([[15, 5], [6, 14]]).pvalue)
    with pytest.raises(ValueError, match="no accuracy judgments"):
        accuracy_difference(records, "A", "C")


def test_by_task_splits_records():
    records = [rec(1, "A", "B", "left", task="t1"), rec(2, "A", "B", "right", task="t2"),
               rec(3, "A", "B", "left", task="t1"), Judgment(4, "r2", "B", "A", "left", task="t2")]
    out = by_task(records, pairwise_preferences)
    assert list(out) == ["t1", "t2"]
    assert out["t1"][0]["wins"]["count"] == 2 and out["t2"][0]["losses"]["count"] == 2


def test_summary_is_json_ready():
    summary = preference_summary(simulate_bt({"A": 2.0, "B": 1.0}, 30, seed=1), bootstrap=20)
    assert summary["n_judgments"] == 30 and summary["bradley_terry"]["strengths"]["A"] > 0.5
    json.dumps(summary)


def test_docstring_examples_run():
    result = doctest.testmod(preferences, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
