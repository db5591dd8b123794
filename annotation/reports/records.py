"""The typed records the report is built from (no Django).

``JudgmentRecord`` is one row of ``annotation.selectors.judgment_records`` (one judgment, or one tie the design
counts without asking anyone); the build turns it into the stats modules' own typed records:
``annotation.stats.preferences.Judgment`` for a pairwise answer and :class:`SideAccuracy` for a yes/no
accuracy answer on one side.

Ties of identical outputs carry no rater. They enter the win/tie/loss counts under the rater name
:data:`AUTO_TIE`, and :attr:`JudgmentRecord.auto` is the one test of whether a record is one of them.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from annotation.controls import expected_side
from annotation.stats.preferences import ANSWERS, AccuracyJudgment, Judgment

ALL: Final = "all"  # the section (and the task key) over every task
AUTO_TIE: Final = "(auto tie)"  # the rater name of the ties the design counts without asking raters

__all__ = ["ALL", "AUTO_TIE", "JudgmentRecord", "SideAccuracy", "as_records", "is_auto_tie"]


def is_auto_tie(judgment: Judgment) -> bool:
    """Is this preference one of the design's ties of identical outputs (no rater asked)?"""
    return judgment.rater == AUTO_TIE


@dataclass(frozen=True)
class SideAccuracy(AccuracyJudgment):
    """One yes/no accuracy answer on one side of a real item, with the (sorted) pair of systems compared."""

    pair: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class JudgmentRecord:
    """One judgment as the report reads it (canonical a/b and the sides as shown)."""

    item: Any
    rater: str  # "" for a tie of identical outputs that nobody was asked about
    left_system: str
    right_system: str
    system_a: str = ""
    system_b: str = ""
    answer: str = ""  # the pairwise answer, "" when the question was not asked
    task: Any = None
    seconds: float | None = None  # None when the client sent no time
    accurate_left: bool | None = None
    accurate_right: bool | None = None
    likert: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    is_control: bool = False
    control_expected: str = ""  # canonical "a" / "b" / "tie" / "both_bad"
    control_passed: bool | None = None
    auto: bool = False  # a tie of identical outputs counted by the design
    submitted_at: str | None = None
    strength: str = ""  # graded preference: "much" / "slightly" (left/right answers only)
    criteria: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # {key: {"answer", "preferred_system"}}
    left_edit: float | None = None  # words the left output changed in its input (annotation.worddiff.edit_words)
    right_edit: float | None = None
    control_kind: str = ""  # "degraded" / "gold" on a control
    repeat_of: Any = None  # on a repeated pair: the real item it repeats (it is counted there, once)

    @property
    def repeat(self) -> bool:
        """A rater's second answer on a pair they judged before: for self-consistency only."""
        return self.repeat_of is not None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> JudgmentRecord:
        """From a ``judgment_records`` row (missing keys take the defaults above)."""
        seconds = row.get("seconds")
        return cls(item=row["item"], rater=row.get("rater") or "", left_system=row["left_system"],
                   right_system=row["right_system"], system_a=row.get("system_a") or "",
                   system_b=row.get("system_b") or "", answer=row.get("answer") or "", task=row.get("task"),
                   seconds=float(seconds) if seconds else None,  # 0 is the stored default when no time was sent
                   accurate_left=row.get("accurate_left"), accurate_right=row.get("accurate_right"),
                   likert=row.get("likert") or {}, is_control=bool(row.get("is_control")),
                   control_expected=row.get("control_expected") or "", control_passed=row.get("control_passed"),
                   auto=bool(row.get("auto")), submitted_at=row.get("submitted_at"),
                   strength=row.get("strength") or "", criteria=row.get("criteria") or {},
                   left_edit=row.get("left_edit"), right_edit=row.get("right_edit"),
                   control_kind=row.get("control_kind") or "", repeat_of=row.get("repeat_of"))

    @property
    def real(self) -> bool:
        """A rater's judgment of a real item (not a control, not a design tie, not a repeat)."""
        return not self.is_control and not self.auto and not self.repeat

    @property
    def expected(self) -> str | None:
        """A control's expected answer on this slot (see ``annotation.controls.expected_side``)."""
        return expected_side(self.control_expected, left_is_a=self.left_system == self.system_a)

    def preference(self, controls: bool = False) -> Judgment | None:
        """The pairwise answer as ``annotation.stats.preferences`` takes it, or None when there is none (or
        the record is a control and ``controls`` is False). Controls carry their ``expected`` answer."""
        if self.answer not in ANSWERS or self.left_system == self.right_system or self.repeat:
            return None
        if self.is_control and not controls:
            return None
        return Judgment(item=self.item, rater=self.rater or AUTO_TIE, left=self.left_system,
                        right=self.right_system, answer=self.answer, task=self.task, seconds=self.seconds,
                        expected=self.expected if self.is_control else None)

    def canonical_answer(self) -> str | None:
        """The pairwise answer in position-free terms: "a" / "b" (the system that won) or "tie" / "both_bad"."""
        if self.answer in ("tie", "both_bad"):
            return self.answer
        if self.answer not in ("left", "right"):
            return None
        won = self.left_system if self.answer == "left" else self.right_system
        return "a" if won == self.system_a else "b"

    def accuracy(self) -> list[SideAccuracy]:
        """One yes/no record per judged side of a real item (the DEFT paper's "edit judged accurate")."""
        if not self.real:
            return []
        pair = tuple(sorted((self.left_system, self.right_system)))
        out = []
        for system, value in ((self.left_system, self.accurate_left), (self.right_system, self.accurate_right)):
            if value is not None:
                out.append(SideAccuracy(item=self.item, rater=self.rater, system=system, accurate=bool(value),
                                        task=self.task, pair=pair))
        return out

    def likert_values(self, key: str) -> list[tuple[Any, Any, str, int]]:
        """(rater, item, system, value) for one Likert scale on both sides of a real judgment."""
        if not self.real:
            return []
        scale = self.likert.get(key)
        if not scale:
            return []
        return [(self.rater, self.item, system, int(scale[side]))
                for side, system in (("left", self.left_system), ("right", self.right_system))
                if scale.get(side) is not None]


def as_records(rows: Iterable[JudgmentRecord | Mapping[str, Any]]) -> list[JudgmentRecord]:
    """Typed records from ``judgment_records`` rows (records pass through)."""
    return [r if isinstance(r, JudgmentRecord) else JudgmentRecord.from_row(r) for r in rows]
