"""Richer preference models (no Django): Bradley–Terry with ties (Davidson 1970), a length-controlled
comparison (edit length as a covariate, as Chatbot Arena's style control), and how fragile the winner is.

Records are :class:`annotation.stats.preferences.Judgment` or dicts with ``item``, ``rater``, ``left``, ``right``,
``answer`` (left / right / tie / both_bad; both_bad counts as a tie) and, for the length control, ``left_edit`` and
``right_edit``: how much each output changed its input (e.g. words changed, see ``annotation.worddiff``).

**Davidson's model**: with strengths pi_i and a tie parameter nu >= 0,
``P(i beats j) = pi_i / D``, ``P(tie) = nu * sqrt(pi_i * pi_j) / D``, ``D = pi_i + pi_j + nu * sqrt(pi_i * pi_j)``.
Fitted by maximum likelihood (log-strengths centred on 0, log nu free; L-BFGS on the exact gradient); intervals
resample items, seeded, as ``preferences.BradleyTerry`` does. It is given when Bradley–Terry without ties exists
(every system both wins and loses outright, the graph of wins strongly connected): with two systems the MLE is
pi_a / pi_b = wins / losses, nu = ties / sqrt(wins * losses), so ties alone cannot place a system that never wins.

**Length control**: logistic Bradley–Terry on decisive judgments, ``logit P(left wins) = theta_left - theta_right +
beta * z``, where z is the left-minus-right difference in edit length divided by its standard deviation. ``beta``
says how much raters reward longer edits; the thetas are the systems' strengths with edit length held fixed.

**Fragility**: the fewest judgments whose removal makes another system the winner (flip), and the fewest whose
removal makes the winner's lead non-significant (the fragility index of Walsh et al. 2014, on the sign test of the
top two systems), found greedily by removing the judgment that most reduces the winner's lead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from scipy import stats

from .preferences import Judgment, _existence_problem, _tallies, _win_matrix, parse_judgments

__all__ = ["davidson", "fragility", "length_controlled"]


def _records(records: Iterable[Mapping | Judgment]) -> tuple[list[Judgment], list[Mapping | Judgment]]:
    raw = list(records)
    return parse_judgments(raw), raw


def _davidson_nll(params: np.ndarray, wins: np.ndarray, ties: np.ndarray) -> tuple[float, np.ndarray]:
    k = len(wins)
    theta = np.concatenate([[0.0], params[:k - 1]])
    log_nu = params[k - 1]
    ti, tj = theta[:, None], theta[None, :]
    # log D_ij = log(e^ti + e^tj + nu e^((ti+tj)/2)), stably
    parts = np.stack([np.broadcast_to(ti, (k, k)), np.broadcast_to(tj, (k, k)), log_nu + (ti + tj) / 2])
    m = parts.max(axis=0)
    log_d = m + np.log(np.exp(parts - m).sum(axis=0))
    upper = np.triu(np.ones((k, k)), 1)
    ll = (wins * (ti - log_d)).sum() + (upper * ties * (log_nu + (ti + tj) / 2 - log_d)).sum()
    # gradient
    p_i = np.exp(ti - log_d)
    p_t = np.exp(log_nu + (ti + tj) / 2 - log_d)
    n = wins + wins.T  # decisive comparisons of each pair
    t_pair = ties * upper
    tot = n * upper + t_pair  # comparisons per unordered pair (upper triangle)
    tot = tot + tot.T
    # d log D_ij / d theta_i = p_i + p_t / 2 ; observed part: wins of i (1 each), ties (1/2 each)
    g_theta = wins.sum(axis=1) + ties.sum(axis=1) / 2 - (tot * (p_i + p_t / 2)).sum(axis=1)
    g_nu = t_pair.sum() - (tot * upper * p_t).sum()
    grad = -np.concatenate([g_theta[1:], [g_nu]])
    return -float(ll), grad


def _davidson_fit(wins: np.ndarray, ties: np.ndarray, max_iter: int = 100, tol: float = 1e-10,
                  start: np.ndarray | None = None) -> tuple[np.ndarray, float, bool]:
    """Newton's method with a backtracking line search on the negative log-likelihood (convex in these
    parameters); the Hessian by central differences of the exact gradient (k is a handful of systems).
    ``start``: parameters to start from (the bootstrap starts from the full sample's estimate)."""
    k = len(wins)
    if start is not None:
        x = start.copy()
    else:
        x = np.zeros(k)
        x[k - 1] = np.log(max(ties.sum(), 0.5) / max((wins + wins.T).sum() / 2, 1.0))
    f, g = _davidson_nll(x, wins, ties)
    ok = False
    for _ in range(max_iter):
        h = np.empty((k, k))
        eps = 1e-5
        for i in range(k):
            e = np.zeros(k)
            e[i] = eps
            h[:, i] = (_davidson_nll(x + e, wins, ties)[1] - _davidson_nll(x - e, wins, ties)[1]) / (2 * eps)
        h = (h + h.T) / 2 + 1e-9 * np.eye(k)
        try:
            step = -np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            step = -g
        if g @ step > 0:  # not a descent direction: fall back to the gradient
            step = -g
        t = 1.0
        while True:
            f_new, g_new = _davidson_nll(x + t * step, wins, ties)
            if f_new <= f + 1e-4 * t * (g @ step) or t < 1e-8:
                break
            t /= 2
        x, f_old, f, g = x + t * step, f, f_new, g_new
        if np.max(np.abs(g)) < 1e-8 or abs(f_old - f) < tol * max(1.0, abs(f)):
            ok = True
            break
    theta = np.concatenate([[0.0], x[:k - 1]])
    return theta - theta.mean(), float(np.exp(x[k - 1])), ok


def _as_params(theta: np.ndarray, nu: float) -> np.ndarray:
    """Centred log-strengths and nu back to the fit's parameters (theta_0 = 0, log nu)."""
    return np.concatenate([theta[1:] - theta[0], [np.log(max(nu, 1e-300))]])


def davidson(records: Iterable[Mapping | Judgment], bootstrap: int = 0, random_state: int | None = 0,
             confidence: float = 0.95) -> dict[str, Any]:
    """Davidson strengths (log scale, centred; and on the simplex), the tie parameter nu, P(tie) between equals
    (nu / (2 + nu)), with item-bootstrap intervals; ``{"strengths": None, "reason": ...}`` when the MLE does not
    exist."""
    js, _ = _records(records)
    systems = sorted({s for j in js for s in (j.left, j.right)})
    problem = _existence_problem(_win_matrix(js, systems, "drop"), systems)
    if problem:
        return {"strengths": None, "reason": problem}
    wins, ties = _tallies(js, systems)
    theta, nu, ok = _davidson_fit(wins, ties)
    simplex = np.exp(theta - theta.max())
    simplex /= simplex.sum()
    out: dict[str, Any] = {
        "model": "davidson", "reason": None, "converged": ok, "nu": nu, "tie_probability_equal": nu / (2 + nu),
        "log_strengths": dict(zip(systems, theta.tolist(), strict=True)),
        "strengths": dict(zip(systems, simplex.tolist(), strict=True)),
        "n_ties": int(ties.sum() / 2), "n_decisive": int(wins.sum()),
    }
    if bootstrap:
        by_item: dict[Any, list[Judgment]] = defaultdict(list)
        for j in js:
            by_item[j.item].append(j)
        items = sorted(by_item, key=repr)
        per_item = [_tallies(by_item[i], systems) for i in items]
        w_items = np.stack([w for w, _ in per_item])
        t_items = np.stack([t for _, t in per_item])
        rng = np.random.default_rng(random_state)
        start = _as_params(theta, nu)
        logs, nus, failed = [], [], 0
        for _ in range(bootstrap):
            counts = np.bincount(rng.integers(0, len(items), len(items)), minlength=len(items)).astype(float)
            w = np.tensordot(counts, w_items, axes=1)
            t = np.tensordot(counts, t_items, axes=1)
            if _existence_problem(w, systems):
                failed += 1
                continue
            th, n_b, _ = _davidson_fit(w, t, start=start)
            logs.append(th)
            nus.append(n_b)
        tail = (1 - confidence) / 2 * 100
        if len(logs) >= 2:
            arr = np.array(logs)
            out["log_ci"] = {s: np.percentile(arr[:, i], [tail, 100 - tail]).tolist() for i, s in enumerate(systems)}
            out["nu_ci"] = np.percentile(nus, [tail, 100 - tail]).tolist()
        else:
            out["log_ci"] = {s: None for s in systems}
            out["nu_ci"] = None
        out["bootstrap_failed"] = failed
    return out


# --------------------------------------------------------------------------------------------------
# Length-controlled comparison


def _edit(record: Mapping | Judgment, side: str) -> float | None:
    value = getattr(record, f"{side}_edit", None) if not isinstance(record, Mapping) else record.get(f"{side}_edit")
    return None if value is None else float(value)


def _logistic_bt(x: np.ndarray, y: np.ndarray, ridge: float = 1e-6) -> np.ndarray:
    """Logistic regression without intercept (the design already encodes left - right), by Newton's method."""
    w = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (y - p) - ridge * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + ridge * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        w += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return w


def length_controlled(records: Iterable[Mapping | Judgment], bootstrap: int = 200, random_state: int | None = 0,
                      confidence: float = 0.95) -> dict[str, Any]:
    """Strengths with edit length held fixed, and the length effect ``beta`` (per standard deviation of the
    left-minus-right edit length), on decisive judgments, with item-bootstrap intervals.

    Compare ``strengths`` with ``raw_strengths`` (the same model without the covariate): a winner that only wins
    by editing more shrinks once length is controlled. Needs ``left_edit``/``right_edit`` on every record."""
    raw = list(records)
    js = parse_judgments(raw)
    rows = [(j, _edit(r, "left"), _edit(r, "right")) for j, r in zip(js, raw, strict=True)
            if j.answer in ("left", "right")]
    if any(le is None or re_ is None for _, le, re_ in rows):
        return {"strengths": None, "reason": "edit lengths (left_edit, right_edit) are missing"}
    systems = sorted({s for j in js for s in (j.left, j.right)})
    problem = _existence_problem(_win_matrix([j for j, _, _ in rows], systems, "drop"), systems)
    if problem:
        return {"strengths": None, "reason": problem}
    pos = {s: i for i, s in enumerate(systems)}
    k = len(systems)
    diff = np.array([le - re_ for _, le, re_ in rows])
    sd = float(diff.std()) or 1.0
    x = np.zeros((len(rows), k))  # system 0 is the reference (column dropped below)
    for n, (j, _, _) in enumerate(rows):
        x[n, pos[j.left]] += 1
        x[n, pos[j.right]] -= 1
    y = np.array([1.0 if j.answer == "left" else 0.0 for j, _, _ in rows])
    design = np.column_stack([x[:, 1:], diff / sd])
    items = np.array([hash(repr(j.item)) for j, _, _ in rows])

    def fit(idx: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        w = _logistic_bt(design[idx], y[idx])
        theta = np.concatenate([[0.0], w[:k - 1]])
        w0 = _logistic_bt(x[idx][:, 1:], y[idx])
        raw_theta = np.concatenate([[0.0], w0])
        return theta - theta.mean(), float(w[-1]), raw_theta - raw_theta.mean()

    theta, beta, raw_theta = fit(np.arange(len(rows)))
    out: dict[str, Any] = {
        "reason": None, "n_decisive": len(rows), "length_sd": sd, "beta": beta,
        "strengths": dict(zip(systems, theta.tolist(), strict=True)),
        "raw_strengths": dict(zip(systems, raw_theta.tolist(), strict=True)),
    }
    if bootstrap:
        uniq, inverse = np.unique(items, return_inverse=True)
        members = [np.flatnonzero(inverse == u) for u in range(len(uniq))]
        rng = np.random.default_rng(random_state)
        betas, thetas = [], []
        for _ in range(bootstrap):
            pick = rng.integers(0, len(uniq), len(uniq))
            idx = np.concatenate([members[p] for p in pick])
            if _existence_problem(_win_matrix([rows[i][0] for i in idx], systems, "drop"), systems):
                continue
            th, b, _ = fit(idx)
            betas.append(b)
            thetas.append(th)
        tail = (1 - confidence) / 2 * 100
        if len(betas) >= 2:
            out["beta_ci"] = np.percentile(betas, [tail, 100 - tail]).tolist()
            arr = np.array(thetas)
            out["ci"] = {s: np.percentile(arr[:, i], [tail, 100 - tail]).tolist() for i, s in enumerate(systems)}
        else:
            out["beta_ci"], out["ci"] = None, {s: None for s in systems}
    return out


# --------------------------------------------------------------------------------------------------
# Fragility


def _scores(counter: Counter, systems: list[str]) -> dict[str, float]:
    """Each system's win rate with ties as half, over its comparisons."""
    won: dict[str, float] = defaultdict(float)
    played: dict[str, int] = defaultdict(int)
    for (winner, loser, tie), n in counter.items():
        played[winner] += n
        played[loser] += n
        if tie:
            won[winner] += n / 2
            won[loser] += n / 2
        else:
            won[winner] += n
    return {s: (won[s] / played[s]) if played[s] else 0.0 for s in systems}


def _leader(counter: Counter, systems: list[str]) -> tuple[str, str, float]:
    scores = _scores(counter, systems)
    ranked = sorted(systems, key=lambda s: (-scores[s], s))
    return ranked[0], ranked[1], scores[ranked[0]] - scores[ranked[1]]


def _head_to_head_p(counter: Counter, a: str, b: str) -> float:
    w, losses = counter[(a, b, False)], counter[(b, a, False)]
    return 1.0 if w + losses == 0 else float(stats.binomtest(w, w + losses, 0.5).pvalue)


def fragility(records: Iterable[Mapping | Judgment], alpha: float = 0.05) -> dict[str, Any]:
    """How many judgments stand between the winner and a different result.

    The winner is the system with the highest win rate (ties as half). ``flip``: the fewest judgments whose removal
    makes another system rank first (a tie for first counts as flipped). ``to_non_significant``: the fewest
    whose removal makes the winner's head-to-head sign test against the runner-up non-significant at ``alpha`` (0
    when it already is). Both are found greedily: each step removes the judgment whose removal most reduces the
    winner's lead (for two systems this is exact: remove the winner's wins)."""
    js = parse_judgments(records)
    systems = sorted({s for j in js for s in (j.left, j.right)})
    if len(systems) < 2:
        return {"winner": None, "reason": "fragility needs at least two systems"}
    counter: Counter = Counter()
    for j in js:
        if j.answer == "left":
            counter[(j.left, j.right, False)] += 1
        elif j.answer == "right":
            counter[(j.right, j.left, False)] += 1
        else:
            a, b = sorted((j.left, j.right))
            counter[(a, b, True)] += 1
    winner, runner_up, lead = _leader(counter, systems)
    if lead <= 0:
        return {"winner": None, "reason": "no single winner: the top systems are level", "n_judgments": len(js)}
    p0 = _head_to_head_p(counter, winner, runner_up)
    work = Counter(counter)
    removed = 0
    to_ns = 0 if p0 >= alpha else None
    flip = None
    while sum(work.values()) and flip is None:
        best = None
        for key, n in work.items():
            if n <= 0:
                continue
            work[key] -= 1
            top, second, gap = _leader(work, systems)
            work[key] += 1
            margin = gap if top == winner else -gap
            if best is None or margin < best[0]:
                best = (margin, key)
        if best is None:
            break
        work[best[1]] -= 1
        removed += 1
        top, _, gap = _leader(work, systems)
        if to_ns is None and _head_to_head_p(work, winner, runner_up) >= alpha:
            to_ns = removed
        if top != winner or gap <= 0:
            flip = removed
    return {"winner": winner, "runner_up": runner_up, "lead": lead, "n_judgments": len(js),
            "head_to_head_p": p0, "flip": flip, "to_non_significant": to_ns, "reason": None,
            "flip_share": flip / len(js) if flip else None}
