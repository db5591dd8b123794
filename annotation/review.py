"""Adjudication rules, pure (no Django): which rated items queue for a reviewer, how answers move between the
sides a rater saw, the sides a reviewer sees and the canonical a/b terms, and the adjudicated results.

- **Labels** are position-free and canonical: ``a`` (system a's output is better), ``b``, ``tie``, ``both_bad``
  (the values of ``annotation.models.FinalLabel``; tests/test_vocabularies.py holds them equal).
- **Disagreements** (``needs_review``): an item queues once its ratings are complete (``ready``) when at least two
  raters answered and its most common label has less than ``min_agreement`` of the votes (1.0: any
  disagreement; 0.6: only items whose majority is under 60%). A split top (1-1, 2-2) never has a majority.
- **Sample**: a seeded random share of the complete items with at least one rating queues, whatever their votes
  (a quality audit); the draw (``sample_draw``) depends only on the study's seed and the item.
- **Ready**: an item's ratings are complete when it has its k ratings, when an adaptive study's k-rater majority
  can no longer change (``annotation.stats.allocation.item_settled``), or when the study is closed.
- **Sides**: a reviewer sees each item in their own random order (``reviewer_left_is_a``, an HMAC of the
  study's secret, the reviewer and the item, so nobody can work it out from what a page shows), and every
  rater's answer is translated into that order (``to_reviewer_sides``).
- **Adjudicated results** (``item_label``, ``adjudicated_section``): one label per item, the final label where
  a reviewer (or an imported file) gave one, else the raters' majority (no label where the majority is split).
"""
from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from annotation.stats.preferences import Judgment, majority, pairwise_preferences

LABELS = ("a", "b", "tie", "both_bad")
SIDE_ANSWERS = ("left", "right", "tie", "both_bad")
MODES = ("off", "disagreements", "sample")
ITEM_RATER = "(item label)"  # the rater name of the one item-level judgment per item in the adjudicated results

__all__ = ["ITEM_RATER", "LABELS", "MODES", "SIDE_ANSWERS", "adjudicated_section", "canonical", "from_sides",
           "item_label", "majority", "needs_review", "ready", "reviewer_left_is_a", "sample_draw",
           "to_reviewer_sides"]


def canonical(answer: str, left_is_a: bool) -> str:
    """A rater's answer in the sides they saw (left/right/tie/both_bad) as a canonical label ("" if none)."""
    if answer == "left":
        return "a" if left_is_a else "b"
    if answer == "right":
        return "b" if left_is_a else "a"
    return answer if answer in ("tie", "both_bad") else ""


def to_reviewer_sides(label: str, reviewer_left_is_a: bool) -> str:
    """A canonical label in the sides a reviewer sees: "left", "right", "tie" or "both_bad"."""
    if label == "a":
        return "left" if reviewer_left_is_a else "right"
    if label == "b":
        return "right" if reviewer_left_is_a else "left"
    return label


def from_sides(answer: str, reviewer_left_is_a: bool) -> str:
    """The reviewer's answer in their sides, as a canonical label (ValueError for anything else)."""
    if answer not in SIDE_ANSWERS:
        raise ValueError(f"The final label is one of {', '.join(SIDE_ANSWERS)}, not {answer!r}.")
    return canonical(answer, reviewer_left_is_a)


def sample_draw(seed: int, item: Any) -> float:
    """The item's seeded uniform draw for the sample mode: the same for every call, reviewer and process."""
    return random.Random(f"adjudication-sample:{seed}:{item}").random()


def ready(*, n_rated: int, a: int, b: int, k: int, adaptive: bool, closed: bool) -> bool:
    """Are the item's ratings complete (see the module docstring)?"""
    if closed or n_rated >= k:
        return True
    return adaptive and abs(a - b) > k - n_rated


def needs_review(labels: Sequence[str], *, mode: str, min_agreement: float, share: float, draw: float) -> bool:
    """Does a complete item with these raters' labels queue for adjudication under the study's setting?"""
    labels = [label for label in labels if label]
    if mode == "disagreements":
        if len(labels) < 2:
            return False
        top, top_share = majority(labels)
        return not top or top_share < min_agreement - 1e-9
    if mode == "sample":
        return bool(labels) and draw < share
    return False


def reviewer_left_is_a(secret: str, reviewer: Any, item: Any) -> bool:
    """The reviewer's own side order for an item: a keyed coin (nobody without the study's secret can predict
    it, and neither the item nor the reviewer alone decides it)."""
    digest = hmac.new(secret.encode(), f"review:{reviewer}:{item}".encode(), hashlib.sha256).digest()
    return bool(digest[0] & 1)


def item_label(labels: Sequence[str], final: str = "") -> tuple[str, str]:
    """(label, source) of one item in the adjudicated results: ("a", "final") or ("b", "majority") or ("", "split")."""
    if final:
        return final, "final"
    top, _ = majority(labels)
    return (top, "majority") if top else ("", "split")


def adjudicated_section(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The adjudicated results from one row per real item with its ``system_a``, ``system_b``, raters'
    ``labels`` (canonical), ``final`` label ("" if none), ``queued`` and ``task``: counts of the queue, how
    often a final label differed from the raters' majority, and one win/tie/loss table per system pair over
    item-level labels (final where present, else majority; split items left out), in the shape of
    ``annotation.stats.preferences.pairwise_preferences``."""
    items = list(items)
    judgments, changed, n_final, split = [], 0, 0, 0
    for row in items:
        label, source = item_label(row["labels"], row.get("final") or "")
        if row.get("final"):
            n_final += 1
            top, _ = majority(row["labels"])
            changed += top != row["final"]
        if not label:
            split += 1
            continue
        answer = {"a": "left", "b": "right"}.get(label, label)
        judgments.append(Judgment(item=row["item"], rater=ITEM_RATER, left=row["system_a"], right=row["system_b"],
                                  answer=answer, task=row.get("task")))
    return {"n_items": len(items), "n_queued": sum(bool(r.get("queued")) for r in items),
            "n_queued_open": sum(bool(r.get("queued")) and not r.get("final") for r in items),
            "n_final": n_final, "n_changed": changed, "n_split_left_out": split,
            "n_labelled": len(judgments), "pairs": pairwise_preferences(judgments) if judgments else []}
