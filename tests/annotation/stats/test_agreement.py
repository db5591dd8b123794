"""Agreement statistics against published worked examples, edge cases and the fast bootstrap."""

from __future__ import annotations

import doctest
import json
import math

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from annotation.stats import agreement
from annotation.stats.agreement import (
    LEVELS,
    agreement_report,
    cohen_kappa,
    cohen_kappa_pairs,
    encode_ratings,
    fleiss_kappa,
    gwet_ac,
    gwet_ac1,
    krippendorff_alpha,
    krippendorff_alpha_resamples,
    load_ratings,
    percent_agreement,
    resample_indices,
    scotts_pi,
)

nan = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", 4 coders x 12 units, with missing
# values; also Gwet (2014, p. 120) / irrCAC's raw_4raters.
KRIPP_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]
WORDS = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
SCALE = ["very low", "low", "mid", "high", "very high"]

# Fleiss (1971) as on Wikipedia: 10 items, 14 raters each, 5 categories (counts per item).
FLEISS_COUNTS = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]


def counts_to_matrix(counts: list[list[int]]) -> np.ndarray:
    """Raters x items matrix from per-item category counts (rater identity does not matter)."""
    cols = [np.repeat(np.arange(len(row)), row) for row in counts]
    return np.array(cols, dtype=float).T


def kripp_strings() -> list[list]:
    return [[None if (isinstance(x, float) and math.isnan(x)) else WORDS[x] for x in row] for row in KRIPP_2011]


@pytest.mark.parametrize("level, expected", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849),
                                              ("ratio", 0.797)])
def test_krippendorff_2011_example(level, expected):
    assert round(krippendorff_alpha(KRIPP_2011, level).value, 3) == expected


def test_krippendorff_string_labels_follow_declared_scale():
    assert round(krippendorff_alpha(kripp_strings(), "nominal").value, 3) == 0.743
    assert round(krippendorff_alpha(kripp_strings(), "ordinal", categories=SCALE).value, 3) == 0.815
    reason = krippendorff_alpha(kripp_strings(), "interval").reason
    assert reason == "interval alpha needs numeric labels; these are strings"
    assert "declared category order" in krippendorff_alpha(kripp_strings(), "ordinal").reason


def test_ordinal_alpha_with_declared_scale_counts_unused_categories_like_the_package():
    data = np.array([[1, 1, 3, 3, 1], [1, 3, 3, 1, 1]], dtype=float)
    ours = krippendorff_alpha(data, "ordinal", categories=[1, 2, 3]).value
    assert ours == pytest.approx(krippendorff.alpha(data, value_domain=[1, 2, 3], level_of_measurement="ordinal"))


def test_fleiss_1971_wikipedia_example():
    assert round(fleiss_kappa(counts_to_matrix(FLEISS_COUNTS)).value, 3) == 0.210


def test_fleiss_needs_equal_rating_counts():
    stat = fleiss_kappa(KRIPP_2011)
    assert stat.value is None and "same number of ratings per item" in stat.reason and "1 to 4" in stat.reason
    dropped = fleiss_kappa(KRIPP_2011, unequal="drop")
    complete = np.array(KRIPP_2011)[:, ~np.isnan(KRIPP_2011).any(axis=0)]
    assert dropped.value == pytest.approx(fleiss_kappa(complete).value)
    assert dropped.note == "dropped 4 items without exactly 4 ratings"


def test_fleiss_allows_different_raters_with_the_same_count_per_item():
    # Each item rated by 2 of 3 raters: equal counts, different raters; equals the complete 2-row version.
    full = np.array([[1, 2, 2, 1, 3, 3], [1, 2, 3, 1, 3, 2]], dtype=float)
    spread = np.full((3, 6), nan)
    for j in range(6):
        rows = [(j % 3), (j + 1) % 3]
        spread[rows, j] = full[:, j]
    assert fleiss_kappa(spread).value == pytest.approx(fleiss_kappa(full).value)


def test_cohen_kappa_textbook_example():
    # Wikipedia: 50 proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> kappa 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa([a, b]).value == pytest.approx(0.4)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_sklearn(weights):
    rng = np.random.default_rng(3)
    truth = rng.integers(1, 6, 80)
    r1 = np.clip(truth + rng.integers(-1, 2, 80), 1, 5)
    r2 = np.clip(truth + rng.integers(-2, 2, 80), 1, 5)
    r2[:5] = 1
    expected = cohen_kappa_score(r1, r2, weights=weights, labels=[1, 2, 3, 4, 5, 6, 7])
    assert cohen_kappa([r1, r2], weights, categories=[1, 2, 3, 4, 5, 6, 7]).value == pytest.approx(expected)
    assert cohen_kappa([r1, r2], weights).value == pytest.approx(cohen_kappa_score(r1, r2, weights=weights))


