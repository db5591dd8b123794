"""UCSSelector, the stratified base split, target solving and the baselines."""

from __future__ import annotations

import numpy as np
import pytest

from selection.core.baselines import RandomSelector, StratifiedRandomSelector
from selection.core.ucs import (
    REASONS,
    UCSSelector,
    solve_per_cluster,
    stratified_base_split,
)

from .test_sampling import shares_within_one


def _data(n=1200, d=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    tasks = rng.choice(["gec", "simplification", "paraphrase", "neutralize"], n, p=[0.4, 0.3, 0.2, 0.1])
    return X, tasks


# ------------------------------------------------------------------ base split
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.33, 0.5, 0.9])
def test_base_split_is_stratified_and_partitions(fraction):
    _, tasks = _data(1003)
    base, remain = stratified_base_split(tasks, fraction, random_state=3)
    assert len(base) == int(np.floor(fraction * 1003 + 0.5))
    assert np.array_equal(np.sort(np.concatenate([base, remain])), np.arange(1003))
    assert np.all(np.diff(base) > 0) and np.all(np.diff(remain) > 0)
    shares_within_one(tasks, base, len(base))


# ------------------------------------------------------------------ picks
def _brute_distances(sel, X, distance):
    remain = sel.remain_indices_
    C = sel.cluster_centers_.astype(np.float64)[sel.labels_]
    Xr = X[remain].astype(np.float64) if len(X) != len(remain) else X.astype(np.float64)
    if distance == "cosine":
        Xn = Xr / np.linalg.norm(Xr, axis=1, keepdims=True)
        return 1.0 - np.einsum("ij,ij->i", Xn, C / np.linalg.norm(C, axis=1, keepdims=True))
    return np.linalg.norm(Xr - C, axis=1)


@pytest.mark.parametrize("distance", ["cosine", "euclidean"])
@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (0.0, 1.0), (0.3, 0.5), (0.5, 0.5)])
def test_easy_are_nearest_and_hard_are_farthest(distance, alpha, beta):
    X, tasks = _data()
    A = 20
    sel = UCSSelector(
        base_fraction=0.2, n_clusters=6, per_cluster=A, alpha=alpha, beta=beta,
        distance=distance, random_state=1,
    ).fit(X, tasks)
    d = _brute_distances(sel, X, distance)
    np.testing.assert_allclose(sel.distance_[sel.remain_indices_], d, atol=1e-5)
    n_easy = int(np.floor(alpha * A + 0.5))
    n_hard = min(int(np.floor(beta * A + 0.5)), A - n_easy)
    for k in range(6):
        pos = np.flatnonzero(sel.labels_ == k)
        ids = sel.remain_indices_[pos]
        reasons = sel.reason_[ids]
        assert len(pos) > A
        assert np.sum(sel.chosen_mask_[ids]) == A
        easy, hard = pos[reasons == "easy"], pos[reasons == "hard"]
        assert len(easy) == n_easy and len(hard) == n_hard
        rest = np.setdiff1d(pos, easy)
        if n_easy:
            assert d[easy].max() <= d[rest].min() + 1e-6  # exactly the nearest
            assert sel.easy_cutoff_[k] == pytest.approx(d[easy].max(), abs=1e-5)
        rest = np.setdiff1d(pos, hard)
        if n_hard:
            assert d[hard].min() >= d[rest].max() - 1e-6  # exactly the farthest
            assert sel.hard_cutoff_[k] == pytest.approx(d[hard].min(), abs=1e-5)
        assert np.sum(reasons == "random") == A - n_easy - n_hard


