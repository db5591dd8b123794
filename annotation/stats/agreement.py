"""Inter-rater agreement over a raters x items matrix (no Django).

Input is a raters x items matrix, as the ``krippendorff`` package takes it: a float array with NaN for a
missing rating, or any nested list/object array whose labels may be strings (``None``, NaN and ``""`` are
missing). Labels are mapped to category codes first (:func:`encode_ratings`): the categories are the declared
scale when given, else the sorted observed labels. Weighted statistics (ordinal alpha, linear/quadratic
kappa, Gwet's AC2) use each label's *position* among those categories, as scikit-learn does; interval and
ratio alpha use the labels' numeric values and are undefined for string labels.

Every statistic returns a :class:`Stat`. Degenerate data (no ratings, one rater, no unit with two ratings, no
variation) gives ``Stat(value=None, reason=...)``: never a crash and never a made-up 1.0.

Tiny inputs that the reference packages do define get the packages' values, flagged in ``Stat.caution`` as
resting on too little data (fewer than ``MIN_UNITS`` units with two or more ratings): one unit with two
disagreeing raters has Krippendorff's alpha 0 (the ``krippendorff`` package), one item's Cohen kappa is 0
(scikit-learn's ``cohen_kappa_score``), a one-subject split has Fleiss' kappa -1 (statsmodels'
``fleiss_kappa``). Below two such units no bootstrap interval is given: resampling one unit says nothing.

Bootstrap intervals resample items (columns) with replacement. Every statistic here is a function of sums
of per-item contributions, so a resample is only a re-weighting of those contributions: one matrix product
``counts @ contributions`` per batch of resamples instead of recomputing from the raw matrix (see
``krippendorff_alpha`` and ``bench/bench_agreement.py``). The counts come from the platform's one resampling
engine, ``selection.core.metrics.bootstrap.resample_weights`` (seeded ``numpy``, in memory-bounded blocks).

>>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
...         [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
>>> round(krippendorff_alpha(data, "nominal").value, 3)
0.743
>>> round(krippendorff_alpha(data, "interval").value, 3)
0.849
>>> krippendorff_alpha([[1, 1, 1], [1, 1, 1]], "nominal").reason
'no variation: every paired rating is 1'
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
from scipy.sparse import csr_matrix

from selection.core.metrics.bootstrap import resample_weights

LEVELS = ("nominal", "ordinal", "interval", "ratio")
MIN_UNITS = 10  # units with two or more ratings below which a value is flagged as resting on too little data
WEIGHTS = (None, "linear", "quadratic")

__all__ = [
    "LEVELS",
    "MIN_UNITS",
    "Coded",
    "Stat",
    "agreement_report",
    "cohen_kappa",
    "cohen_kappa_pairs",
    "encode_ratings",
    "fleiss_kappa",
    "gwet_ac",
    "gwet_ac1",
    "krippendorff_alpha",
    "krippendorff_alpha_resamples",
    "load_ratings",
    "percent_agreement",
    "resample_indices",
    "scotts_pi",
]


@dataclass(frozen=True)
class Stat:
    """One agreement statistic: ``value`` is None exactly when ``reason`` says why it is undefined.

    ``ci`` is a percentile bootstrap interval over items (None without bootstrap); ``note`` records
    anything the caller should know about how the value was obtained (dropped items, pairs left out);
    ``caution`` says when a defined value rests on too little data (see ``MIN_UNITS``).
    """

    value: float | None
    reason: str | None = None
    ci: tuple[float, float] | None = None
    note: str | None = None
    caution: str | None = None

    @property
    def defined(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason, "ci": list(self.ci) if self.ci else None,
                "note": self.note, "caution": self.caution}


def _undefined(reason: str) -> Stat:
    return Stat(value=None, reason=reason)


@dataclass(frozen=True)
class Coded:
    """Ratings mapped to category codes.

    ``codes``: raters x items float array, NaN = missing, else 0..C-1 (position in ``categories``).
    ``values``: the categories as floats when every label is a number, else None.
    """

    codes: np.ndarray
    categories: tuple
    values: np.ndarray | None

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    def counts(self) -> np.ndarray:
        """items x C matrix: how many raters gave each category to each item."""
        n_items = self.codes.shape[1]
        out = np.zeros((n_items, self.n_categories))
        rated = ~np.isnan(self.codes)
        item_idx = np.broadcast_to(np.arange(n_items), self.codes.shape)[rated]
        np.add.at(out, (item_idx, self.codes[rated].astype(int)), 1)
        return out


def _is_missing(x: Any) -> bool:
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        return bool(np.isnan(x))
    except TypeError:
        return False


def _as_number(x: Any) -> float | None:
    if isinstance(x, bool | np.bool_):
        return None
    if isinstance(x, int | float | np.integer | np.floating):
        return float(x)
    return None


def encode_ratings(matrix: Any, categories: Sequence | None = None) -> Coded:
    """Map a raters x items matrix of labels (numbers or strings) to category codes.

    Raises ValueError when the matrix is not two-dimensional or holds a label outside ``categories``.
    """
    if isinstance(matrix, Coded):
        return matrix
    fast = _encode_numeric(matrix, categories)
    if fast is not None:
        return fast
    arr = np.asarray(matrix, dtype=object)
    if arr.ndim != 2:
        raise ValueError(f"ratings must be a raters x items matrix (2-D); got {arr.ndim} dimension(s)")
    flat = arr.ravel()
    missing = np.fromiter((_is_missing(x) for x in flat), dtype=bool, count=flat.size)
    observed = [x for x, m in zip(flat, missing, strict=True) if not m]
    numeric = [_as_number(x) for x in observed]
    all_numeric = all(v is not None for v in numeric)
    if categories is None:
        cats = sorted(set(numeric)) if all_numeric else sorted({str(x) for x in observed})
    else:
        cats = list(categories)
        if len(set(cats)) != len(cats):
            raise ValueError(f"categories must be distinct; got {cats}")
    cat_numeric = [_as_number(c) for c in cats]
    cats_are_numbers = all(v is not None for v in cat_numeric)
    if all_numeric and cats_are_numbers:
        keys = [float(c) for c in cat_numeric]
        lookup_obs = numeric
    else:
        keys = [str(c) for c in cats]
        lookup_obs = [str(x) for x in observed]
    index = {k: i for i, k in enumerate(keys)}
    unknown = sorted({str(v) for v in lookup_obs if v not in index})
    if unknown:
        raise ValueError(f"labels not among the declared categories {list(cats)}: {unknown}")
    codes = np.full(flat.size, np.nan)
    codes[~missing] = [index[v] for v in lookup_obs]
    values = np.asarray(keys, dtype=float) if (all_numeric and cats_are_numbers) else None
    return Coded(codes=codes.reshape(arr.shape), categories=tuple(cats), values=values)


def _encode_numeric(matrix: Any, categories: Sequence | None) -> Coded | None:
    """Vectorised path for a numeric array (the common, large case); None when it does not apply."""
    if not isinstance(matrix, np.ndarray) or matrix.dtype.kind not in "iuf" or matrix.ndim != 2:
        return None
    data = matrix.astype(float)
    observed = np.unique(data[~np.isnan(data)])
    if categories is None:
        values = observed
    else:
        if any(_as_number(c) is None for c in categories) or len(set(categories)) != len(categories):
            return None
        values = np.asarray(categories, dtype=float)
        unknown = observed[~np.isin(observed, values)]
        if unknown.size:
            raise ValueError(f"labels not among the declared categories {list(categories)}: "
                             f"{[str(u) for u in unknown]}")
    order = np.argsort(values, kind="stable")
    rated = ~np.isnan(data)
    codes = np.full(data.shape, np.nan)
    codes[rated] = order[np.searchsorted(values[order], data[rated])]
    cats = tuple(categories) if categories is not None else tuple(float(v) for v in values)
    return Coded(codes=codes, categories=cats, values=values)


# --------------------------------------------------------------------------------------------------
# Degenerate data and bootstrap machinery


def _degenerate(coded: Coded, need_variation: bool = True) -> str | None:
    """Reason the chance-corrected statistics are undefined for these data, or None."""
    rated = ~np.isnan(coded.codes)
    if not rated.any():
        return "no ratings"
    if rated.any(axis=1).sum() < 2:
        return "only one rater"
    pairable = rated.sum(axis=0) >= 2
    if not pairable.any():
        return "no unit has two or more ratings"
    if need_variation:
        vals = np.unique(coded.codes[:, pairable][rated[:, pairable]])
        if vals.size < 2:
            return f"no variation: every paired rating is {_label_str(coded.categories[int(vals[0])])}"
    return None


def _n_pairable(coded: Coded) -> int:
    return int(((~np.isnan(coded.codes)).sum(axis=0) >= 2).sum())


_UNITS = ("unit with two or more ratings", "units with two or more ratings")
_SHARED = ("item rated by both raters", "items rated by both raters")


def _thin(n_units: int, what: tuple[str, str] = _UNITS) -> str | None:
    """The caution for a value resting on ``n_units`` units (``what``: singular, plural), or None."""
    if n_units >= MIN_UNITS:
        return None
    return f"rests on too little data: {n_units} {what[n_units != 1]} (fewer than {MIN_UNITS})"


def _cautioned(stat: Stat, n_units: int, what: tuple[str, str] = _UNITS) -> Stat:
    """``stat`` with its caution set when it is defined and rests on fewer than MIN_UNITS units."""
    if stat.value is None:
        return stat
    ci = stat.ci if n_units >= 2 else None
    return replace(stat, ci=ci, caution=_thin(n_units, what))


def _label_str(label: Any) -> str:
    """A label as people write it: 2.0 -> '2'."""
    if isinstance(label, float | np.floating) and float(label).is_integer():
        return str(int(label))
    return str(label)


def resample_indices(n_items: int, n_resamples: int, random_state: int | None = 0) -> np.ndarray:
    """The item indices behind the counts :func:`resample_weights` draws for the same seed (n_resamples x
    n_items): for checking a statistic against a reference computed on the resampled matrix itself."""
    rng = np.random.default_rng(random_state)
    return rng.integers(0, n_items, size=(n_resamples, n_items), dtype=np.int32)


def _index_weights(idx: np.ndarray, n_rows: int) -> np.ndarray:
    """How many times each of ``n_rows`` ids occurs in each resample (rows of ``idx``)."""
    b = idx.shape[0]
    flat = (idx + (np.arange(b) * n_rows)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n_rows).reshape(b, n_rows).astype(float)


def _item_weights(n_items: int, n_resamples: int, random_state: int | None) -> list[np.ndarray]:
    """Blocks of (B, n_items) resample counts from the one engine (``resample_weights``)."""
    return list(resample_weights(n_items, n_resamples, np.random.default_rng(random_state)))


def _resampled_values(contrib: np.ndarray, finalize: Callable[[np.ndarray], np.ndarray],
                      weights: Sequence[np.ndarray]) -> np.ndarray:
    """finalize(w @ contrib) for each resample (each row of each block of item counts ``weights``).

    Items with identical contributions (the same label counts) are merged first: with a few raters and
    categories there are only a few hundred distinct rows, so each resample costs one gather and one sum
    over item counts plus a tiny matrix product.
    """
    patterns, pattern_of = np.unique(contrib, axis=0, return_inverse=True)
    pattern_of = pattern_of.ravel()
    # items -> patterns as a sparse 0/1 matrix: a block's counts per pattern are exact sums of whole counts
    members = csr_matrix((np.ones(len(pattern_of)), (pattern_of, np.arange(len(pattern_of)))),
                         shape=(len(patterns), len(pattern_of)))
    out = [finalize(np.asarray(members @ block.T).T @ patterns) for block in weights]
    return np.concatenate(out) if out else np.empty(0)


def _percentile_ci(values: np.ndarray, confidence: float) -> tuple[float, float] | None:
    ok = values[np.isfinite(values)]
    if ok.size < max(2, values.size // 2):  # most resamples degenerate: no honest interval
        return None
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(ok, [tail, 100 - tail])
    return float(lo), float(hi)


def _with_bootstrap(value: float, contrib: np.ndarray, finalize: Callable[[np.ndarray], np.ndarray],
                    bootstrap: int, random_state: int | None, confidence: float,
                    note: str | None = None) -> Stat:
    if not np.isfinite(value):
        return _undefined("no variation in the expected disagreement")
    ci = None
    if bootstrap:
        weights = _item_weights(contrib.shape[0], bootstrap, random_state)
        ci = _percentile_ci(_resampled_values(contrib, finalize, weights), confidence)
    return Stat(value=float(value), ci=ci, note=note)


def _point(contrib: np.ndarray, finalize: Callable[[np.ndarray], np.ndarray]) -> float:
    return float(finalize(contrib.sum(axis=0)[None, :])[0])


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den == 0, 1, den), np.nan)


def _check_bootstrap(bootstrap: int, confidence: float) -> None:
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be >= 0 resamples; got {bootstrap}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence}")


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha


def _alpha_contributions(counts: np.ndarray) -> np.ndarray:
    """Each item's share of the coincidence matrix, flattened: items x C*C (the package's formula)."""
    m = counts.sum(axis=1)
    c = counts.shape[1]
    outer = counts[:, :, None] * counts[:, None, :]
    outer[:, np.arange(c), np.arange(c)] -= counts
    return (outer / np.maximum(m - 1, 1)[:, None, None]).reshape(len(counts), c * c)


def _alpha_finalize(level: str, values: np.ndarray, c: int) -> Callable[[np.ndarray], np.ndarray]:
    """Map summed coincidences (B x C*C) to alpha (B,), recomputing what depends on the marginals."""
    i, j = np.meshgrid(np.arange(c), np.arange(c), indexing="ij")
    if level == "nominal":
        fixed = (i != j).astype(float)
    elif level == "interval":
        fixed = (values[:, None] - values[None, :]) ** 2
    elif level == "ratio":
        s = values[:, None] + values[None, :]
        fixed = _safe_div(values[:, None] - values[None, :], s)
        fixed = np.nan_to_num(fixed, nan=0.0) ** 2
    else:
        fixed = None
    lo, hi = np.minimum(i, j), np.maximum(i, j)

    def finalize(sums: np.ndarray) -> np.ndarray:
        o = sums.reshape(-1, c, c)
        n_v = o.sum(axis=1)
        n = n_v.sum(axis=1)
        if fixed is None:  # ordinal distances depend on the marginals of this (re)sample
            cs = np.concatenate([np.zeros((len(n_v), 1)), np.cumsum(n_v, axis=1)], axis=1)
            between = cs[:, hi + 1] - cs[:, lo]
            d = (between - (n_v[:, lo] + n_v[:, hi]) / 2) ** 2
        else:
            d = np.broadcast_to(fixed, o.shape)
        observed = (o * d).sum(axis=(1, 2))
        expected_num = np.einsum("bi,bj,bij->b", n_v, n_v, d) - np.einsum("bi,bii->b", n_v, d)
        expected = _safe_div(expected_num, n - 1)
        return 1 - _safe_div(observed, expected)

    return finalize


def _alpha_setup(coded: Coded, level: str) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    values = coded.values if coded.values is not None else np.arange(coded.n_categories, dtype=float)
    return _alpha_contributions(coded.counts()), _alpha_finalize(level, values, coded.n_categories)


def _alpha_level_problem(coded: Coded, level: str, categories_declared: bool) -> str | None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}; got {level!r}")
    if level in ("interval", "ratio") and coded.values is None:
        return f"{level} alpha needs numeric labels; these are strings"
    if level == "ordinal" and coded.values is None and not categories_declared:
        return "ordinal alpha needs numeric labels or a declared category order"
    return None


def krippendorff_alpha(matrix: Any, level: str = "nominal", categories: Sequence | None = None,
                       bootstrap: int = 0, random_state: int | None = 0, confidence: float = 0.95) -> Stat:
    """Krippendorff's alpha at ``level``; the point estimate comes from the ``krippendorff`` package.

    ``categories`` declares the scale (for ordinal data it is passed as ``value_domain``, so unused
    categories still count). Units with fewer than two ratings drop out, as in the package.
    ``bootstrap`` > 0 adds a percentile interval over items computed by re-weighting per-item
    coincidences (equal to the package on each resample; see :func:`krippendorff_alpha_resamples`).
    """
    _check_bootstrap(bootstrap, confidence)
    coded = encode_ratings(matrix, categories)
    problem = _alpha_level_problem(coded, level, categories is not None) or _degenerate(coded)
    if problem:
        return _undefined(problem)
    value = _package_alpha(coded, level, categories is not None)
    contrib, finalize = _alpha_setup(coded, level)
    return _cautioned(_with_bootstrap(value, contrib, finalize, bootstrap, random_state, confidence),
                      _n_pairable(coded))


def _package_alpha(coded: Coded, level: str, categories_declared: bool) -> float:
    """Point estimate from the reference implementation (level always passed explicitly)."""
    if coded.values is not None:
        data = np.where(np.isnan(coded.codes), np.nan, coded.values[np.nan_to_num(coded.codes).astype(int)])
        domain = coded.values
    else:  # strings: codes stand for positions in the declared order (ordinal) or for names (nominal)
        data, domain = coded.codes, np.arange(coded.n_categories, dtype=float)
    kwargs: dict[str, Any] = {"level_of_measurement": level}
    if categories_declared or coded.values is None:
        kwargs["value_domain"] = domain
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(krippendorff.alpha(reliability_data=data, **kwargs))


def krippendorff_alpha_resamples(matrix: Any, level: str, indices: np.ndarray,
                                 categories: Sequence | None = None) -> np.ndarray:
    """Alpha of each resample ``matrix[:, indices[b]]`` (NaN where undefined), by re-weighting.

    Exposed so tests and benchmarks can check each value against ``krippendorff.alpha`` on the
    resampled matrix itself.
    """
    coded = encode_ratings(matrix, categories)
    problem = _alpha_level_problem(coded, level, categories is not None)
    if problem:
        raise ValueError(problem)
    idx = np.atleast_2d(np.asarray(indices))
    contrib, finalize = _alpha_setup(coded, level)
    return _resampled_values(contrib, finalize, [_index_weights(idx, contrib.shape[0])])


# --------------------------------------------------------------------------------------------------
# Percent agreement, Fleiss' kappa, Gwet's AC1/AC2


def _pairwise_agreement(counts: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per item: share of ordered rater pairs that agree (weighted: credit w[k, l]); 0 below two ratings."""
    m = counts.sum(axis=1)
    weighted = counts if weights is None else counts @ weights.T
    num = (counts * (weighted - 1)).sum(axis=1)
    return np.where(m >= 2, num / np.maximum(m * (m - 1), 1), 0.0)


