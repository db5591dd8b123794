"""Rater quality from pairwise judgments (no Django): who to trust, and results without the others.

Per rater: accuracy on control items, agreement with the other raters, median seconds per judgment, answer
balance (share left / right / tie), and flags. Records are the judgment records of
:mod:`annotation.stats.preferences` (plain dicts or ``Judgment``), optionally with ``seconds`` and, on
control items, ``expected`` (the answer a careful rater gives on *that* slot: "left"/"right"/"tie").
Alternatively ``controls`` maps a control item to the system that should win (e.g. "not the degraded
one"), and the expected answer is read off each slot's left/right order.

Agreement with others is measured as nominal Krippendorff's alpha between this rater's labels and the
majority label of the *other* raters on the same units (a unit is an item and its system pair; labels are
made position-free: +1 when the alphabetically first system wins, -1 when the second wins, 0 for a tie or
both bad; a tied majority counts as missing). A careful rater scores well above 0; a random clicker, or a
rater who always picks one side while sides are randomised, scores near 0. Control items are left out of
it. The "others" are the raters that the objective checks (controls, side and tie balance, speed) did not
flag: a careful rater who shared many items with a random clicker would otherwise be judged against noise.

The random-clicking flag uses Gwet's AC1 between the rater and that majority (``ac1_vs_others``), not
alpha: when one system wins most items the majority hardly varies, and alpha (like kappa) then falls to
about 0 even for a rater who agrees on 90 % of the units (the "high agreement, low kappa" paradox). AC1
stays near the agreement actually reached: about 0.9 for such a careful rater, about 0.1 for a uniform
random clicker. ``alpha_delta`` = alpha(all raters) - alpha(without this rater) is reported too: negative when the
rater lowers the group's agreement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from annotation.stats.agreement import gwet_ac1, krippendorff_alpha
from annotation.stats.preferences import Judgment, parse_judgments, preference_summary

__all__ = ["RaterQuality", "exclude_raters", "rater_quality", "results_without_flagged"]

FLAGS = ("low_control_accuracy", "random_clicking", "always_left", "always_right", "always_tie", "too_fast")


class RaterQuality:
    """Per-rater quality measures and flags; thresholds are parameters.

    Fitted attributes: ``raters_`` (sorted ids), ``report_`` (rater -> measures and ``flags``),
    ``flagged_`` (rater -> list of flags, only raters with at least one), ``group_alpha_``.
    Flags need enough evidence: ``min_controls`` control judgments, ``min_units`` units shared with the
    others, ``min_answers`` answers for the balance flags.
    """

    def __init__(self, controls: Mapping[Any, str] | None = None, min_control_accuracy: float = 0.7,
                 min_controls: int = 3, max_random_ac1: float = 0.3, min_units: int = 10,
                 max_side_share: float = 0.9, max_tie_share: float = 0.9, min_answers: int = 10,
                 min_median_seconds: float = 2.0) -> None:
        self.controls = controls
        self.min_control_accuracy = min_control_accuracy
        self.min_controls = min_controls
        self.max_random_ac1 = max_random_ac1
        self.min_units = min_units
        self.max_side_share = max_side_share
        self.max_tie_share = max_tie_share
        self.min_answers = min_answers
        self.min_median_seconds = min_median_seconds

    def fit(self, records: Iterable[Mapping | Judgment]) -> RaterQuality:
        js = parse_judgments(records)
        if not js:
            raise ValueError("no judgments to assess")
        controls = dict(self.controls or {})
        is_control = [j.expected is not None or j.item in controls for j in js]
        raters = sorted({j.rater for j in js}, key=repr)
        matrix, row = _label_matrix([j for j, c in zip(js, is_control, strict=True) if not c], raters)
        self.group_alpha_ = _alpha_or_none(matrix)
        self.raters_ = raters
        self.report_ = {}
        for r in raters:
            mine = [(j, c) for j, c in zip(js, is_control, strict=True) if j.rater == r]
            m = {**_balance([j for j, _ in mine]),
                 **_control_accuracy([j for j, c in mine if c], controls),
                 "median_seconds": _median_seconds([j for j, _ in mine])}
            m["flags"] = self._objective_flags(m)
            self.report_[r] = m
        reference = np.array([not self.report_[r]["flags"] for r in raters])
        for r, m in self.report_.items():
            m.update(_agreement(matrix, row[r], self.group_alpha_, reference))
            if self._agrees_like_chance(m):
                m["flags"].insert(1 if "low_control_accuracy" in m["flags"] else 0, "random_clicking")
        self.flagged_ = {r: m["flags"] for r, m in self.report_.items() if m["flags"]}
        return self

    def _agrees_like_chance(self, m: dict[str, Any]) -> bool:
        ac1 = m["ac1_vs_others"]
        return ac1 is not None and m["n_shared_units"] >= self.min_units and ac1 < self.max_random_ac1

    def _objective_flags(self, m: dict[str, Any]) -> list[str]:
        """Flags that need no other rater: controls, answer balance, speed."""
        flags = []
        if m["n_controls"] >= self.min_controls and m["control_accuracy"] < self.min_control_accuracy:
            flags.append("low_control_accuracy")
        if m["n_answers"] >= self.min_answers:
            if m["share_left"] >= self.max_side_share:
                flags.append("always_left")
            if m["share_right"] >= self.max_side_share:
                flags.append("always_right")
            if m["share_tie"] >= self.max_tie_share:
                flags.append("always_tie")
        if m["median_seconds"] is not None and m["median_seconds"] < self.min_median_seconds:
            flags.append("too_fast")
        return flags


def _balance(js: list[Judgment]) -> dict[str, Any]:
    n = len(js)
    c = Counter(j.answer for j in js)
    return {"n_answers": n, "share_left": c["left"] / n, "share_right": c["right"] / n,
            "share_tie": (c["tie"] + c["both_bad"]) / n}


def _expected(j: Judgment, controls: Mapping[Any, str]) -> str:
    if j.expected is not None:
        return j.expected
    target = controls[j.item]
    return "left" if target == j.left else "right" if target == j.right else "tie"


def _control_accuracy(js: list[Judgment], controls: Mapping[Any, str]) -> dict[str, Any]:
    if not js:
        return {"n_controls": 0, "control_accuracy": None}
    correct = sum(j.answer == _expected(j, controls) for j in js)
    return {"n_controls": len(js), "control_accuracy": correct / len(js)}


def _median_seconds(js: list[Judgment]) -> float | None:
    secs = [j.seconds for j in js if j.seconds is not None]
    return float(np.median(secs)) if secs else None


def _label_matrix(js: list[Judgment], raters: list) -> tuple[np.ndarray, dict[Any, int]]:
    """raters x units matrix of position-free labels (+1 / -1 / 0), NaN where not judged."""
    row = {r: i for i, r in enumerate(raters)}
    units: dict[tuple, int] = {}
    cells = {}
    for j in js:
        a, b = sorted((j.left, j.right))
        u = units.setdefault((j.item, a, b), len(units))
        win = j.left if j.answer == "left" else j.right if j.answer == "right" else None
        cells[(row[j.rater], u)] = 1.0 if win == a else -1.0 if win == b else 0.0
    m = np.full((len(raters), len(units)), np.nan)
    for (i, u), v in cells.items():
        m[i, u] = v
    return m, row


def _alpha_or_none(matrix: np.ndarray) -> float | None:
    if matrix.size == 0:
        return None
    return krippendorff_alpha(matrix, "nominal", categories=[-1.0, 0.0, 1.0]).value


def _majority_of_others(matrix: np.ndarray, i: int, reference: np.ndarray) -> np.ndarray:
    """Per unit, the majority label of the reference raters other than row i (NaN when tied or none)."""
    keep = reference.copy()
    keep[i] = False
    others = matrix[keep]
    counts = np.stack([(others == v).sum(axis=0) for v in (-1.0, 0.0, 1.0)])
    best = counts.max(axis=0)
    unique_best = (counts == best).sum(axis=0) == 1
    return np.where((best > 0) & unique_best, np.array([-1.0, 0.0, 1.0])[counts.argmax(axis=0)], np.nan)


def _agreement(matrix: np.ndarray, i: int, group_alpha: float | None, reference: np.ndarray) -> dict[str, Any]:
    others = reference.sum() - reference[i]
    if matrix.shape[1] == 0 or others < 1:
        return {"n_shared_units": 0, "alpha_vs_others": None, "alpha_vs_others_reason": "no other raters",
                "ac1_vs_others": None, "alpha_delta": None}
    majority = _majority_of_others(matrix, i, reference)
    pair = np.vstack([matrix[i], majority])
    shared = int((~np.isnan(pair)).all(axis=0).sum())
    stat = krippendorff_alpha(pair, "nominal", categories=[-1.0, 0.0, 1.0])
    ac1 = gwet_ac1(pair, categories=[-1.0, 0.0, 1.0])
    without = _alpha_or_none(np.delete(matrix, i, axis=0)) if matrix.shape[0] > 2 else None
    delta = None if group_alpha is None or without is None else group_alpha - without
    return {"n_shared_units": shared, "alpha_vs_others": stat.value, "alpha_vs_others_reason": stat.reason,
            "ac1_vs_others": ac1.value, "alpha_delta": delta}


def rater_quality(records: Iterable[Mapping | Judgment], **params: Any) -> dict[str, Any]:
    """JSON-ready report: per-rater measures with flags, the flagged raters, and the group alpha."""
    model = RaterQuality(**params).fit(records)
    return {"raters": {str(r): m for r, m in model.report_.items()}, "flagged": model.flagged_,
            "group_alpha": model.group_alpha_}


def exclude_raters(records: Iterable[Mapping | Judgment], raters: Iterable[Any]) -> list:
    """The records whose rater is not in ``raters``."""
    drop = set(raters)
    return [r for r in records if (r.rater if isinstance(r, Judgment) else r["rater"]) not in drop]


def results_without_flagged(records: Iterable[Mapping | Judgment],
                            compute: Callable[[list], Any] = preference_summary,
                            drop_controls: bool = True, **params: Any) -> dict[str, Any]:
    """Recompute ``compute(records)`` without the flagged raters (and, by default, without controls).

    Returns ``{"excluded": {rater: flags}, "result": ...}`` so a report can show both versions.
    """
    records = list(records)
    model = RaterQuality(**params).fit(records)
    kept = exclude_raters(records, model.flagged_)
    if drop_controls:
        controls = dict(params.get("controls") or {})
        kept = [r for r in kept if not _is_control(r, controls)]
    return {"excluded": model.flagged_, "result": compute(kept)}


def _is_control(record: Mapping | Judgment, controls: Mapping[Any, str]) -> bool:
    j = record if isinstance(record, Judgment) else None
    expected = j.expected if j else record.get("expected")
    item = j.item if j else record["item"]
    return expected is not None or item in controls

