"""Fast k-means for large embedding matrices (pure numpy/scipy, no Django).

Why not scikit-learn's ``KMeans``: its default k-means++ seeding on all the data is
sequential and dominates the run time at 10^6 points and K = 1000; its Lloyd loop runs
to convergence on every point.  Why not faiss: it is not a core dependency, and its
default seeds at random; like the schedule below at large N·K it fits the centres on a
sample (256·K points by default) and only assigns the rest. With k-means++ on a smaller
sample, this module reaches a lower full-data inertia in under a third of faiss's CPU time at
10^6 × 384, K=1000 (bench/RESULTS.md).

The schedule here spends the budget where it pays. One full pass over N·K·d is the cost
unit: at 10^6 × 384 × K=1000 it is 2·N·K·d = 768 GFLOP, 6.6 CPU-s of float32 GEMM on this
project's machine (117 GFLOP/s single-thread sgemm), and labelling every point with its
nearest final centre needs at least one such pass:

1. greedy k-means++ seeding on a sample (``init_per_centroid`` points per centroid; by
   default 20·K, 8·K where N·K > 2e8 and seeding on 20·K would cost nearly as much as the
   full pass, and at least 2e6/K points, which is cheap at small K and lowers the inertia);
2. Lloyd iterations on a larger sample (``sample_per_centroid`` points per centroid, at
   least ``min_sample`` and ``sample_cost``/K), each one blocked float32 GEMM: argmax of
   x·c − ||c||²/2 (= argmin ||x − c||²); when the sample is at most a third of the data and
   N·K <= 2e8, steps 1-2 run ``n_init`` = 3 times and the lowest sample inertia is kept
   (restarts on the sample are cheap beside the full passes there and escape poor minima);
3. ``full_passes`` Lloyd steps over all the data, streamed in chunks so memory stays
   bounded: assign every point, then move each centre to the mean of its members
   (default, by cost: up to 10 passes while N·K <= 2e7, 6 while <= 2e8, else none: the
   sample's centres are already within a few per cent of the best reachable inertia there
   and the pass would double the time; passes stop early once the inertia settles);
4. a final assignment (``final_assign``, default on): every point is labelled with its
   nearest *final* centre and its distance is measured to that centre, which is what
   UCS's easy/hard picks need. Without it the labels would be the assignment made
   before the last mean update, and a few per cent of the points (7 % at 10^6 × K=1000)
   would carry a cluster that is no longer their nearest.

Measured against scikit-learn KMeans, MiniBatchKMeans and faiss in bench/bench_ucs.py
(bench/RESULTS.md): full-data inertia within 0.5 % of the best of them on every row there
(two seeds; the margin is thin at K=100: 0.47 % above MiniBatchKMeans at 10^6 × K=100, seed 1).

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
    sample_cost: int = 10_000_000,
    init_per_centroid: int | None = None,
    n_init: int | None = None,
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
    ``init_per_centroid`` and ``n_init`` None pick the defaults of steps 1-2 (explicit values
    are taken as given; ``sample_cost=0`` drops the K-dependent floor of the Lloyd sample).
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

    if n_init is not None and n_init < 1:
        raise ValueError(f"n_init must be >= 1, got n_init={n_init}")
    m = min(n, max(sample_per_centroid * K, min_sample, sample_cost // K, stop))
    s = min(m, max(_seed_size(n, K, init_per_centroid), stop))
    sample = _rows(X, order[:m], spherical)  # the first ``stop`` rows hold K distinct ones
    sample_stat = _row_stat(sample, spherical, chunk_size)
    best = None
    restarts = n_init if n_init is not None else _auto_n_init(n, m, K)
    for _ in range(restarts):
        run = _lloyd(sample, _kmeanspp(sample[:s], K, rng), spherical, sample_stat, chunk_size, max_iter, tol)
        if best is None or (run[2] is not None and float(run[2].sum()) < float(best[2].sum())):  # lowest inertia
            best = run
    centers, labels, dist2, n_iter = best

    if m == n:  # the sample is the whole data set: Lloyd above already ran on all of it
        X_full, stat_full, passes = sample, sample_stat, 0
        back = np.empty(n, dtype=np.int64)
        back[order] = np.arange(n)
    else:
        X_full, stat_full, back = X, _row_stat(X, spherical, chunk_size), None
        # without the final assignment, one full pass is what labels the unsampled points
        passes = full_passes if full_passes is not None else max(_auto_passes(n, K), int(not final_assign))

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
        sample_cost: int = 10_000_000,
        init_per_centroid: int | None = None,
        n_init: int | None = None,
        max_iter: int = 20,
        full_passes: int | None = None,
        final_assign: bool = True,
    ) -> None:
        self.n_clusters = n_clusters
        self.spherical = spherical
        self.random_state = random_state
        self.sample_per_centroid = sample_per_centroid
        self.min_sample = min_sample
        self.sample_cost = sample_cost
        self.init_per_centroid = init_per_centroid
        self.n_init = n_init
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
            sample_cost=self.sample_cost,
            init_per_centroid=self.init_per_centroid,
            n_init=self.n_init,
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


_SEED_COST = 2_000_000  # k-means++ on at least this many points·centres: cheap at small K, where it pays
_BIG = 2e8  # n·K above which one full pass dominates the run (1M × 384 × K=1000: 6.6 CPU-s of sgemm)


def _auto_passes(n: int, K: int) -> int:
    """Full-data Lloyd steps by cost: each pass is a GEMM of n·K·d plus O(n·d) updates.
    Above ``_BIG`` none: the sample's centres get only the final assignment pass."""
    if n * K <= 2e7:
        return 10
    return 6 if n * K <= _BIG else 0


def _seed_size(n: int, K: int, per_centroid: int | None) -> int:
    """Points k-means++ seeds on (before capping at the sample): ``per_centroid``·K when given
    (at least 1,024). By default 20·K (3·K left real MiniLM vectors 5-6 % above scikit-learn's
    inertia at K=1000), or 8·K above ``_BIG``, where seeding on 20·K would cost nearly as much
    as the one full pass (it is memory-bound: K sequential reads of the seeding sample); and
    at least ``_SEED_COST``/K points, which at small K is cheap and lowers the inertia
    (1M synthetic points, K=100: 2,000 seeding points left it 1.6 % above MiniBatchKMeans)."""
    if per_centroid is not None:
        return max(per_centroid * K, 1024)
    return max((20 if n * K <= _BIG else 8) * K, _SEED_COST // K, 1024)


def _auto_n_init(n: int, m: int, K: int) -> int:
    """Restarts of seeding + sample Lloyd: 3 when the sample is a small part of the data and the
    restarts cost less than the full passes that follow (escaping a poor local minimum is cheap
    there), else 1 (as scikit-learn's k-means++ default)."""
    return 3 if m * 3 <= n and n * K <= _BIG else 1


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