def percent_agreement(matrix: Any, categories: Sequence | None = None, bootstrap: int = 0,
                      random_state: int | None = 0, confidence: float = 0.95) -> Stat:
    """Raw pairwise agreement, averaged over the units with two or more ratings (no chance correction).

    Undefined only when no unit has two ratings; with no variation it is a genuine 1.0.
    """
    _check_bootstrap(bootstrap, confidence)
    coded = encode_ratings(matrix, categories)
    counts = coded.counts()
    if not (counts.sum(axis=1) >= 2).any():
        return _undefined(_degenerate(coded, need_variation=False) or "no unit has two or more ratings")
    contrib = np.column_stack([_pairwise_agreement(counts), counts.sum(axis=1) >= 2]).astype(float)

    def finalize(t: np.ndarray) -> np.ndarray:
        return _safe_div(t[:, 0], t[:, 1])

    return _cautioned(_with_bootstrap(_point(contrib, finalize), contrib, finalize, bootstrap, random_state,
                                      confidence), _n_pairable(coded))


def fleiss_kappa(matrix: Any, categories: Sequence | None = None, unequal: str = "undefined",
                 bootstrap: int = 0, random_state: int | None = 0, confidence: float = 0.95) -> Stat:
    """Fleiss' (1971) kappa. It needs the same number of ratings on every rated item.

    ``unequal="undefined"`` (default) returns undefined, saying which counts were found;
    ``unequal="drop"`` keeps only the items with the most common count of two or more (ties: the larger) and says how
    many were dropped in ``note``. Items with no rating are ignored either way.
    """
    _check_bootstrap(bootstrap, confidence)
    if unequal not in ("undefined", "drop"):
        raise ValueError(f"unequal must be 'undefined' or 'drop'; got {unequal!r}")
    coded = encode_ratings(matrix, categories)
    counts = coded.counts()
    m = counts.sum(axis=1)
    sizes, freq = np.unique(m[m > 0], return_counts=True)
    note = None
    if sizes.size > 1:
        if unequal == "undefined":
            return _undefined("Fleiss' kappa needs the same number of ratings per item; found "
                              f"{int(sizes.min())} to {int(sizes.max())} (keep the most common count with --unequal drop on the command line or unequal='drop' in Python, or use alpha/AC1)")
        # Items with a single rating carry no agreement: the kept count is the most common one of two or more.
        usable = sizes >= 2
        if not usable.any():
            return _undefined("no item has two or more ratings")
        sizes, freq = sizes[usable], freq[usable]
        keep_m = sizes[freq == freq.max()].max()
        note = f"dropped {int(((m > 0) & (m != keep_m)).sum())} items without exactly {int(keep_m)} ratings"
        coded = Coded(np.where((m == keep_m)[None, :], coded.codes, np.nan), coded.categories, coded.values)
        counts = coded.counts()
        m = counts.sum(axis=1)
    problem = _degenerate(coded)
    if problem:
        return _undefined(problem)
    rated = m > 0
    counts, m = counts[rated], m[rated]
    contrib = np.column_stack([_pairwise_agreement(counts), np.ones(len(m)), m, counts])

    def finalize(t: np.ndarray) -> np.ndarray:
        p_bar = _safe_div(t[:, 0], t[:, 1])
        p = t[:, 3:] / t[:, 2:3]
        pe = (p ** 2).sum(axis=1)
        return _safe_div(p_bar - pe, 1 - pe)

    return _cautioned(_with_bootstrap(_point(contrib, finalize), contrib, finalize, bootstrap, random_state,
                                      confidence, note), _n_pairable(coded))


