"""Rater competence and soft labels (MACE / Dawid–Skene) on simulated studies whose truth is known."""
from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from annotation.stats.competence import RaterCompetence, soft_results, unit_label
from annotation.stats.competence_sim import simulate_preferences
from annotation.stats.preferences import Judgment, pairwise_preferences

simulate = simulate_preferences


def majority_accuracy(js: list[Judgment], truth: dict) -> float:
    """Share of items whose plurality label is the true winner (a tied plurality counts as half right when the
    truth is among the tied labels, as a coin flip between them would be)."""
    votes: dict = defaultdict(Counter)
    for j in js:
        unit, label = unit_label(j)
        votes[unit][("a", "b", "tie")[label]] += 1
    score = 0.0
    for unit, c in votes.items():
        top = max(c.values())
        best = [lab for lab, n in c.items() if n == top]
        score += (truth[unit[0]] in best) / len(best)
    return score / len(votes)


def soft_accuracy(model: RaterCompetence, truth: dict) -> float:
    return float(np.mean([max(p, key=p.get) == truth[u[0]] for u, p in model.posteriors_.items()]))


@pytest.mark.parametrize("model", ["mace", "dawid_skene"])
def test_competence_ranks_careful_raters_above_random_clickers_and_spammers(model):
    """Over 20 simulated studies where 7 of 10 raters are random clickers or always-left spammers, every careful
    rater scores above every bad one in at least 18, and no careful rater is ever flagged."""
    ranked = 0
    for seed in range(20):
        js, _ = simulate(seed=seed)
        fit = RaterCompetence(model=model, random_state=0).fit(js)
        careful = [c for r, c in fit.competence_.items() if r.startswith("careful")]
        bad = [c for r, c in fit.competence_.items() if not r.startswith("careful")]
        ranked += min(careful) > max(bad)
        assert np.mean(careful) > np.mean(bad) + {"mace": 0.2, "dawid_skene": 0.1}[model]
        assert not any(r.startswith("careful") for r in fit.flagged_)
    assert ranked >= 18


def test_mace_competence_is_chance_free_and_flags_every_bad_rater():
    js, _ = simulate(seed=2, careful=4, random=3, left=3)
    fit = RaterCompetence().fit(js)
    for r, c in fit.competence_.items():
        if r.startswith("careful"):
            assert c > 0.45, (r, c)
        else:
            assert c < 0.3, (r, c)
    assert set(fit.flagged_) == {r for r in fit.competence_ if not r.startswith("careful")}
    # an always-left rater's position-free labels are a coin flip between a and b: MACE's spamming distribution
    spam = fit.spamming_["left0"]
    assert spam["tie"] < 0.1 and abs(spam["a"] - spam["b"]) < 0.3


def test_soft_labels_recover_the_true_winner_better_than_majority_vote_when_bad_raters_are_many():
    """20 simulated studies, 7 of 10 raters bad: the soft labels' most probable winner is right more often than the
    majority vote in every one, and by 15 points on average."""
    soft, mv = [], []
    for seed in range(20):
        js, truth = simulate(seed=seed, careful=3, random=4, left=3)
        soft.append(soft_accuracy(RaterCompetence().fit(js), truth))
        mv.append(majority_accuracy(js, truth))
    assert all(s > m for s, m in zip(soft, mv, strict=True)), list(zip(soft, mv, strict=True))
    assert np.mean(soft) > np.mean(mv) + 0.15
    assert np.mean(soft) > 0.8


def test_with_careful_raters_only_soft_labels_are_as_good_as_majority_vote():
    js, truth = simulate(seed=5, careful=6, random=0, left=0, k=3)
    fit = RaterCompetence().fit(js)
    assert soft_accuracy(fit, truth) >= majority_accuracy(js, truth) - 0.02


