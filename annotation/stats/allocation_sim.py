"""Simulated pairwise studies with known truth, run under the fixed-k and the adaptive design (no Django).

The rater model is the one of ``annotation.services.simulation`` (``simulate_raters``): each item has a seeded true
winner (system a with probability ``p_a`` for its pair), a careful rater answers "tie" 5 % of the time and
otherwise follows the item's truth 90 % of the time. Every item has one seeded stream of ``cap`` votes; the
fixed design uses all of them, the adaptive one the first few its allocation asks for, so both designs see the
same votes and an item settled early has exactly the label the fixed design gives it.

Decisions: the fixed design tests each pair once, at the end, with an exact two-sided sign test on the items'
majority labels (ties dropped) at alpha split over the pairs; the adaptive design decides a pair when its
always-valid confidence sequence excludes 0.5 (see :mod:`annotation.stats.allocation`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

from scipy import stats

from .allocation import DEFAULT_ALPHA, DEFAULT_WINDOW, ItemState, item_label, next_items, study_status

FOLLOW_TRUTH = 0.9
TIE_RATE = 0.05

__all__ = ["SimResult", "fixed_decisions", "simulate_study", "vote_streams"]


def vote_streams(n_examples: int, pairs: dict[tuple[str, str], float], cap: int,
                 seed: int) -> dict[tuple[int, tuple[str, str]], list[int]]:
    """(example, pair) -> ``cap`` seeded votes: +1 for a, -1 for b, 0 for a tie."""
    rng = random.Random(seed)
    out = {}
    for ex in range(n_examples):
        for pair, p_a in pairs.items():
            truth = 1 if rng.random() < p_a else -1
            votes = []
            for _ in range(cap):
                if rng.random() < TIE_RATE:
                    votes.append(0)
                else:
                    votes.append(truth if rng.random() < FOLLOW_TRUTH else -truth)
            out[(ex, pair)] = votes
    return out


def _state(item: int, pair: tuple[str, str], order: int, votes: list[int], raters: frozenset) -> ItemState:
    return ItemState(item=item, pair=pair, order=order, a=votes.count(1), b=votes.count(-1), ties=votes.count(0),
                     raters=raters)


def truth_of(p_a: float) -> str | None:
    return "a" if p_a > 0.5 else "b" if p_a < 0.5 else None


def fixed_decisions(streams: dict, pairs: dict, alpha: float) -> dict[tuple[str, str], str | None]:
    """Per pair: "a", "b" or None from the exact sign test on k-vote item labels at alpha / n_pairs."""
    per = alpha / len(pairs)
    out = {}
    for pair in pairs:
        labels = [item_label(_state(0, pair, 0, v, frozenset())) for (ex, p), v in streams.items() if p == pair]
        wins, losses = labels.count(1), labels.count(-1)
        if wins + losses == 0:
            out[pair] = None
            continue
        pv = stats.binomtest(wins, wins + losses, 0.5).pvalue
        out[pair] = (("a" if wins > losses else "b") if pv < per else None)
    return out


@dataclass(frozen=True)
class SimResult:
    pairs: dict[tuple[str, str], float]
    truth: dict[tuple[str, str], str | None]
    fixed: dict[tuple[str, str], str | None]
    adaptive: dict[tuple[str, str], str | None]
    fixed_ratings: int
    adaptive_ratings: int
    stopped_early: bool

    def to_dict(self) -> dict[str, Any]:
        key = lambda p: f"{p[0]}-{p[1]}"  # noqa: E731
        return {"pairs": {key(p): v for p, v in self.pairs.items()},
                "truth": {key(p): v for p, v in self.truth.items()},
                "fixed": {key(p): v for p, v in self.fixed.items()},
                "adaptive": {key(p): v for p, v in self.adaptive.items()},
                "fixed_ratings": self.fixed_ratings, "adaptive_ratings": self.adaptive_ratings,
                "stopped_early": self.stopped_early}


def simulate_study(*, n_examples: int, p_a: float | dict[tuple[str, str], float] = 0.7, n_systems: int = 2,
                   cap: int = 3, floor: int = 1, raters: int = 6, alpha: float = DEFAULT_ALPHA,
                   window: int = DEFAULT_WINDOW, seed: int = 0) -> SimResult:
    """One study of ``n_examples`` examples x every pair of ``n_systems`` systems, under both designs.

    ``p_a``: probability that an item's true winner is the first system of its pair (one number for every pair,
    or per pair). Raters take turns, one item each per round, until the allocation gives nobody anything."""
    names = [f"s{i}" for i in range(n_systems)]
    pairs = {pair: (p_a if isinstance(p_a, float | int) else p_a[pair]) for pair in combinations(names, 2)}
    streams = vote_streams(n_examples, pairs, cap, seed)
    order_rng = random.Random(f"{seed}:order")
    keys = list(streams)
    order_rng.shuffle(keys)
    item_of = {key: i for i, key in enumerate(keys)}
    given: dict[int, list[int]] = {i: [] for i in item_of.values()}
    seen: dict[int, set] = {i: set() for i in item_of.values()}
    states = {i: _state(i, key[1], i, [], frozenset()) for key, i in item_of.items()}
    stream_of = {i: streams[key] for key, i in item_of.items()}
    active = list(range(raters))
    stopped_early = False
    while active:
        for r in list(active):
            choice = next_items(list(states.values()), r, cap, floor, alpha, window)
            if not choice:
                active.remove(r)
                continue
            i = choice[0]
            given[i].append(stream_of[i][len(given[i])])
            seen[i].add(r)
            states[i] = replace(_state(i, states[i].pair, i, given[i], frozenset(seen[i])))
    status = study_status(list(states.values()), cap, alpha, floor)
    adaptive = {}
    for p in status["pairs"]:
        pair = (p["a"], p["b"])
        adaptive[pair] = None if p["winner"] is None else ("a" if p["winner"] == pair[0] else "b")
    used = sum(len(v) for v in given.values())
    stopped_early = any(p["prefix"] < p["items"] for p in status["pairs"])
    return SimResult(pairs=pairs, truth={p: truth_of(v) for p, v in pairs.items()},
                     fixed=fixed_decisions(streams, pairs, alpha), adaptive=adaptive,
                     fixed_ratings=cap * len(streams), adaptive_ratings=used, stopped_early=stopped_early)