def test_cohen_kappa_pairs_use_items_both_rated_and_mean_over_pairs():
    pairs = cohen_kappa_pairs(KRIPP_2011, "quadratic")
    assert set(pairs) == {(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)}
    data = np.array(KRIPP_2011)
    both = ~np.isnan(data[1]) & ~np.isnan(data[2])
    expected = cohen_kappa_score(data[1, both], data[2, both], weights="quadratic", labels=[1, 2, 3, 4, 5])
    assert pairs[(1, 2)].value == pytest.approx(expected)
    assert cohen_kappa(KRIPP_2011, "quadratic").value == pytest.approx(np.mean([s.value for s in pairs.values()]))


def test_gwet_ac1_irrcac_raw_4raters():
    # irrCAC (Gwet 2014, p. 120): AC1 0.775; AC2 linear 0.859, quadratic 0.914.
    assert round(gwet_ac1(KRIPP_2011).value, 3) == 0.775
    assert round(gwet_ac(KRIPP_2011, "linear").value, 3) == 0.859
    assert round(gwet_ac(KRIPP_2011, "quadratic").value, 3) == 0.914


def test_gwet_ac1_irrcac_raw_5observers():
    observers = [
        [1, 1, 2, None, 0, 0, 1, 1, 2, 2, None, 0, 1, 3, 1],
        [1, 1, 3, 0, 0, 0, 0, None, 2, 1, 1, 0, 2, 3, 1],
        [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
        [None, 1, 3, None, None, None, None, 0, None, 1, 0, 0, 2, 2, None],
        [2, None, None, 0, 0, 0, 1, None, 2, None, None, None, None, 3, 1],
    ]
    assert round(gwet_ac1(observers).value, 3) == 0.497


def test_gwet_ac1_irrcac_string_datasets():
    gender = [s.split() for s in ("a a a a a b b b c a a a a a b", "a a a a b a b c c a a a a b a",
                                  "a b b c a a b b c a b b c a a", "c c c c a a b b c c c c c a a")]
    assert round(gwet_ac1(gender).value, 3) == 0.208
    ben = ["a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"]
    gerry = ["b", "a", "b", "b", "b", "c", "c", "c", "e", None, "d", "d"]
    assert round(gwet_ac1([ben, gerry]).value, 3) == 0.661


def test_percent_agreement_over_units_with_two_ratings():
    assert round(percent_agreement(KRIPP_2011).value, 3) == 0.818  # irrCAC's pa for raw_4raters


def test_scotts_pi_equals_fleiss_with_two_raters():
    rng = np.random.default_rng(1)
    data = rng.integers(0, 4, size=(2, 40)).astype(float)
    data[1, :25] = data[0, :25]
    assert scotts_pi(data).value == pytest.approx(fleiss_kappa(data).value)


def test_scotts_pi_hand_computed():
    # 10 items: agree on 7; pooled marginals yes 11/20, no 9/20 -> pe = 0.505, pi = (0.7-0.505)/0.495
    a = ["y"] * 6 + ["n"] * 4
    b = ["y"] * 4 + ["n"] * 2 + ["y"] + ["n"] * 3
    assert scotts_pi([a, b]).value == pytest.approx((0.7 - 0.505) / 0.495)


@pytest.mark.parametrize("matrix, reason", [
    ([[2, 2, 2], [2, 2, 2]], "no variation: every paired rating is 2"),
    ([[1, 2, 3]], "only one rater"),
    ([[4], [4]], "no variation: every paired rating is 4"),
    ([[nan, nan], [nan, nan]], "no ratings"),
    ([[1, nan], [nan, 2]], "no unit has two or more ratings"),
])
def test_degenerate_data_is_undefined_with_reason(matrix, reason):
    for stat in (krippendorff_alpha(matrix, "nominal"), krippendorff_alpha(matrix, "interval"),
                 fleiss_kappa(matrix), gwet_ac1(matrix), cohen_kappa(matrix), scotts_pi(matrix)):
        assert stat.value is None and stat.reason == reason


# Tiny inputs: the values the reference packages define, flagged as resting on too little data.
THIN = "rests on too little data"


def test_one_unit_two_disagreeing_raters_alpha_is_zero_as_the_package():
    for level in LEVELS:
        ref = krippendorff.alpha(reliability_data=np.array([[1.0], [2.0]]), level_of_measurement=level)
        stat = krippendorff_alpha([[1], [2]], level, bootstrap=50)
        assert stat.value == pytest.approx(ref) == pytest.approx(0.0)
        assert stat.reason is None and THIN in stat.caution and "1 unit with" in stat.caution
        assert stat.ci is None  # a bootstrap over one unit says nothing


def test_one_item_cohen_kappa_is_zero_as_sklearn():
    assert cohen_kappa_score(["yes"], ["no"]) == 0.0
    stat = cohen_kappa([["yes"], ["no"]])
    assert stat.value == 0.0 and THIN in stat.caution and "1 item rated by both raters" in stat.caution
    (pair,) = cohen_kappa_pairs([["yes", None], ["no", "no"]]).values()
    assert pair.value == 0.0 and pair.caution


def fleiss_by_hand(counts):
    """Fleiss (1971) from a subjects x categories count table, as statsmodels' fleiss_kappa computes it."""
    t = np.asarray(counts, dtype=float)
    n = t.sum(axis=1)[0]
    p_j = t.sum(axis=0) / t.sum()
    p_i = ((t * t).sum(axis=1) - n) / (n * (n - 1))
    return (p_i.mean() - (p_j ** 2).sum()) / (1 - (p_j ** 2).sum())


@pytest.mark.parametrize("matrix, counts", [
    ([[0], [1]], [[1, 1]]),                       # one subject, split 1-1: kappa -1
    ([["a"], ["b"], ["c"]], [[1, 1, 1]]),          # one subject, three ways: -1/2
    ([[0], [0], [1], [1]], [[2, 2]]),              # one subject, split 2-2: -1/3
])
def test_one_subject_fleiss_kappa_as_statsmodels(matrix, counts):
    stat = fleiss_kappa(matrix)
    assert stat.value == pytest.approx(fleiss_by_hand(counts))
    assert THIN in stat.caution
    try:
        from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss
    except ImportError:  # optional reference: the hand formula above is statsmodels' own
        return
    assert stat.value == pytest.approx(sm_fleiss(np.asarray(counts), method="fleiss"))


def test_split_subject_fleiss_is_minus_one():
    assert fleiss_kappa([[0], [1]]).value == pytest.approx(-1.0)


def test_enough_units_carry_no_caution_and_the_report_lists_cautions():
    data = np.tile(np.array([[1.0, 2.0, 3.0, 1.0, 2.0], [1.0, 2.0, 3.0, 2.0, 2.0]]), 2)  # 10 units
    assert krippendorff_alpha(data).caution is None and fleiss_kappa(data).caution is None
    assert krippendorff_alpha(data[:, :9]).caution.startswith(THIN)
    report = agreement_report([[0], [1]])
    assert report["alpha"] == 0.0 and report["fleiss_kappa"] == -1.0 and report["cohen_kappa"]["unweighted"] == 0.0
    assert report["undefined"] == {} and set(report["caution"]) >= {"krippendorff_alpha.nominal", "fleiss_kappa"}
    assert krippendorff_alpha([[0], [1]]).to_dict()["caution"].startswith(THIN)


def test_percent_agreement_is_a_genuine_one_without_variation_but_undefined_without_pairs():
    assert percent_agreement([[2, 2, 2], [2, 2, 2]]).value == 1.0
    assert percent_agreement([[1, nan], [nan, 2]]).value is None


def test_report_shape_and_undefined_reasons():
    report = agreement_report(kripp_strings())
    assert set(report) == {"n_raters", "n_items", "level", "alpha", "percent_agreement", "krippendorff_alpha",
                           "fleiss_kappa", "scotts_pi", "gwet_ac1", "cohen_kappa", "undefined", "caution"}
    assert (report["n_raters"], report["n_items"]) == (4, 12)
    assert set(report["krippendorff_alpha"]) == set(LEVELS)
    assert set(report["cohen_kappa"]) == {"unweighted", "linear", "quadratic"}
    assert round(report["krippendorff_alpha"]["nominal"], 3) == 0.743 == round(report["alpha"], 3)
    assert report["krippendorff_alpha"]["ratio"] is None and report["cohen_kappa"]["linear"] is None
    assert set(report["undefined"]) == {"fleiss_kappa", "krippendorff_alpha.ordinal", "krippendorff_alpha.interval",
                                        "krippendorff_alpha.ratio", "cohen_kappa.linear", "cohen_kappa.quadratic"}
    json.dumps(report)  # JSON-ready: no numpy scalars, no NaN


def test_report_with_declared_scale_and_bootstrap():
    report = agreement_report(kripp_strings(), level="ordinal", categories=SCALE, bootstrap=200)
    assert round(report["alpha"], 3) == 0.815
    assert report["krippendorff_alpha"]["interval"] is None
    lo, hi = report["ci"]["krippendorff_alpha.ordinal"]
    assert lo < report["alpha"] < hi <= 1
    assert report == agreement_report(kripp_strings(), level="ordinal", categories=SCALE, bootstrap=200)
    json.dumps(report)


@pytest.mark.parametrize("level", LEVELS)
def test_fast_bootstrap_equals_the_package_on_each_resample(level):
    rng = np.random.default_rng(7)
    truth = rng.integers(1, 6, 300)
    data = np.clip(truth + rng.integers(-1, 2, (5, 300)), 1, 5).astype(float)
    data[rng.random(data.shape) < 0.3] = nan
    idx = resample_indices(300, 4, random_state=11)
    ours = krippendorff_alpha_resamples(data, level, idx)
    for b in range(4):
        expected = krippendorff.alpha(reliability_data=data[:, idx[b]], level_of_measurement=level)
        assert ours[b] == pytest.approx(expected, abs=1e-9)


def test_fast_bootstrap_equals_package_with_declared_ordinal_scale_and_unused_category():
    data = np.array(KRIPP_2011)
    idx = resample_indices(12, 5, random_state=3)
    cats = [0, 1, 2, 3, 4, 5, 6]
    ours = krippendorff_alpha_resamples(data, "ordinal", idx, categories=cats)
    for b in range(5):
        ref = krippendorff.alpha(data[:, idx[b]], value_domain=cats, level_of_measurement="ordinal")
        assert ours[b] == pytest.approx(ref, abs=1e-9) or (np.isnan(ours[b]) and np.isnan(ref))


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    a = krippendorff_alpha(KRIPP_2011, "interval", bootstrap=300, random_state=5)
    b = krippendorff_alpha(KRIPP_2011, "interval", bootstrap=300, random_state=5)
    c = krippendorff_alpha(KRIPP_2011, "interval", bootstrap=300, random_state=6)
    assert a.ci == b.ci and a.ci != c.ci
    assert a.ci[0] < a.value < a.ci[1]
    for fn in (gwet_ac1, fleiss_kappa, percent_agreement, scotts_pi, cohen_kappa):
        s = fn(counts_to_matrix(FLEISS_COUNTS), bootstrap=200)
        assert s.ci[0] <= s.value <= s.ci[1]


def test_errors_are_precise():
    with pytest.raises(ValueError, match="2-D"):
        krippendorff_alpha([1, 2, 3])
    with pytest.raises(ValueError, match="not among the declared categories"):
        krippendorff_alpha([[1, 2], [3, 9]], categories=[1, 2, 3])
    with pytest.raises(ValueError, match="level must be one of"):
        krippendorff_alpha(KRIPP_2011, "cardinal")
    with pytest.raises(ValueError, match="weights must be one of"):
        cohen_kappa(KRIPP_2011, "cubic")
    with pytest.raises(ValueError, match="bootstrap must be"):
        gwet_ac1(KRIPP_2011, bootstrap=-1)


def test_encode_maps_strings_and_missing():
    coded = encode_ratings([["b", None, "a"], ["", "b", float("nan")]])
    assert coded.categories == ("a", "b") and coded.values is None
    np.testing.assert_array_equal(coded.codes, [[1, nan, 0], [nan, 1, nan]])


def test_load_ratings_json_and_csv(tmp_path):
    j = tmp_path / "r.json"
    j.write_text(json.dumps([[1, 2, None], [1, 3, 3]]))
    matrix, raters, items, cats = load_ratings(j)
    np.testing.assert_array_equal(matrix, [[1, 2, nan], [1, 3, 3]])
    assert (raters, items, cats) == ([0, 1], [0, 1, 2], [1.0, 2.0, 3.0])

    c = tmp_path / "r.csv"
    c.write_text("rater,item,label\nann,i1,left\nbob,i1,left\nann,i2,tie\nbob,i3,right\n")
    matrix, raters, items, cats = load_ratings(c)
    assert (raters, items, cats) == (["ann", "bob"], ["i1", "i2", "i3"], ["left", "right", "tie"])
    assert matrix.tolist() == [["left", "tie", None], ["left", None, "right"]]
    assert agreement_report(matrix)["percent_agreement"] == 1.0

    bad = tmp_path / "bad.csv"
    bad.write_text("rater,item,label\nann,i1,1\nann,i1,2\n")
    with pytest.raises(ValueError, match="twice"):
        load_ratings(bad)


def test_docstring_examples_run():
    result = doctest.testmod(agreement, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
