"""Per-rater reliability tests as WMT's Appraise runs them, for pairwise answers (no Django).

* :func:`self_consistency` - a rater's answers on pairs shown to them twice: the share answered the same (in
  position-free, canonical terms), Cohen's kappa between first and repeat, and an exact one-sided binomial test
  that the rater agrees with themself more often than a rater whose answers ignore the texts would. That chance
  rate comes from the rater's own answer shares *as shown* (left / right / tie / both bad): with randomised
  sides, a rater who ignores the texts names either system with probability (left + right) / 2, so
  ``chance = 2 ((l + r) / 2)^2 + t^2 + bb^2``. Kappa's own chance term (the canonical marginals) would call a
  careful rater who always prefers the better system "no better than chance" (the high-agreement, low-kappa
  paradox); the as-shown null does not.
* :func:`degraded_test` - Appraise's quality gate: do the rater's scores put real outputs above their degraded
  copies? With Likert scales, a one-sided Wilcoxon signed-rank test on the per-judgment differences (real minus
  degraded: both sides of one judgment are a pair, so the signed-rank test, not Appraise's rank-sum over
  unpaired DA scores); without, an exact one-sided binomial (sign) test on the preferences, where a tie or "both
  bad" counts against the rater (a rater who never tells the copy apart has not shown they can).
* :func:`z_scores` - WMT's direct-assessment standardisation: each rater's scores minus that rater's mean,
  over that rater's standard deviation.

Minimum data: a test is reported (``failed`` True / False) only when a perfect record *could* reach ``alpha``:
``n >= log(alpha) / log(p_max)`` where ``p_max`` is the p-value of one extreme observation (0.5 for the sign and
signed-rank tests, the chance rate for self-consistency). Below that ``failed`` is None with a ``reason``: the
rater is neither gated nor excluded on too little data.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from annotation.stats.agreement import cohen_kappa

__all__ = ["CANONICAL", "answer_chance", "degraded_test", "min_n_for", "self_consistency", "shown_counts", "z_scores"]

CANONICAL = ("a", "b", "tie", "both_bad")  # a position-free answer: the system that won, or neither


def min_n_for(alpha: float, p_extreme: float) -> int:
    """The fewest observations at which a perfect record has a p-value below ``alpha``."""
    if not 0 < p_extreme < 1:
        return 1
    return max(1, math.floor(math.log(alpha) / math.log(p_extreme)) + 1)


def answer_chance(shown: Mapping[str, float]) -> float | None:
    """Chance that two answers of a rater who ignores the texts agree in canonical terms (see module doc).

    ``shown`` counts (or shares) of the rater's answers as shown: left, right, tie, both_bad."""
    total = sum(shown.get(k, 0) for k in ("left", "right", "tie", "both_bad"))
    if total <= 0:
        return None
    side = (shown.get("left", 0) + shown.get("right", 0)) / total / 2
    return 2 * side ** 2 + (shown.get("tie", 0) / total) ** 2 + (shown.get("both_bad", 0) / total) ** 2


def self_consistency(first: Sequence[str], repeat: Sequence[str], chance: float | None, alpha: float = 0.05
                     ) -> dict[str, Any]:
    """One rater's first and repeated answers (canonical labels, paired by position).

    ``failed`` is True when the rater did not agree with themself significantly more often than ``chance``
    (one-sided exact binomial test at ``alpha``), None when there are too few repeats to tell."""
    from scipy.stats import binomtest

    if len(first) != len(repeat):
        raise ValueError("first and repeat answers must pair up")
    n = len(first)
    same = sum(a == b for a, b in zip(first, repeat, strict=True))
    out: dict[str, Any] = {"n_repeats": n, "n_same": same, "share_same": same / n if n else None,
                           "kappa": None, "kappa_reason": None, "chance": chance, "p_value": None,
                           "min_n": None, "failed": None, "reason": None}
    if n:
        k = cohen_kappa(np.array([list(first), list(repeat)], dtype=object), categories=list(CANONICAL))
        out["kappa"], out["kappa_reason"] = k.value, k.reason
    if chance is None:
        out["reason"] = "no answers to estimate chance agreement from"
        return out
    out["min_n"] = need = min_n_for(alpha, chance)
    if n < need:
        out["reason"] = f"{n} repeated pair{'s' if n != 1 else ''}: at least {need} needed to test at alpha {alpha:g}"
        return out
    out["p_value"] = float(binomtest(same, n, min(max(chance, 1e-12), 1.0), alternative="greater").pvalue)
    out["failed"] = out["p_value"] >= alpha
    return out


