"""Rater reliability checks: the one registry that the completion-code gate and "exclude flagged raters" read.

A study names the checks it uses in two lists (``Study.gate_checks``: a rater must pass them for a valid
completion code; ``Study.exclude_checks``: who the report's "without flagged raters" version leaves out). Each
check is a pure function, registered here under its name::

    @register_check("name", label="...", method="one sentence for the methods paragraph")
    def check(records: Sequence[JudgmentRecord], design: Mapping[str, Any]) -> dict[str, CheckResult]: ...

``records`` are every judgment record of the study (controls and repeats included, see
:mod:`annotation.reports.records`); ``design`` is the report's meta dict (``annotation.reports.gather.study_meta``:
questions, ``qc_min_pass``, ``reliability_alpha``, ...). A check returns one :class:`CheckResult` per rater it
can say something about; ``failed=None`` means too little data: such a rater is neither gated nor excluded.
The statistics live in ``annotation.stats`` (rater_quality, rater_checks); nothing here imports Django.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotation.reports.records import JudgmentRecord, is_auto_tie
from annotation.stats.rater_checks import answer_chance, degraded_test, self_consistency, shown_counts
from annotation.stats.rater_quality import RaterQuality

__all__ = ["CHECKS", "CheckResult", "ReliabilityCheck", "check_names", "checks_failed", "register_check",
           "run_checks", "validate_checks"]


@dataclass(frozen=True)
class CheckResult:
    """One rater's outcome of one check: ``failed`` None when the data cannot tell (``reason`` says why)."""

    failed: bool | None
    value: float | None = None
    reason: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"failed": self.failed, "value": self.value, "reason": self.reason, **dict(self.detail)}


CheckFn = Callable[[Sequence[JudgmentRecord], Mapping[str, Any]], dict[str, CheckResult]]


@dataclass(frozen=True)
class ReliabilityCheck:
    name: str
    label: str
    method: str  # what the methods paragraph says the check does
    fn: CheckFn


CHECKS: dict[str, ReliabilityCheck] = {}