@pytest.mark.parametrize("distance", ["cosine", "euclidean"])
def test_picks_are_measured_against_the_nearest_final_centre(distance):
    """Few Lloyd steps on overlapping data, so the last centre update moves points: every clustered
    point is labelled with its nearest final centre, and easy/hard are ranked by the distance to it."""
    X, tasks = _data(n=3000, d=8, seed=5)
    sel = UCSSelector(base_fraction=0.1, n_clusters=40, per_cluster=6, alpha=0.5, beta=0.5,
                      distance=distance, random_state=2,
                      kmeans_options={"max_iter": 2, "full_passes": 1, "min_sample": 400,
                                      "sample_per_centroid": 5, "sample_cost": 0}).fit(X, tasks)
    Xr = X[sel.remain_indices_].astype(np.float64)
    C = sel.cluster_centers_.astype(np.float64)
    if distance == "cosine":
        Xr /= np.linalg.norm(Xr, axis=1, keepdims=True)
        all_d = 1.0 - Xr @ (C / np.linalg.norm(C, axis=1, keepdims=True)).T
    else:
        all_d = np.linalg.norm(Xr[:, None, :] - C[None], axis=2)
    own = all_d[np.arange(len(Xr)), sel.labels_]
    assert np.all(own <= all_d.min(axis=1) + 1e-5)
    np.testing.assert_allclose(sel.distance_[sel.remain_indices_], own, atol=1e-5)
    for k in range(40):
        pos = np.flatnonzero(all_d.argmin(axis=1) == k)
        reasons = sel.reason_[sel.remain_indices_[pos]]
        if len(pos) <= 6:
            continue
        hard, easy = own[pos][reasons == "hard"], own[pos][reasons == "easy"]
        assert hard.min() >= own[pos][reasons != "hard"].max() - 1e-5
        assert easy.max() <= own[pos][reasons != "easy"].min() + 1e-5


def test_attributes_are_consistent():
    X, tasks = _data()
    sel = UCSSelector(base_fraction=0.25, n_clusters=5, per_cluster=30, alpha=0.2, beta=0.6,
                      random_state=0).fit(X, tasks)
    n = len(tasks)
    assert len(sel.selected_indices_) == len(sel.base_indices_) + 5 * 30
    assert np.all(np.diff(sel.selected_indices_) > 0)
    assert set(sel.reasons_) <= set(REASONS)
    assert np.array_equal(np.flatnonzero(sel.chosen_mask_), sel.selected_indices_)
    assert np.array_equal(sel.reason_[sel.selected_indices_], sel.reasons_)
    assert all(r is None for r in sel.reason_[~sel.chosen_mask_])
    assert np.all(sel.reason_[sel.base_indices_] == "base")
    assert np.all(sel.cluster_[sel.base_indices_] == -1)
    assert np.all(np.isnan(sel.distance_[sel.base_indices_]))
    assert np.all(sel.cluster_[sel.remain_indices_] >= 0)
    assert np.all(np.isfinite(sel.distance_[sel.remain_indices_]))
    assert sel.cluster_sizes_.sum() == len(sel.remain_indices_) == n - len(sel.base_indices_)
    shares_within_one(tasks, sel.base_indices_, len(sel.base_indices_))
    rows = list(sel.records())
    assert len(rows) == n and rows[sel.base_indices_[0]]["distance"] is None
    assert sum(r["chosen"] for r in rows) == len(sel.selected_indices_)


def test_small_clusters_give_all_members():
    rng = np.random.default_rng(0)
    centers = np.array([[10, 0], [0, 10], [-10, 0]], dtype=np.float32)
    sizes = [5, 40, 60]
    X = np.vstack([c + rng.standard_normal((s, 2)).astype(np.float32) for c, s in zip(centers, sizes)])
    tasks = np.zeros(len(X), dtype=int)
    sel = UCSSelector(n_clusters=3, per_cluster=10, distance="euclidean", random_state=0).fit(X, tasks)
    assert sorted(sel.cluster_sizes_) == sizes
    small = int(np.argmin(sel.cluster_sizes_))
    members = np.flatnonzero(sel.cluster_ == small)
    assert np.all(sel.chosen_mask_[members])
    assert np.all(sel.reason_[members] == "whole_cluster")
    assert len(sel.selected_indices_) == 5 + 10 + 10  # min(A, size) per cluster


