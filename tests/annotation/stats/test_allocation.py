"""Adaptive allocation and the sequential stopping rule (annotation.stats.allocation), on simulated studies
with known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import betaln

from annotation.stats.allocation import (
    PRIOR,
    ItemState,
    confidence_sequence,
    item_label,
    item_settled,
    log_evidence,
    next_items,
    open_risk,
    pair_status,
    study_status,
)
from annotation.stats.allocation_sim import fixed_decisions, simulate_study, vote_streams

P = ("x", "y")


def st(item, a=0, b=0, ties=0, order=None, pending=0, raters=(), pair=P):
    return ItemState(item=item, pair=pair, order=item if order is None else order, a=a, b=b, ties=ties,
                     pending=pending, raters=frozenset(raters))


def test_curtailment_settles_exactly_when_the_k_vote_majority_cannot_change():
    assert item_settled(st(1, a=2), 3) and item_label(st(1, a=2)) == 1
    assert not item_settled(st(1, a=1, b=1), 3)
    assert not item_settled(st(1, a=1), 3)
    assert item_settled(st(1, a=1, b=1, ties=1), 3) and item_label(st(1, a=1, b=1, ties=1)) == 0
    assert not item_settled(st(1, a=2, b=1), 5) and item_settled(st(1, a=3), 5)
    # exhaustive: a settled prefix of any 5-vote stream has the label of the whole stream
    for code in range(3 ** 5):
        votes = [(code // 3 ** i) % 3 - 1 for i in range(5)]
        full = (votes.count(1) > votes.count(-1)) - (votes.count(-1) > votes.count(1))
        for m in range(6):
            head = votes[:m]
            s = st(0, a=head.count(1), b=head.count(-1), ties=head.count(0))
            if item_settled(s, 5):
                assert item_label(s) == full


def test_open_risk_orders_unrated_and_split_items_before_leaning_ones():
    assert open_risk(st(1), 3) == 1.0
    assert open_risk(st(1, a=2), 3) == 0.0
    split, leaning = open_risk(st(1, a=1, b=1), 3), open_risk(st(1, a=1), 3)
    assert split > leaning > 0
    assert leaning == pytest.approx(1 / 6)  # Beta(2, 1) predictive: two more b-votes with prob 1/2 * 1/3


def test_confidence_sequence_is_the_sublevel_set_of_the_mixture():
    lo, hi = confidence_sequence(30, 40, 0.05)
    assert lo < 30 / 40 < hi
    bound = math.log(20)
    for p in (lo, hi):
        assert log_evidence(30, 40, p) == pytest.approx(bound, abs=1e-6)
    assert log_evidence(30, 40, (lo + hi) / 2) < bound
    assert confidence_sequence(0, 0) == (0.0, 1.0)
    # closed form of the mixture for a check: B(c+S, c+F)/B(c, c) / (p^S (1-p)^F)
    c = PRIOR
    assert log_evidence(7, 10, 0.5) == pytest.approx(betaln(c + 7, c + 3) - betaln(c, c) - 10 * math.log(0.5))


def test_confidence_sequence_stays_valid_under_continuous_monitoring():
    """Under p = 0.5, the share of sequences whose interval ever excludes 0.5 in 300 looks is at most alpha
    (Ville's inequality), while a fixed 95% interval checked at every look is fooled far more often."""
    rng = np.random.default_rng(0)
    alpha, n_seq, n = 0.05, 4000, 300
    x = rng.random((n_seq, n)) < 0.5
    wins = np.cumsum(x, axis=1)
    t = np.arange(1, n + 1)
    log_m = betaln(PRIOR + wins, PRIOR + t - wins) - betaln(PRIOR, PRIOR) - t * math.log(0.5)
    ever = (log_m >= math.log(1 / alpha)).any(axis=1).mean()
    assert ever <= alpha
    z = (wins - t / 2) / np.sqrt(t / 4)
    naive = (np.abs(z[:, 9:]) > 1.96).any(axis=1).mean()  # the fixed-sample test, looked at every time
    assert naive > 3 * alpha


def test_pair_status_counts_only_the_settled_prefix_in_seeded_order():
    states = [st(0, a=2), st(1, a=1), st(2, a=2), st(3, b=2)]
    s = pair_status(states, 3, 0.05)
    assert (s.prefix, s.settled, s.decisive, s.wins) == (1, 3, 1, 1)
    assert s.winner is None and s.more_ratings is None  # three items left cannot reach the evidence needed
    many = [st(i, a=2) for i in range(8)] + [st(8 + i) for i in range(40)]
    s = pair_status(many, 3, 0.05)
    assert s.prefix == 8 and s.winner is None and 0 < s.more_ratings < 40 * 3


def test_the_last_look_keeps_its_share_of_alpha_for_one_exact_sign_test():
    # 17 of 22 settled items won by x: the sequence (at alpha/2) does not exclude 0.5, the final test does
    states = [st(i, a=2) for i in range(17)] + [st(17 + i, b=2) for i in range(5)]
    s = pair_status(states, 3, 0.05)
    assert s.ci[0] < 0.5 and s.final_p < 0.025 and s.winner == "x" and s.rule == "final sign test"
    early = [st(i, b=2) for i in range(5)] + [st(5 + i, a=2) for i in range(12)] + [st(17 + i) for i in range(5)]
    half = pair_status(early, 3, 0.05)  # not every item settled yet: no final test
    assert half.winner is None and half.final_p is None


def test_a_clear_pair_is_decided_and_gets_nothing_beyond_the_floor():
    states = [st(i, a=2) for i in range(25)] + [st(25 + i) for i in range(5)]
    s = pair_status(states, 3, 0.05, floor=1)
    assert s.winner == "x" and s.ci[0] > 0.5
    assert s.more_ratings == 5  # the floor of the 5 unrated items
    order = next_items(states, "r", 3, floor=1)
    assert order == [25, 26, 27, 28, 29]
    rated = [st(i, a=2) for i in range(25)] + [st(25 + i, a=1) for i in range(5)]
    assert next_items(rated, "r", 3, floor=1) == []
    verdict = study_status(rated, 3, 0.05, floor=1)
    assert verdict["stop"] and verdict["message"].startswith("Enough evidence: stop")


def test_next_items_floor_first_then_the_most_open_items_never_a_rater_twice_or_over_the_ceiling():
    states = [st(0, a=1, b=1, raters={"r"}), st(1, a=1), st(2, a=1, b=1), st(3), st(4, a=2), st(5, a=1, pending=2)]
    order = next_items(states, "r", 3, floor=1)
    assert order[0] == 3                 # below the floor
    assert 0 not in order                # r has held it
    assert 4 not in order                # settled
    assert 5 not in order                # no free seat (1 vote + 2 reserved = k)
    assert order.index(2) < order.index(1)  # split before leaning
    undecided = study_status(states, 3)
    assert not undecided["stop"] and "more ratings expected" in undecided["message"] or "may not" in undecided["message"]


def test_simulated_studies_adaptive_saves_ratings_and_agrees_with_fixed_k():
    """A few seeded simulated studies with known truth (the bench runs hundreds: bench/bench_adaptive.py)."""
    for seed in range(3):
        clear = simulate_study(n_examples=60, p_a=0.85, seed=seed)
        assert clear.truth == clear.fixed == clear.adaptive == {("s0", "s1"): "a"}
        assert clear.adaptive_ratings < 0.7 * clear.fixed_ratings
        null = simulate_study(n_examples=60, p_a=0.5, seed=seed)
        assert null.adaptive == {("s0", "s1"): None}
        # curtailment alone: every item settled, fewer ratings than k per item
        assert 60 <= null.adaptive_ratings < null.fixed_ratings
    three = simulate_study(n_examples=40, p_a=0.9, n_systems=3, seed=1)
    assert three.adaptive == three.fixed == three.truth and three.adaptive_ratings < three.fixed_ratings


def test_fixed_decisions_use_the_k_vote_labels():
    streams = vote_streams(50, {("s0", "s1"): 1.0}, 3, seed=4)
    assert fixed_decisions(streams, {("s0", "s1"): 1.0}, 0.05) == {("s0", "s1"): "a"}
    streams = {(i, ("s0", "s1")): [1, -1, 0] for i in range(50)}
    assert fixed_decisions(streams, {("s0", "s1"): 0.5}, 0.05) == {("s0", "s1"): None}
