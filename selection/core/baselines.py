"""Baseline selectors of a chosen size, with UCSSelector's fit interface and attributes.

Compare UCS against them at the same size: ``size=len(ucs.selected_indices_)``.
No Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .sampling import stratified_sample
from .ucs import SelectionMixin, round_half_up

__all__ = ["RandomSelector", "StratifiedRandomSelector"]

#: Why an example is in a baseline selection.
REASONS = ("random",)


class _SizedSelector(SelectionMixin):
    """Shared parameters: exactly one of ``size`` (examples) or ``fraction`` (of n)."""

    def __init__(
        self, size: int | None = None, fraction: float | None = None, random_state: Any = None
    ) -> None:
        self.size = size
        self.fraction = fraction
        self.random_state = random_state

    def _size_for(self, n: int) -> int:
        if (self.size is None) == (self.fraction is None):
            raise ValueError(
                f"give exactly one of size, fraction; got size={self.size}, fraction={self.fraction}"
            )
        if n == 0:
            raise ValueError("the dataset is empty (len(tasks) == 0)")
        if self.fraction is not None:
            if not 0 < self.fraction <= 1:
                raise ValueError(f"fraction must be in (0, 1], got fraction={self.fraction}")
            return round_half_up(self.fraction * n)
        if not isinstance(self.size, (int, np.integer)) or not 1 <= self.size <= n:
            raise ValueError(f"size must be an integer in [1, n={n}], got size={self.size}")
        return int(self.size)

    def fit(
        self,
        X: np.ndarray | None,
        tasks: Sequence[Any] | np.ndarray,
        remain_indices: Sequence[int] | np.ndarray | None = None,
    ) -> "_SizedSelector":
        """Pick the subset. X is ignored (accepted for interface parity, may be None);
        ``remain_indices`` is ignored too: baselines draw from all of D."""
        tasks = np.asarray(tasks)
        n = len(tasks)
        size = self._size_for(n)
        idx = self._draw(tasks, size, np.random.default_rng(self.random_state))
        self._set_selection(n, idx, np.full(len(idx), REASONS[0], dtype=object))
        return self

    def _draw(self, tasks: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError


class RandomSelector(_SizedSelector):
    """Uniform random subset of D of the given size (no stratification)."""

    def _draw(self, tasks: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        return rng.choice(len(tasks), size, replace=False)


class StratifiedRandomSelector(_SizedSelector):
    """Random subset stratified by task: each task keeps its share of D to within one."""

    def _draw(self, tasks: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        return stratified_sample(tasks, size, rng)