def test_soft_win_rate_is_closer_to_the_truth_than_the_raw_win_rate():
    js, truth = simulate(n_items=200, seed=6, p_a=0.75)
    true_rate = np.mean([t == "a" for t in truth.values()])
    raw = pairwise_preferences(js)[0]["win_rate_ties_half"]["rate"]
    fit = RaterCompetence().fit(js)
    soft = soft_results(fit.posteriors_, bootstrap=200)
    pair = soft["pairs"][0]
    assert abs(pair["win_rate_ties_half"]["rate"] - true_rate) < abs(raw - true_rate) / 2
    lo, hi = pair["win_rate_ties_half"]["bootstrap_ci"]
    assert lo < pair["win_rate_ties_half"]["rate"] < hi
    assert pair["most_probable"]["a"] + pair["most_probable"]["b"] + pair["most_probable"]["tie"] == 200
    assert soft["bradley_terry"]["strengths"]["A"] > soft["bradley_terry"]["strengths"]["B"]


def test_controls_are_units_of_known_truth():
    js, truth = simulate(seed=7, control_every=5)
    fit = RaterCompetence().fit(js)
    for (item, _, _), p in fit.posteriors_.items():
        if item % 5 == 0:
            assert p[truth[item]] == pytest.approx(1.0)
    without = RaterCompetence(use_controls=False).fit(js)
    assert len(without.units_) == len(fit.units_) - len(range(0, 120, 5))


def test_the_same_random_state_gives_the_same_fit_and_restarts_never_lower_the_posterior():
    js, _ = simulate(seed=8)
    a, b = RaterCompetence(random_state=3).fit(js), RaterCompetence(random_state=3).fit(js)
    assert a.competence_ == b.competence_ and a.posteriors_ == b.posteriors_
    single = RaterCompetence(n_restarts=0).fit(js)
    assert a.log_posterior_ >= single.log_posterior_ - 1e-9
    assert a.converged_


def test_fit_labels_takes_any_categories_and_finds_the_spammer():
    rng = np.random.default_rng(0)
    truth = {u: int(rng.integers(0, 4)) for u in range(80)}
    answers = []
    for u, t in truth.items():
        for r in ("r1", "r2", "r3"):
            answers.append((u, r, t if rng.random() < 0.85 else int(rng.integers(0, 4))))
        answers.append((u, "spam", int(rng.integers(0, 4))))
    fit = RaterCompetence().fit_labels(answers, labels=[0, 1, 2, 3])
    assert fit.labels_ == [0, 1, 2, 3]
    assert fit.competence_["spam"] < 0.2 < 0.6 < min(fit.competence_[r] for r in ("r1", "r2", "r3"))
    assert list(fit.flagged_) == ["spam"]
    assert {row["unit"] for row in fit.soft_labels()} == set(truth)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="no judgments"):
        RaterCompetence().fit([])
    with pytest.raises(ValueError, match="model must be one of"):
        RaterCompetence(model="glad").fit(simulate(n_items=5)[0])
    with pytest.raises(ValueError, match="not one of"):
        RaterCompetence().fit_labels([(1, "r", "x")], labels=["y", "z"])


def test_a_rater_with_few_answers_is_not_flagged():
    js, _ = simulate(seed=9)
    js = js + [Judgment(item=999, rater="newcomer", left="A", right="B", answer="tie")]
    fit = RaterCompetence().fit(js)
    assert "newcomer" in fit.competence_ and "newcomer" not in fit.flagged_
    assert fit.n_answers_["newcomer"] == 1


def test_soft_bradley_terry_says_why_when_it_does_not_exist():
    js = [Judgment(item=i, rater=r, left="A", right="B", answer="left") for i in range(5) for r in ("x", "y")]
    soft = soft_results(RaterCompetence().fit(js).posteriors_)
    assert soft["pairs"][0]["win_rate_ties_half"]["rate"] > 0.8
    bt = soft["bradley_terry"]
    assert bt["strengths"] is not None or "never" in bt["reason"]
