"""Rater quality on a simulated study: the two bad raters are flagged, nobody else."""

from __future__ import annotations

import json

import numpy as np
import pytest

from annotation.stats.preferences import preference_summary
from annotation.stats.rater_quality import RaterQuality, exclude_raters, rater_quality, results_without_flagged

N_ITEMS, N_CONTROLS = 80, 12


def simulate_study(seed: int = 0, careful: float = 0.8) -> list[dict]:
    """10 careful raters, one random clicker, one always-left rater; sides randomised per (item, rater).

    System A is truly better on ~75% of items; careful raters give the true answer with probability
    ``careful`` (0.95 on controls, where B is a degraded copy), else tie or the wrong side.
    """
    rng = np.random.default_rng(seed)
    truth = np.where(rng.random(N_ITEMS) < 0.75, "A", "B")
    raters = [f"careful{i}" for i in range(10)] + ["clicker", "lefty"]
    records = []
    for rater in raters:
        for item in range(N_ITEMS + N_CONTROLS):
            control = item >= N_ITEMS
            left, right = ("A", "B") if rng.random() < 0.5 else ("B", "A")
            best = "A" if control else truth[item]
            good = "left" if left == best else "right"
            bad = "right" if good == "left" else "left"
            if rater == "clicker":
                answer = rng.choice(["left", "right", "tie"])
            elif rater == "lefty":
                answer = "left"
            else:
                p_ok = 0.95 if control else careful
                u = rng.random()
                answer = good if u < p_ok else "tie" if u < (1 + p_ok) / 2 else bad
            record = {"item": item, "rater": rater, "left": left, "right": right, "answer": str(answer),
                      "task": "simplify" if item % 2 else "compress",
                      "seconds": float(rng.lognormal(np.log(15), 0.4))}
            if control:
                record["expected"] = good
            records.append(record)
    return records


@pytest.mark.parametrize("seed", [0, 1])
def test_bad_raters_flagged_and_nobody_else(seed):
    model = RaterQuality().fit(simulate_study(seed))
    assert set(model.flagged_) == {"clicker", "lefty"}
    assert "always_left" in model.flagged_["lefty"]
    assert "random_clicking" in model.flagged_["clicker"]
    careful = [m for r, m in model.report_.items() if r.startswith("careful")]
    assert min(m["alpha_vs_others"] for m in careful) > 0.3
    assert model.report_["clicker"]["alpha_vs_others"] < 0.1
    assert model.report_["lefty"]["share_left"] == 1.0
    assert all(m["control_accuracy"] >= 0.7 for m in careful)


def test_controls_mapping_gives_the_same_accuracy_as_expected_answers():
    records = simulate_study(0)
    controls = {item: "A" for item in range(N_ITEMS, N_ITEMS + N_CONTROLS)}
    stripped = [{k: v for k, v in r.items() if k != "expected"} for r in records]
    by_expected = RaterQuality().fit(records).report_
    by_mapping = RaterQuality(controls=controls).fit(stripped).report_
    for r in by_expected:
        assert by_mapping[r]["control_accuracy"] == by_expected[r]["control_accuracy"]


def test_too_fast_and_always_tie_flags():
    records = simulate_study(0)
    for r in records:
        if r["rater"] == "careful3":
            r["seconds"] = 0.8
        if r["rater"] == "careful5":
            r["answer"] = "tie"
    flagged = RaterQuality().fit(records).flagged_
    assert flagged["careful3"] == ["too_fast"]
    assert "always_tie" in flagged["careful5"]


def test_thresholds_are_parameters():
    records = simulate_study(0)
    lenient = RaterQuality(max_random_ac1=-1.0, min_control_accuracy=0.0, max_side_share=1.01).fit(records)
    assert lenient.flagged_ == {}


def test_results_without_flagged_raters():
    records = simulate_study(0)
    out = results_without_flagged(records)
    assert set(out["excluded"]) == {"clicker", "lefty"}
    kept = exclude_raters(records, out["excluded"])
    regular = [r for r in kept if "expected" not in r]
    assert out["result"] == preference_summary(regular)
    assert out["result"]["n_judgments"] == 10 * N_ITEMS
    # The always-left rater skews position bias; without the bad raters it is gone.
    with_all = preference_summary([r for r in records if "expected" not in r])["position_bias"]["share_left"]
    assert with_all > out["result"]["position_bias"]["share_left"]
    json.dumps(rater_quality(records))


def test_empty_input_is_an_error():
    with pytest.raises(ValueError, match="no judgments"):
        RaterQuality().fit([])
