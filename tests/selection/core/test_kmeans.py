"""fast_kmeans: recovers separated blobs, exact distances, determinism, input checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from selection.core.kmeans import FastKMeans, count_distinct_rows, fast_kmeans


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(30_000, centers=12, n_features=24, cluster_std=1.0, random_state=0)
    return X.astype(np.float32), y


@pytest.mark.parametrize("spherical", [False, True])
@pytest.mark.parametrize("final_assign", [False, True])
def test_recovers_separated_blobs(blobs, spherical, final_assign):
    X, y = blobs
    # min_sample below n forces the sample + full-pass schedule
    res = fast_kmeans(X, 12, random_state=0, spherical=spherical, min_sample=2000, sample_cost=0,
                      sample_per_centroid=50, final_assign=final_assign)
    assert res.sample_size < len(X)
    assert adjusted_rand_score(y, res.labels) > 0.99


def test_distances_and_centres_match_definitions(blobs):
    X, _ = blobs
    res = fast_kmeans(X, 12, random_state=1, min_sample=2000, sample_cost=0, sample_per_centroid=50)
    d = np.linalg.norm(X.astype(np.float64) - res.centers[res.labels], axis=1)
    np.testing.assert_allclose(res.distances, d, rtol=1e-5, atol=1e-5)
    assert res.inertia == pytest.approx(np.sum(d**2), rel=1e-6)


def test_without_final_assign_centres_are_member_means(blobs):
    X, _ = blobs
    res = fast_kmeans(X, 12, random_state=1, min_sample=2000, sample_cost=0, sample_per_centroid=50,
                      final_assign=False)
    for k in range(12):
        np.testing.assert_allclose(res.centers[k], X[res.labels == k].mean(axis=0), atol=1e-3)


def _nearest(X, centers, spherical=False):
    X = X.astype(np.float64)
    if spherical:
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
    d2 = ((X[:, None, :] - centers.astype(np.float64)[None]) ** 2).sum(-1)
    return d2.argmin(axis=1), d2


@pytest.mark.parametrize("spherical", [False, True])
@pytest.mark.parametrize("sample", ["subsample", "all"])
def test_labels_are_nearest_final_centre(spherical, sample):
    """Overlapping data, few Lloyd steps: the last mean update moves points between clusters.
    By default every label is the nearest final centre and the distance is to that centre."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3000, 8)).astype(np.float32)
    opts = dict(random_state=4, spherical=spherical, max_iter=2, full_passes=1)
    if sample == "subsample":
        opts.update(min_sample=500, sample_cost=0, sample_per_centroid=5)
    old = fast_kmeans(X, 60, final_assign=False, **opts)
    old_nearest, _ = _nearest(X, old.centers, spherical)
    assert np.mean(old.labels != old_nearest) > 0.01  # the situation the default guards against

    res = fast_kmeans(X, 60, **opts)
    nearest, d2 = _nearest(X, res.centers, spherical)
    own = d2[np.arange(len(X)), res.labels]
    assert np.all(own <= d2.min(axis=1) + 1e-5)
    assert np.mean(res.labels == nearest) > 0.999  # the rest are float32 ties
    want = own / 2 if spherical else np.sqrt(own)
    np.testing.assert_allclose(res.distances, want, atol=1e-5)


def test_cosine_distances(blobs):
    X, _ = blobs
    res = fast_kmeans(X, 12, random_state=0, spherical=True)
    np.testing.assert_allclose(np.linalg.norm(res.centers, axis=1), 1.0, atol=1e-5)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    cos = np.einsum("ij,ij->i", Xn.astype(np.float64), res.centers[res.labels])
    np.testing.assert_allclose(res.distances, 1 - cos, atol=1e-5)


