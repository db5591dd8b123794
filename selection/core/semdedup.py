"""SemDeDup (Abbas et al., 2023): drop semantic near-duplicates inside k-means clusters. No Django.

Why clusters: near-duplicates sit close together, so comparing each example only with the
members of its own cluster finds almost all of them at a cost of Σ_k |C_k|² instead of n².

Per cluster, members are ordered nearest the centroid first (ties by index); a member is
dropped when its cosine similarity to any member earlier in that order exceeds 1 − eps.
So from each group of duplicates the member nearest the centroid stays (the paper's rule;
a chain a~b~c with a≁c drops b and c when a is nearest). Similarities are computed in row
blocks of at most ``chunk_elements`` entries, so memory stays bounded for big clusters.

Same path as :class:`~selection.core.ucs.UCSSelector`::

    sel = SemDeDupSelector(base_fraction=0.1, n_clusters=7, eps=0.05, random_state=0)
    base, remain = sel.split_base(tasks)
    sel.fit(embedder.embed([texts[i] for i in remain]), tasks, remain_indices=remain)
    sel.selected_indices_, sel.reason_   # "base" for D_base, "kept" for kept non-duplicates
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from selection.params import check_param

from .ucs import BaseSplitMixin, SelectionMixin

__all__ = ["SemDeDupSelector", "cluster_duplicates"]

#: Largest similarity block (rows × columns) held at once: 4M float32 = 16 MB.
CHUNK_ELEMENTS = 4_000_000
#: Why an example is in a SemDeDup selection: in D_base, or kept as no near-duplicate of an earlier one.
REASONS = ("base", "kept")


def cluster_duplicates(
    X: np.ndarray, eps: float, chunk_elements: int = CHUNK_ELEMENTS
) -> np.ndarray:
    """For rows of X already in priority order, the earlier row each one duplicates, or -1.

    Row j duplicates row i < j when cos(x_i, x_j) > 1 − eps; the returned i is the most
    similar earlier row. Rows with -1 are kept. Zero rows have similarity 0 to everything.
    """
    m = len(X)
    out = np.full(m, -1, dtype=np.int64)
    if m < 2:
        return out
    Xn = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(Xn, axis=1, keepdims=True)
    Xn = Xn / np.where(norms > 0, norms, 1.0)
    threshold = 1.0 - eps
    rows = max(1, int(chunk_elements) // m)
    for a in range(1, m, rows):
        b = min(m, a + rows)
        sim = Xn[a:b] @ Xn[:b].T  # (b−a) × b: each row against itself and all earlier rows
        sim[np.arange(b - a)[:, None] <= np.arange(b)[None, :] - a] = -np.inf  # keep only i < j
        best = sim.argmax(axis=1)
        hit = sim[np.arange(b - a), best] > threshold
        out[a:b][hit] = best[hit]
    return out


class SemDeDupSelector(SelectionMixin, BaseSplitMixin):
    """SemDeDup: D_base ∪ (D_remain without near-duplicates); see the module docstring.

    Parameters
    ----------
    base_fraction : share of D in D_base, in [0, 1); stratified by task, always kept.
    n_clusters : K, the number of k-means clusters of D_remain.
    eps : duplicates have cosine similarity above 1 − eps; in (0, 1).
    distance : "cosine" (spherical k-means) or "euclidean" for the clustering and the
        centroid distances; duplicates are always judged by cosine similarity.
    random_state : int (or None) for the split and k-means.
    kmeans_options : extra keyword arguments for :func:`fast_kmeans`.

    Learned attributes (besides :class:`SelectionMixin`'s, reasons "base" / "kept"):
    ``base_indices_``, ``remain_indices_``, ``labels_``, ``cluster_centers_``,
    ``cluster_sizes_``, ``inertia_``, ``cluster_`` / ``distance_`` (length n; -1 / NaN for
    D_base), ``duplicate_of_`` (length n: the example a dropped one duplicates, else -1),
    ``removed_per_cluster_`` (dropped count per cluster), ``n_removed_``.
    """

    def __init__(
        self,
        base_fraction: float = 0.0,
        n_clusters: int = 7,
        eps: float = 0.05,
        distance: str = "cosine",
        random_state: int | None = None,
        kmeans_options: dict[str, Any] | None = None,
    ) -> None:
        self._store_params(locals())

    def fit(
        self,
        X: np.ndarray,
        tasks: Sequence[Any] | np.ndarray,
        remain_indices: Sequence[int] | np.ndarray | None = None,
    ) -> "SemDeDupSelector":
        """Cluster D_remain and drop its near-duplicates. X holds all n rows, or only the
        D_remain rows with ``remain_indices`` (as for UCSSelector.fit)."""
        tasks, base, remain, X_remain, kmeans_seed, _ = self._begin_fit(X, tasks, remain_indices)
        n, K = len(tasks), int(self.n_clusters)
        km = self._cluster(X_remain, K, kmeans_seed)
        dup = self._duplicates(X_remain, km.labels, km.distances, K)

        self.base_indices_ = base
        self.remain_indices_ = remain
        self.labels_ = km.labels
        self.cluster_centers_ = km.centers
        self.cluster_sizes_ = np.bincount(km.labels, minlength=K)
        self.inertia_ = km.inertia
        self.removed_per_cluster_ = np.bincount(km.labels[dup >= 0], minlength=K)
        self.n_removed_ = int(np.sum(dup >= 0))
        self.cluster_ = np.full(n, -1, dtype=np.int64)
        self.cluster_[remain] = km.labels
        self.distance_ = np.full(n, np.nan)
        self.distance_[remain] = km.distances
        self.duplicate_of_ = np.full(n, -1, dtype=np.int64)
        self.duplicate_of_[remain[dup >= 0]] = remain[dup[dup >= 0]]
        kept = remain[dup < 0]
        indices = np.concatenate([base, kept])
        reasons = np.concatenate(
            [np.full(len(base), REASONS[0], dtype=object), np.full(len(kept), REASONS[1], dtype=object)]
        )
        self._set_selection(n, indices, reasons)
        return self

    # ---------------------------------------------------------------- internals
    def _duplicates(
        self, X: np.ndarray, labels: np.ndarray, distances: np.ndarray, K: int
    ) -> np.ndarray:
        """Per clustered row: the clustered row it duplicates, or -1."""
        dup = np.full(len(X), -1, dtype=np.int64)
        order = np.lexsort((np.arange(len(X)), distances, labels))  # by cluster, nearest first
        starts = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=K))])
        for k in range(K):
            members = order[starts[k] : starts[k + 1]]
            local = cluster_duplicates(X[members], self.eps)
            dup[members[local >= 0]] = members[local[local >= 0]]
        return dup

    def _check_params(self) -> None:
        for name in ("base_fraction", "n_clusters", "eps"):  # one specification: selection.params
            check_param(name, getattr(self, name))
        if self.distance not in ("cosine", "euclidean"):
            raise ValueError(f"distance must be 'cosine' or 'euclidean', got distance={self.distance!r}")
        if self.kmeans_options is not None and not isinstance(self.kmeans_options, dict):
            raise ValueError(f"kmeans_options must be a dict or None, got {self.kmeans_options!r}")
