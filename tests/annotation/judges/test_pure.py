"""The pure parts: judge specs, verdicts from scores, and the judge-vs-human statistics on small hand-made cases
(with their "too little data" flags) and on a large case whose values are known."""
from __future__ import annotations

import math
import random

import pytest

from annotation.judges import JudgeError, parse_spec
from annotation.judges.base import Verdict, verdict_from_scores
from annotation.reports.prose import judge_sentences
from annotation.stats.judges import JudgeRecord, human_majority, judge_report, judge_verdicts
from annotation.stats.preferences import Judgment


@pytest.mark.parametrize(("text", "kw", "label"), [
    ("hf:/models/flan-t5-large", {}, "hf:flan-t5-large"),
    ("hf:google/flan-t5-base", {"tie_margin": "0.1"}, "hf:flan-t5-base"),
    ("openai:http://127.0.0.1:8000/v1", {"model": "llama"}, "openai:llama@127.0.0.1:8000"),
    ("sim:accuracy=0.8,left_bias=0.25", {}, "sim:acc0.80-left0.25"),
    ("SIM:", {}, "sim:acc1.00-left0.00"),
])
def test_specs_parse_into_labels(text, kw, label):
    assert parse_spec(text, **kw).label() == label


def test_options_are_typed_and_kept_per_kind():
    spec = parse_spec("openai:https://lab.example/v1", model="m", api_key_env="LAB_KEY", timeout="5",
                      logprobs="yes", retries=None)
    assert spec.options == {"api_key_env": "LAB_KEY", "timeout": 5.0, "logprobs": True}
    assert parse_spec("hf:x", tie_margin="0.05").options == {"tie_margin": 0.05}


@pytest.mark.parametrize(("text", "kw", "message"), [
    ("flan", {}, "A judge is hf:PATH"), ("hf:", {}, "needs a model"), ("hf: ", {}, "needs a model"),
    ("openai:127.0.0.1:8000", {"model": "m"}, "needs a base URL"), ("openai:http://h/v1", {}, "model name"),
    ("sim:accuracy=1.5", {}, "probability in"), ("sim:accuracy", {}, "key=value"),
    ("sim:temperature=1", {}, "has no option 'temperature'"), ("hf:x", {"tie_margin": "lots"}, "must be a float"),
    ("hf:x", {"tie_margin": 0.5}, "tie_margin"), ("ollama:x", {}, "Unknown judge kind"),
    ("openai:http://h/v1", {"model": "m", "logprobs": "maybe"}, "must be a bool"),
])
def test_bad_specs_say_what_is_wrong(text, kw, message):
    with pytest.raises(JudgeError, match=message):
        parse_spec(text, **kw)


def test_verdicts_from_scores():
    v = verdict_from_scores(math.log(0.75), math.log(0.25))
    assert v.answer == "left" and v.p_left == pytest.approx(0.75)
    assert verdict_from_scores(-3.0, -1.0).answer == "right"
    assert verdict_from_scores(-1.0, -1.05, tie_margin=0.05).answer == "tie"
    assert verdict_from_scores(-1e6, 0.0).p_left == pytest.approx(0.0, abs=1e-300)  # no overflow
    with pytest.raises(ValueError):
        Verdict(answer="both_bad")
    with pytest.raises(ValueError):
        Verdict(answer="left", p_left=1.5)


def _h(item, rater, left, right, answer):
    return Judgment(item=item, rater=rater, left=left, right=right, answer=answer)


def _j(item, left, right, answer):
    return JudgeRecord(item=item, left=left, right=right, answer=answer)


HUMANS = [_h(1, "r1", "x", "y", "left"), _h(1, "r2", "y", "x", "right"), _h(1, "r3", "x", "y", "right"),  # x, x, y
          _h(2, "r1", "x", "y", "left"), _h(2, "r2", "x", "y", "right"),  # x, y: no majority
          _h(3, "r1", "x", "y", "tie"), _h(3, "r2", "x", "y", "both_bad"), _h(3, "r3", "y", "x", "left")]  # tie