def test_split_then_fit_on_remain_matches_fit_on_all():
    X, tasks = _data()
    params = dict(base_fraction=0.3, n_clusters=4, per_cluster=25, alpha=0.0, beta=0.0, random_state=7)
    full = UCSSelector(**params).fit(X, tasks)
    sel = UCSSelector(**params)
    base, remain = sel.split_base(tasks)
    sel.fit(X[remain], tasks, remain_indices=remain)
    assert np.array_equal(base, full.base_indices_)
    assert np.array_equal(sel.selected_indices_, full.selected_indices_)
    assert np.array_equal(sel.reason_, full.reason_)


def test_same_seed_same_selection():
    X, tasks = _data()
    params = dict(base_fraction=0.1, n_clusters=5, per_cluster=15, alpha=0.2, beta=0.2)
    a = UCSSelector(**params, random_state=11).fit(X, tasks)
    b = UCSSelector(**params, random_state=11).fit(X, tasks)
    assert np.array_equal(a.selected_indices_, b.selected_indices_)
    assert np.array_equal(a.cluster_centers_, b.cluster_centers_)
    assert np.array_equal(a.reason_, b.reason_)


def test_random_regime_draws_randomly_within_clusters():
    X, tasks = _data()
    # the k-means seed is pinned, so both runs cluster alike and only the picks differ
    params = dict(base_fraction=0.0, n_clusters=4, per_cluster=20, alpha=0.0, beta=0.0,
                  kmeans_options={"random_state": 0})
    runs = [UCSSelector(**params, random_state=s) for s in (1, 2)]
    fitted = []
    for sel in runs:
        sel.fit(X, tasks)
        assert len(sel.selected_indices_) == 4 * 20
        assert set(sel.reasons_) == {"random"}
        assert np.all(np.bincount(sel.cluster_[sel.selected_indices_], minlength=4) == 20)
        fitted.append(sel)
    assert np.array_equal(fitted[0].labels_, fitted[1].labels_)
    assert not np.array_equal(fitted[0].selected_indices_, fitted[1].selected_indices_)
    # random picks are not the nearest ones: some chosen point is farther than some unchosen
    s = fitted[0]
    k = 0
    members = np.flatnonzero(s.cluster_ == k)
    chosen = members[s.chosen_mask_[members]]
    unchosen = members[~s.chosen_mask_[members]]
    assert s.distance_[chosen].max() > s.distance_[unchosen].min()
    assert s.distance_[chosen].min() < s.distance_[unchosen].max()


# ------------------------------------------------------------------ target size
def test_solve_per_cluster_accounts_for_small_clusters():
    sizes = [3, 10, 50, 100]
    assert solve_per_cluster(sizes, n_base=0, target_size=4) == 1
    # A=10 gives 3+10+10+10 = 33; A=9 gives 3+9+9+9 = 30
    assert solve_per_cluster(sizes, n_base=0, target_size=31) == 10
    assert solve_per_cluster(sizes, n_base=20, target_size=53) == 10
    # beyond 50 only the biggest cluster grows
    assert solve_per_cluster(sizes, n_base=0, target_size=3 + 10 + 50 + 60) == 60
    assert solve_per_cluster(sizes, n_base=0, target_size=163) == 100
    with pytest.raises(ValueError, match="target_size=164"):
        solve_per_cluster(sizes, n_base=0, target_size=164)
    with pytest.raises(ValueError, match="D_base"):
        solve_per_cluster(sizes, n_base=30, target_size=30)


@pytest.mark.parametrize("target_fraction", [0.325, 0.12, 0.8])
def test_target_fraction_reaches_smallest_sufficient_size(target_fraction):
    X, tasks = _data()
    sel = UCSSelector(base_fraction=0.1, n_clusters=7, target_fraction=target_fraction,
                      random_state=0).fit(X, tasks)
    target = int(np.floor(target_fraction * len(tasks) + 0.5))
    size = len(sel.selected_indices_)
    assert sel.target_size_ == target and size >= target
    A = sel.per_cluster_
    smaller = len(sel.base_indices_) + np.minimum(sel.cluster_sizes_, A - 1).sum()
    assert A == 1 or smaller < target  # A - 1 would not have been enough


