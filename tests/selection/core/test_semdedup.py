"""SemDeDupSelector: planted duplicates go, the member nearest the centroid stays, nothing else goes."""

from __future__ import annotations

import numpy as np
import pytest

from selection.core.semdedup import SemDeDupSelector, cluster_duplicates
from selection.core.ucs import UCSSelector


def _separated(n=200, d=32, seed=0):
    """Random directions in 32-D: pairwise cosine similarity stays well below 0.9."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    tasks = rng.choice(["gec", "simplification", "paraphrase"], n)
    return X, tasks


def _plant(X, rng, groups):
    """Append, for each (source row, copies, noise) group, noisy copies of that row."""
    rows, members = [X], []
    start = len(X)
    for src, copies, noise in groups:
        extra = X[src] + noise * rng.standard_normal((copies, X.shape[1]))
        rows.append(extra)
        members.append([src, *range(start, start + copies)])
        start += copies
    return np.vstack(rows), members


def test_well_separated_points_are_all_kept():
    X, tasks = _separated()
    sims = (X / np.linalg.norm(X, axis=1, keepdims=True)) @ (X / np.linalg.norm(X, axis=1, keepdims=True)).T
    assert sims[~np.eye(len(X), dtype=bool)].max() < 0.9
    sel = SemDeDupSelector(n_clusters=5, eps=0.1, random_state=0).fit(X, tasks)
    assert sel.n_removed_ == 0 and sel.chosen_mask_.all()
    assert set(sel.reasons_) == {"kept"} and np.all(sel.duplicate_of_ == -1)


def test_planted_duplicates_are_removed_keeping_the_one_nearest_the_centroid():
    rng = np.random.default_rng(1)
    X, _ = _separated(150, seed=1)
    # Exact copies (noise 0) and near-duplicates (cos ≈ 0.998 with 32-D noise of 0.05).
    X, groups = _plant(X, rng, [(3, 2, 0.0), (10, 3, 0.05), (42, 1, 0.02), (99, 4, 0.03)])
    X = X * rng.uniform(0.5, 2.0, (len(X), 1))  # scale must not matter for cosine
    tasks = rng.choice(["a", "b"], len(X))
    sel = SemDeDupSelector(n_clusters=6, eps=0.05, random_state=0).fit(X, tasks)

    planted = {i for g in groups for i in g}
    assert sel.chosen_mask_[[i for i in range(len(X)) if i not in planted]].all()  # no false removals
    for group in groups:
        assert len(set(sel.cluster_[group])) == 1  # duplicates share a cluster
        kept = [i for i in group if sel.chosen_mask_[i]]
        nearest = min(group, key=lambda i: (sel.distance_[i], i))
        assert kept == [nearest]
        for i in group:
            if i != nearest:
                assert sel.duplicate_of_[i] in group and sel.reason_[i] is None
    assert sel.n_removed_ == sum(len(g) - 1 for g in groups)
    assert sel.removed_per_cluster_.sum() == sel.n_removed_


def test_base_split_matches_ucs_and_remain_path_equals_all_path():
    rng = np.random.default_rng(2)
    X, _ = _separated(120, seed=2)
    X, _ = _plant(X, rng, [(5, 3, 0.0), (7, 2, 0.01)])
    tasks = rng.choice(["a", "b", "c"], len(X))
    sel = SemDeDupSelector(base_fraction=0.2, n_clusters=4, eps=0.05, random_state=7)
    base, remain = sel.split_base(tasks)
    ucs_base, _ = UCSSelector(base_fraction=0.2, per_cluster=1, random_state=7).split_base(tasks)
    assert np.array_equal(base, ucs_base)
    sel.fit(X[remain], tasks, remain_indices=remain)
    whole = SemDeDupSelector(base_fraction=0.2, n_clusters=4, eps=0.05, random_state=7).fit(X, tasks)
    assert np.array_equal(sel.selected_indices_, whole.selected_indices_)
    assert set(sel.reason_[base]) == {"base"} and np.all(sel.cluster_[base] == -1)
    assert np.isnan(sel.distance_[base]).all()
    records = list(sel.records())
    assert len(records) == len(X)
    assert all((r["reason"] == "base") == (r["cluster"] == -1) for r in records)
    assert all(r["chosen"] == (r["reason"] is not None) for r in records)


def test_deterministic_for_a_seed():
    rng = np.random.default_rng(3)
    X, tasks = _separated(160, seed=3)
    X, _ = _plant(X, rng, [(1, 5, 0.05), (2, 5, 0.05)])
    tasks = np.resize(tasks, len(X))
    a = SemDeDupSelector(base_fraction=0.1, n_clusters=5, random_state=11).fit(X, tasks)
    b = SemDeDupSelector(base_fraction=0.1, n_clusters=5, random_state=11).fit(X, tasks)
    assert np.array_equal(a.selected_indices_, b.selected_indices_)
    assert np.array_equal(a.labels_, b.labels_) and np.array_equal(a.duplicate_of_, b.duplicate_of_)


def test_larger_eps_removes_more():
    X, tasks = _separated(200, d=4, seed=4)  # 4-D: many pairs are similar
    counts = [SemDeDupSelector(n_clusters=3, eps=e, random_state=0).fit(X, tasks).n_removed_
              for e in (0.01, 0.05, 0.2)]
    assert counts[0] <= counts[1] <= counts[2] and counts[2] > counts[0]


def test_chunked_similarity_equals_one_block():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 3))  # 3-D: many near-duplicates and chains
    whole = cluster_duplicates(X, 0.01, chunk_elements=10**9)
    for chunk in (1, 300, 7 * 300 + 5):
        assert np.array_equal(cluster_duplicates(X, 0.01, chunk_elements=chunk), whole)
    # Brute force: j duplicates the most similar earlier row when that similarity exceeds 1 - eps.
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    S = Xn @ Xn.T
    for j in range(1, len(X)):
        i = int(np.argmax(S[j, :j]))
        assert whole[j] == (i if S[j, i] > 0.99 else -1)
    assert (whole >= 0).sum() > 0


@pytest.mark.parametrize("params, message", [
    ({"eps": 0.0}, "eps must be in (0, 1)"),
    ({"eps": 1.0}, "eps must be in (0, 1)"),
    ({"eps": -0.1}, "eps must be in (0, 1)"),
    ({"eps": "0.1"}, "eps must be in (0, 1)"),
    ({"n_clusters": 0}, "n_clusters must be an integer >= 1"),
    ({"n_clusters": 2.5}, "n_clusters must be an integer >= 1"),
    ({"base_fraction": 1.0}, "base_fraction must be in [0, 1)"),
    ({"distance": "manhattan"}, "distance must be 'cosine' or 'euclidean'"),
])
def test_bad_params_raise_clear_errors(params, message):
    X, tasks = _separated(40)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        SemDeDupSelector(**params).fit(X, tasks)


def test_bad_inputs_raise_clear_errors():
    X, tasks = _separated(40)
    with pytest.raises(ValueError, match="n_clusters=50 is larger than"):
        SemDeDupSelector(n_clusters=50).fit(X, tasks)
    with pytest.raises(ValueError, match="X has 39 rows but tasks has 40"):
        SemDeDupSelector(n_clusters=2).fit(X[:39], tasks)
    with pytest.raises(ValueError, match="2-D array"):
        SemDeDupSelector(n_clusters=2).fit(X[:, 0], tasks)
