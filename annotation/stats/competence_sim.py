"""Simulated pairwise studies with known truth for rater-competence models (no Django): the tests and
``bench/bench_competence.py`` both draw from here, so both measure the same raters.

Each item has a true winner (system A with probability ``p_a``); ``k`` raters judge it, drawn from the pool.
Careful raters follow the truth 90 % of the time (and say "tie" 5 % of the time), random clickers answer
uniformly (left / right / tie / both bad), always-left raters always pick the left side; sides are random.
Every ``control_every``-th item is a control whose expected answer is its true winner's side. The same rates as
``annotation.services.simulation`` (FOLLOW_TRUTH, TIE_RATE), without a database.
"""
from __future__ import annotations

import numpy as np

from annotation.stats.preferences import Judgment

FOLLOW_TRUTH = 0.9
TIE_RATE = 0.05

__all__ = ["simulate_preferences"]


def simulate_preferences(n_items: int = 120, careful: int = 3, random: int = 4, left: int = 3, k: int = 5,
                         p_a: float = 0.7, seed: int = 0, control_every: int = 0) -> tuple[list[Judgment], dict]:
    """Judgments between systems "A" and "B", and each item's true winner ("a" or "b": A sorts first)."""
    rng = np.random.default_rng(seed)
    raters = ([f"careful{i}" for i in range(careful)] + [f"random{i}" for i in range(random)]
              + [f"left{i}" for i in range(left)])
    truth, out = {}, []
    for it in range(n_items):
        a_wins = bool(rng.random() < p_a)
        truth[it] = "a" if a_wins else "b"
        control = bool(control_every) and it % control_every == 0
        for r in rng.choice(raters, size=min(k, len(raters)), replace=False):
            a_left = bool(rng.random() < 0.5)
            left_sys, right_sys = ("A", "B") if a_left else ("B", "A")
            if r.startswith("careful"):
                if rng.random() < TIE_RATE:
                    ans = "tie"
                else:
                    says_a = a_wins == (rng.random() < FOLLOW_TRUTH)
                    ans = "left" if says_a == a_left else "right"
            elif r.startswith("random"):
                ans = str(rng.choice(["left", "right", "tie", "both_bad"]))
            else:
                ans = "left"
            expected = ("left" if a_wins == a_left else "right") if control else None
            out.append(Judgment(item=it, rater=str(r), left=left_sys, right=right_sys, answer=ans, expected=expected))
    return out, truth
