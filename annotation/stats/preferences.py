"""Pairwise preferences and yes/no accuracy judgments (no Django).

A judgment record is a plain dict or a :class:`Judgment`::

    {"item": 7, "rater": "r1", "left": "ucs", "right": "random", "answer": "left", "task": "simplify"}

``answer`` is ``"left"``, ``"right"``, ``"tie"`` or ``"both_bad"``. Conventions (docs/metrics.md):

- ``both_bad`` means neither output won: it counts as a tie everywhere below, and is also counted on its own.
- Win rate is reported with ties apart (wins / losses / ties over all judgments, Wilson 95% intervals) and,
  as one number, with ties as half a win.
- Sign test: exact two-sided binomial on wins vs losses, ties dropped.
- Bradley–Terry: maximum likelihood by Hunter's (2004) MM iteration; a tie counts as half a win for each
  side (``ties="half"``, the default) or is dropped (``ties="drop"``). The maximum likelihood estimate
  exists only when the "beat at least once" graph is strongly connected; otherwise no strengths are given
  and the reason names the systems that never win / never lose, or the disconnected groups.
- Bootstrap intervals resample *items* (every judgment on an item travels together), seeded, drawn by the
  platform's one resampling engine (``selection.core.metrics.bootstrap.resample_weights``).

Accuracy ("% of edits judged accurate", the DEFT paper's measure) uses records
``{"item", "rater", "system", "answer": "yes"|"no"|True|False, "task"}``.

>>> [round(x, 3) for x in wilson_interval(8, 10)]
[0.49, 0.943]
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from scipy.sparse.csgraph import connected_components

from selection.core.metrics.bootstrap import resample_weights

ANSWERS = ("left", "right", "tie", "both_bad")

__all__ = [
    "ANSWERS",
    "BradleyTerry",
    "BradleyTerryUndefined",
    "Judgment",
    "accuracy_by_system",
    "as_judgment",
    "accuracy_difference",
    "bradley_terry",
    "by_task",
    "majority",
    "pairwise_preferences",
    "parse_judgments",
    "position_bias",
    "preference_summary",
    "sign_test",
    "wilson_interval",
    "winner",
]


@dataclass(frozen=True)
class Judgment:
    """One rater's answer on one blinded pair (``left``/``right`` are system names as shown)."""

    item: Any
    rater: Any
    left: str
    right: str
    answer: str
    task: Any = None
    seconds: float | None = None
    expected: str | None = None  # control items: the answer a careful rater gives


def as_judgment(record: Mapping | Judgment) -> Judgment:
    """Validate one record; raises ValueError naming the problem."""
    if isinstance(record, Judgment):
        j = record
    else:
        missing = [k for k in ("item", "rater", "left", "right", "answer") if k not in record]
        if missing:
            raise ValueError(f"judgment record lacks {missing}: {dict(record)}")
        known = {f for f in Judgment.__dataclass_fields__}
        j = Judgment(**{k: v for k, v in record.items() if k in known})
    if j.answer not in ANSWERS:
        raise ValueError(f"answer must be one of {ANSWERS}; got {j.answer!r}")
    if j.left == j.right:
        raise ValueError(f"a pair needs two different systems; got {j.left!r} twice (item {j.item!r})")
    return j


def parse_judgments(records: Iterable[Mapping | Judgment]) -> list[Judgment]:
    """Validate every record (see :func:`as_judgment`)."""
    return [as_judgment(r) for r in records]


def winner(j: Judgment) -> str | None:
    """The system that won this judgment, or None for a tie / both bad."""
    return j.left if j.answer == "left" else j.right if j.answer == "right" else None


# --------------------------------------------------------------------------------------------------
# Proportions and tests


def majority(labels: Sequence[str]) -> tuple[str, float]:
    """The most common label and its share of the votes; ("", share) when the top is split or there is none
    (blank labels are no vote). One definition for adjudication's queue and the judge-vs-human comparison."""
    counts = Counter(label for label in labels if label)
    if not counts:
        return "", 0.0
    (top, n), *rest = counts.most_common()
    share = n / sum(counts.values())
    if rest and rest[0][1] == n:
        return "", share
    return top, share


