"""Unsupervised Core-set Selection (UCS) from DEFT-UCS (Das & Khetan, 2023/2024). No Django.

The platform's path (embed only what gets clustered)::

    sel = UCSSelector(base_fraction=0.1, n_clusters=7, target_fraction=0.325, beta=1.0,
                      random_state=0)
    base, remain = sel.split_base(tasks)            # D_base, D_remain (cheap, no embeddings)
    X_remain = embedder.embed([texts[i] for i in remain])
    sel.fit(X_remain, tasks, remain_indices=remain)  # k-means on D_remain + per-cluster picks
    sel.selected_indices_, sel.reason_, sel.cluster_, sel.distance_   # per example of D

A notebook may instead pass the embeddings of all of D: ``sel.fit(X_all, tasks)``; the
split is then computed inside fit (and the D_remain rows copied when base_fraction > 0).

Rounding is half-up everywhere (``round_half_up``), not Python's banker's rounding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from selection.params import check_alpha_beta, check_param

from .kmeans import fast_kmeans
from .sampling import stratified_sample

__all__ = [
    "REASONS",
    "UCSSelector",
    "round_half_up",
    "stratified_base_split",
    "solve_per_cluster",
    "target_size_for",
]

#: Why an example is in the selection. "whole_cluster": its cluster had at most A members,
#: so all of them were taken (neither easy nor hard nor random).
REASONS = ("base", "easy", "hard", "random", "whole_cluster")


def round_half_up(x: float) -> int:
    """Nearest integer, halves rounded up (0.5 → 1, 2.5 → 3), for sizes from fractions."""
    return int(np.floor(x + 0.5))


def stratified_base_split(
    tasks: Sequence[Any] | np.ndarray, base_fraction: float, random_state: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split D into (D_base, D_remain) index arrays, both sorted.

    |D_base| = round_half_up(base_fraction · n), stratified by task (see
    :func:`stratified_sample`); D_remain is the rest.
    """
    _check_base_fraction(base_fraction)
    n = len(tasks)
    base = stratified_sample(tasks, round_half_up(base_fraction * n), random_state)
    mask = np.ones(n, dtype=bool)
    mask[base] = False
    return base, np.flatnonzero(mask)


def target_size_for(n: int, target_fraction: float) -> int:
    """Number of examples a target fraction of n asks for (half-up rounding)."""
    if not 0 < target_fraction <= 1:
        raise ValueError(f"target_fraction must be in (0, 1], got target_fraction={target_fraction}")
    return round_half_up(target_fraction * n)


def solve_per_cluster(cluster_sizes: Sequence[int] | np.ndarray, n_base: int, target_size: int) -> int:
    """Smallest A >= 1 with n_base + Σ_k min(A, size_k) >= target_size.

    A cluster with at most A members gives all of them, so the count grows more slowly
    than K·A once A passes the smallest clusters. Raises ValueError when even taking every
    clustered example cannot reach the target, or when D_base alone already reaches it.
    """
    sizes = np.sort(np.asarray(cluster_sizes, dtype=np.int64))
    total = n_base + int(sizes.sum())
    if target_size > total:
        raise ValueError(
            f"target_size={target_size} exceeds |D_base|+|D_remain|={total}: cannot be reached"
        )
    if target_size <= n_base:
        raise ValueError(
            f"target_size={target_size} is not above |D_base|={n_base}: nothing left to select "
            "(lower base_fraction or raise the target)"
        )

    def size_for(A: int) -> int:
        return n_base + int(np.minimum(sizes, A).sum())

    lo, hi = 1, int(sizes.max())  # size_for is non-decreasing in A; size_for(hi) = total
    while lo < hi:
        mid = (lo + hi) // 2
        if size_for(mid) >= target_size:
            hi = mid
        else:
            lo = mid + 1
    return lo


