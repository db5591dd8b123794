"""The report's typed records: a judgment row becomes a preference / accuracy record the stats take, a control
carries the side it expects on its slot, and the design's ties of identical outputs are told apart in one place."""
from __future__ import annotations

import pytest

from annotation.controls import expected_side, other_side
from annotation.reports.build import preference_cells, results_section
from annotation.reports.records import AUTO_TIE, JudgmentRecord, is_auto_tie


def row(**kw):
    base = {"item": 1, "rater": "ann", "left_system": "x", "right_system": "y", "system_a": "x", "system_b": "y",
            "answer": "left", "task": "gec", "seconds": 4.5, "is_control": False}
    return {**base, **kw}


@pytest.mark.parametrize("expected,left_is_a,side", [
    ("a", True, "left"), ("a", False, "right"), ("b", True, "right"), ("b", False, "left"),
    ("tie", True, "tie"), ("both_bad", False, "both_bad"), ("", True, None), ("c", False, None),
])
def test_expected_side_turns_canonical_a_b_into_the_side_shown(expected, left_is_a, side):
    assert expected_side(expected, left_is_a) == side


def test_other_side():
    assert other_side("left") == "right" and other_side("right") == "left"
    with pytest.raises(KeyError):
        other_side("tie")


def test_a_control_record_expects_the_side_its_slot_shows_the_winner_on():
    shown_b_left = JudgmentRecord.from_row(row(left_system="y", right_system="x", is_control=True,
                                               control_expected="a"))
    assert shown_b_left.expected == "right"
    assert shown_b_left.preference(controls=True).expected == "right"
    assert shown_b_left.preference() is None  # controls stay out of the results


def test_a_row_without_a_rater_is_a_design_tie_that_agreement_leaves_out():
    auto = JudgmentRecord.from_row(row(item=2, rater="", answer="tie", auto=True))
    asked = JudgmentRecord.from_row(row())
    prefs = [auto.preference(), asked.preference()]
    assert [is_auto_tie(p) for p in prefs] == [True, False]
    assert prefs[0].rater == AUTO_TIE
    assert preference_cells(prefs) == {("ann", 1): "x"}
    assert auto.accuracy() == [] and not auto.real


def test_no_time_sent_reads_as_no_time_and_missing_answers_give_no_records():
    r = JudgmentRecord.from_row(row(seconds=0, answer="", accurate_left=True, accurate_right=None))
    assert r.seconds is None and r.preference() is None
    [acc] = r.accuracy()
    assert (acc.system, acc.accurate, acc.pair) == ("x", True, ("x", "y"))


def test_a_section_counts_design_ties_apart_from_judgments():
    recs = [JudgmentRecord.from_row(row(item=i, rater=f"r{i % 2}", answer="left" if i % 3 else "right"))
            for i in range(6)] + [JudgmentRecord.from_row(row(item=9, rater="", answer="tie", auto=True))]
    s = results_section(recs, scales=[], scores={}, bootstrap=0, seed=0)
    assert (s["n_judgments"], s["n_auto_ties"], s["n_raters"]) == (6, 1, 2)
    assert s["pairs"][0]["n"] == 7  # the tie enters the win/tie/loss counts