def register_check(name: str, *, label: str, method: str) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as the check ``name`` (a decorator)."""
    def wrap(fn: CheckFn) -> CheckFn:
        CHECKS[name] = ReliabilityCheck(name=name, label=label, method=method, fn=fn)
        return fn
    return wrap


def check_names() -> list[str]:
    return list(CHECKS)


def validate_checks(names: Iterable[Any], what: str) -> list[str]:
    """The names as a clean list, or ValueError naming the unknown ones (the services map it to a 400)."""
    if isinstance(names, str):
        names = [n for n in names.replace(",", " ").split() if n]
    out = []
    for n in names or []:
        n = str(n).strip()
        if n and n not in out:
            out.append(n)
    unknown = [n for n in out if n not in CHECKS]
    if unknown:
        raise ValueError(f"{what}: unknown reliability check(s) {', '.join(unknown)}; "
                         f"the checks are {', '.join(CHECKS)}.")
    return out


def run_checks(records: Sequence[JudgmentRecord], design: Mapping[str, Any],
               names: Iterable[str] | None = None) -> dict[str, dict[str, CheckResult]]:
    """{check: {rater: result}} for the named checks (every registered one by default)."""
    return {n: CHECKS[n].fn(records, design) for n in (names if names is not None else CHECKS)}


def checks_failed(results: Mapping[str, Mapping[str, CheckResult]], names: Iterable[str]) -> dict[str, list[str]]:
    """{rater: [check, ...]} of the raters who failed any of the named checks (None never fails)."""
    out: dict[str, list[str]] = defaultdict(list)
    for n in names:
        for rater, res in (results.get(n) or {}).items():
            if res.failed:
                out[rater].append(n)
    return dict(out)


def _alpha(design: Mapping[str, Any]) -> float:
    return float(design.get("reliability_alpha") or 0.05)


# --------------------------------------------------------------------------------------------------
# The built-in checks


@register_check("controls", label="control pass rate",
                method="passing at least the study's share of control pairs (qc_min_pass; a skipped control "
                       "counts as failed at the completion gate)")
def controls_check(records: Sequence[JudgmentRecord], design: Mapping[str, Any]) -> dict[str, CheckResult]:
    need = float(design.get("qc_min_pass") if design.get("qc_min_pass") is not None else 0.75)
    scored: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        if r.rater and r.is_control and r.control_passed is not None:
            scored[r.rater].append(bool(r.control_passed))
    return {rater: CheckResult(failed=sum(v) / len(v) < need, value=sum(v) / len(v),
                               detail={"n_controls": len(v), "min_pass": need})
            for rater, v in scored.items()}


RATER_FLAG_PARAMS = {"min_controls": 3}


@register_check("rater_flags", label="quality flags",
                method="the objective quality flags (control accuracy, answering one side or tie throughout, "
                       "answering faster than 2 s) and chance-level agreement with the other raters (Gwet's AC1)")
def rater_flags_check(records: Sequence[JudgmentRecord], design: Mapping[str, Any]) -> dict[str, CheckResult]:
    prefs = [p for p in (r.preference(True) for r in records) if p is not None and not is_auto_tie(p)]
    if not prefs:
        return {}
    model = RaterQuality(**{**RATER_FLAG_PARAMS, **dict(design.get("rater_params") or {})}).fit(prefs)
    return {str(r): CheckResult(failed=bool(m["flags"]), value=m.get("ac1_vs_others"),
                                detail={"flags": list(m["flags"])}) for r, m in model.report_.items()}


@register_check("self_consistency", label="self-consistency on repeated pairs",
                method="answering repeated pairs (the same pair shown again to the same rater some slots later) "
                       "the same way significantly more often than a rater who ignores the texts would "
                       "(one-sided exact binomial test; chance from the rater's own left/right/tie shares)")
def self_consistency_check(records: Sequence[JudgmentRecord], design: Mapping[str, Any]) -> dict[str, CheckResult]:
    firsts = {(r.rater, r.item): r.canonical_answer() for r in records if r.real and r.rater}
    shown: dict[str, list[str]] = defaultdict(list)
    for r in records:
        if r.rater and not r.auto:
            shown[r.rater].append(r.answer)
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in records:
        if r.repeat and r.rater:
            a, b = firsts.get((r.rater, r.repeat_of)), r.canonical_answer()
            if a is not None and b is not None:
                pairs[r.rater].append((a, b))
    out = {}
    for rater, ps in pairs.items():
        res = self_consistency([a for a, _ in ps], [b for _, b in ps], answer_chance(shown_counts(shown[rater])),
                               alpha=_alpha(design))
        out[rater] = CheckResult(failed=res["failed"], value=res["share_same"], reason=res["reason"], detail=res)
    return out


@register_check("degraded_test", label="real above degraded (Appraise's test)",
                method="rating real outputs above their degraded copies on the degraded controls (one-sided "
                       "Wilcoxon signed-rank test on the Likert differences when the study asks a Likert scale, "
                       "an exact one-sided sign test on the preferences otherwise; a tie counts against)")
def degraded_check(records: Sequence[JudgmentRecord], design: Mapping[str, Any]) -> dict[str, CheckResult]:
    scales = [s["key"] for s in (design.get("questions") or {}).get("likert", [])]
    diffs: dict[str, list[float]] = defaultdict(list)
    prefs: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        if not (r.rater and r.is_control and r.control_kind == "degraded"):
            continue
        real_side = "left" if r.left_system == r.system_a else "right"
        other = "right" if real_side == "left" else "left"
        d = [float(r.likert[k][real_side]) - float(r.likert[k][other]) for k in scales
             if (r.likert.get(k) or {}).get("left") is not None and (r.likert.get(k) or {}).get("right") is not None]
        if d:
            diffs[r.rater].append(sum(d) / len(d))
        if r.answer:
            prefs[r.rater].append(r.answer == real_side)
    out = {}
    for rater in sorted(set(diffs) | set(prefs)):
        res = (degraded_test(differences=diffs[rater], alpha=_alpha(design)) if scales and diffs.get(rater)
               else degraded_test(preferences=prefs[rater], alpha=_alpha(design)))
        out[rater] = CheckResult(failed=res["failed"], value=res["p_value"], reason=res["reason"], detail=res)
    return out


# Rater competence from a MACE / Dawid-Skene model (annotation/reports/competence.py, annotation/stats/competence.py).
from annotation.reports import competence as _competence  # noqa: E402  (registered after the registry exists)


@register_check(_competence.CHECK_NAME, label=_competence.CHECK_LABEL, method=_competence.CHECK_METHOD)
def _competence_check(records: Sequence[JudgmentRecord], design: Mapping[str, Any]) -> dict[str, CheckResult]:
    return {r: CheckResult(**v) for r, v in _competence.competence_check(records, design).items()}