JUDGE = [_j(1, "x", "y", "left"), _j(1, "y", "x", "right"),  # x in both orders
         _j(2, "x", "y", "left"), _j(2, "y", "x", "left"),  # follows the side: a tie
         _j(3, "x", "y", "left"), _j(3, "y", "x", "left"),  # follows the side: a tie
         _j(4, "x", "y", "")]  # a reply that named no answer


def test_majorities_verdicts_and_a_small_report_by_hand():
    assert human_majority(HUMANS) == ({1: "x", 3: "tie"}, 1)
    verdicts, consistent = judge_verdicts(a for a in JUDGE if a.answer)
    assert verdicts == {1: "x", 2: "tie", 3: "tie"} and consistent == {1: True, 2: False, 3: False}
    r = judge_report(HUMANS, JUDGE, bootstrap=0)
    assert (r["n_answers"], r["n_unusable"], r["n_items"], r["n_compared"], r["n_no_majority"]) == (7, 1, 3, 2, 1)
    assert r["agreement"]["count"] == 2 and r["agreement"]["rate"] == 1.0
    assert "too little data" in r["agreement"]["caution"]
    assert r["agreement_decisive"]["n"] == 1 and r["agreement_decisive"]["rate"] == 1.0
    assert r["agreement_per_answer"]["n"] == 4 and r["agreement_per_answer"]["count"] == 2  # item 1's two answers
    assert r["consistency"]["rate"] == pytest.approx(1 / 3)
    pb = r["position_bias"]
    assert (pb["left"], pb["right"], pb["n_decisive"]) == (5, 1, 6) and "too little data" in pb["caution"]
    assert r["cohen_kappa"]["value"] == pytest.approx(1.0) and r["cohen_kappa"]["caution"]
    # One rater vs the others: item 1: r1 and r2 (x) face a level (x, y), r3 (y) faces x, x: no; item 2: each of
    # the two faces the other's label: no, no; item 3: r1 and r2 (tie) face a level (tie, y), r3 (y) faces tie: no.
    rest = r["human_vs_rest"]
    assert (rest["count"], rest["n"]) == (0, 4)
    text = judge_sentences([{"name": "j", "description": "a test judge", **r}])
    assert "Judge j (a test judge) agreed with the human majority on 100% of 2 items (95% CI" in text
    assert "; too little data)" in text and "1 of its 7 replies named no answer" in text


def test_nothing_to_compare_is_undefined_not_a_crash():
    r = judge_report([], [_j(1, "x", "y", "left")], bootstrap=50)
    assert r["agreement"]["rate"] is None and r["agreement"]["reason"].startswith("no items")
    assert r["cohen_kappa"]["value"] is None and r["consistency"]["rate"] is None
    empty = judge_report(HUMANS, [], bootstrap=50)
    assert empty["position_bias"] is None and empty["pairs"] == []
    assert "has answered nothing yet" in judge_sentences([{"name": "j", **empty}])
    assert judge_sentences([]) == ""


def test_a_large_case_recovers_the_judges_accuracy_and_kappa():
    """One perfect rater per item (the truth), a judge right 80% of the time in each order independently: it
    agrees (consistent and right) with probability 0.64, and is consistent with 0.64 + 0.04 = 0.68."""
    rng = random.Random(0)
    humans, judge = [], []
    for item in range(4000):
        truth = "x" if rng.random() < 0.5 else "y"
        humans.append(_h(item, "truth", "x", "y", "left" if truth == "x" else "right"))
        for left, right in (("x", "y"), ("y", "x")):
            pick = truth if rng.random() < 0.8 else ("y" if truth == "x" else "x")
            judge.append(_j(item, left, right, "left" if pick == left else "right"))
    r = judge_report(humans, judge, bootstrap=200)
    assert r["agreement"]["rate"] == pytest.approx(0.64, abs=0.03)
    assert r["consistency"]["rate"] == pytest.approx(0.68, abs=0.03)
    assert r["position_bias"]["share_left"] == pytest.approx(0.5, abs=0.02)
    assert r["agreement"]["caution"] is None and r["cohen_kappa"]["caution"] is None
    lo, hi = r["cohen_kappa"]["ci"]
    assert lo < r["cohen_kappa"]["value"] < hi
