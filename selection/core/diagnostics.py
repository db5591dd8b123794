"""Cluster diagnostics for a UCS run, as plain data (no plots, no Django).

Do the k-means clusters follow the tasks (purity, NMI, ARI, task mix)? What do the
embeddings look like in 2-D (PCA)? Where do the easy/hard cut-offs fall in each
cluster's distance distribution? Every function returns numbers/lists a template or
JSON API can render.

Purity alone misleads on skewed data: one cluster holding everything already scores the
majority class's share (0.866 on the CoEDIT stand-in pool, 87 % simplification), so it is
reported beside that baseline (:func:`majority_share`). Clusters may follow the wording of
the instruction ("Fix grammar:", "Simplify:") rather than the task, so agreement is also
measured against the instruction phrasing (:func:`instruction_of`, :func:`agreement`). A
core-set can starve a task even when D_base is stratified: :func:`starved_tasks` flags tasks
whose share of the selection fell well below their share of the pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from selection.core.text import split_instruction

__all__ = [
    "agreement",
    "instruction_of",
    "majority_share",
    "source_spread",
    "starved_tasks",
    "cluster_purity",
    "cluster_task_nmi",
    "cluster_task_ari",
    "task_mix",
    "project_2d",
    "distance_histograms",
    "cluster_report",
]


def _pair(labels: Sequence[int] | np.ndarray, tasks: Sequence[Any] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels, tasks = np.asarray(labels), np.asarray(tasks)
    if labels.shape != tasks.shape or labels.ndim != 1:
        raise ValueError(f"labels and tasks must be 1-D of one length, got {labels.shape} and {tasks.shape}")
    if len(labels) == 0:
        raise ValueError("labels and tasks are empty")
    return labels, tasks


def cluster_purity(labels: Sequence[int] | np.ndarray, tasks: Sequence[Any] | np.ndarray) -> float:
    """Share of examples whose task is their cluster's majority task (1.0 = pure).

    >>> cluster_purity([0, 0, 0, 1, 1], ["a", "a", "b", "b", "b"])
    0.8
    """
    _, _, counts = task_mix(labels, tasks)
    return float(counts.max(axis=1).sum() / counts.sum())


def cluster_task_nmi(labels: Sequence[int] | np.ndarray, tasks: Sequence[Any] | np.ndarray) -> float:
    """Normalised mutual information between clusters and tasks (arithmetic mean norm)."""
    labels, tasks = _pair(labels, tasks)
    return float(normalized_mutual_info_score(tasks, labels))


def cluster_task_ari(labels: Sequence[int] | np.ndarray, tasks: Sequence[Any] | np.ndarray) -> float:
    """Adjusted Rand index between clusters and tasks (0 = chance, 1 = identical)."""
    labels, tasks = _pair(labels, tasks)
    return float(adjusted_rand_score(tasks, labels))


def task_mix(
    labels: Sequence[int] | np.ndarray, tasks: Sequence[Any] | np.ndarray
) -> tuple[list[int], list[Any], np.ndarray]:
    """Counts of each task in each cluster: (clusters, task names, counts[cluster, task]).

    >>> task_mix([1, 1, 0], ["x", "y", "y"])
    ([0, 1], ['x', 'y'], array([[0, 1],
           [1, 1]]))
    """
    labels, tasks = _pair(labels, tasks)
    clusters, ci = np.unique(labels, return_inverse=True)
    names, ti = np.unique(tasks, return_inverse=True)
    counts = np.zeros((len(clusters), len(names)), dtype=np.int64)
    np.add.at(counts, (ci, ti), 1)
    return [int(c) for c in clusters], names.tolist(), counts


def project_2d(
    X: np.ndarray, *, max_points: int = 5000, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """PCA to 2-D of at most ``max_points`` rows (a seeded uniform subsample for big n).

    Returns (row indices used, sorted; coordinates n_used × 2). The component signs are
    fixed (largest-magnitude loading positive) so repeated calls give identical output.
    """
    X = np.asarray(X)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X must be a non-empty 2-D array, got shape {X.shape}")
    n = len(X)
    idx = np.arange(n) if n <= max_points else np.sort(
        np.random.default_rng(random_state).choice(n, max_points, replace=False)
    )
    Y = np.asarray(X[idx], dtype=np.float64)
    # Full SVD: exact and deterministic; scikit-learn flips each component so its largest loading is positive.
    with np.errstate(divide="ignore", invalid="ignore"):  # one row: no variance to explain, coordinates 0
        coords = PCA(n_components=min(2, *Y.shape), svd_solver="full").fit_transform(Y)
    if coords.shape[1] < 2:  # one-dimensional data: pad a zero axis
        coords = np.hstack([coords, np.zeros((len(coords), 2 - coords.shape[1]))])
    return idx, coords


def distance_histograms(
    labels: Sequence[int] | np.ndarray,
    distances: Sequence[float] | np.ndarray,
    *,
    easy_cutoff: Sequence[float] | np.ndarray | None = None,
    hard_cutoff: Sequence[float] | np.ndarray | None = None,
    bins: int = 20,
) -> list[dict[str, Any]]:
    """Per cluster: histogram of member distances to the centroid, with cut-offs.

    Pass a fitted UCSSelector's ``labels_``, ``distance_[remain_indices_]`` and its
    ``easy_cutoff_``/``hard_cutoff_``. Each dict: cluster, size, bin_edges (bins+1),
    counts (bins), easy_cutoff, hard_cutoff (None when that cluster has none).
    """
    labels = np.asarray(labels)
    distances = np.asarray(distances, dtype=np.float64)
    if labels.shape != distances.shape:
        raise ValueError(f"labels {labels.shape} and distances {distances.shape} differ in shape")
    K = int(labels.max()) + 1 if len(labels) else 0
    out = []
    for k in range(K):
        d = distances[labels == k]
        counts, edges = np.histogram(d, bins=bins) if len(d) else (np.zeros(bins, int), np.zeros(bins + 1))
        out.append(
            {
                "cluster": k,
                "size": int(len(d)),
                "bin_edges": edges.tolist(),
                "counts": counts.astype(int).tolist(),
                "easy_cutoff": _opt(easy_cutoff, k),
                "hard_cutoff": _opt(hard_cutoff, k),
            }
        )
    return out


def cluster_report(labels: Sequence[int] | np.ndarray, tasks: Sequence[Any] | np.ndarray) -> dict[str, Any]:
    """Purity, NMI, ARI and task mix in one JSON-ready dict."""
    clusters, names, counts = task_mix(labels, tasks)
    return {
        "purity": cluster_purity(labels, tasks),
        "nmi": cluster_task_nmi(labels, tasks),
        "ari": cluster_task_ari(labels, tasks),
        "clusters": clusters,
        "tasks": names,
        "counts": counts.tolist(),
    }


def majority_share(classes: Sequence[Any] | np.ndarray) -> float:
    """Share of the commonest class: the purity a single cluster holding everything gets.

    >>> majority_share(["a", "a", "a", "b"])
    0.75
    """
    classes = np.asarray(classes)
    if len(classes) == 0:
        raise ValueError("classes is empty")
    _, counts = np.unique(classes, return_counts=True)
    return float(counts.max() / len(classes))


def agreement(labels: Sequence[int] | np.ndarray, classes: Sequence[Any] | np.ndarray) -> dict[str, Any]:
    """How well clusters follow a labelling: purity with its majority-class baseline, NMI, ARI.

    ``purity_lift`` is (purity − baseline) / (1 − baseline): 0 when clusters do no better than
    one big cluster, 1 when they are pure (None when one class holds everything).
    """
    purity = cluster_purity(labels, classes)
    baseline = majority_share(classes)
    return {
        "purity": purity,
        "purity_baseline": baseline,
        "purity_lift": (purity - baseline) / (1 - baseline) if baseline < 1 else None,
        "nmi": cluster_task_nmi(labels, classes),
        "ari": cluster_task_ari(labels, classes),
        "n_classes": int(len(np.unique(np.asarray(classes)))),
    }


def instruction_of(src: str) -> str:
    """The instruction phrasing of a CoEDIT-style source, lower-cased ("Fix grammar: she go" ->
    "fix grammar"); "" when it starts with none of CoEDIT's phrasings (a colon alone is no instruction).

    >>> instruction_of("Make this easier to read: The cat sat.")
    'make this easier to read'
    >>> instruction_of("The spacecraft consists of two main elements: the orbiter and the probe.")
    ''
    """
    return split_instruction(src)[0].lower()


def starved_tasks(
    tasks: Sequence[Any] | np.ndarray,
    chosen: Sequence[bool] | np.ndarray,
    *,
    ratio: float = 0.5,
) -> list[dict[str, Any]]:
    """Tasks whose share of the selection is below ``ratio`` × their share of the pool.

    Returns one dict per such task (task, pool_share, chosen_share, ratio, pool, chosen),
    most starved first. A task absent from the selection has ratio 0.
    """
    tasks, chosen = np.asarray(tasks), np.asarray(chosen, dtype=bool)
    if tasks.shape != chosen.shape:
        raise ValueError(f"tasks {tasks.shape} and chosen {chosen.shape} differ in shape")
    n, m = len(tasks), int(chosen.sum())
    if n == 0 or m == 0:
        return []
    out = []
    for task in np.unique(tasks):
        in_pool = int(np.sum(tasks == task))
        in_sel = int(np.sum(chosen & (tasks == task)))
        pool_share, chosen_share = in_pool / n, in_sel / m
        r = chosen_share / pool_share
        if r < ratio:
            out.append({"task": task.item() if hasattr(task, "item") else task, "pool_share": pool_share,
                        "chosen_share": chosen_share, "ratio": r, "pool": in_pool, "chosen": in_sel})
    return sorted(out, key=lambda row: row["ratio"])


def source_spread(groups: Sequence[Any] | np.ndarray, chosen: Sequence[bool] | np.ndarray) -> dict[str, Any]:
    """How many distinct source sentences the selection covers: rows chosen, distinct sources
    among them, rows per source (1.0 = no source twice), and the pool's distinct sources."""
    groups, chosen = np.asarray(groups), np.asarray(chosen, dtype=bool)
    rows = int(chosen.sum())
    distinct = int(len(np.unique(groups[chosen]))) if rows else 0
    return {"rows": rows, "distinct_sources": distinct, "rows_per_source": rows / distinct if distinct else None,
            "pool_sources": int(len(np.unique(groups)))}


def _opt(values: Sequence[float] | np.ndarray | None, k: int) -> float | None:
    if values is None:
        return None
    v = float(values[k])
    return None if np.isnan(v) else v