def _agreement_weights(c: int, weights: str | None) -> np.ndarray:
    """Agreement credit by category position (1 on the diagonal), as irrCAC's weights on positions."""
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}; got {weights!r}")
    pos = np.arange(c)
    diff = np.abs(pos[:, None] - pos[None, :]) / max(c - 1, 1)
    if weights is None:
        return np.eye(c)
    return 1 - diff if weights == "linear" else 1 - diff ** 2


def _weighted_coding(matrix: Any, categories: Sequence | None, weights: str | None) -> Coded | Stat:
    """The coded ratings for a (possibly weighted) statistic, or the undefined Stat saying why there are none."""
    coded = encode_ratings(matrix, categories)
    if weights is not None and coded.values is None and categories is None:
        return _undefined(f"{weights} weights need numeric labels or a declared category order")
    problem = _degenerate(coded)
    if problem:
        return _undefined(problem)
    return coded


def gwet_ac(matrix: Any, weights: str | None = None, categories: Sequence | None = None,
            bootstrap: int = 0, random_state: int | None = 0, confidence: float = 0.95) -> Stat:
    """Gwet's AC1 (``weights=None``) or AC2 (``"linear"``/``"quadratic"``), missing data as irrCAC.

    Percent agreement uses the units with two or more ratings; the chance agreement uses the category
    shares of every rated unit; q is the number of categories (declared, else observed).
    """
    _check_bootstrap(bootstrap, confidence)
    coded = _weighted_coding(matrix, categories, weights)
    if isinstance(coded, Stat):
        return coded
    q = coded.n_categories
    w = _agreement_weights(q, weights)
    counts = coded.counts()
    m = counts.sum(axis=1)
    counts, m = counts[m > 0], m[m > 0]
    contrib = np.column_stack([_pairwise_agreement(counts, w), m >= 2, np.ones(len(m)), counts / m[:, None]])
    scale = w.sum() / (q * (q - 1))

    def finalize(t: np.ndarray) -> np.ndarray:
        pa = _safe_div(t[:, 0], t[:, 1])
        pi = t[:, 3:] / t[:, 2:3]
        pe = scale * (pi * (1 - pi)).sum(axis=1)
        return _safe_div(pa - pe, 1 - pe)

    return _cautioned(_with_bootstrap(_point(contrib, finalize), contrib, finalize, bootstrap, random_state,
                                      confidence), _n_pairable(coded))


