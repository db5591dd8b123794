"""Adaptive allocation of ratings and a sequential stopping rule for pairwise studies (no Django).

The study's question, for each pair of systems (a, b): does the majority of raters prefer a or b on a random
item? A fixed design asks k raters on every item and labels each item by its majority (a, b, or tie). The
adaptive design answers the same question with fewer ratings, in two ways:

1. **Curtailment**: an item's k-rater majority is settled as soon as the remaining ratings could no longer change
   it (with k = 3, two agreeing votes settle it). Its label is exactly the label k votes would give.
2. **Sequential stopping**: each pair's win rate (share of decisive items whose label is a) carries an
   always-valid confidence sequence; once it excludes 0.5 the pair is decided and its items get no ratings
   beyond the floor. When every pair is decided the study has enough evidence: stop.

The next item a rater receives is the one whose extra rating most reduces the uncertainty of that question: among
the first ``window`` unsettled items of undecided pairs (in the study's seeded order), the one with the highest
chance that its label is still open (no or split votes first); items below the ``floor`` of ratings come first.

**Confidence sequence.** For a pair with S decisive items won by a out of t, the mixture martingale
``M_t(p) = B(c + S, c + t - S) / B(c, c) / (p^S (1 - p)^(t - S))`` (a Beta(c, c) mixture of likelihood ratios,
Robbins 1970) has, by Ville's inequality, ``P(exists t: M_t(p) >= 1/alpha) <= alpha`` at the true p. The set
``{p: M_t(p) < 1/alpha}`` is therefore a confidence sequence: valid at every look, however often the report is
read or the study is stopped. The sequence spends ``1 - FINAL_SHARE`` of alpha; the rest is kept for one exact
sign test at the last look, once every item is settled (a union bound: the two together err with probability at
most alpha). With several pairs, alpha is split evenly (Bonferroni).

**Order.** The sequence only counts the *prefix* of items, in the seeded order fixed before any rating, that are
all settled; an item settled out of order waits until those before it are. Item labels in a pre-registered
random order are independent draws whatever the allocation did, so the guarantee needs no assumption about how
fast easy and hard items settle.

Every function takes plain :class:`ItemState` records: ``a``/``b`` count votes for each side (canonical sides),
``ties`` counts tie / both-bad votes, ``pending`` counts reservations not yet answered, ``order`` is the seeded
position.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from scipy.optimize import brentq
from scipy.special import betaln
from scipy.stats import binomtest

PRIOR = 4.0  # Beta(c, c) mixture, fixed before any data (of c = 1, 2, 4, 8, 10, 25 on the bench, 2-8 did best)
DEFAULT_ALPHA = 0.05
DEFAULT_WINDOW = 8
FINAL_SHARE = 0.5  # share of alpha kept for one exact sign test at the last look (every item settled)

__all__ = [
    "DEFAULT_ALPHA",
    "ItemState",
    "PairStatus",
    "confidence_sequence",
    "item_label",
    "item_settled",
    "log_evidence",
    "next_items",
    "open_risk",
    "pair_status",
    "study_status",
]


@dataclass(frozen=True)
class ItemState:
    item: Any
    pair: tuple[Any, Any]
    order: int
    a: int = 0
    b: int = 0
    ties: int = 0
    pending: int = 0
    raters: frozenset = field(default_factory=frozenset)  # who has held it (done, reserved or skipped)

    @property
    def n(self) -> int:
        return self.a + self.b + self.ties


def item_settled(s: ItemState, cap: int) -> bool:
    """True when the k-rater (k = ``cap``) majority of the item can no longer change."""
    return s.n >= cap or abs(s.a - s.b) > cap - s.n


def item_label(s: ItemState) -> int:
    """+1 (a wins), -1 (b wins) or 0 (tie) by majority of the votes so far."""
    return (s.a > s.b) - (s.b > s.a)


def open_risk(s: ItemState, cap: int) -> float:
    """Chance that the item's k-vote label is not yet what its votes so far say (0 when settled).

    Votes still to come are drawn from the Beta(1 + a, 1 + b) posterior predictive of the item's share of a-votes
    (ties ignored); the risk is the probability that the final majority differs from the current leader. An item
    with no vote has risk 1 (its label is unknown); a split item is near 1/2 or above.
    """
    if item_settled(s, cap):
        return 0.0
    if s.a + s.b == 0:
        return 1.0
    m = cap - s.n  # votes still to come (ties among them make the risk smaller: ignored, so this is an upper bound)
    lead = item_label(s)
    # Beta-binomial predictive of x a-votes among m
    alpha, beta = 1 + s.a, 1 + s.b
    changed = 0.0
    for x in range(m + 1):
        logp = (math.lgamma(m + 1) - math.lgamma(x + 1) - math.lgamma(m - x + 1)
                + betaln(alpha + x, beta + m - x) - betaln(alpha, beta))
        final = (s.a + x > s.b + m - x) - (s.b + m - x > s.a + x)
        if final != lead:
            changed += math.exp(logp)
    return float(min(1.0, changed))


# --------------------------------------------------------------------------------------------------
# Confidence sequence for a win rate


def log_evidence(wins: float, n: float, p: float = 0.5, prior: float = PRIOR) -> float:
    """log M_n(p): the Beta(prior, prior) mixture likelihood ratio against win rate ``p`` after ``wins`` of ``n``."""
    losses = n - wins
    return float(betaln(prior + wins, prior + losses) - betaln(prior, prior)
                 - wins * math.log(p) - losses * math.log1p(-p))


def confidence_sequence(wins: int, n: int, alpha: float = DEFAULT_ALPHA,
                        prior: float = PRIOR) -> tuple[float, float]:
    """The always-valid (1 - alpha) interval for the win rate after ``wins`` of ``n``: {p: M_n(p) < 1/alpha}."""
    if n == 0:
        return 0.0, 1.0
    bound = math.log(1 / alpha)
    hat = wins / n
    eps = 1e-12

    def f(p: float) -> float:
        return log_evidence(wins, n, p, prior) - bound

    lo = 0.0 if wins == 0 or f(eps) < 0 else brentq(f, eps, min(max(hat, eps), 1 - eps))
    hi = 1.0 if wins == n or f(1 - eps) < 0 else brentq(f, max(min(hat, 1 - eps), eps), 1 - eps)
    return float(lo), float(hi)


@dataclass(frozen=True)
class PairStatus:
    pair: tuple[Any, Any]
    items: int                  # real items of the pair
    settled: int                # items whose label is settled
    prefix: int                 # settled items counted by the sequence (the settled prefix in seeded order)
    decisive: int               # of the prefix, items with a winner
    wins: int                   # of those, won by pair[0]
    ci: tuple[float, float]     # always-valid interval for the win rate of pair[0], at alpha * (1 - FINAL_SHARE)
    alpha: float                # this pair's share of the study's error level
    winner: Any | None          # pair[0] or pair[1] once the interval excludes 0.5, else None
    ratings: int                # ratings given to the pair's items
    more_ratings: int | None    # expected further ratings until decided; None when the items left cannot decide it
    rule: str | None = None     # what decided it: "confidence sequence" or "final sign test"
    final_p: float | None = None  # the final sign test's p-value, once every item is settled

    @property
    def decided(self) -> bool:
        return self.winner is not None

    @property
    def exhausted(self) -> bool:
        return self.prefix == self.items

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.pair[0], "b": self.pair[1], "items": self.items, "settled": self.settled,
                "prefix": self.prefix, "decisive": self.decisive, "wins": self.wins, "ci": list(self.ci),
                "alpha": self.alpha, "winner": self.winner, "ratings": self.ratings,
                "more_ratings": self.more_ratings, "rule": self.rule, "final_p": self.final_p}


def _decisive_needed(wins: int, n: int, alpha: float, limit: int) -> int | None:
    """Further decisive items until M(0.5) reaches 1/alpha if they keep today's (shrunk) win rate; None if
    ``limit`` of them would not be enough."""
    rate = (wins + 1) / (n + 2)
    if abs(rate - 0.5) < 1e-9:
        return None
    bound = math.log(1 / alpha)
    for m in range(0, limit + 1):
        if log_evidence(wins + rate * m, n + m) >= bound:
            return m
    return None


def pair_status(states: Sequence[ItemState], cap: int, alpha: float = DEFAULT_ALPHA,
                floor: int = 0) -> PairStatus:
    """Where one pair of systems stands (``states``: its real items)."""
    pair = states[0].pair
    ordered = sorted(states, key=lambda s: s.order)
    prefix = 0
    for s in ordered:
        if not item_settled(s, cap):
            break
        prefix += 1
    labels = [item_label(s) for s in ordered[:prefix]]
    decisive = sum(1 for x in labels if x)
    wins = sum(1 for x in labels if x > 0)
    lo, hi = confidence_sequence(wins, decisive, alpha * (1 - FINAL_SHARE))
    winner = pair[0] if lo > 0.5 else pair[1] if hi < 0.5 else None
    rule = "confidence sequence" if winner is not None else None
    final_p = None
    if prefix == len(states) and winner is None and decisive and FINAL_SHARE > 0:
        # the last look, once, with the share of alpha kept for it: an exact sign test on every item
        final_p = float(binomtest(wins, decisive, 0.5).pvalue)
        if final_p < alpha * FINAL_SHARE:
            winner = pair[0] if 2 * wins > decisive else pair[1]
            rule = "final sign test"
    ratings = sum(s.n for s in states)
    settled_states = [s for s in states if item_settled(s, cap)]
    floor_left = sum(max(0, floor - s.n - s.pending) for s in states)
    if winner is not None:
        more: int | None = floor_left
    else:
        share = decisive / prefix if prefix else 0.9  # decisive share of settled items (a guess before any)
        per_item = (sum(s.n for s in settled_states) / len(settled_states)) if settled_states else (cap + 1) / 2
        later = ordered[prefix:]
        need = _decisive_needed(wins, decisive, alpha * (1 - FINAL_SHARE), int(len(later) * share))
        more = None if need is None else _ratings_for(later, need, share, per_item, cap)
    return PairStatus(pair=pair, items=len(states), settled=len(settled_states), prefix=prefix, decisive=decisive,
                      wins=wins, ci=(lo, hi), alpha=alpha, winner=winner, ratings=ratings, more_ratings=more,
                      rule=rule, final_p=final_p)


def _ratings_for(later: Sequence[ItemState], need: int, share: float, per_item: float, cap: int) -> int:
    """Expected ratings to settle enough of ``later`` (seeded order) to add ``need`` decisive items, each settled
    item taking ``per_item`` ratings on average and being decisive with probability ``share``."""
    got, more = 0.0, 0.0
    for s in later:
        if got >= need:
            break
        if not item_settled(s, cap):
            more += max(1.0, per_item - s.n)
        got += share
    return math.ceil(more)


def _by_pair(states: Iterable[ItemState]) -> dict[tuple, list[ItemState]]:
    groups: dict[tuple, list[ItemState]] = defaultdict(list)
    for s in states:
        groups[s.pair].append(s)
    return dict(sorted(groups.items(), key=lambda kv: [str(x) for x in kv[0]]))


def study_status(states: Iterable[ItemState], cap: int, alpha: float = DEFAULT_ALPHA,
                 floor: int = 0) -> dict[str, Any]:
    """Every pair's status and the study's verdict: ``stop`` is True when each pair is decided or has no item
    left to settle; ``message`` is what the report says."""
    groups = _by_pair(states)
    if not groups:
        return {"pairs": [], "stop": False, "message": "No pairwise item yet.", "alpha": alpha}
    per = alpha / len(groups)
    pairs = [pair_status(g, cap, per, floor) for g in groups.values()]
    undecided = [p for p in pairs if not p.decided]
    if not undecided:
        message = "Enough evidence: stop."
        stop = True
        floor_left = sum(p.more_ratings or 0 for p in pairs)
        if floor_left:
            message += f" ({floor_left} ratings remain to give every item its floor of {floor}.)"
    elif all(p.exhausted for p in undecided):
        stop = True
        message = ("Every item is settled and no difference is shown at this level: "
                   "stop (more items, not more ratings, would be needed).")
    else:
        stop = False
        expected = [p.more_ratings for p in undecided]
        if any(e is None for e in expected):
            message = ("Not enough evidence yet, and at the current win rate the items left may not settle it "
                       "(about the remaining ratings of every unsettled item).")
        else:
            message = f"Not enough evidence yet: about {sum(expected)} more ratings expected."
    return {"pairs": [p.to_dict() for p in pairs], "stop": stop, "message": message, "alpha": alpha,
            "alpha_per_pair": per, "cap": cap, "floor": floor}


# --------------------------------------------------------------------------------------------------
# Choosing the next item


def next_items(states: Sequence[ItemState], rater: Any, cap: int, floor: int = 1, alpha: float = DEFAULT_ALPHA,
               window: int = DEFAULT_WINDOW) -> list[Any]:
    """The items worth one more rating from ``rater``, best first; [] when none is.

    An item is open to the rater when they never held it and it has a free seat (votes + pending < cap). Order:
    items below the floor of ratings first (seeded order); then, for pairs still undecided, the unsettled items in
    the first ``window`` of each pair's unsettled items (seeded order), highest :func:`open_risk` first; then the
    later unsettled items of undecided pairs in seeded order (so a rater who has seen the window still helps).
    Items of decided pairs get nothing beyond the floor; settled items get nothing.
    """
    groups = _by_pair(states)
    per = alpha / max(1, len(groups))
    first: list[tuple] = []
    second: list[tuple] = []
    third: list[tuple] = []
    for group in groups.values():
        decided = pair_status(group, cap, per, floor).decided
        ordered = sorted(group, key=lambda s: s.order)
        unsettled = [s for s in ordered if not item_settled(s, cap)]
        in_window = {s.item for s in unsettled[:window]}
        for s in ordered:
            if rater in s.raters or s.n + s.pending >= cap:
                continue
            if s.n + s.pending < floor:
                first.append((s.order, s.item))
            elif decided or item_settled(s, cap):
                continue
            elif s.item in in_window:
                # pending votes will come: count them as half-known by lowering the risk
                risk = open_risk(s, cap) / (1 + s.pending)
                second.append((-risk, s.order, s.item))
            else:
                third.append((s.order, s.item))
    return [x[-1] for x in sorted(first)] + [x[-1] for x in sorted(second)] + [x[-1] for x in sorted(third)]