def test_target_size_parameter():
    X, tasks = _data()
    sel = UCSSelector(base_fraction=0.0, n_clusters=5, target_size=250, random_state=0).fit(X, tasks)
    assert 250 <= len(sel.selected_indices_) < 250 + 5


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "params,match",
    [
        ({"per_cluster": 0}, "per_cluster"),
        ({"per_cluster": 5, "alpha": -0.1}, "alpha=-0.1"),
        ({"per_cluster": 5, "alpha": 1.2}, "alpha=1.2"),
        ({"per_cluster": 5, "beta": 1.5, "alpha": 0.0}, "beta=1.5"),
        ({"per_cluster": 5, "alpha": 0.6, "beta": 0.5}, "alpha=0.6, beta=0.5"),
        ({"per_cluster": 5, "base_fraction": 1.0}, "base_fraction=1.0"),
        ({"per_cluster": 5, "base_fraction": -0.2}, "base_fraction=-0.2"),
        ({"per_cluster": 5, "distance": "manhattan"}, "distance='manhattan'"),
        ({"per_cluster": 5, "n_clusters": 0}, "n_clusters=0"),
        ({}, "exactly one of per_cluster"),
        ({"per_cluster": 5, "target_fraction": 0.3}, "per_cluster=5, target_fraction=0.3"),
        ({"target_fraction": 1.5}, "target_fraction=1.5"),
    ],
)
def test_bad_parameters_raise_before_work(params, match):
    X, tasks = _data(100)
    with pytest.raises(ValueError, match=match):
        UCSSelector(**params).fit(X, tasks)


def test_k_larger_than_remain_raises():
    X, tasks = _data(100)
    with pytest.raises(ValueError, match=r"n_clusters=60 is larger than \|D_remain\|=50"):
        UCSSelector(base_fraction=0.5, n_clusters=60, per_cluster=2).fit(X, tasks)


def test_empty_dataset_raises():
    with pytest.raises(ValueError, match="empty"):
        UCSSelector(per_cluster=2).fit(np.zeros((0, 4), np.float32), [])


def test_fewer_distinct_points_than_k_raises():
    X = np.repeat(np.eye(3, dtype=np.float32), 10, axis=0)
    with pytest.raises(ValueError, match="only 3 distinct.*n_clusters=4"):
        UCSSelector(n_clusters=4, per_cluster=2, distance="euclidean").fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="only 3 distinct directions"):
        UCSSelector(n_clusters=4, per_cluster=2).fit(np.vstack([X, 2 * X]), np.zeros(60))


def test_target_not_above_base_raises():
    X, tasks = _data(100)
    with pytest.raises(ValueError, match="not above"):
        UCSSelector(base_fraction=0.5, n_clusters=3, target_fraction=0.4).fit(X, tasks)


def test_mismatched_remain_indices_raise():
    X, tasks = _data(100)
    sel = UCSSelector(base_fraction=0.2, n_clusters=3, per_cluster=5, random_state=0)
    _, remain = sel.split_base(tasks)
    with pytest.raises(ValueError, match="remain_indices has 80 entries but X has 79"):
        sel.fit(X[remain[:-1]], tasks, remain_indices=remain)
    with pytest.raises(ValueError, match=r"\|D_base\|=30"):
        sel.fit(X[:70], tasks, remain_indices=np.arange(70))


# ------------------------------------------------------------------ baselines
@pytest.mark.parametrize("cls", [RandomSelector, StratifiedRandomSelector])
def test_baselines_have_the_asked_size_and_interface(cls):
    X, tasks = _data()
    sel = cls(size=390, random_state=0).fit(X, tasks)
    assert len(sel.selected_indices_) == len(np.unique(sel.selected_indices_)) == 390
    assert np.array_equal(np.flatnonzero(sel.chosen_mask_), sel.selected_indices_)
    assert set(sel.reasons_) == {"random"}
    again = cls(size=390, random_state=0).fit(None, tasks)
    assert np.array_equal(again.selected_indices_, sel.selected_indices_)
    other = cls(size=390, random_state=1).fit(None, tasks)
    assert not np.array_equal(other.selected_indices_, sel.selected_indices_)
    frac = cls(fraction=0.325, random_state=0).fit(None, tasks)
    assert len(frac.selected_indices_) == 390


