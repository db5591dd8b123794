"""The report's answer in words (issue #14): it never states a winner the next sentence takes back, never calls
agreement reliable on a handful of items, and dates a one-day study "on" that day."""
from __future__ import annotations

import numpy as np

from annotation.reports.prose import MIN_PAIRABLE, methods_paragraph, report_headline
from annotation.stats.agreement import fleiss_kappa


def _report(*, wins: int, losses: int, ties: int = 0, p: float, ci: tuple[float, float], alpha: float,
            pairable: int) -> dict:
    n = wins + losses + ties
    section = {
        "n_judgments": n, "n_items": n, "n_raters": 2, "bradley_terry": None, "accuracy": None,
        "pairs": [{"a": "full", "b": "core", "n": n, "wins": {"count": wins}, "losses": {"count": losses},
                   "win_rate_ties_half": {"rate": (wins + ties / 2) / n, "ci": list(ci)}, "sign_test_p": p}],
        "agreement": {"preference": {"alpha": {"value": alpha, "ci": None}, "n_pairable": pairable, "n_units": n}},
    }
    return {"results": {"all_raters": {"all": section}}, "primary": "all_raters", "raters": {"flagged": {}},
            "exclude_flagged": False}


def test_an_unclear_difference_is_not_announced_as_a_winner():
    head = report_headline(_report(wins=5, losses=4, p=1.0, ci=(0.27, 0.81), alpha=1.0, pairable=2))
    assert head["answer"].startswith("No clear winner yet: full is ahead of core in 56% of 9 judgments")
    assert head["winner"] == "" and head["sure"].startswith("Not a clear difference yet")
    assert any("only 9 decisive judgments" in w for w in head["warnings"])


def test_a_clear_difference_names_the_winner():
    head = report_headline(_report(wins=40, losses=10, p=0.00002, ci=(0.66, 0.88), alpha=0.85, pairable=40))
    assert head["answer"].startswith("full is preferred to core in 80% of 50 judgments")
    assert head["winner"] == "full" and "p < 0.001" in head["sure"]
    assert head["reliable"].startswith("Agreement between raters is reliable") and head["warnings"] == []


def test_agreement_on_a_handful_of_items_gets_no_verdict():
    head = report_headline(_report(wins=5, losses=4, p=1.0, ci=(0.27, 0.81), alpha=1.0, pairable=2))
    assert head["reliable"].startswith("Not known yet: only 2 items were rated by two or more raters")
    assert "reliable" not in head["reliable"] and f"at least {MIN_PAIRABLE}" in head["reliable"]


def test_methods_dates_a_one_day_study_on_that_day():
    meta = {"systems": ["a", "b"], "questions": {"pairwise": True}, "first_judgment": "2026-12-01T10:00:00",
            "last_judgment": "2026-12-01T11:00:00"}
    section = {"n_judgments": 4, "n_items": 2, "agreement": {}}
    text = methods_paragraph(meta, section, {"raters": [1, 2]}, [])
    assert " on 2026-12-01 " in text and "between" not in text and " from 2026-12-01" not in text
    meta["last_judgment"] = "2026-12-03T09:00:00"
    assert " from 2026-12-01 to 2026-12-03 " in methods_paragraph(meta, section, {"raters": [1, 2]}, [])


def test_fleiss_kappa_drop_keeps_the_items_rated_twice_not_the_many_rated_once():
    """Five items with one rating and two with two: 'drop' must keep the two, not report 'no unit has two
    ratings' (what the report printed under '2 raters')."""
    nan = np.nan
    matrix = np.array([[1, 0, 1, 0, 1, 1, 0],
                       [1, 0, nan, nan, nan, nan, nan]], dtype=float)
    k = fleiss_kappa(matrix, unequal="drop")
    assert k.value is not None and k.note == "dropped 5 items without exactly 2 ratings"
    lone = np.array([[1, 0, 1], [nan, nan, nan]], dtype=float)
    assert fleiss_kappa(lone, unequal="drop").reason in ("only one rater", "no item has two or more ratings")


def test_a_closed_study_does_not_say_yet():
    report = _report(wins=5, losses=4, p=1.0, ci=(0.27, 0.81), alpha=1.0, pairable=2)
    report["meta"] = {"status": "closed"}
    head = report_headline(report)
    assert head["answer"].startswith("No clear winner: ") and head["sure"].startswith("Not a clear difference:")


def test_undefined_agreement_on_few_items_still_says_too_few():
    report = _report(wins=5, losses=4, p=1.0, ci=(0.27, 0.81), alpha=1.0, pairable=1)
    report["results"]["all_raters"]["all"]["agreement"]["preference"]["alpha"] = {"value": None, "reason": "only one item"}
    reliable = report_headline(report)["reliable"]
    assert reliable.startswith("Not known yet: only 1 item was rated") and "too few" in reliable and "only one item" in reliable
