"""Fast k-means for large embedding matrices (pure numpy/scipy, no Django).

Why not scikit-learn's ``KMeans``: its default k-means++ seeding on all the data is
sequential and dominates the run time at 10^6 points and K = 1000; its Lloyd loop runs
to convergence on every point.  Why not faiss: it trains on a sample of 256·K points and
never looks at the rest of the data again, so the final centroids are fit to a sample.

The schedule here spends the budget where it pays (one full pass over N·K·d is the cost
unit; at 10^6 × 384 × 1000 that is 3.8e11 multiply-adds, a few seconds of float32 GEMM):

1. greedy k-means++ seeding on a sample of ``init_per_centroid`` points per centroid
   (default 20·K: on real MiniLM vectors 3·K left the inertia 6 % above scikit-learn's
   k-means++ on all the data; 20·K closes the gap, see bench/RESULTS.md);
2. Lloyd iterations on a larger sample (``sample_per_centroid`` points per centroid, at
   least ``min_sample``), each one blocked float32 GEMM: argmin ||x||² − 2x·c + ||c||²;
3. ``full_passes`` Lloyd steps over all the data, streamed in chunks so memory stays
   bounded: assign every point, then move each centre to the mean of its members
   (default, by cost: up to 10 passes while N·K <= 2e7, 3 while <= 2e8, else 1;
   passes stop early once the inertia settles);
4. a final assignment (``final_assign``, default on): every point is labelled with its
   nearest *final* centre and its distance is measured to that centre, which is what
   UCS's easy/hard picks need. Without it the labels would be the assignment made
   before the last mean update, and a few per cent of the points (7 % at 10^6 × K=1000)
   would carry a cluster that is no longer their nearest.

When the sample is the whole data set, step 2 is plain Lloyd to convergence.

Cosine distance ("spherical" k-means) never copies X: rows are L2-normalised on the fly.
The nearest unit-norm centre of x is the one with the largest x·c whatever ||x|| is, and
the centroid update sums x/||x|| with sparse weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

__all__ = ["KMeansResult", "FastKMeans", "fast_kmeans", "count_distinct_rows"]


@dataclass
class KMeansResult:
    """What :func:`fast_kmeans` learned.

    ``distances`` are Euclidean distances to the assigned centre, or cosine distances
    (1 − cos) when ``spherical``; ``inertia`` is the sum of squared Euclidean distances in
    the clustered space (on L2-normalised rows when ``spherical``: 2·Σ cosine distance).
    """

    centers: np.ndarray  # (K, d) float32; unit rows when spherical
    labels: np.ndarray  # (n,) int64
    distances: np.ndarray  # (n,) float64
    inertia: float
    n_iter: int  # Lloyd iterations on the sample
    n_full_passes: int  # GEMM passes over all the data
    sample_size: int


def count_distinct_rows(
    X: np.ndarray, limit: int, *, spherical: bool = False, order: np.ndarray | None = None
) -> tuple[int, int]:
    """Count distinct rows of X, stopping as soon as ``limit`` are found.

    Rows are visited in ``order`` (default: 0..n-1). Returns ``(count, stop)``: the number
    found (at most ``limit``) and how many rows of ``order`` were visited to find them.
    With ``spherical`` rows are compared after L2 normalisation (x and 2x are one point).
    Cheap in the usual case (about ``limit`` rows visited); scans all of X only when
    there are fewer than ``limit`` distinct rows.
    """
    n = X.shape[0]
    order = np.arange(n) if order is None else order
    seen: set[bytes] = set()
    pos, block = 0, max(2 * limit, 256)
    while pos < n:
        idx = order[pos : pos + block]
        rows = np.ascontiguousarray(X[idx], dtype=np.float32)
        if spherical:
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            rows = rows / np.where(norms > 0, norms, 1.0)
        rows = rows + 0.0  # turn -0.0 into 0.0 so equal points compare equal as bytes
        for j, row in enumerate(rows):
            seen.add(row.tobytes())
            if len(seen) >= limit:
                return len(seen), pos + j + 1
        pos += len(idx)
        block *= 2
    return len(seen), n


def fast_kmeans(
    X: np.ndarray,
    n_clusters: int,
    *,
    random_state: int | np.random.Generator | None = None,
    spherical: bool = False,
    sample_per_centroid: int = 32,
    min_sample: int = 20_000,
    init_per_centroid: int = 20,
    max_iter: int = 20,
    tol: float = 1e-4,
    full_passes: int | None = None,
    final_assign: bool = True,
    chunk_size: int = 16_384,
) -> KMeansResult:
    """Cluster the rows of X (n × d) into ``n_clusters`` groups; see the module docstring.

    Must hold: X is 2-D, finite, with at least ``n_clusters`` distinct rows (distinct
    directions when ``spherical``; no all-zero rows then). Raises ``ValueError`` otherwise,
    before any clustering work. Deterministic for an integer ``random_state`` (given the
    same BLAS thread count). ``full_passes`` None picks the schedule in the module
    docstring; 0 keeps the sample's centres (with ``final_assign``, plain assignment).
    ``final_assign=False`` skips step 4 (one GEMM pass cheaper): labels are then the last
    assignment before the mean update and distances are to the means of those members,
    so some points are not labelled with their nearest centre.
    """
    X = _check_matrix(X)
    n, _ = X.shape
    K = int(n_clusters)
    if K < 1:
        raise ValueError(f"n_clusters must be >= 1, got n_clusters={n_clusters}")
    if K > n:
        raise ValueError(f"n_clusters={K} is larger than the number of points n={n}")
    if full_passes is not None and full_passes < 0:
        raise ValueError(f"full_passes must be >= 0, got full_passes={full_passes}")
    if full_passes == 0 and not final_assign and n > max(sample_per_centroid * K, min_sample):
        raise ValueError("full_passes=0 needs final_assign=True to label the unsampled points")
    rng = np.random.default_rng(random_state)
    order = rng.permutation(n)
    n_distinct, stop = count_distinct_rows(X, K, spherical=spherical, order=order)
    if n_distinct < K:
        what = "distinct directions (cosine)" if spherical else "distinct points"
        raise ValueError(f"X has only {n_distinct} {what}, fewer than n_clusters={K}")

    m = min(n, max(sample_per_centroid * K, min_sample, stop))
    s = min(m, max(init_per_centroid * K, 1024, stop))
    sample = _rows(X, order[:m], spherical)  # the first ``stop`` rows hold K distinct ones
    sample_stat = _row_stat(sample, spherical, chunk_size)
    centers = _kmeanspp(sample[:s], K, rng)

    centers, labels, dist2, n_iter = _lloyd(sample, centers, spherical, sample_stat, chunk_size, max_iter, tol)

    if m == n:  # the sample is the whole data set: Lloyd above already ran on all of it
        X_full, stat_full, passes = sample, sample_stat, 0
        back = np.empty(n, dtype=np.int64)
        back[order] = np.arange(n)
    else:
        X_full, stat_full, back = X, _row_stat(X, spherical, chunk_size), None
        passes = full_passes if full_passes is not None else _auto_passes(n, K)

    centers, full_labels, _, done = _lloyd(X_full, centers, spherical, stat_full, chunk_size, passes, tol)
    if done:  # else the sample's labels stand (the sample is all of X, or final_assign relabels every point)
        labels = full_labels
    if final_assign:  # one more pass: every point to its nearest final centre
        labels, dist2, _, _ = _pass(
            X_full, centers, spherical, stat_full, chunk_size, accumulate=False, exact=True
        )
        done += 1
    else:  # members stay; distances to the means of their clusters
        dist2 = _member_dist2(X_full, centers, labels, spherical, stat_full, chunk_size)
    inertia = float(dist2.sum())

    if back is not None:  # undo the sample's permutation
        labels, dist2 = labels[back], dist2[back]
    distances = dist2 / 2.0 if spherical else np.sqrt(dist2)
    return KMeansResult(
        centers=centers.astype(np.float32),
        labels=labels,
        distances=distances,
        inertia=inertia,
        n_iter=n_iter,
        n_full_passes=done,
        sample_size=m,
    )


def _lloyd(X: np.ndarray, centers: np.ndarray, spherical: bool, stat: np.ndarray, chunk_size: int, steps: int,
           tol: float) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, int]:
    """Up to ``steps`` Lloyd steps on X (assign every row, then move each centre to its members' mean), stopping
    when the inertia no longer falls by ``tol``. Returns (centres, labels and squared distances of the last
    assignment, steps taken); labels and distances are None when ``steps`` is 0."""
    labels = dist2 = None
    prev, done = np.inf, 0
    for done in range(1, steps + 1):
        labels, dist2, sums, counts = _pass(X, centers, spherical, stat, chunk_size)
        inertia = float(dist2.sum())
        centers = _new_centers(sums, counts, centers, X, dist2, spherical)
        if _converged(prev, inertia, tol):
            break
        prev = inertia
    return centers, labels, dist2, done


class FastKMeans:
    """scikit-learn-style wrapper around :func:`fast_kmeans` (same parameters)."""

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        spherical: bool = False,
        random_state: int | None = None,
        sample_per_centroid: int = 32,
        min_sample: int = 20_000,
        init_per_centroid: int = 20,
        max_iter: int = 20,
        full_passes: int | None = None,
        final_assign: bool = True,
    ) -> None:
        self.n_clusters = n_clusters
        self.spherical = spherical
        self.random_state = random_state
        self.sample_per_centroid = sample_per_centroid
        self.min_sample = min_sample
        self.init_per_centroid = init_per_centroid
        self.max_iter = max_iter
        self.full_passes = full_passes
        self.final_assign = final_assign

    def fit(self, X: np.ndarray, y: object = None) -> "FastKMeans":
        """Cluster X; sets ``cluster_centers_``, ``labels_``, ``distances_``, ``inertia_``."""
        res = fast_kmeans(
            X,
            self.n_clusters,
            random_state=self.random_state,
            spherical=self.spherical,
            sample_per_centroid=self.sample_per_centroid,
            min_sample=self.min_sample,
            init_per_centroid=self.init_per_centroid,
            max_iter=self.max_iter,
            full_passes=self.full_passes,
            final_assign=self.final_assign,
        )
        self.cluster_centers_ = res.centers
        self.labels_ = res.labels
        self.distances_ = res.distances
        self.inertia_ = res.inertia
        self.n_iter_ = res.n_iter
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Index of the nearest learned centre for each row of X."""
        X = _check_matrix(X)
        stat = _row_stat(X, self.spherical, 16_384)
        labels, _, _, _ = _pass(X, self.cluster_centers_, self.spherical, stat, 16_384, False)
        return labels


# --------------------------------------------------------------------------- helpers


def _auto_passes(n: int, K: int) -> int:
    """Full-data Lloyd steps by cost: each pass is a GEMM of n·K·d plus O(n·d) updates."""
    if n * K <= 2e7:
        return 10
    return 3 if n * K <= 2e8 else 1


def _converged(prev: float, inertia: float, tol: float) -> bool:
    """Relative improvement of the inertia below ``tol`` (never on the first step)."""
    return bool(np.isfinite(prev) and prev - inertia <= tol * prev)


def _check_matrix(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n × d), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X is empty: shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number):
        raise ValueError(f"X must be numeric, got dtype {X.dtype}")
    return X