class SelectionMixin:
    """Attributes every selector sets, and per-row records built from them.

    After fit: ``n_samples_``; ``selected_indices_`` (sorted int64 indices into D);
    ``reasons_`` (str per selected index, values from :data:`REASONS`); ``chosen_mask_``
    (bool, length n); ``reason_`` (object array, length n, None where not chosen).
    """

    def _set_selection(self, n: int, indices: np.ndarray, reasons: np.ndarray) -> None:
        order = np.argsort(indices, kind="stable")
        self.n_samples_ = n
        self.selected_indices_ = np.asarray(indices, dtype=np.int64)[order]
        self.reasons_ = np.asarray(reasons, dtype=object)[order]
        self.chosen_mask_ = np.zeros(n, dtype=bool)
        self.chosen_mask_[self.selected_indices_] = True
        self.reason_ = np.full(n, None, dtype=object)
        self.reason_[self.selected_indices_] = self.reasons_

    def records(self) -> Iterator[dict[str, Any]]:
        """One dict per example of D in index order: index, chosen, reason, and (where the
        selector clusters) cluster (-1 for D_base) and distance (None for D_base)."""
        cluster = getattr(self, "cluster_", None)
        distance = getattr(self, "distance_", None)
        for i in range(self.n_samples_):
            row: dict[str, Any] = {
                "index": i,
                "chosen": bool(self.chosen_mask_[i]),
                "reason": self.reason_[i],
            }
            if cluster is not None:
                row["cluster"] = int(cluster[i])
                d = float(distance[i])
                row["distance"] = None if np.isnan(d) else d
            yield row