def wilson_interval(k: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (no continuity correction, as scipy's).

    ``k`` may be a half-integer (ties counted as half a win); the formula is the same.
    """
    if n <= 0:
        raise ValueError(f"n must be positive; got {n}")
    if not 0 <= k <= n:
        raise ValueError(f"k must be in [0, n={n}]; got {k}")
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def sign_test(wins: int, losses: int) -> float | None:
    """Exact two-sided binomial p-value of wins vs losses (ties already dropped); None when both are 0."""
    if wins < 0 or losses < 0:
        raise ValueError(f"counts must be non-negative; got {wins}, {losses}")
    if wins + losses == 0:
        return None
    return float(stats.binomtest(wins, wins + losses, 0.5).pvalue)


def _rate(k: int, n: int) -> dict[str, Any]:
    if n == 0:
        return {"count": k, "rate": None, "ci": None}
    return {"count": k, "rate": k / n, "ci": list(wilson_interval(k, n))}


# --------------------------------------------------------------------------------------------------
# Pairwise win / tie / loss


def pairwise_preferences(records: Iterable[Mapping | Judgment]) -> list[dict[str, Any]]:
    """For each system pair (names sorted: ``a`` < ``b``): wins, ties, losses of ``a`` against ``b``.

    Each entry: ``a``, ``b``, ``n``, ``wins``/``losses``/``ties`` (count, rate, Wilson ci; ``ties``
    includes ``both_bad``), ``both_bad`` (count), ``win_rate_ties_half`` (with Wilson ci on the half-counted
    wins), ``sign_test_p`` (None without a decisive judgment).
    """
    tallies: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for j in parse_judgments(records):
        a, b = sorted((j.left, j.right))
        w = winner(j)
        key = "wins" if w == a else "losses" if w == b else "ties"
        tallies[(a, b)][key] += 1
        tallies[(a, b)]["both_bad"] += j.answer == "both_bad"
    out = []
    for (a, b), t in sorted(tallies.items()):
        wins, losses, ties = t["wins"], t["losses"], t["ties"]
        n = wins + losses + ties
        half = wins + ties / 2
        out.append({
            "a": a, "b": b, "n": n,
            "wins": _rate(wins, n), "losses": _rate(losses, n), "ties": _rate(ties, n),
            "both_bad": t["both_bad"],
            "win_rate_ties_half": {"rate": half / n, "ci": list(wilson_interval(half, n))},
            "sign_test_p": sign_test(wins, losses),
        })
    return out


def position_bias(records: Iterable[Mapping | Judgment]) -> dict[str, Any]:
    """Left wins vs right wins over all decisive judgments, with an exact two-sided binomial test.

    With left/right randomised per slot, a share of left wins far from 0.5 means raters favour a side.
    """
    js = parse_judgments(records)
    left = sum(j.answer == "left" for j in js)
    right = sum(j.answer == "right" for j in js)
    n = left + right
    return {
        "left": left, "right": right, "n_decisive": n,
        "share_left": left / n if n else None,
        "ci": list(wilson_interval(left, n)) if n else None,
        "p_value": sign_test(left, right),
    }


# --------------------------------------------------------------------------------------------------
# Bradley–Terry


class BradleyTerryUndefined(ValueError):
    """The maximum likelihood estimate does not exist for these comparisons (message says why)."""


def _tallies(js: list[Judgment], systems: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """wins[i, j] (i beat j) and ties[i, j] (symmetric) counts."""
    pos = {s: i for i, s in enumerate(systems)}
    k = len(systems)
    wins, ties = np.zeros((k, k)), np.zeros((k, k))
    for j in js:
        a, b = pos[j.left], pos[j.right]
        if j.answer == "left":
            wins[a, b] += 1
        elif j.answer == "right":
            wins[b, a] += 1
        else:
            ties[a, b] += 1
            ties[b, a] += 1
    return wins, ties


def _win_matrix(js: list[Judgment], systems: list[str], ties: str) -> np.ndarray:
    """K x K matrix: w[i, j] = wins of i over j (ties add 1/2 to both, or nothing with ties='drop')."""
    wins, tie_counts = _tallies(js, systems)
    return wins + 0.5 * tie_counts if ties == "half" else wins


def _existence_problem(w: np.ndarray, systems: list[str]) -> str | None:
    """Why the Bradley–Terry MLE does not exist (Zermelo/Ford condition), or None."""
    if len(systems) < 2:
        return "Bradley-Terry needs at least two systems"
    wins, losses = w.sum(axis=1), w.sum(axis=0)
    never_win = [s for s, v in zip(systems, wins, strict=True) if v == 0]
    never_lose = [s for s, v in zip(systems, losses, strict=True) if v == 0]
    parts = []
    if never_win:
        parts.append(f"never wins: {', '.join(never_win)}")
    if never_lose:
        parts.append(f"never loses: {', '.join(never_lose)}")
    if parts:
        return "no maximum likelihood estimate: " + "; ".join(parts)
    if len(systems) == 2:
        return None  # with two systems, both winning and losing already makes the graph strongly connected
    n_comp, labels = connected_components(w > 0, directed=True, connection="strong")
    if n_comp > 1:
        groups = sorted(", ".join(s for s, lab in zip(systems, labels, strict=True) if lab == c)
                        for c in range(n_comp))
        return ("no maximum likelihood estimate: comparison graph is not strongly connected "
                f"({' | '.join(groups)}): some group never beats another")
    return None


def _mm_fit(w: np.ndarray, max_iter: int, tol: float) -> tuple[np.ndarray, int, bool]:
    """Hunter's MM iteration; returns log-strengths centred on 0, iterations, converged."""
    n = w + w.T
    wins = w.sum(axis=1)
    p = np.ones(len(w))
    for it in range(1, max_iter + 1):
        denom = (n / (p[:, None] + p[None, :])).sum(axis=1)
        new = wins / denom
        new /= np.exp(np.log(new).mean())
        if np.max(np.abs(np.log(new) - np.log(p))) < tol:
            return np.log(new), it, True
        p = new
    return np.log(p), max_iter, False


class BradleyTerry:
    """Bradley–Terry strengths by maximum likelihood, with item-bootstrap intervals.

    Parameters are stored as given; :meth:`fit` raises :class:`BradleyTerryUndefined` when the MLE does
    not exist. Fitted attributes: ``systems_``, ``log_strengths_`` (centred on 0), ``strengths_`` (sum to
    1, so P(i beats j) = s_i / (s_i + s_j)), ``n_iter_``, ``converged_``, and with ``n_bootstrap`` > 0
    ``ci_`` (system -> (lo, hi) on the strengths_ scale), ``log_ci_`` and ``n_bootstrap_failed_``
    (resamples where the MLE did not exist; they are left out of the intervals).
    """

    def __init__(self, ties: str = "half", n_bootstrap: int = 0, random_state: int | None = 0,
                 max_iter: int = 10_000, tol: float = 1e-10, confidence: float = 0.95) -> None:
        self.ties = ties
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state
        self.max_iter = max_iter
        self.tol = tol
        self.confidence = confidence

    def fit(self, records: Iterable[Mapping | Judgment]) -> BradleyTerry:
        if self.ties not in ("half", "drop"):
            raise ValueError(f"ties must be 'half' or 'drop'; got {self.ties!r}")
        js = parse_judgments(records)
        systems = sorted({s for j in js for s in (j.left, j.right)})
        w = _win_matrix(js, systems, self.ties)
        problem = _existence_problem(w, systems)
        if problem:
            raise BradleyTerryUndefined(problem)
        log_s, self.n_iter_, self.converged_ = _mm_fit(w, self.max_iter, self.tol)
        self.systems_ = systems
        self.log_strengths_ = dict(zip(systems, log_s.tolist(), strict=True))
        self.strengths_ = dict(zip(systems, _to_simplex(log_s).tolist(), strict=True))
        if self.n_bootstrap:
            self._bootstrap(js, systems)
        return self

    def _bootstrap(self, js: list[Judgment], systems: list[str]) -> None:
        items = sorted({j.item for j in js}, key=repr)
        per_item = _per_item_wins(js, items, systems, self.ties)
        rng = np.random.default_rng(self.random_state)
        k = len(systems)
        logs = []
        for block in resample_weights(len(items), self.n_bootstrap, rng):  # the one resampling engine
            for w in np.tensordot(block, per_item, axes=1):  # each resample's win matrix
                if _existence_problem(w, systems) is None:
                    logs.append(_mm_fit(w, self.max_iter, self.tol)[0])
        self.n_bootstrap_failed_ = self.n_bootstrap - len(logs)
        tail = (1 - self.confidence) / 2 * 100
        if len(logs) < 2:
            self.ci_ = self.log_ci_ = {s: None for s in systems}
            return
        logs_arr = np.array(logs).reshape(-1, k)
        simplex = np.array([_to_simplex(row) for row in logs_arr])
        self.log_ci_ = {s: tuple(np.percentile(logs_arr[:, i], [tail, 100 - tail]).tolist())
                        for i, s in enumerate(systems)}
        self.ci_ = {s: tuple(np.percentile(simplex[:, i], [tail, 100 - tail]).tolist())
                    for i, s in enumerate(systems)}

    def win_probability(self, a: str, b: str) -> float:
        """Fitted probability that ``a`` beats ``b``."""
        sa, sb = self.strengths_[a], self.strengths_[b]
        return sa / (sa + sb)


def _per_item_wins(js: list[Judgment], items: list, systems: list[str], ties: str) -> np.ndarray:
    by_item: dict[Any, list[Judgment]] = defaultdict(list)
    for j in js:
        by_item[j.item].append(j)
    return np.stack([_win_matrix(by_item[it], systems, ties) for it in items])


def _to_simplex(log_s: np.ndarray) -> np.ndarray:
    e = np.exp(log_s - log_s.max())
    return e / e.sum()


def bradley_terry(records: Iterable[Mapping | Judgment], ties: str = "half", bootstrap: int = 0,
                  random_state: int | None = 0) -> dict[str, Any]:
    """Report form of :class:`BradleyTerry`: strengths, log-strengths and intervals per system, or
    ``{"strengths": None, "reason": ...}`` when the MLE does not exist."""
    model = BradleyTerry(ties=ties, n_bootstrap=bootstrap, random_state=random_state)
    try:
        model.fit(records)
    except BradleyTerryUndefined as exc:
        return {"strengths": None, "reason": str(exc)}
    out: dict[str, Any] = {"strengths": model.strengths_, "log_strengths": model.log_strengths_,
                           "ties": ties, "converged": model.converged_, "reason": None}
    if bootstrap:
        out["ci"] = {s: list(v) if v else None for s, v in model.ci_.items()}
        out["log_ci"] = {s: list(v) if v else None for s, v in model.log_ci_.items()}
        out["bootstrap_failed"] = model.n_bootstrap_failed_
    return out


# --------------------------------------------------------------------------------------------------
# Accuracy (yes/no) judgments: the DEFT paper's "% of edits judged accurate"


@dataclass(frozen=True)
class AccuracyJudgment:
    item: Any
    rater: Any
    system: str
    accurate: bool
    task: Any = field(default=None)


def _accuracy_records(records: Iterable[Mapping | AccuracyJudgment]) -> list[AccuracyJudgment]:
    out = []
    for r in records:
        if isinstance(r, AccuracyJudgment):
            out.append(r)
            continue
        missing = [k for k in ("item", "rater", "system", "answer") if k not in r]
        if missing:
            raise ValueError(f"accuracy record lacks {missing}: {dict(r)}")
        ans = r["answer"]
        if isinstance(ans, str):
            if ans.lower() not in ("yes", "no"):
                raise ValueError(f"accuracy answer must be yes/no or a bool; got {ans!r}")
            ans = ans.lower() == "yes"
        elif not isinstance(ans, bool | np.bool_):
            raise ValueError(f"accuracy answer must be yes/no or a bool; got {ans!r}")
        out.append(AccuracyJudgment(r["item"], r["rater"], r["system"], bool(ans), r.get("task")))
    return out


def accuracy_by_system(records: Iterable[Mapping]) -> dict[str, dict[str, Any]]:
    """Per system: n judgments, number judged accurate, rate and Wilson 95% interval."""
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in _accuracy_records(records):
        tallies[r.system][0] += r.accurate
        tallies[r.system][1] += 1
    return {s: {"n": n, "accurate": k, "rate": k / n, "ci": list(wilson_interval(k, n))}
            for s, (k, n) in sorted(tallies.items())}


def accuracy_difference(records: Iterable[Mapping], system_a: str, system_b: str,
                        paired: bool | None = None) -> dict[str, Any]:
    """Test the difference in accuracy between two systems.

    Paired (McNemar exact: binomial test on the discordant pairs) when the same (item, rater) keys were
    judged for both systems; ``paired=None`` chooses paired exactly when the two key sets are equal,
    ``paired=True`` pairs on their intersection (and reports how many records were left out).
    Unpaired: Fisher's exact test on the 2x2 table. ``difference`` = rate(a) - rate(b).
    """
    recs = [r for r in _accuracy_records(records) if r.system in (system_a, system_b)]
    by = {s: {(r.item, r.rater): r.accurate for r in recs if r.system == s} for s in (system_a, system_b)}
    for s in (system_a, system_b):
        if not by[s]:
            raise ValueError(f"no accuracy judgments for system {s!r}")
    keys_a, keys_b = set(by[system_a]), set(by[system_b])
    if paired is None:
        paired = keys_a == keys_b
    rate_a = np.mean(list(by[system_a].values()))
    rate_b = np.mean(list(by[system_b].values()))
    if paired:
        common = keys_a & keys_b
        if not common:
            raise ValueError("no (item, rater) judged for both systems: cannot pair")
        b = sum(by[system_a][k] and not by[system_b][k] for k in common)
        c = sum(by[system_b][k] and not by[system_a][k] for k in common)
        p = sign_test(b, c)
        return {"test": "mcnemar_exact", "n_pairs": len(common), "a_only": b, "b_only": c,
                "left_out": len(keys_a ^ keys_b),
                "difference": float(np.mean([by[system_a][k] for k in common])
                                    - np.mean([by[system_b][k] for k in common])),
                "p_value": 1.0 if p is None else p}
    ka, na = sum(by[system_a].values()), len(by[system_a])
    kb, nb = sum(by[system_b].values()), len(by[system_b])
    p = stats.fisher_exact([[ka, na - ka], [kb, nb - kb]]).pvalue
    return {"test": "fisher_exact", "n_a": na, "n_b": nb, "difference": float(rate_a - rate_b),
            "p_value": float(p)}


# --------------------------------------------------------------------------------------------------
# Per task and summary


def by_task(records: Iterable[Any], fn: Callable[..., Any], **kwargs: Any) -> dict[Any, Any]:
    """Apply ``fn`` to the records of each task (key ``task``; missing task groups under None)."""
    groups: dict[Any, list] = defaultdict(list)
    for r in records:
        task = r.task if hasattr(r, "task") else r.get("task")
        groups[task].append(r)
    return {t: fn(groups[t], **kwargs) for t in sorted(groups, key=lambda t: (t is None, str(t)))}


def preference_summary(records: Iterable[Mapping | Judgment], bootstrap: int = 0,
                       random_state: int | None = 0) -> dict[str, Any]:
    """Pairs, position bias and Bradley–Terry for one set of judgments (JSON-ready)."""
    js = parse_judgments(records)
    return {"n_judgments": len(js), "pairs": pairwise_preferences(js), "position_bias": position_bias(js),
            "bradley_terry": bradley_terry(js, bootstrap=bootstrap, random_state=random_state)}