def _chunk(X: np.ndarray, a: int, b: int) -> np.ndarray:
    """Rows a:b as C-contiguous float32 (a view when X already is)."""
    return np.ascontiguousarray(X[a:b], dtype=np.float32)


def _rows(X: np.ndarray, idx: np.ndarray, spherical: bool) -> np.ndarray:
    rows = np.ascontiguousarray(X[idx], dtype=np.float32)
    if not np.all(np.isfinite(rows)):
        raise ValueError("X contains NaN or infinite values")
    if spherical:
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows /= np.where(norms > 0, norms, 1.0)
    return rows


def _kmeanspp(S: np.ndarray, K: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with 2 + ln K candidates per
    step as is common): each step draws candidates with probability ∝ D² and keeps the
    one that lowers the potential most.

    The K steps are sequential small GEMMs; multi-threaded BLAS is many times slower
    than one thread on such sizes, hence the thread limit. D² below float32 rounding
    noise counts as 0, so exact duplicates of a chosen centre are never drawn.
    """
    S = np.ascontiguousarray(S, dtype=np.float32)
    sq = np.einsum("ij,ij->i", S, S)
    s = len(S)
    trials = 2 + int(np.log(K))
    noise = 8 * np.finfo(np.float32).eps

    def d2_to(idx: np.ndarray) -> np.ndarray:  # (s, len(idx)) squared distances
        d2 = S @ S[idx].T
        d2 *= -2.0
        d2 += sq[:, None]
        d2 += sq[idx]
        d2[d2 <= noise * (sq[:, None] + sq[idx])] = 0.0
        return d2

    with threadpool_limits(1):
        chosen = [int(rng.integers(s))]
        closest = d2_to(np.array(chosen))[:, 0]
        for _ in range(1, K):
            cum = np.cumsum(closest, dtype=np.float64)
            if cum[-1] <= 0:  # cannot happen with >= K distinct rows; stay safe anyway
                rest = np.setdiff1d(np.arange(s), chosen)
                chosen.append(int(rng.choice(rest)))
                continue
            cand = np.minimum(np.searchsorted(cum, rng.random(trials) * cum[-1]), s - 1)
            d2 = d2_to(cand)
            np.minimum(d2, closest[:, None], out=d2)
            best = int(np.argmin(d2.sum(axis=0, dtype=np.float64)))
            chosen.append(int(cand[best]))
            closest = d2[:, best].copy()
    return S[chosen].copy()


def _pass(
    X: np.ndarray,
    centers: np.ndarray,
    spherical: bool,
    row_stat: np.ndarray,
    chunk_size: int,
    accumulate: bool = True,
    exact: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One assignment pass over X in chunks.

    ``row_stat`` is ||x||² per row (Euclidean) or 1/||x|| (spherical). Returns labels,
    squared distances in the clustered space (float64; spherical: ||x/|x| − c||² =
    2 − 2cos) and, when ``accumulate``, per-centre sums of the (normalised) rows and
    member counts for the update step. Distances come from the GEMM (cheap, with float32
    cancellation) unless ``exact``, which recomputes them from x − c for the final pass.
    """
    n, d = X.shape
    K = len(centers)
    C = np.ascontiguousarray(centers, dtype=np.float32)
    half_sq = 0.5 * np.einsum("ij,ij->i", C, C)
    labels = np.empty(n, dtype=np.int64)
    dist2 = np.empty(n, dtype=np.float64)
    sums = np.zeros((K, d), dtype=np.float64) if accumulate else None
    counts = np.zeros(K, dtype=np.int64) if accumulate else None
    G = np.empty((min(chunk_size, n), K), dtype=np.float32)
    for a in range(0, n, chunk_size):
        b = min(a + chunk_size, n)
        xc = _chunk(X, a, b)
        g = G[: b - a]
        np.matmul(xc, C.T, out=g)
        if not spherical:
            g -= half_sq  # argmax of x·c − ||c||²/2 is argmin of ||x − c||²
        lab = g.argmax(axis=1)
        labels[a:b] = lab
        stat = row_stat[a:b]
        if exact and spherical:
            dots = np.einsum("ij,ij->i", xc, C[lab], dtype=np.float64) * stat
            dist2[a:b] = np.maximum(2.0 - 2.0 * dots, 0.0)
        elif exact:
            diff = xc - C[lab]
            dist2[a:b] = np.einsum("ij,ij->i", diff, diff, dtype=np.float64)
        else:
            best = g[np.arange(b - a), lab].astype(np.float64)
            if spherical:
                dist2[a:b] = np.maximum(2.0 - 2.0 * best * stat, 0.0)
            else:
                dist2[a:b] = np.maximum(stat - 2.0 * best, 0.0)
        if accumulate:
            weights = stat if spherical else np.ones(b - a, dtype=np.float32)
            onehot = sp.csr_matrix((weights, (lab, np.arange(b - a))), shape=(K, b - a))
            sums += onehot @ xc
            counts += np.bincount(lab, minlength=K)
    return labels, dist2, sums, counts


