"""selection.core.sampling.stratified_sample: the one stratified sampler (UCS, baselines, studies, reproduction)."""

from __future__ import annotations

import numpy as np
import pytest

from selection.core.sampling import stratified_sample


def shares_within_one(tasks, picked, size):
    tasks = np.asarray(tasks)
    for t in np.unique(tasks):
        want = size * np.mean(tasks == t)
        got = np.sum(tasks[picked] == t)
        assert abs(got - want) < 1, (t, got, want)


def test_stratified_sample_with_many_small_tasks():
    tasks = np.repeat(np.arange(37), np.arange(1, 38))  # task t has t+1 examples
    picked = stratified_sample(tasks, 100, random_state=0)
    assert len(picked) == len(np.unique(picked)) == 100
    shares_within_one(tasks, picked, 100)


def test_same_seed_same_sample_and_every_member_drawn_inside_its_task():
    tasks = np.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    first = stratified_sample(tasks, 10, random_state=7)
    assert np.array_equal(first, stratified_sample(tasks, 10, random_state=7))
    assert sorted(tasks[first].tolist()) == ["a"] * 5 + ["b"] * 3 + ["c"] * 2
    assert np.all(np.diff(first) > 0)  # sorted indices
    other = [stratified_sample(tasks, 10, random_state=s).tolist() for s in range(5)]
    assert len({tuple(o) for o in other}) > 1  # the seed matters


@pytest.mark.parametrize("size", [0, 100])
def test_edges(size):
    tasks = ["a"] * 60 + ["b"] * 40
    assert len(stratified_sample(tasks, size, random_state=0)) == size


@pytest.mark.parametrize("size", [-1, 101])
def test_size_outside_the_data_is_refused(size):
    with pytest.raises(ValueError, match="size must be in"):
        stratified_sample(["a"] * 60 + ["b"] * 40, size, random_state=0)