def gwet_ac1(matrix: Any, categories: Sequence | None = None, bootstrap: int = 0,
             random_state: int | None = 0, confidence: float = 0.95) -> Stat:
    """Gwet's AC1 (nominal); see :func:`gwet_ac`."""
    return gwet_ac(matrix, None, categories, bootstrap, random_state, confidence)


# --------------------------------------------------------------------------------------------------
# Pairwise statistics: Cohen's kappa and Scott's pi


def _pair_contrib(codes: np.ndarray, a: int, b: int, c: int) -> np.ndarray:
    """items x C*C: one-hot cell of the (rater a, rater b) confusion matrix for items both rated."""
    both = ~np.isnan(codes[a]) & ~np.isnan(codes[b])
    out = np.zeros((codes.shape[1], c * c))
    cells = codes[a, both].astype(int) * c + codes[b, both].astype(int)
    out[np.flatnonzero(both), cells] = 1.0
    return out


def _kappa_finalize(c: int, weights: str | None, scott: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    pos = np.arange(c)
    if weights is None:
        dis = (pos[:, None] != pos[None, :]).astype(float)
    elif weights == "linear":
        dis = np.abs(pos[:, None] - pos[None, :]).astype(float)
    else:
        dis = ((pos[:, None] - pos[None, :]) ** 2).astype(float)

    def finalize(t: np.ndarray) -> np.ndarray:
        o = t.reshape(-1, c, c)
        n = o.sum(axis=(1, 2))
        rows, cols = o.sum(axis=2), o.sum(axis=1)
        if scott:  # one pooled marginal for both raters
            rows = cols = (rows + cols) / 2
        e = _safe_div(rows[:, :, None] * cols[:, None, :], n[:, None, None])
        return 1 - _safe_div((o * dis).sum(axis=(1, 2)), (e * dis).sum(axis=(1, 2)))

    return finalize


def _pair_stat(coded: Coded, a: int, b: int, weights: str | None, scott: bool) -> tuple[float, str | None]:
    sub = Coded(coded.codes[[a, b]], coded.categories, coded.values)
    both = ~np.isnan(sub.codes).any(axis=0)
    if not both.any():
        return math.nan, "the two raters share no item"
    sub = Coded(np.where(both[None, :], sub.codes, np.nan), sub.categories, sub.values)
    problem = _degenerate(sub)
    if problem:
        return math.nan, problem
    contrib = _pair_contrib(sub.codes, 0, 1, coded.n_categories)
    value = _point(contrib, _kappa_finalize(coded.n_categories, weights, scott))
    return value, None if np.isfinite(value) else "no variation in the expected disagreement"


def cohen_kappa_pairs(matrix: Any, weights: str | None = None,
                      categories: Sequence | None = None) -> dict[tuple[int, int], Stat]:
    """Cohen's kappa for every pair of raters (row indices), on the items both rated.

    Weighted kappa uses each label's position among the categories, as sklearn's ``cohen_kappa_score``
    with ``labels=categories``.
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}; got {weights!r}")
    coded = encode_ratings(matrix, categories)
    out = {}
    for a, b in combinations(range(coded.codes.shape[0]), 2):
        value, reason = _pair_stat(coded, a, b, weights, scott=False)
        shared = int((~np.isnan(coded.codes[[a, b]])).all(axis=0).sum())
        out[(a, b)] = (_cautioned(Stat(value=value), shared, _SHARED) if reason is None
                       else _undefined(reason))
    return out


def _mean_over_pairs(matrix: Any, categories: Sequence | None, weights: str | None, scott: bool,
                     bootstrap: int, random_state: int | None, confidence: float) -> Stat:
    _check_bootstrap(bootstrap, confidence)
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}; got {weights!r}")
    coded = _weighted_coding(matrix, categories, weights)
    if isinstance(coded, Stat):
        return coded
    pairs = list(combinations(range(coded.codes.shape[0]), 2))
    results = {p: _pair_stat(coded, *p, weights, scott) for p in pairs}
    good = [p for p, (v, _) in results.items() if np.isfinite(v)]
    if not good:
        reasons = sorted({r for _, r in results.values() if r})
        return _undefined("no rater pair has a defined value: " + "; ".join(reasons))
    value = float(np.mean([results[p][0] for p in good]))
    note = f"mean over {len(good)} of {len(pairs)} rater pairs" if len(good) < len(pairs) else None
    ci = None
    if bootstrap:
        c = coded.n_categories
        finalize = _kappa_finalize(c, weights, scott)
        weights = _item_weights(coded.codes.shape[1], bootstrap, random_state)
        per_pair = np.stack([_resampled_values(_pair_contrib(coded.codes, a, b, c), finalize, weights)
                             for a, b in good])
        ok = np.isfinite(per_pair)
        means = _safe_div(np.where(ok, per_pair, 0).sum(axis=0), ok.sum(axis=0))
        ci = _percentile_ci(means, confidence)
    fewest = min(int((~np.isnan(coded.codes[[a, b]])).all(axis=0).sum()) for a, b in good)
    return _cautioned(Stat(value=value, ci=ci, note=note), fewest, _SHARED)


def cohen_kappa(matrix: Any, weights: str | None = None, categories: Sequence | None = None,
                bootstrap: int = 0, random_state: int | None = 0, confidence: float = 0.95) -> Stat:
    """Mean of Cohen's kappa over rater pairs (Light's kappa); pairs with undefined kappa are left out
    (``note`` says how many were used). With two raters it is Cohen's kappa itself."""
    return _mean_over_pairs(matrix, categories, weights, False, bootstrap, random_state, confidence)


