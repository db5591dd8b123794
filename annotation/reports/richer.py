"""The report's richer preference results (pure, no Django), for the section over all tasks: Bradley–Terry with
ties (Davidson), the length-controlled comparison, the fragility of the winner, graded preferences and one
comparison per criterion. See annotation/stats/preference_models.py for the models."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from annotation.reports.records import JudgmentRecord, is_auto_tie
from annotation.stats.preference_models import davidson, fragility, length_controlled
from annotation.stats.preferences import Judgment, bradley_terry, pairwise_preferences

RICH_BOOTSTRAP = 100  # resamples for the refitted models (each resample is an optimisation, not a re-weighting)

__all__ = ["RICH_BOOTSTRAP", "richer_section"]


def _graded(records: list[JudgmentRecord]) -> list[dict[str, Any]] | None:
    """Per system pair (sorted): how often each system was much / slightly better, and the ties."""
    rows: dict[tuple[str, str], Counter] = defaultdict(Counter)
    any_grade = False
    for r in records:
        if not r.real or r.answer not in ("left", "right", "tie", "both_bad"):
            continue
        a, b = sorted((r.left_system, r.right_system))
        if r.answer in ("tie", "both_bad"):
            rows[(a, b)]["tie"] += 1
            continue
        winner = r.left_system if r.answer == "left" else r.right_system
        grade = r.strength or "ungraded"
        any_grade |= bool(r.strength)
        rows[(a, b)][f"{'a' if winner == a else 'b'}_{grade}"] += 1
    if not any_grade:
        return None
    return [{"a": a, "b": b, "a_much": c["a_much"], "a_slightly": c["a_slightly"], "tie": c["tie"],
             "b_slightly": c["b_slightly"], "b_much": c["b_much"], "n": sum(c.values())}
            for (a, b), c in sorted(rows.items())]


def _criteria(records: list[JudgmentRecord], criteria: list[dict], bootstrap: int, seed: int) -> list[dict]:
    out = []
    for c in criteria:
        js = []
        for r in records:
            answer = (r.criteria.get(c["key"]) or {}).get("answer") if r.real else None
            if answer in ("left", "right", "tie"):
                js.append(Judgment(item=r.item, rater=r.rater, left=r.left_system, right=r.right_system,
                                   answer=answer, task=r.task))
        if js:
            out.append({"key": c["key"], "label": c["label"], "n": len(js), "pairs": pairwise_preferences(js),
                        "davidson": davidson(js, bootstrap=bootstrap, random_state=seed)})
    return out


def richer_section(records: list[JudgmentRecord], prefs: list[Judgment], *, criteria: list[dict],
                   bootstrap: int, seed: int) -> dict[str, Any]:
    """Davidson, length control, fragility, graded counts and per-criterion results for one set of records
    (``prefs``: their pairwise answers, design ties included)."""
    b = min(bootstrap, RICH_BOOTSTRAP)
    asked = [p for p in prefs if not is_auto_tie(p)]
    edits = [{"item": r.item, "rater": r.rater, "left": r.left_system, "right": r.right_system, "answer": r.answer,
              "left_edit": r.left_edit, "right_edit": r.right_edit}
             for r in records if r.real and r.answer in ("left", "right", "tie", "both_bad")
             and r.left_system != r.right_system]
    return {
        "davidson": davidson(prefs, bootstrap=b, random_state=seed) if prefs else None,
        "length_control": length_controlled(edits, bootstrap=b, random_state=seed) if edits else None,
        "fragility": fragility(asked) if asked else None,
        "graded": _graded(records),
        "criteria": _criteria(records, criteria, b, seed),
        "bradley_terry_drop_ties": bradley_terry(asked, ties="drop") if asked else None,
    }