class BaseSplitMixin:
    """D_base / D_remain bookkeeping shared by the selectors that split off a stratified D_base first
    (UCS, SemDeDup): the same random_state gives them the same D_base and the same k-means seed."""

    def split_base(self, tasks: Sequence[Any] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(D_base, D_remain) indices, as ``fit`` would compute them for this random_state.

        Call this first, embed only D_remain, then ``fit(X_remain, tasks, remain_indices=...)``.
        """
        self._check_params()
        if len(tasks) == 0:
            raise ValueError("the dataset is empty (len(tasks) == 0)")
        return stratified_base_split(tasks, self.base_fraction, self._streams()[0])

    def _store_params(self, params: dict[str, Any]) -> None:
        """Keep each ``__init__`` argument (its ``locals()``) as the attribute of its name,
        unchanged, as scikit-learn estimators do; checks run in ``fit``."""
        for name, value in params.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    def _begin_fit(
        self,
        X: np.ndarray,
        tasks: Sequence[Any] | np.ndarray,
        remain_indices: Sequence[int] | np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, np.random.Generator]:
        """The checks and the D_base / D_remain split every ``fit`` starts with:
        (tasks as an array, D_base, D_remain, X_remain, k-means seed, pick stream)."""
        self._check_params()
        tasks = np.asarray(tasks)
        n = len(tasks)
        if n == 0:
            raise ValueError("the dataset is empty (len(tasks) == 0)")
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] == 0:
            raise ValueError(f"X must be a 2-D array (n × d), got shape {X.shape}")
        split_rng, kmeans_seed, pick_rng = self._streams()
        base, remain, X_remain = self._split(X, tasks, remain_indices, split_rng)
        K = int(self.n_clusters)
        if K > len(remain):
            raise ValueError(
                f"n_clusters={K} is larger than |D_remain|={len(remain)} "
                f"(n={n}, base_fraction={self.base_fraction})"
            )
        return tasks, base, remain, X_remain, kmeans_seed, pick_rng

    def _cluster(self, X_remain: np.ndarray, K: int, kmeans_seed: int) -> Any:
        """k-means over D_remain with this selector's distance and kmeans_options."""
        options = {"random_state": kmeans_seed, **(self.kmeans_options or {})}
        return fast_kmeans(X_remain, K, spherical=self.distance == "cosine", **options)

    def _streams(self) -> tuple[np.random.Generator, int, np.random.Generator]:
        """Independent streams for the split, k-means and the random picks, so that
        split_base + fit(X_remain) and fit(X_all) agree for the same random_state."""
        seq = np.random.SeedSequence(self.random_state)
        split, km, pick = seq.spawn(3)
        return (
            np.random.default_rng(split),
            int(km.generate_state(1)[0]),
            np.random.default_rng(pick),
        )

    def _split(
        self,
        X: np.ndarray,
        tasks: np.ndarray,
        remain_indices: Sequence[int] | np.ndarray | None,
        split_rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(tasks)
        if remain_indices is None:
            if len(X) != n:
                raise ValueError(
                    f"X has {len(X)} rows but tasks has {n}; pass remain_indices when X "
                    "holds only the D_remain rows"
                )
            base, remain = stratified_base_split(tasks, self.base_fraction, split_rng)
            X_remain = X if len(base) == 0 else X[remain]
            return base, remain, X_remain
        remain = np.asarray(remain_indices, dtype=np.int64)
        if remain.ndim != 1 or len(remain) != len(X):
            raise ValueError(
                f"remain_indices has {len(remain)} entries but X has {len(X)} rows; they must match"
            )
        if len(remain) and (remain.min() < 0 or remain.max() >= n):
            raise ValueError(f"remain_indices must lie in [0, n={n})")
        mask = np.ones(n, dtype=bool)
        mask[remain] = False
        base = np.flatnonzero(mask)
        if len(base) + len(remain) != n:
            raise ValueError("remain_indices contains duplicates")
        expected = round_half_up(self.base_fraction * n)
        if len(base) != expected:
            raise ValueError(
                f"remain_indices leaves |D_base|={len(base)}, but base_fraction="
                f"{self.base_fraction} of n={n} needs {expected}; use split_base(tasks)"
            )
        return base, remain, X


class UCSSelector(SelectionMixin, BaseSplitMixin):
    """Unsupervised Core-set Selection: D_base ∪ D_c (see docs/deft-method.md).

    Parameters
    ----------
    base_fraction : share of D in D_base, in [0, 1); D_base is stratified by task.
    n_clusters : K, the number of k-means clusters of D_remain.
    per_cluster : A, examples per cluster; or give ``target_size`` / ``target_fraction``
        (exactly one of the three) and A is solved after clustering
        (:func:`solve_per_cluster`): the smallest A reaching the target.
    alpha, beta : shares of A taken nearest to ("easy") and farthest from ("hard") the
        centroid; easy = round(alpha·A), hard = min(round(beta·A), A − easy); the rest
        of A is drawn at random from the cluster's other members. alpha + beta <= 1.
    distance : "cosine" (spherical k-means on L2-normalised rows, cosine distance) or
        "euclidean".
    random_state : int (or None) for reproducible splits, k-means and random picks.
    kmeans_options : extra keyword arguments for :func:`fast_kmeans` (a "random_state"
        there pins the clustering independently of the picks).

    Learned attributes (besides :class:`SelectionMixin`'s): ``base_indices_``,
    ``remain_indices_`` (row i of the clustered X is example remain_indices_[i]),
    ``labels_`` (cluster of each clustered row), ``cluster_centers_``, ``cluster_sizes_``,
    ``per_cluster_`` (A used), ``target_size_`` (or None), ``cluster_`` / ``distance_``
    (length n; -1 / NaN for D_base), ``easy_cutoff_`` (per cluster, largest easy distance,
    NaN if none) and ``hard_cutoff_`` (smallest hard distance, NaN if none), ``inertia_``,
    ``groups_`` (integer group code per example of D when ``fit`` got ``groups``, else None).
    """

    def __init__(
        self,
        base_fraction: float = 0.0,
        n_clusters: int = 7,
        per_cluster: int | None = None,
        alpha: float = 0.0,
        beta: float = 1.0,
        distance: str = "cosine",
        target_size: int | None = None,
        target_fraction: float | None = None,
        random_state: int | None = None,
        kmeans_options: dict[str, Any] | None = None,
    ) -> None:
        self._store_params(locals())

    # ---------------------------------------------------------------- public API
    def fit(
        self,
        X: np.ndarray,
        tasks: Sequence[Any] | np.ndarray,
        remain_indices: Sequence[int] | np.ndarray | None = None,
        groups: Sequence[Any] | np.ndarray | None = None,
    ) -> "UCSSelector":
        """Select D_base ∪ D_c.

        X : embeddings, float (m × d). Either of all n examples (``remain_indices`` None:
            the split is computed here) or only of D_remain, row i being example
            ``remain_indices[i]`` (D_base is then the complement and must have
            round_half_up(base_fraction·n) members).
        tasks : task label of each of the n examples of D.
        groups : optional key of each of the n examples (e.g. its source sentence without the
            instruction). Picks then spread over groups: a row whose group already has a row
            in the selection (D_base included) is taken only once every other candidate group
            of the cluster has one, so A picks are not bundles of one sentence's variants.
            Easy picks still come nearest first and hard ones farthest first within that rule.
        All parameter checks run before any clustering work.
        """
        tasks, base, remain, X_remain, kmeans_seed, pick_rng = self._begin_fit(X, tasks, remain_indices)
        n, K = len(tasks), int(self.n_clusters)
        target = self._target(n, len(base), len(remain))
        codes = None
        if groups is not None:
            if len(groups) != n:
                raise ValueError(f"groups has {len(groups)} entries but tasks has {n}; they must match")
            _, codes = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)

        km = self._cluster(X_remain, K, kmeans_seed)
        sizes = np.bincount(km.labels, minlength=K)
        A = int(self.per_cluster) if target is None else solve_per_cluster(sizes, len(base), target)
        if codes is None:
            picks, why, easy_cut, hard_cut = self._pick(km.labels, km.distances, sizes, A, pick_rng)
        else:
            used = np.bincount(codes[base], minlength=codes.max() + 1)
            picks, why, easy_cut, hard_cut = self._pick(
                km.labels, km.distances, sizes, A, pick_rng, codes[remain], used)
        self.groups_ = None if codes is None else codes

        self.base_indices_ = base
        self.remain_indices_ = remain
        self.labels_ = km.labels
        self.cluster_centers_ = km.centers
        self.cluster_sizes_ = sizes
        self.inertia_ = km.inertia
        self.per_cluster_ = A
        self.target_size_ = target
        self.easy_cutoff_ = easy_cut
        self.hard_cutoff_ = hard_cut
        self.cluster_ = np.full(n, -1, dtype=np.int64)
        self.cluster_[remain] = km.labels
        self.distance_ = np.full(n, np.nan)
        self.distance_[remain] = km.distances
        indices = np.concatenate([base, remain[picks]])
        reasons = np.concatenate([np.full(len(base), "base", dtype=object), why])
        self._set_selection(n, indices, reasons)
        return self

    # ---------------------------------------------------------------- internals
    def _check_params(self) -> None:
        """The parameters shared with the platform are checked by ``selection.params`` (one
        specification, one message); the rest here."""
        for name in ("base_fraction", "alpha", "beta", "n_clusters", "per_cluster", "target_fraction"):
            check_param(name, getattr(self, name))
        check_alpha_beta(self.alpha, self.beta)
        if self.distance not in ("cosine", "euclidean"):
            raise ValueError(f"distance must be 'cosine' or 'euclidean', got distance={self.distance!r}")
        given = [p for p in ("per_cluster", "target_size", "target_fraction") if getattr(self, p) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of per_cluster, target_size, target_fraction; got "
                + (", ".join(f"{p}={getattr(self, p)}" for p in given) or "none")
            )
        if self.target_size is not None and (
            not isinstance(self.target_size, (int, np.integer)) or self.target_size < 1
        ):
            raise ValueError(f"target_size must be an integer >= 1, got target_size={self.target_size}")

    def _target(self, n: int, n_base: int, n_remain: int) -> int | None:
        if self.per_cluster is not None:
            return None
        target = (
            int(self.target_size)
            if self.target_size is not None
            else target_size_for(n, self.target_fraction)
        )
        if target > n:
            raise ValueError(f"target_size={target} exceeds the dataset size n={n}")
        if target <= n_base:
            raise ValueError(
                f"target size {target} is not above |D_base|={n_base} "
                f"(base_fraction={self.base_fraction}); nothing left to select"
            )
        return target

    def _pick(
        self,
        labels: np.ndarray,
        distances: np.ndarray,
        sizes: np.ndarray,
        A: int,
        rng: np.random.Generator,
        codes: np.ndarray | None = None,
        used: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per cluster: easy (nearest), hard (farthest), random (from the middle).

        With ``codes`` (each row's group) and ``used`` (rows of each group already chosen, updated as
        picks are made), rows are ranked first by how many rows of their group are chosen, then by
        distance, so that picks spread over groups. Returns positions into the clustered rows, their
        reasons, and per-cluster easy/hard distance cut-offs.
        """
        n_easy = round_half_up(self.alpha * A)
        n_hard = min(round_half_up(self.beta * A), A - n_easy)
        n_rand = A - n_easy - n_hard
        order = np.lexsort((distances, labels))  # grouped by cluster, nearest first
        starts = np.concatenate([[0], np.cumsum(sizes)])
        K = len(sizes)
        easy_cut = np.full(K, np.nan)
        hard_cut = np.full(K, np.nan)
        picks: list[np.ndarray] = []
        why: list[np.ndarray] = []
        for k in range(K):
            members = order[starts[k] : starts[k + 1]]
            if len(members) <= A:
                picks.append(members)
                why.append(np.full(len(members), "whole_cluster", dtype=object))
                if used is not None:
                    np.add.at(used, codes[members], 1)
                continue
            if used is None:
                easy, hard, rand = _take_by_distance(members, n_easy, n_hard, n_rand, rng)
            else:
                easy, hard, rand = _take_spread(members, n_easy, n_hard, n_rand, rng, codes, used)
            if n_easy:
                easy_cut[k] = distances[easy].max()
            if n_hard:
                hard_cut[k] = distances[hard].min()
            picks += [easy, hard, np.sort(rand)]
            why += [
                np.full(n_easy, "easy", dtype=object),
                np.full(n_hard, "hard", dtype=object),
                np.full(n_rand, "random", dtype=object),
            ]
        if not picks:
            return np.empty(0, np.int64), np.empty(0, object), easy_cut, hard_cut
        return np.concatenate(picks), np.concatenate(why), easy_cut, hard_cut


def _take_by_distance(members: np.ndarray, n_easy: int, n_hard: int, n_rand: int,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Easy, hard and random picks of one cluster's members (nearest first): the nearest, the farthest,
    and a random draw from the middle."""
    easy = members[:n_easy]
    hard = members[len(members) - n_hard :] if n_hard else members[:0]
    middle = members[n_easy : len(members) - n_hard]
    rand = rng.choice(middle, n_rand, replace=False) if n_rand else members[:0]
    return easy, hard, rand


def _take_spread(members: np.ndarray, n_easy: int, n_hard: int, n_rand: int, rng: np.random.Generator,
                 codes: np.ndarray, used: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`_take_by_distance`, each pick preferring rows whose group is least chosen so far."""
    easy = _spread_take(members, n_easy, codes, used)
    left = members[~np.isin(members, easy)]
    hard = _spread_take(left[::-1], n_hard, codes, used)
    left = left[~np.isin(left, hard)]
    rand = _spread_take(rng.permutation(left), n_rand, codes, used)
    return easy, hard, rand


def _spread_take(candidates: np.ndarray, k: int, codes: np.ndarray, used: np.ndarray) -> np.ndarray:
    """The first ``k`` candidates (given in order of preference) by (rows of their group already
    used + earlier candidates of the same group, preference); ``used`` is updated in place."""
    if k == 0:
        return candidates[:0]
    g = codes[candidates]
    key = used[g] + _cumcount(g)
    chosen = candidates[np.argsort(key, kind="stable")[:k]]
    np.add.at(used, codes[chosen], 1)
    return chosen


def _cumcount(values: np.ndarray) -> np.ndarray:
    """For each position, how many earlier positions hold the same value."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    new_run = np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]])
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(values)), 0))
    out = np.empty(len(values), dtype=np.int64)
    out[order] = np.arange(len(values)) - run_start
    return out


def _check_base_fraction(base_fraction: float) -> None:
    check_param("base_fraction", base_fraction)