def scotts_pi(matrix: Any, categories: Sequence | None = None, bootstrap: int = 0,
              random_state: int | None = 0, confidence: float = 0.95) -> Stat:
    """Scott's pi on the items both raters rated; with more than two raters, the mean over pairs.

    With two raters and no missing ratings it equals Fleiss' kappa.
    """
    return _mean_over_pairs(matrix, categories, None, True, bootstrap, random_state, confidence)


# --------------------------------------------------------------------------------------------------
# Report and loader


def agreement_report(matrix: Any, level: str = "nominal", categories: Sequence | None = None,
                     bootstrap: int = 0, random_state: int | None = 0, unequal: str = "undefined") -> dict[str, Any]:
    """Every statistic in the JSON shape the ``agreement`` command prints.

    Undefined statistics are None, with the reason under ``"undefined"`` (keys such as ``"fleiss_kappa"``,
    ``"krippendorff_alpha.ratio"``, ``"cohen_kappa.linear"``). ``level`` is the data's level of
    measurement: it is echoed and picks the headline ``"alpha"``. With ``bootstrap`` > 0, ``"ci"`` maps the
    same keys to 95% percentile intervals over items. ``unequal`` is Fleiss' kappa's rule for items with
    different numbers of ratings (see :func:`fleiss_kappa`).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}; got {level!r}")
    coded = encode_ratings(matrix, categories)
    kw = {"categories": categories, "bootstrap": bootstrap, "random_state": random_state}
    stats: dict[str, Stat] = {
        "percent_agreement": percent_agreement(coded, **kw),
        **{f"krippendorff_alpha.{lv}": krippendorff_alpha(coded, lv, **kw) for lv in LEVELS},
        "fleiss_kappa": fleiss_kappa(coded, unequal=unequal, **kw),
        "scotts_pi": scotts_pi(coded, **kw),
        "gwet_ac1": gwet_ac1(coded, **kw),
        **{f"cohen_kappa.{w or 'unweighted'}": cohen_kappa(coded, w, **kw) for w in WEIGHTS},
    }
    report: dict[str, Any] = {
        "n_raters": int(coded.codes.shape[0]),
        "n_items": int(coded.codes.shape[1]),
        "level": level,
        "percent_agreement": stats["percent_agreement"].value,
        "krippendorff_alpha": {lv: stats[f"krippendorff_alpha.{lv}"].value for lv in LEVELS},
        "alpha": stats[f"krippendorff_alpha.{level}"].value,
        "fleiss_kappa": stats["fleiss_kappa"].value,
        "scotts_pi": stats["scotts_pi"].value,
        "gwet_ac1": stats["gwet_ac1"].value,
        "cohen_kappa": {k.split(".")[1]: s.value for k, s in stats.items() if k.startswith("cohen_kappa.")},
        "undefined": {k: s.reason for k, s in stats.items() if not s.defined},
        "caution": {k: s.caution for k, s in stats.items() if s.caution},
    }
    if bootstrap:
        report["ci"] = {k: list(s.ci) if s.ci else None for k, s in stats.items() if s.defined}
    return report


def load_ratings(path: str | Path) -> tuple[np.ndarray, list, list, list]:
    """Read ratings from JSON or CSV; returns (matrix, rater_ids, item_ids, categories).

    JSON: a raters x items list of lists (null = missing), or an object with ``"ratings"`` and optional
    ``"raters"``, ``"items"``, ``"categories"``. CSV: header ``rater,item,label``, one rating per row (an
    empty label is missing; a repeated (rater, item) is an error). The matrix is float with NaN when every
    label is a number, else an object array with None for missing.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        rows, raters, items, declared = _read_csv(text)
    else:
        rows, raters, items, declared = _read_json(text)
    matrix = _to_matrix(rows)
    observed = encode_ratings(matrix, declared).categories
    return matrix, raters, items, list(observed)