def test_deterministic_for_a_seed_and_seed_matters():
    X, _ = make_blobs(3000, centers=30, n_features=8, cluster_std=3.0, random_state=0)
    a = fast_kmeans(X, 30, random_state=5, min_sample=500, sample_cost=0, sample_per_centroid=5)
    b = fast_kmeans(X, 30, random_state=5, min_sample=500, sample_cost=0, sample_per_centroid=5)
    c = fast_kmeans(X, 30, random_state=6, min_sample=500, sample_cost=0, sample_per_centroid=5)
    assert np.array_equal(a.labels, b.labels) and np.array_equal(a.centers, b.centers)
    assert not np.array_equal(a.centers, c.centers)


def test_not_worse_than_sklearn_on_overlapping_data():
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(0)
    X = rng.standard_normal((1500, 6)).astype(np.float32)
    ours = fast_kmeans(X, 10, random_state=0).inertia
    theirs = KMeans(10, random_state=0, n_init=1).fit(X).inertia_
    assert ours <= theirs * 1.02


def test_count_distinct_rows():
    X = np.array([[1, 0], [1, 0], [0, 1], [2, 0], [-0.0, 1]], dtype=np.float32)
    assert count_distinct_rows(X, 10) == (3, 5)
    assert count_distinct_rows(X, 10, spherical=True) == (2, 5)
    assert count_distinct_rows(X, 2) == (2, 3)


@pytest.mark.parametrize(
    "X,k,match",
    [
        (np.zeros((0, 3)), 1, "empty"),
        (np.ones(5), 1, "2-D"),
        (np.ones((4, 2)), 5, "n_clusters=5 is larger"),
        (np.ones((4, 2)), 0, "n_clusters=0"),
        (np.array([[np.nan, 1.0], [1.0, 2.0]]), 1, "NaN"),
        (np.vstack([np.eye(2), np.zeros((1, 2))]), 2, "all-zero"),
    ],
)
def test_bad_input(X, k, match):
    with pytest.raises(ValueError, match=match):
        fast_kmeans(X, k, spherical=match == "all-zero")


def test_estimator_wrapper_predicts_its_own_labels(blobs):
    X, _ = blobs
    km = FastKMeans(12, random_state=0).fit(X[:3000])
    assert adjusted_rand_score(km.labels_, km.predict(X[:3000])) > 0.99


def test_seeding_sample_by_default(monkeypatch):
    """k-means++ seeds on 20·K points, and on at least 2e6/K at small K where that is cheap
    (3·K left real data 5-6 % above scikit-learn's inertia at K=1000); an explicit
    ``init_per_centroid`` is taken as given (with a 1,024-point floor)."""
    from selection.core import kmeans

    seen = []
    real = kmeans._kmeanspp

    def spy(S, K, rng):
        seen.append(S.shape[0])
        return real(S, K, rng)

    monkeypatch.setattr(kmeans, "_kmeanspp", spy)
    X = np.random.default_rng(0).normal(size=(60_000, 8)).astype(np.float32)
    fast_kmeans(X, 1000, random_state=0, full_passes=0, max_iter=1)
    fast_kmeans(X, 100, random_state=0, full_passes=0)
    fast_kmeans(X, 100, random_state=0, full_passes=0, init_per_centroid=3)
    assert seen == [20_000, 20_000, 1024]  # 20·K; 2e6/K; 3·K = 300 is below the floor
    assert kmeans._seed_size(1_000_000, 1000, None) == 8000  # 8·K where one full pass dominates


def test_restarts_keep_the_lowest_sample_inertia(monkeypatch):
    """With a sample much smaller than the data, n_init restarts run and the best one is kept:
    never worse than the single start with the same seed stream's first draw."""
    X, _ = make_blobs(40_000, centers=60, n_features=8, cluster_std=4.0, random_state=0)
    X = X.astype(np.float32)
    opts = dict(random_state=3, min_sample=2000, sample_cost=0, sample_per_centroid=10, full_passes=0)
    one = fast_kmeans(X, 40, n_init=1, **opts)
    three = fast_kmeans(X, 40, n_init=3, **opts)
    assert three.inertia <= one.inertia * 1.001
    with pytest.raises(ValueError, match="n_init"):
        fast_kmeans(X, 40, n_init=0)
