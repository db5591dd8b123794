"""The platform's one stratified sampler (no Django): a sample that keeps every task's share.

Used by UCS and the baselines (D_base and the stratified subset), by a study's choice of examples
(``annotation.services.studies``) and by the reproduction's cut of a large training pool.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["stratified_sample"]


def stratified_sample(
    tasks: Sequence[Any] | np.ndarray, size: int, random_state: Any = None
) -> np.ndarray:
    """Sorted indices of a sample of ``size`` examples, stratified by task.

    Each task t of n_t examples gets floor or ceil of size·n_t/n (largest remainders get
    the ceilings, ties broken at random), so every task keeps its share to within one
    example; members are drawn uniformly inside each task.
    """
    tasks = np.asarray(tasks)
    n = len(tasks)
    if not 0 <= size <= n:
        raise ValueError(f"size must be in [0, n={n}], got size={size}")
    rng = np.random.default_rng(random_state)
    names, inverse, counts = np.unique(tasks, return_inverse=True, return_counts=True)
    quota = size * counts / n
    alloc = np.floor(quota).astype(np.int64)
    short = size - int(alloc.sum())
    if short:
        frac = quota - alloc
        tie = rng.random(len(names))
        alloc[np.lexsort((tie, -frac))[:short]] += 1
    by_task = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    picked = [
        rng.choice(by_task[starts[t] : starts[t + 1]], alloc[t], replace=False)
        for t in range(len(names))
    ]
    return np.sort(np.concatenate(picked)).astype(np.int64) if picked else np.empty(0, np.int64)
