"""Controls that look like real pairs: degraded candidates, their simple features, and feature matching.
Pure (no Django).

A control is a pair with a known better side, built from an example outside the study's real items, so no
rater ever meets its input as a real pair. The trouble with a fixed recipe ("a third of the words dropped",
"the input itself") is that its surface gives it away: a crowd rater learns that pairs with one side equal to
the input, or one side much shorter, are the controls, answers those carefully and clicks at random elsewhere.
So each control is chosen to look like a real pair on the features a rater can see at a glance
(`pair_features`): how many sides equal the input, how long each side is against the input, how far each side
is from the input and from the other side (word edit distance, rapidfuzz's Levenshtein). Many candidates are
made per example (`control_candidates`: a real output against a copy with a word dropped, two words swapped,
a word repeated, a span of words dropped, the words shuffled, or the edit undone; and the reference against
the input for "gold"), and `match_controls` picks, for each of a random sample of the real pairs, the nearest
unused candidate (nearest-neighbour matching on standardised features, exact on the identical count).

Degradations return None when they cannot change the text, so a control is never identical to its source.
`expected_side` turns a control's canonical expected answer into the side a slot shows it on, and
`control_passed` scores a rater's answer to a control (duck-typed on the Control, Slot and Judgment rows).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Hashable, Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein

if TYPE_CHECKING:  # for annotations only: this module imports no Django
    from annotation.models import Control, Judgment, Slot

DEGRADATIONS = ("drop", "swap", "repeat", "cut", "shuffle", "reverse")
CONTROL_KINDS = ("degraded", "gold")  # annotation.models.Control.Kind holds the same values
FEATURES = ("identical_sides", "length_ratio_min", "length_ratio_max", "edit_min", "edit_max", "edit_between")


def _norm(text: str) -> str:
    return " ".join(text.split())


def degrade(text: str, kind: str, rng: random.Random, source: str = "") -> str | None:
    """Return a worse version of `text`, or None when `kind` leaves it unchanged.

    drop: one word removed; swap: two neighbouring words exchanged; repeat: a word said twice; cut: a span of
    about a third of the words removed; shuffle: the words permuted; reverse: the edit undone (the source)."""
    words = text.split()
    if kind == "drop":
        if len(words) < 3:
            return None
        i = rng.randrange(len(words))
        out = " ".join(words[:i] + words[i + 1:])
    elif kind == "swap":
        pairs = [i for i in range(len(words) - 1) if words[i] != words[i + 1]]
        if not pairs:
            return None
        i = rng.choice(pairs)
        out = " ".join(words[:i] + [words[i + 1], words[i]] + words[i + 2:])
    elif kind == "repeat":
        if len(words) < 2:
            return None
        i = rng.randrange(len(words))
        out = " ".join(words[:i + 1] + [words[i]] + words[i + 1:])
    elif kind == "cut":
        if len(words) < 4:
            return None
        n = max(2, round(len(words) / 3))
        i = rng.randrange(len(words) - n + 1)
        out = " ".join(words[:i] + words[i + n:])
    elif kind == "shuffle":
        if len(set(words)) < 3:
            return None
        out = text
        for _ in range(10):
            shuffled = words[:]
            rng.shuffle(shuffled)
            out = " ".join(shuffled)
            if out != " ".join(words):
                break
    elif kind == "reverse":
        out = source
    else:
        raise ValueError(f"unknown degradation {kind!r}; expected one of {DEGRADATIONS}")
    return out if out.strip() and _norm(out) != _norm(text) else None


def pair_features(source: str, left: str, right: str) -> tuple[float, ...]:
    """What a rater sees at a glance, the same whichever side is which (FEATURES order): sides equal to the
    source, each side's length in words over the source's (min, max), each side's word edit distance to the
    source over the source's length (min, max), and the distance between the sides over the source's length."""
    src = source.split()
    n = max(1, len(src))
    sides = [left.split(), right.split()]
    identical = sum(_norm(s) == _norm(source) for s in (left, right))
    ratios = sorted(len(s) / n for s in sides)
    edits = sorted(Levenshtein.distance(s, src) / n for s in sides)
    between = Levenshtein.distance(sides[0], sides[1]) / n
    return (float(identical), ratios[0], ratios[1], edits[0], edits[1], between)


@dataclass(frozen=True)
class Candidate:
    """A possible control: `good` is the side a careful rater prefers, `bad` the other."""

    group: Hashable  # the example it comes from: matching uses a group at most `per_group` times
    good: str
    bad: str
    kind: str  # "degraded" or "gold"
    degradation: str  # a DEGRADATIONS kind, "" for gold
    source_key: Any  # the system whose output `good` is, None for gold
    features: tuple[float, ...] = field(default=())


def control_candidates(group: Hashable, source: str, outputs: dict[Any, str], refs: Sequence[str],
                       rng: random.Random, kinds: Sequence[str] = CONTROL_KINDS) -> list[Candidate]:
    """Every control one example can give: for each system output that edits the source, each degradation of
    it; and, for "gold", the first reference against the source."""
    out: list[Candidate] = []
    if "degraded" in kinds:
        for key, good in outputs.items():
            if not good.strip() or _norm(good) == _norm(source):  # an unedited output is no sure winner
                continue
            for how in DEGRADATIONS:
                bad = degrade(good, how, rng, source=source)
                if bad is not None:
                    out.append(Candidate(group, good, bad, "degraded", how, key, pair_features(source, good, bad)))
    if "gold" in kinds and refs and refs[0].strip() and _norm(refs[0]) != _norm(source):
        out.append(Candidate(group, refs[0], source, "gold", "", None, pair_features(source, refs[0], source)))
    return out


def match_controls(targets: Sequence[tuple[float, ...]], candidates: Sequence[Candidate], rng: random.Random,
                   per_group: int = 1) -> list[Candidate]:
    """For each target (the features of a real pair), the nearest candidate not yet taken, using each group at
    most `per_group` times; targets are served in a random order. Distances are on features standardised by
    the targets' spread, and a candidate with a different identical-sides count is taken only when no other
    is left. Returns at most len(targets) candidates (fewer when the candidates run out)."""
    if not targets or not candidates:
        return []
    t = np.asarray(targets, dtype=float)
    c = np.asarray([cand.features for cand in candidates], dtype=float)
    scale = t.std(axis=0)
    scale[scale == 0] = 1.0
    t, c = t / scale, c / scale
    mismatch = (np.asarray(targets)[:, :1] != np.asarray([cand.features[:1] for cand in candidates]).T) * 1e6
    used_group: dict[Hashable, int] = {}
    free = np.ones(len(candidates), dtype=bool)
    chosen: list[Candidate] = []
    order = list(range(len(targets)))
    rng.shuffle(order)
    for i in order:
        if not free.any():
            break
        dist = ((c - t[i]) ** 2).sum(axis=1) + mismatch[i]
        dist[~free] = np.inf
        j = int(np.argmin(dist))
        chosen.append(candidates[j])
        group = candidates[j].group
        used_group[group] = used_group.get(group, 0) + 1
        free[j] = False
        if used_group[group] >= per_group:
            free &= np.asarray([cand.group != group for cand in candidates])
    return chosen


def degrade_any(text: str, rng: random.Random, source: str = "",
                kinds: tuple[str, ...] = ("cut", "shuffle", "reverse")) -> tuple[str, str] | None:
    """Try the kinds in a seeded random order; (kind, degraded text) or None when none applies. The default
    kinds are the obvious ones: practice pairs teach, they do not test."""
    order = list(kinds)
    rng.shuffle(order)
    for kind in order:
        out = degrade(text, kind, rng, source=source)
        if out is not None:
            return kind, out
    return None


def expected_side(expected: str, left_is_a: bool) -> str | None:
    """The answer a control expects on one slot, from its canonical ``expected`` ("a", "b", "tie" or
    "both_bad") and the slot's order: "left" or "right" for the side showing the expected winner, "tie" and
    "both_bad" as they are, None for any other value. The one place that turns a/b into a side: the judgment
    service (control passed?), the report (rater quality) and the practice pairs (the rating page's
    feedback) all call it.

    >>> expected_side("a", left_is_a=False), expected_side("b", left_is_a=False), expected_side("tie", True)
    ('right', 'left', 'tie')
    """
    if expected in ("tie", "both_bad"):
        return expected
    if expected not in ("a", "b"):
        return None
    return "left" if (expected == "a") == left_is_a else "right"


def other_side(side: str) -> str:
    """"right" for "left" and "left" for "right": the side a control expects to lose."""
    return {"left": "right", "right": "left"}[side]


def control_passed(control: Control, slot: Slot, judgment: Judgment) -> bool | None:
    """Did the rater rate the known-worse side worse? None when the study asks nothing to tell."""
    expected = expected_side(control.expected, slot.left_is_a)
    if expected is None:  # not a known answer (the database's check constraint rules this out)
        return None
    if expected in ("tie", "both_bad"):
        return judgment.preference == expected if judgment.preference else None
    expected_left, bad_side = expected, other_side(expected)
    if judgment.preference:
        return judgment.preference == expected_left
    bad_accurate = getattr(judgment, f"accurate_{bad_side}")
    if bad_accurate is not None:
        return bad_accurate is False
    if judgment.likert:
        good = sum(v[expected_left] for v in judgment.likert.values())
        bad = sum(v[bad_side] for v in judgment.likert.values())
        return good > bad
    return None
