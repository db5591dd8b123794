"""Degraded controls: a real output made worse in a way a careful rater must notice. Pure (no Django).

Kinds: "drop" removes about a third of the words, "shuffle" permutes the words, "reverse" undoes the edit
(shows the unedited input as the output). Each returns None when it cannot change the text, so the caller
tries another kind rather than storing a control identical to its source.
"""
from __future__ import annotations

import random

DEGRADATIONS = ("drop", "shuffle", "reverse")


def degrade(text: str, kind: str, rng: random.Random, source: str = "") -> str | None:
    """Return a worse version of `text`, or None when `kind` leaves it unchanged."""
    words = text.split()
    if kind == "drop":
        if len(words) < 3:
            return None
        n_drop = max(1, round(len(words) / 3))
        dropped = set(rng.sample(range(len(words)), n_drop))
        out = " ".join(w for i, w in enumerate(words) if i not in dropped)
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
    return out if out.strip() and out.strip() != text.strip() else None


def degrade_any(text: str, rng: random.Random, source: str = "",
                kinds: tuple[str, ...] = DEGRADATIONS) -> tuple[str, str] | None:
    """Try the kinds in a seeded random order; (kind, degraded text) or None when none applies."""
    order = list(kinds)
    rng.shuffle(order)
    for kind in order:
        out = degrade(text, kind, rng, source=source)
        if out is not None:
            return kind, out
    return None