def test_stratified_baseline_keeps_task_shares():
    _, tasks = _data(1001)
    sel = StratifiedRandomSelector(size=333, random_state=4).fit(None, tasks)
    shares_within_one(tasks, sel.selected_indices_, 333)


def test_baseline_bad_size_raises():
    _, tasks = _data(50)
    with pytest.raises(ValueError, match="size=51"):
        RandomSelector(size=51).fit(None, tasks)
    with pytest.raises(ValueError, match="exactly one of size, fraction"):
        RandomSelector(size=5, fraction=0.1).fit(None, tasks)


# ------------------------------------------------------------------ grouping rows by source
def _variants(n_sources=150, per_source=6, d=8, seed=0):
    """Each source sentence has `per_source` near-identical rows (one per instruction phrasing)."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n_sources, d)).astype(np.float32)
    X = np.repeat(base, per_source, axis=0) + 0.01 * rng.standard_normal((n_sources * per_source, d)).astype(np.float32)
    groups = np.repeat([f"sentence {i}" for i in range(n_sources)], per_source)
    tasks = np.repeat(rng.choice(["gec", "simplification"], n_sources), per_source)
    return X, tasks, groups


@pytest.mark.parametrize("alpha,beta", [(0.0, 1.0), (1.0, 0.0), (0.3, 0.3)])
def test_grouped_picks_spread_over_source_sentences(alpha, beta):
    X, tasks, groups = _variants()
    params = dict(base_fraction=0.0, n_clusters=5, per_cluster=20, alpha=alpha, beta=beta, random_state=0)
    plain = UCSSelector(**params).fit(X, tasks)
    grouped = UCSSelector(**params).fit(X, tasks, groups=groups)
    assert np.array_equal(plain.labels_, grouped.labels_)  # grouping changes the picks, not the clusters
    for k in range(5):
        members = np.flatnonzero(grouped.cluster_ == k)
        picked = members[grouped.chosen_mask_[members]]
        assert len(picked) == 20
        distinct_in_cluster = len(set(groups[members]))
        assert len(set(groups[picked])) == min(20, distinct_in_cluster)  # one row per sentence first
        if distinct_in_cluster >= 20 and beta == 1.0:
            # hard: the 20 sentences whose farthest row is farthest, each by that farthest row
            d, g = grouped.distance_[members], groups[members]
            far = {s: d[g == s].max() for s in set(g)}
            top = sorted(far, key=far.get, reverse=True)[:20]
            assert set(groups[picked]) == set(top)
            assert all(grouped.distance_[i] == far[groups[i]] for i in picked)
    assert len(set(groups[plain.selected_indices_])) < len(set(groups[grouped.selected_indices_]))


def test_grouping_counts_rows_already_in_d_base():
    X, tasks, groups = _variants(n_sources=60, per_source=6)
    sel = UCSSelector(base_fraction=0.1, n_clusters=3, per_cluster=8, random_state=1).fit(X, tasks, groups=groups)
    in_base = set(groups[sel.base_indices_])
    checked = 0
    for k in range(3):
        members = np.flatnonzero(sel.cluster_ == k)
        fresh = set(groups[members]) - in_base
        if len(fresh) >= 8:  # enough sentences not in D_base: no pick repeats a D_base sentence
            picked = members[sel.chosen_mask_[members]]
            assert not set(groups[picked]) & in_base
            checked += 1
    assert checked >= 1


def test_groups_must_match_the_dataset():
    X, tasks, groups = _variants(n_sources=20)
    with pytest.raises(ValueError, match="groups has 10 entries but tasks has 120"):
        UCSSelector(per_cluster=2, n_clusters=2).fit(X, tasks, groups=groups[:10])
