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