def _member_dist2(
    X: np.ndarray,
    centers: np.ndarray,
    labels: np.ndarray,
    spherical: bool,
    row_stat: np.ndarray,
    chunk_size: int,
) -> np.ndarray:
    """Exact squared distance of each row to the centre of its own cluster (O(n·d))."""
    n = X.shape[0]
    C = np.ascontiguousarray(centers, dtype=np.float32)
    out = np.empty(n, dtype=np.float64)
    for a in range(0, n, chunk_size):
        b = min(a + chunk_size, n)
        xc, cc = _chunk(X, a, b), C[labels[a:b]]
        if spherical:
            dots = np.einsum("ij,ij->i", xc, cc, dtype=np.float64) * row_stat[a:b]
            out[a:b] = np.maximum(2.0 - 2.0 * dots, 0.0)
        else:
            diff = xc - cc
            out[a:b] = np.einsum("ij,ij->i", diff, diff, dtype=np.float64)
    return out


def _row_stat(X: np.ndarray, spherical: bool, chunk_size: int) -> np.ndarray:
    """Per-row 1/||x|| (spherical) or ||x||² (Euclidean), float32, computed in chunks;
    rejects NaN/inf, and all-zero rows when spherical."""
    n = X.shape[0]
    out = np.empty(n, dtype=np.float32)
    for a in range(0, n, chunk_size):
        xc = _chunk(X, a, min(a + chunk_size, n))
        sq = np.einsum("ij,ij->i", xc, xc)
        if not np.all(np.isfinite(sq)):
            raise ValueError("X contains NaN or infinite values")
        if spherical:
            if np.any(sq == 0):
                raise ValueError("X has all-zero rows: cosine distance is undefined for them")
            sq = 1.0 / np.sqrt(sq)
        out[a : a + len(xc)] = sq
    return out


def _new_centers(
    sums: np.ndarray,
    counts: np.ndarray,
    old: np.ndarray,
    X: np.ndarray,
    dist2: np.ndarray,
    spherical: bool,
) -> np.ndarray:
    """Means of the members; an empty cluster is re-seeded at one of the points farthest
    from their centre (so no centre is wasted)."""
    centers = np.array(old, dtype=np.float64)
    full = counts > 0
    centers[full] = sums[full] / counts[full, None]
    empty = np.flatnonzero(~full)
    if len(empty):
        far = np.argpartition(dist2, -len(empty))[-len(empty) :]
        centers[empty] = np.asarray(X[np.sort(far)], dtype=np.float64)  # spherical: normalised below
    if spherical:
        norms = np.linalg.norm(centers, axis=1, keepdims=True)
        centers /= np.where(norms > 0, norms, 1.0)
    return centers.astype(np.float32)