def degraded_test(differences: Sequence[float] | None = None, preferences: Sequence[bool] | None = None,
                  alpha: float = 0.05) -> dict[str, Any]:
    """Does the rater rate real outputs above their degraded copies?

    ``differences``: per degraded control, the Likert score of the real side minus the degraded side (the
    Wilcoxon signed-rank test, one-sided; zero differences are dropped, as Wilcoxon's own method does).
    ``preferences``: per degraded control, True when the rater preferred the real side (the exact sign test; a
    tie or both bad is False). Differences are used when given. ``failed`` is True when the one-sided p-value is
    at or above ``alpha``, None when even a perfect record could not reach it."""
    from scipy.stats import binomtest, wilcoxon

    need = min_n_for(alpha, 0.5)
    if differences is not None:
        d = [float(x) for x in differences if x]
        out = {"test": "wilcoxon_signed_rank", "n": len(d), "n_zero": len(differences) - len(d),
               "mean_difference": float(np.mean(differences)) if len(differences) else None}
        if len(d) < need:
            return {**out, "p_value": None, "min_n": need, "failed": None,
                    "reason": f"{len(d)} non-zero Likert difference{'s' if len(d) != 1 else ''} on degraded "
                              f"controls: at least {need} needed to test at alpha {alpha:g}"}
        p = float(wilcoxon(d, alternative="greater", zero_method="wilcox").pvalue)
        return {**out, "p_value": p, "min_n": need, "failed": p >= alpha, "reason": None}
    prefs = list(preferences or [])
    n, wins = len(prefs), sum(bool(x) for x in prefs)
    out = {"test": "sign", "n": n, "n_real_preferred": wins, "share_real_preferred": wins / n if n else None}
    if n < need:
        return {**out, "p_value": None, "min_n": need, "failed": None,
                "reason": f"{n} degraded control{'s' if n != 1 else ''} answered: at least {need} needed to test "
                          f"at alpha {alpha:g}"}
    p = float(binomtest(wins, n, 0.5, alternative="greater").pvalue)
    return {**out, "p_value": p, "min_n": need, "failed": p >= alpha, "reason": None}


def z_scores(values: Iterable[tuple[Any, Any, str, float]]) -> tuple[list[tuple[Any, Any, str, float]], dict]:
    """WMT's per-rater standardisation of (rater, item, system, score) rows.

    Returns the rows with z in place of the score, and ``{rater: reason}`` for the raters left out: fewer
    than two scores, or no spread (every score the same), where a z-score is undefined."""
    by_rater: dict[Any, list[float]] = defaultdict(list)
    rows = list(values)
    for rater, _, _, v in rows:
        by_rater[rater].append(float(v))
    moments, dropped = {}, {}
    for rater, vs in by_rater.items():
        sd = float(np.std(vs)) if len(vs) > 1 else 0.0
        if len(vs) < 2:
            dropped[rater] = "fewer than two scores"
        elif sd == 0:
            dropped[rater] = f"every score is {vs[0]:g}"
        else:
            moments[rater] = (float(np.mean(vs)), sd)
    out = [(r, i, s, (float(v) - moments[r][0]) / moments[r][1]) for r, i, s, v in rows if r in moments]
    return out, dropped


def shown_counts(answers: Iterable[str]) -> Counter:
    """Counts of answers as shown (left / right / tie / both_bad), for :func:`answer_chance`."""
    return Counter(a for a in answers if a in ("left", "right", "tie", "both_bad"))
