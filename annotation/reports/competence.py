"""The report's latent-truth section (pure, no Django): each rater's competence and each pair's soft label from
MACE (or Dawid–Skene), results on the soft labels, the methods sentence, and the reliability check that the
completion-code gate and "exclude flagged raters" can use. The model is :mod:`annotation.stats.competence`.

Controls enter the model as units of known truth (their expected answer), so they teach it who is careful; the
results on soft labels cover real pairs only, and leave out the ties of identical outputs no rater was asked about.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from annotation.reports.records import JudgmentRecord, is_auto_tie
from annotation.stats.competence import RaterCompetence, soft_results

MODEL_LABELS = {"mace": "MACE (Hovy et al., 2013)", "dawid_skene": "Dawid–Skene (1979)"}
CHECK_NAME = "competence"
CHECK_LABEL = "competence from a latent-truth model (MACE)"
CHECK_METHOD = ("Competence check: a rater whose MACE competence (the estimated probability of answering from "
                "the pair rather than at random, fitted by EM over every rater's position-free answers, controls as "
                "pairs of known truth) is under 0.3 on ten or more answers fails.")
SOFT_BOOTSTRAP = 1000  # unit resamples for the soft win rate's interval (a weighted mean: cheap)

__all__ = ["CHECK_LABEL", "CHECK_METHOD", "CHECK_NAME", "competence_check", "competence_section",
           "competence_sentence"]


def _fit(records: Iterable[JudgmentRecord], model: str, min_competence: float | None,
         seed: int) -> tuple[RaterCompetence | None, set, str | None]:
    """The fitted model (None and the reason when there is nothing to fit) and the control items."""
    records = list(records)
    prefs = [p for p in (r.preference(controls=True) for r in records) if p is not None and not is_auto_tie(p)]
    if not prefs:
        return None, set(), "competence needs the pairwise question and at least one answer"
    controls = {r.item for r in records if r.is_control}
    fit = RaterCompetence(model=model, min_competence=min_competence, random_state=seed).fit(prefs)
    return fit, controls, None


def competence_section(records: Sequence[JudgmentRecord], *, bootstrap: int = SOFT_BOOTSTRAP, seed: int = 0,
                       model: str = "mace", min_competence: float | None = None) -> dict[str, Any]:
    """Per rater competence (with a ``low`` flag: None when the rater gave too few answers to tell), the soft
    label of every real pair, and the win rates and Bradley–Terry strengths on soft labels."""
    fit, controls, reason = _fit(records, model, min_competence, seed)
    base: dict[str, Any] = {"model": model, "model_label": MODEL_LABELS.get(model, model)}
    if fit is None:
        return {**base, "reason": reason, "raters": {}, "flagged": [], "items": [], "results": None}
    real = {u: p for u, p in fit.posteriors_.items() if u[0] not in controls}
    raters = {str(r): {"competence": c, "n_answers": fit.n_answers_[r],
                       "low": (c < fit.threshold) if fit.n_answers_[r] >= fit.min_units else None}
              for r, c in fit.competence_.items()}
    items = [{"item": u[0], "a": u[1], "b": u[2], **p, "label": max(p, key=p.get)} for u, p in real.items()]
    return {**base, "reason": None, "threshold": fit.threshold, "min_units": fit.min_units, "raters": raters,
            "flagged": sorted((str(r) for r in fit.flagged_), key=str), "n_units": len(real),
            "n_control_units": len(fit.posteriors_) - len(real), "converged": fit.converged_, "n_iter": fit.n_iter_,
            "items": items,
            "results": soft_results(real, bootstrap=min(bootstrap, SOFT_BOOTSTRAP), random_state=seed) if real else None}


def competence_sentence(section: Mapping[str, Any] | None) -> str:
    """The methods paragraph's sentence on the latent-truth model ("" when it could not be fitted)."""
    if not section or section.get("reason"):
        return ""
    flagged = section.get("flagged") or []
    who = (f"{len(flagged)} rater(s) ({', '.join(flagged)}) fell under it" if flagged else "no rater fell under it")
    line = (f"Rater competence and soft labels come from {section['model_label']}, fitted by EM (seeded restarts, "
            f"one a/b/tie prior per system pair, controls as pairs of known truth): competence is the estimated "
            f"probability that a rater answers from the pair rather than at random; below {section['threshold']:.2f} "
            f"on at least {section['min_units']} answers a rater counts as of low competence, and {who}.")
    res = section.get("results") or {}
    parts = []
    for p in res.get("pairs") or []:
        parts.append(f"{p['a']} vs {p['b']} {p['win_rate_ties_half']['rate']:.2f}")
    if parts:
        line += (" On soft labels (each pair weighted by its posterior), the win rate with ties half is "
                 + "; ".join(parts) + ".")
    return line


def competence_check(records: Sequence[JudgmentRecord], design: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The reliability check "competence": per rater ``{"failed", "value", "reason", "detail"}`` (the fields of
    ``annotation.reports.checks.CheckResult``); ``failed`` is None for a rater with too few answers to tell.
    ``design`` may set ``competence_model`` ("mace" or "dawid_skene") and ``min_competence``."""
    fit, _, _ = _fit(records, str(design.get("competence_model") or "mace"), design.get("min_competence"),
                          int(design.get("report_seed") or 0))
    if fit is None:
        return {}
    out = {}
    for r, c in fit.competence_.items():
        enough = fit.n_answers_[r] >= fit.min_units
        out[str(r)] = {"failed": (c < fit.threshold) if enough else None, "value": c,
                       "reason": None if enough else f"only {fit.n_answers_[r]} answers (at least {fit.min_units} "
                                                     "are needed)",
                       "detail": {"n_answers": fit.n_answers_[r], "threshold": fit.threshold, "model": fit.model}}
    return out
