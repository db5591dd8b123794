"""Cluster diagnostics on hand-checkable inputs."""

from __future__ import annotations

import numpy as np
import pytest

from selection.core.diagnostics import (
    cluster_purity,
    cluster_report,
    cluster_task_ari,
    cluster_task_nmi,
    distance_histograms,
    project_2d,
    task_mix,
)


def test_purity_by_hand():
    assert cluster_purity([0, 0, 0, 1, 1], ["a", "a", "b", "b", "b"]) == pytest.approx(0.8)
    assert cluster_purity([0, 1, 2], ["a", "a", "a"]) == 1.0
    assert cluster_purity([0, 0, 0, 0], ["a", "b", "c", "d"]) == 0.25


def test_nmi_and_ari_extremes():
    tasks = ["a"] * 5 + ["b"] * 5
    same = [3] * 5 + [7] * 5
    assert cluster_task_nmi(same, tasks) == pytest.approx(1.0)
    assert cluster_task_ari(same, tasks) == pytest.approx(1.0)
    crossed = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]
    assert cluster_task_ari(crossed, tasks) < 0.05
    assert cluster_task_nmi(crossed, tasks) < 0.05


def test_task_mix_counts():
    clusters, names, counts = task_mix([1, 1, 0, 1], ["x", "y", "y", "y"])
    assert clusters == [0, 1] and names == ["x", "y"]
    assert counts.tolist() == [[0, 1], [1, 2]]


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="one length"):
        cluster_purity([0, 1], ["a"])


def test_project_2d_finds_the_spread_axis_and_is_deterministic():
    rng = np.random.default_rng(0)
    X = np.zeros((8000, 5))
    X[:, 2] = rng.normal(scale=10, size=8000)  # the main axis
    X[:, 4] = rng.normal(scale=3, size=8000)
    X += rng.normal(scale=0.01, size=X.shape)
    idx, coords = project_2d(X, max_points=1000, random_state=1)
    assert len(idx) == 1000 and coords.shape == (1000, 2)
    Y = X[idx] - X[idx].mean(0)
    np.testing.assert_allclose(np.abs(coords[:, 0]), np.abs(Y[:, 2]), atol=0.1)
    idx2, coords2 = project_2d(X, max_points=1000, random_state=1)
    assert np.array_equal(idx, idx2) and np.array_equal(coords, coords2)


def test_distance_histograms_with_cutoffs():
    labels = np.array([0, 0, 0, 1, 1])
    dist = np.array([0.1, 0.2, 0.9, 0.5, 0.6])
    hist = distance_histograms(labels, dist, easy_cutoff=[0.1, np.nan], hard_cutoff=[0.9, 0.6], bins=4)
    assert [h["size"] for h in hist] == [3, 2]
    assert sum(hist[0]["counts"]) == 3 and len(hist[0]["bin_edges"]) == 5
    assert hist[0]["easy_cutoff"] == 0.1 and hist[1]["easy_cutoff"] is None
    assert hist[1]["hard_cutoff"] == 0.6


def test_cluster_report_is_json_ready():
    import json

    rep = cluster_report([0, 0, 1], ["a", "a", "b"])
    assert rep["purity"] == 1.0 and rep["counts"] == [[2, 0], [0, 1]]
    json.dumps(rep)


def test_docstring_examples():
    import doctest

    from selection.core import diagnostics

    assert doctest.testmod(diagnostics).failed == 0


# ------------------------------------------------------------------ skew-aware diagnostics
from selection.core.diagnostics import (  # noqa: E402
    agreement,
    instruction_of,
    majority_share,
    source_spread,
    starved_tasks,
)


def test_purity_is_reported_beside_its_majority_baseline():
    tasks = ["simp"] * 87 + ["gec"] * 13
    one_cluster = [0] * 100
    got = agreement(one_cluster, tasks)
    assert got["purity"] == pytest.approx(0.87) == pytest.approx(got["purity_baseline"])
    assert got["purity_lift"] == pytest.approx(0.0) and got["nmi"] == pytest.approx(0.0)
    pure = agreement([0] * 87 + [1] * 13, tasks)
    assert pure["purity_lift"] == pytest.approx(1.0) and pure["n_classes"] == 2
    assert majority_share(["a", "b", "b", "b"]) == 0.75
    assert agreement([0, 1], ["a", "a"])["purity_lift"] is None


def test_instruction_phrasing():
    assert instruction_of("Fix grammar: she go home.") == "fix grammar"
    assert instruction_of("Make this easier to read: A: B.") == "make this easier to read"
    assert instruction_of("no instruction here") == ""


def test_starved_tasks_flags_tasks_below_half_their_pool_share():
    tasks = np.array(["simp"] * 80 + ["gec"] * 10 + ["clarity"] * 10)
    chosen = np.zeros(100, bool)
    chosen[:40] = True  # 40 simplification
    chosen[80:81] = True  # 1 gec: 1/46 of the selection vs 10 % of the pool
    chosen[90:95] = True  # 5 clarity: 5/46 ≈ 10.9 %, not starved
    rows = starved_tasks(tasks, chosen)
    assert [r["task"] for r in rows] == ["gec"]
    assert rows[0]["pool_share"] == pytest.approx(0.1) and rows[0]["chosen_share"] == pytest.approx(1 / 46)
    assert rows[0]["chosen"] == 1 and rows[0]["pool"] == 10
    chosen[80:90] = False
    assert starved_tasks(tasks, chosen)[0]["ratio"] == 0.0  # absent from the selection
    assert starved_tasks(tasks, np.zeros(100, bool)) == []


def test_source_spread():
    groups = np.array(["s1"] * 6 + ["s2"] * 6 + ["s3"])
    chosen = np.zeros(13, bool)
    chosen[[0, 1, 2, 6]] = True
    assert source_spread(groups, chosen) == {"rows": 4, "distinct_sources": 2, "rows_per_source": 2.0,
                                             "pool_sources": 3}
