"""An automatic judge measured against the humans (no Django): agreement with the human majority, position
bias, consistency across the two orders, and the judge's own win rates.

Labels are position-free, as for the humans' agreement (annotation/reports/build.py): the *system* an answer
prefers, or "tie". A human "both bad" counts as "tie" here, since a judge answers left, right or tie only.

- The **human majority** of an item is its strict plurality label over the raters who judged it; an item whose
  top labels are level has no majority and is left out (counted in ``n_no_majority``).
- The judge's **verdict** on an item combines its two orders: the system it preferred in both, else "tie" (an
  answer that follows the side, not the text, is no preference: the usual way to debias a pairwise judge). With
  one usable order only, that order's label is the verdict. Replies that named no answer are left out.
- **Agreement** is the share of items with both a human majority and a verdict on which they are the same label,
  with a Wilson interval, beside Cohen's kappa between the two label sequences (percentile bootstrap over items)
  and the share among items where both are decisive. Each rests on "too little data" below ``MIN_UNITS`` items.
- **Position bias** is the share of left answers among the judge's decisive answers (Wilson interval, exact
  sign test against 1/2; sides were shown both ways, so an unbiased judge gives 1/2 whatever the systems'
  quality); **consistency** is the share of items with both orders answered where the judge preferred the
  same label in both.
- For scale, ``human_vs_rest`` is how often one human's label equals the strict majority of the other raters of
  its item (leave one out): a judge as good as a typical rater agrees with the majority about as often.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from annotation.stats.agreement import MIN_UNITS, cohen_kappa
from annotation.stats.preferences import Judgment, majority, pairwise_preferences, position_bias, wilson_interval

TIE = "tie"

__all__ = ["JudgeRecord", "human_majority", "judge_report", "judge_verdicts"]


@dataclass(frozen=True)
class JudgeRecord:
    """One judge answer on one order of a real item: system names as shown, the answer in those sides
    ("left" / "right" / "tie", or "" when its reply named none) and its probability for the left output."""

    item: Any
    left: str
    right: str
    answer: str
    p_left: float | None = None
    task: Any = None

    def label(self) -> str | None:
        return self.left if self.answer == "left" else self.right if self.answer == "right" else \
            TIE if self.answer == "tie" else None


def _human_label(j: Judgment) -> str:
    return j.left if j.answer == "left" else j.right if j.answer == "right" else TIE


def human_majority(prefs: Iterable[Judgment]) -> tuple[dict[Any, str], int]:
    """({item: majority label}, number of items whose top labels are level)."""
    by_item: dict[Any, list[str]] = defaultdict(list)
    for j in prefs:
        by_item[j.item].append(_human_label(j))
    out, level = {}, 0
    for item, labels in by_item.items():
        label = majority(labels)[0] or None
        if label is None:
            level += 1
        else:
            out[item] = label
    return out, level


def judge_verdicts(answers: Iterable[JudgeRecord]) -> tuple[dict[Any, str], dict[Any, bool]]:
    """({item: verdict}, {item: consistent?} for items with both orders answered)."""
    by_item: dict[Any, list[str]] = defaultdict(list)
    for a in answers:
        label = a.label()
        if label is not None:
            by_item[a.item].append(label)
    verdicts, consistent = {}, {}
    for item, labels in by_item.items():
        if len(labels) >= 2:
            same = len(set(labels)) == 1
            consistent[item] = same
            verdicts[item] = labels[0] if same else TIE
        else:
            verdicts[item] = labels[0]
    return verdicts, consistent


def _share(k: int, n: int, what: str) -> dict[str, Any]:
    """A proportion with its Wilson interval, "too little data" below MIN_UNITS, undefined at n = 0."""
    if n == 0:
        return {"count": 0, "n": 0, "rate": None, "ci": None, "reason": f"no {what}", "caution": None}
    caution = (f"rests on only {n} {what} (at least {MIN_UNITS} are needed): too little data"
               if n < MIN_UNITS else None)
    return {"count": k, "n": n, "rate": k / n, "ci": list(wilson_interval(k, n)), "reason": None, "caution": caution}


def _leave_one_out(prefs: list[Judgment]) -> dict[str, Any]:
    by_item: dict[Any, list[str]] = defaultdict(list)
    for j in prefs:
        by_item[j.item].append(_human_label(j))
    agree = n = 0
    for labels in by_item.values():
        for i, label in enumerate(labels):
            rest = majority(labels[:i] + labels[i + 1:])[0] or None
            if rest is not None:
                n += 1
                agree += label == rest
    return _share(agree, n, "human ratings with a majority among the other raters of their item")


def judge_report(human: Iterable[Judgment], answers: Iterable[JudgeRecord], *, bootstrap: int = 1000,
                 seed: int = 0) -> dict[str, Any]:
    """Everything the report says of one judge (see the module docstring); JSON-ready."""
    human, answers = list(human), list(answers)
    usable = [a for a in answers if a.label() is not None and a.left != a.right]
    majority, level = human_majority(human)
    verdicts, consistent = judge_verdicts(usable)
    both = sorted((set(majority) & set(verdicts)), key=str)
    agree = sum(majority[i] == verdicts[i] for i in both)
    decisive = [i for i in both if majority[i] != TIE and verdicts[i] != TIE]
    per_answer = [a for a in usable if a.item in majority]
    kappa = cohen_kappa([[verdicts[i] for i in both], [majority[i] for i in both]], bootstrap=bootstrap if
                        len(both) > 1 else 0, random_state=seed).to_dict() if both else \
        {"value": None, "reason": "no item has both a human majority and a judge verdict", "ci": None,
         "note": None, "caution": None}
    as_judgments = [Judgment(item=a.item, rater="judge", left=a.left, right=a.right, answer=a.answer, task=a.task)
                    for a in usable]
    bias = position_bias(as_judgments) if as_judgments else None
    if bias is not None:
        n_dec = bias["n_decisive"]
        bias["caution"] = (f"rests on only {n_dec} decisive answers (at least {MIN_UNITS} are needed): too little "
                           "data" if n_dec < MIN_UNITS else None)
    return {
        "n_answers": len(answers), "n_unusable": len(answers) - len(usable), "n_items": len(verdicts),
        "n_compared": len(both), "n_no_majority": level,
        "agreement": _share(agree, len(both), "items with both a human majority and a judge verdict"),
        "agreement_decisive": _share(sum(majority[i] == verdicts[i] for i in decisive), len(decisive),
                                     "items where both the humans and the judge preferred a system"),
        "agreement_per_answer": _share(sum(a.label() == majority[a.item] for a in per_answer), len(per_answer),
                                       "judge answers on items with a human majority"),
        "cohen_kappa": kappa,
        "position_bias": bias,
        "consistency": _share(sum(consistent.values()), len(consistent), "items answered in both orders"),
        "pairs": pairwise_preferences(as_judgments) if as_judgments else [],
        "human_vs_rest": _leave_one_out(human),
    }


def as_judge_records(rows: Iterable[Mapping[str, Any]]) -> list[JudgeRecord]:
    """From plain dicts (the cache and the selectors' rows)."""
    return [JudgeRecord(item=r["item"], left=r["left"], right=r["right"], answer=r.get("answer") or "",
                        p_left=r.get("p_left"), task=r.get("task")) for r in rows]