def _read_json(text: str) -> tuple[list[list], list, list, list | None]:
    data = json.loads(text)
    declared = None
    if isinstance(data, dict):
        if "ratings" not in data:
            raise ValueError('a JSON object must have a "ratings" key (raters x items list of lists)')
        declared = data.get("categories")
        rows = data["ratings"]
    else:
        rows = data
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise ValueError("ratings must be a non-empty list of lists (raters x items)")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(f"every rater row must have the same number of items; found lengths {sorted(widths)}")
    raters = data.get("raters", list(range(len(rows)))) if isinstance(data, dict) else list(range(len(rows)))
    n_items = widths.pop()
    items = data.get("items", list(range(n_items))) if isinstance(data, dict) else list(range(n_items))
    if len(raters) != len(rows) or len(items) != n_items:
        raise ValueError("raters/items lists must match the matrix shape")
    return rows, list(raters), list(items), declared


def _read_csv(text: str) -> tuple[list[list], list, list, None]:
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames[:3]] != ["rater", "item", "label"]:
        raise ValueError(f"CSV header must be rater,item,label; got {reader.fieldnames}")
    raters: dict[str, int] = {}
    items: dict[str, int] = {}
    cells: dict[tuple[int, int], str] = {}
    for line_no, row in enumerate(reader, start=2):
        r = raters.setdefault(row["rater"], len(raters))
        i = items.setdefault(row["item"], len(items))
        if (r, i) in cells:
            raise ValueError(f"line {line_no}: rater {row['rater']!r} rated item {row['item']!r} twice")
        cells[(r, i)] = (row["label"] or "").strip()
    rows: list[list] = [[None] * len(items) for _ in raters]
    labels = [v for v in cells.values() if v != ""]
    numeric = all(_parse_float(v) is not None for v in labels)
    for (r, i), v in cells.items():
        rows[r][i] = None if v == "" else (_parse_float(v) if numeric else v)
    return rows, list(raters), list(items), None


def _parse_float(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


def _to_matrix(rows: list[list]) -> np.ndarray:
    flat = [x for r in rows for x in r if not _is_missing(x)]
    if all(_as_number(x) is not None for x in flat):
        return np.array([[np.nan if _is_missing(x) else float(x) for x in r] for r in rows], dtype=float)
    return np.array([[None if _is_missing(x) else str(x) for x in r] for r in rows], dtype=object)
