"""Which system goes on the left: a big-stick design with a tilt toward overall balance. Pure (no Django).

Exact per-rater balance makes a rater's sides alternate: given the sides so far, half of them are forced, and
"the system shown on the left less often so far" is right 75 % of the time. Here the side is forced only when
one system of a pair already leads the other on the left by SIDE_BOUND for this rater; otherwise it is a coin,
fair when the study is level overall and leaning by SIDE_TILT toward the side that is short across all raters
(which no single rater can see). A rater who is level takes that short side outright. Measured in
annotation/blinding.md and tests/annotation/test_sides.py.
"""
from __future__ import annotations

SIDE_BOUND = 3  # the most one system of a pair may lead the other on the left, per rater
SIDE_TILT = 0.2  # how far the coin leans toward the side that is short across all raters


def side_choice(mine: int, everyone: int, draw: float, bound: int = SIDE_BOUND, tilt: float = SIDE_TILT) -> bool:
    """Is system a on the left? The big-stick design (Soares & Wu 1983) plus a tilt toward overall balance.

    `mine` is the rater's own imbalance for this pair of systems, `everyone` the imbalance over all raters,
    `draw` a uniform number in [0, 1). Only at the bound is the side forced (toward the rater's balance), so a
    rater's own imbalance stays within `bound` while most sides are a fair or nearly fair coin: guessing "the
    side that was shown less often so far" is right about 58 % of the time (75 % under exact alternation).
    Overall balance comes from what a rater cannot see: a rater who is level takes the side that is short
    across all raters, and otherwise the coin leans by `tilt` toward it.
    """
    if mine >= bound:
        return False
    if mine <= -bound:
        return True
    if everyone == 0:
        return draw < 0.5
    if mine == 0:
        return everyone < 0
    return draw < (0.5 + tilt if everyone < 0 else 0.5 - tilt)


