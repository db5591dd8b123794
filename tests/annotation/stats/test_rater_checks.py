"""Per-rater reliability tests (annotation/stats/rater_checks.py): self-consistency on repeats, Appraise's
degraded-copy test, WMT z-scores, and the minimum-n rule that makes each say "too little data"."""
from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.stats import binomtest, wilcoxon

from annotation.stats.rater_checks import (
    answer_chance,
    degraded_test,
    min_n_for,
    self_consistency,
    shown_counts,
    z_scores,
)


def test_min_n_is_the_fewest_observations_a_perfect_record_needs():
    assert min_n_for(0.05, 0.5) == 5  # 0.5**4 = 0.0625 > 0.05 >= 0.5**5
    assert min_n_for(0.01, 0.5) == 7
    assert 0.25 ** (min_n_for(0.05, 0.25) - 1) >= 0.05 > 0.25 ** min_n_for(0.05, 0.25)


def test_chance_agreement_of_a_rater_who_ignores_the_texts():
    # Half left, half right, never a tie: a rater who ignores the texts names each system half the time.
    assert answer_chance({"left": 5, "right": 5}) == pytest.approx(0.5)
    # Always left is no more consistent by chance than left/right at random: sides are randomised.
    assert answer_chance({"left": 10}) == pytest.approx(0.5)
    assert answer_chance({"left": 1, "right": 1, "tie": 1, "both_bad": 1}) == pytest.approx(0.25)
    assert answer_chance({}) is None


def test_a_consistent_rater_passes_and_a_random_one_fails():
    rng = random.Random(1)
    first = [rng.choice("ab") for _ in range(12)]
    careful = self_consistency(first, list(first), chance=0.5)
    assert careful["share_same"] == 1.0 and careful["failed"] is False
    assert careful["kappa"] == pytest.approx(1.0)
    assert careful["p_value"] == pytest.approx(binomtest(12, 12, 0.5, alternative="greater").pvalue)
    noisy = [rng.choice(["a", "b", "tie", "both_bad"]) for _ in range(40)]
    again = [rng.choice(["a", "b", "tie", "both_bad"]) for _ in range(40)]
    random_rater = self_consistency(noisy, again, chance=0.25)
    assert random_rater["failed"] is True and random_rater["share_same"] < 0.5


def test_too_few_repeats_are_undecided_not_failed():
    out = self_consistency(["a", "a", "b"], ["a", "a", "b"], chance=0.5)
    assert out["failed"] is None and out["p_value"] is None
    assert "at least 5" in out["reason"] and out["share_same"] == 1.0


def test_degraded_sign_test_is_the_exact_binomial():
    prefs = [True] * 9 + [False]
    out = degraded_test(preferences=prefs)
    assert out["test"] == "sign" and out["failed"] is False
    assert out["p_value"] == pytest.approx(binomtest(9, 10, 0.5, alternative="greater").pvalue)
    # A rater who cannot tell the copy apart (ties count against) fails.
    assert degraded_test(preferences=[True, False] * 6)["failed"] is True
    assert degraded_test(preferences=[True] * 4)["failed"] is None  # 0.5**4 > 0.05: too little data


def test_degraded_wilcoxon_on_likert_differences():
    diffs = [2, 1, 3, 0, 1, 2, 1, -1]
    out = degraded_test(differences=diffs)
    assert out["test"] == "wilcoxon_signed_rank" and out["n_zero"] == 1 and out["n"] == 7
    expected = wilcoxon([d for d in diffs if d], alternative="greater").pvalue
    assert out["p_value"] == pytest.approx(expected) and out["failed"] is False
    rng = np.random.default_rng(0)
    noise = list(rng.integers(-3, 4, size=30))
    assert degraded_test(differences=noise)["failed"] is True
    assert degraded_test(differences=[1, 1, 0, 0, 2])["failed"] is None  # 3 non-zero differences


def test_z_scores_standardise_each_rater_and_drop_the_undefined():
    rows = [("harsh", 1, "x", 2), ("harsh", 2, "y", 1), ("harsh", 3, "x", 3),
            ("lenient", 1, "x", 5), ("lenient", 2, "y", 4), ("lenient", 3, "x", 5),
            ("flat", 1, "x", 3), ("flat", 2, "y", 3), ("once", 1, "x", 4)]
    z, dropped = z_scores(rows)
    assert set(dropped) == {"flat", "once"}
    for rater in ("harsh", "lenient"):
        mine = [v for r, _, _, v in z if r == rater]
        assert np.mean(mine) == pytest.approx(0) and np.std(mine) == pytest.approx(1)
    # Raw means differ by the raters' leniency; on the z scale both put x above y.
    by = {(r, i): v for r, i, _, v in z}
    assert by[("harsh", 2)] < 0 and by[("lenient", 2)] < 0


def test_shown_counts_ignore_blank_answers():
    assert shown_counts(["left", "", "tie", "left"]) == {"left": 2, "tie": 1}
