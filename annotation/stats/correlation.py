"""Do the automatic metrics agree with the humans? (no Django)

For each unit (an item and the pair of systems judged on it, systems in sorted order ``a`` < ``b``):

- human preference = mean over the unit's judgments of +1 (a won), -1 (b won), 0 (tie or both bad);
- metric difference = metric(item, a) - metric(item, b), e.g. SARI or ROUGE-L of the two outputs.

Reported per metric: Kendall's tau-b between the two (scipy; handles the many ties of the human scale) and
the point-biserial correlation between the metric difference and the binary preference (a preferred = 1,
b preferred = 0; units with a mean of exactly 0 are left out of it). A statistic is undefined, with a
reason, when fewer than three units remain or either variable does not vary. Per task: use
``preferences.by_task(records, metric_correlation, scores=...)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from annotation.stats.preferences import Judgment, parse_judgments, winner

__all__ = ["human_preferences", "metric_correlation"]

MIN_UNITS = 3


def human_preferences(records: Iterable[Mapping | Judgment]) -> dict[tuple[Any, str, str], float]:
    """(item, a, b) -> mean preference for ``a`` over ``b`` in [-1, 1] (a < b alphabetically)."""
    votes: dict[tuple[Any, str, str], list[float]] = defaultdict(list)
    for j in parse_judgments(records):
        a, b = sorted((j.left, j.right))
        w = winner(j)
        votes[(j.item, a, b)].append(1.0 if w == a else -1.0 if w == b else 0.0)
    return {u: float(np.mean(v)) for u, v in votes.items()}


def metric_correlation(records: Iterable[Mapping | Judgment],
                       scores: Mapping[tuple[Any, str], Mapping[str, float]],
                       metrics: Sequence[str] = ("sari", "rougeL")) -> dict[str, dict[str, Any]]:
    """Kendall's tau-b and point-biserial r between metric differences and human preferences.

    ``scores[(item, system)][metric]`` is the metric of that system's output on that item. Units whose
    scores are missing are skipped and counted in ``n_missing_scores``.
    """
    prefs = human_preferences(records)
    return {m: _one_metric(prefs, scores, m) for m in metrics}


def _one_metric(prefs: Mapping[tuple[Any, str, str], float],
                scores: Mapping[tuple[Any, str], Mapping[str, float]], metric: str) -> dict[str, Any]:
    diffs, humans, missing = [], [], 0
    for (item, a, b), h in prefs.items():
        sa, sb = scores.get((item, a), {}).get(metric), scores.get((item, b), {}).get(metric)
        if sa is None or sb is None:
            missing += 1
            continue
        diffs.append(float(sa) - float(sb))
        humans.append(h)
    d, h = np.asarray(diffs), np.asarray(humans)
    out: dict[str, Any] = {"n_units": len(d), "n_missing_scores": missing}
    out.update(_kendall(d, h))
    out.update(_point_biserial(d, h))
    return out


def _no_variation(d: np.ndarray, h: np.ndarray) -> str | None:
    if len(d) < MIN_UNITS:
        return f"fewer than {MIN_UNITS} units ({len(d)})"
    if np.ptp(d) == 0:
        return "no variation in the metric difference"
    if np.ptp(h) == 0:
        return "no variation in the human preference"
    return None


def _kendall(d: np.ndarray, h: np.ndarray) -> dict[str, Any]:
    reason = _no_variation(d, h)
    if reason:
        return {"kendall_tau_b": None, "kendall_p": None, "kendall_reason": reason}
    res = stats.kendalltau(d, h, variant="b")
    return {"kendall_tau_b": float(res.statistic), "kendall_p": float(res.pvalue), "kendall_reason": None}


def _point_biserial(d: np.ndarray, h: np.ndarray) -> dict[str, Any]:
    keep = h != 0
    d, y = d[keep], (h[keep] > 0).astype(float)
    reason = _no_variation(d, y)
    if reason:
        return {"point_biserial": None, "point_biserial_p": None, "point_biserial_reason": reason,
                "n_decisive_units": int(keep.sum())}
    res = stats.pointbiserialr(y, d)
    return {"point_biserial": float(res.statistic), "point_biserial_p": float(res.pvalue),
            "point_biserial_reason": None, "n_decisive_units": int(keep.sum())}
