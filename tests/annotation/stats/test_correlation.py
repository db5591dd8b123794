"""Humans vs automatic metrics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from annotation.stats.correlation import human_preferences, metric_correlation
from annotation.stats.preferences import by_task


def rec(item, left, right, answer, rater, task="t"):
    return {"item": item, "rater": rater, "left": left, "right": right, "answer": answer, "task": task}


def test_human_preference_is_position_free_mean():
    records = [rec(1, "B", "A", "right", "r1"), rec(1, "A", "B", "left", "r2"), rec(1, "A", "B", "tie", "r3"),
               rec(2, "A", "B", "right", "r1")]
    assert human_preferences(records) == {(1, "A", "B"): pytest.approx(2 / 3), (2, "A", "B"): -1.0}


def build(n=40, seed=0):
    rng = np.random.default_rng(seed)
    records, scores, humans, diffs = [], {}, [], []
    for i in range(n):
        sari_a, sari_b = rng.uniform(20, 50, 2)
        scores[(i, "A")] = {"sari": sari_a, "rougeL": rng.uniform(0, 1)}
        scores[(i, "B")] = {"sari": sari_b, "rougeL": rng.uniform(0, 1)}
        votes = []
        for r in range(3):
            p_a = 1 / (1 + np.exp(-(sari_a - sari_b) / 5))
            u = rng.random()
            answer = "tie" if u < 0.1 else ("left" if rng.random() < p_a else "right")
            votes.append(1 if answer == "left" else -1 if answer == "right" else 0)
            records.append(rec(i, "A", "B", answer, f"r{r}", task="simplify" if i % 2 else "compress"))
        humans.append(np.mean(votes))
        diffs.append(sari_a - sari_b)
    return records, scores, np.array(humans), np.array(diffs)


def test_kendall_and_point_biserial_match_scipy():
    records, scores, humans, diffs = build()
    res = metric_correlation(records, scores)
    tau = stats.kendalltau(diffs, humans, variant="b")
    assert res["sari"]["kendall_tau_b"] == pytest.approx(tau.statistic)
    keep = humans != 0
    pb = stats.pointbiserialr((humans[keep] > 0).astype(float), diffs[keep])
    assert res["sari"]["point_biserial"] == pytest.approx(pb.statistic)
    assert res["sari"]["kendall_tau_b"] > 0.3  # humans follow SARI in this simulation
    assert abs(res["rougeL"]["kendall_tau_b"]) < res["sari"]["kendall_tau_b"]
    assert res["sari"]["n_units"] == 40


def test_undefined_with_reasons():
    records, scores, _, _ = build(n=10)
    flat = {k: {"sari": 30.0} for k in scores}
    res = metric_correlation(records, flat, metrics=("sari",))
    assert res["sari"]["kendall_tau_b"] is None
    assert res["sari"]["kendall_reason"] == "no variation in the metric difference"
    same = [rec(i, "A", "B", "left", "r1") for i in range(10)]
    res = metric_correlation(same, scores, metrics=("sari",))
    assert res["sari"]["kendall_reason"] == "no variation in the human preference"
    res = metric_correlation(records[:3], scores, metrics=("sari",))
    assert res["sari"]["kendall_reason"] == "fewer than 3 units (1)"


def test_missing_scores_are_counted_and_per_task():
    records, scores, _, _ = build()
    del scores[(0, "A")]
    res = metric_correlation(records, scores, metrics=("sari",))
    assert (res["sari"]["n_units"], res["sari"]["n_missing_scores"]) == (39, 1)
    per_task = by_task(records, metric_correlation, scores=scores, metrics=("sari",))
    assert set(per_task) == {"compress", "simplify"}
    assert per_task["compress"]["sari"]["n_units"] + per_task["simplify"]["sari"]["n_units"] == 39
