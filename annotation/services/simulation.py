"""Synthetic raters: dry-run a launched study (design and analysis) before paying anyone, and drive load tests.

Each synthetic rater is a real account working through the same `slot_next` and `judgment_submit` as the
web page, in its own thread and database connection. Each item has a seeded "true" winner (the preferred
system wins it with the chosen probability), so items differ as real ones do; careful raters follow the
truth 90 % of the time and answer controls correctly most of the time; random clickers answer uniformly;
always-left raters always pick the left output. Synthetic reviewers (`simulate_reviewers`) adjudicate the queued
items through the same `adjudication_next` and `adjudication_submit` as the reviewer's page, following the same
truth with the probability given.
"""
from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import connection

from annotation.models import Item, Preference, Slot, Study, StudyRater

from .adjudication import adjudication_next, adjudication_submit, reviewer_add
from .assignment import slot_next
from .judgments import judgment_submit

CAREFUL, RANDOM, LEFT = "careful", "random", "always_left"
FOLLOW_TRUTH = 0.9
TIE_RATE = 0.05


def _true_winner_is_a(item: Item, p_a: float, seed: int) -> bool:
    """The item's seeded ground truth: the same for every rater, different across items; a repeated pair
    shares its original's."""
    return random.Random(f"{seed}:{item.repeat_of_id or item.pk}").random() < p_a


def _p_a(item: Item, prefer: dict[str, float]) -> float:
    """The chance that system a wins an item, from `prefer` ({system: chance it wins}; 0.5 when unnamed)."""
    p_a, p_b = prefer.get(item.system_a.system.name), prefer.get(item.system_b.system.name)
    return p_a if p_a is not None else (1 - p_b if p_b is not None else 0.5)


def item_truth_is_a(item: Item, prefer: dict[str, float], seed: int) -> bool:
    """Whether system a truly wins this real item in a simulation with ``prefer`` and ``seed``: what careful
    raters follow 90 % of the time, and the truth a simulated judge (annotation/judges/simulated.py) is told."""
    return _true_winner_is_a(item, _p_a(item, prefer), seed)


def _answer(study: Study, slot: Slot, style: str, prefer: dict[str, float], rng: random.Random,
            seed: int = 0) -> dict[str, Any]:
    item = slot.item
    q = study.questions
    if style == RANDOM:
        pref = rng.choice(Preference.values)
    elif style == LEFT:
        pref = "left"
    elif item.kind == Item.Kind.CONTROL:
        good_left = ("a" == item.control.expected) == slot.left_is_a
        correct = rng.random() < 0.92
        pref = "left" if good_left == correct else "right"
    else:
        if rng.random() < TIE_RATE:
            pref = "tie"
        else:
            a_wins = item_truth_is_a(item, prefer, seed) == (rng.random() < FOLLOW_TRUTH)
            pref = "left" if a_wins == slot.left_is_a else "right"
    answer: dict[str, Any] = {"preference": pref if q.get("pairwise") else ""}
    if q.get("graded") and pref in ("left", "right"):
        answer["strength"] = "much" if rng.random() < 0.5 else "slightly"
    answer["criteria"] = {c["key"]: (rng.choice(["left", "right", "tie"]) if style == RANDOM or pref not in ("left", "right")
                                     else pref if rng.random() < 0.8 else "tie") for c in q.get("criteria", [])}
    if q.get("accuracy"):
        answer["accurate_left"] = pref in ("left", "tie") if style != RANDOM else rng.random() < 0.5
        answer["accurate_right"] = pref in ("right", "tie") if style != RANDOM else rng.random() < 0.5
    likert = {}
    for scale in q.get("likert", []):
        lo, hi = scale["min"], scale["max"]
        if style == RANDOM:
            likert[scale["key"]] = {"left": rng.randint(lo, hi), "right": rng.randint(lo, hi)}
        else:
            good, bad = hi - rng.randint(0, 1), max(lo, hi - rng.randint(1, 3))
            likert[scale["key"]] = {"left": good if pref != "right" else bad, "right": good if pref != "left" else bad}
    answer["likert"] = likert
    answer["seconds"] = round(rng.uniform(2, 6) if style == RANDOM else rng.lognormvariate(2.6, 0.4), 1)
    return answer


def _work(study_pk: int, raters: list[tuple[int, str, int]], prefer: dict[str, float], study_seed: int) -> list[int]:
    """Let a group of raters take turns, one slot each per round (as people working at the same time do),
    until none of them gets more work. Returns judgments per rater."""
    study = Study.objects.get(pk=study_pk)
    users = [(User.objects.get(pk=pk), style, random.Random(seed)) for pk, style, seed in raters]
    counts = [0] * len(users)
    active = list(range(len(users)))
    try:
        while active:
            for i in list(active):
                user, style, rng = users[i]
                slot = slot_next(study=study, user=user)
                if slot is None:
                    active.remove(i)
                    continue
                slot = Slot.objects.select_related("item__system_a__system", "item__system_b__system",
                                                   "item__control").get(pk=slot.pk)
                answer = _answer(study, slot, style, prefer, rng, study_seed)
                judgment_submit(slot=slot, user=user, answer=answer, idempotency_key=f"sim-{slot.token}")
                counts[i] += 1
    finally:
        if threading.current_thread() is not threading.main_thread():
            connection.close()
    return counts


def simulate_raters(*, study: Study, raters: int, seed: int = 0, prefer: dict[str, float] | None = None,
                    random_clickers: int = 0, always_left: int = 0, threads: int = 1) -> dict[str, Any]:
    """Create `raters` careful + `random_clickers` + `always_left` synthetic accounts and let them work the
    study until nothing is left, taking turns (one slot each per round) within each of `threads` concurrent
    groups, so every rater gets a share of the items. Returns judgments per style."""
    prefer = prefer or {}
    styles = [CAREFUL] * raters + [RANDOM] * random_clickers + [LEFT] * always_left
    users = []
    for i, style in enumerate(styles):
        user, _ = User.objects.get_or_create(username=f"sim-{study.pk}-{style}-{seed}-{i}")
        StudyRater.objects.get_or_create(study=study, user=user)
        users.append((user.pk, style, seed * 1000 + i))
    n_groups = max(1, min(threads, len(users)))
    groups = [users[i::n_groups] for i in range(n_groups)]
    if len(groups) == 1:
        per_group = [_work(study.pk, groups[0], prefer, seed)]
    else:
        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            per_group = list(pool.map(lambda group: _work(study.pk, group, prefer, seed), groups))
    counts = {rater: n for group, ns in zip(groups, per_group) for rater, n in zip(group, ns)}
    per_style: Counter = Counter()
    for (_, style, _), n in counts.items():
        per_style[style] += n
    return {"raters": len(users), "judgments": sum(counts.values()), "per_style": dict(per_style)}


def true_label(item: Item, prefer: dict[str, float], seed: int) -> str:
    """The item's seeded true winner as a canonical label ("a" or "b"), as `simulate_raters` with the same
    `prefer` and `seed` drew it (the truth the tests measure accuracy against)."""
    return "a" if item_truth_is_a(item, prefer, seed) else "b"


def simulate_reviewers(*, study: Study, reviewers: int = 1, seed: int = 0, prefer: dict[str, float] | None = None,
                       follow_truth: float = 1.0) -> dict[str, Any]:
    """Create `reviewers` synthetic reviewer accounts (role and assignment included) and let them adjudicate
    every queued item, in turns; each answers the item's true winner (the one `simulate_raters` used with the
    same `seed` and `prefer`) with probability `follow_truth`, the other side otherwise. Returns labels given."""
    prefer = prefer or {}
    group = Group.objects.get_or_create(name="reviewer")[0]
    users = []
    for i in range(reviewers):
        user, _ = User.objects.get_or_create(username=f"sim-{study.pk}-reviewer-{seed}-{i}")
        user.groups.add(group)
        reviewer_add(study=study, user=user)
        users.append((user, random.Random(seed * 7919 + i)))
    given, active = 0, list(range(len(users)))
    while active:
        for i in list(active):
            user, rng = users[i]
            adj = adjudication_next(study=study, user=user)
            if adj is None:
                active.remove(i)
                continue
            item = Item.objects.select_related("system_a__system", "system_b__system").get(pk=adj.item_id)
            truth = true_label(item, prefer, seed)
            label = truth if rng.random() < follow_truth else ("b" if truth == "a" else "a")
            side = "left" if (label == "a") == adj.left_is_a else "right"
            adjudication_submit(adjudication=adj, user=user, answer=side, note="simulated",
                                idempotency_key=f"sim-review-{adj.token}")
            given += 1
    return {"reviewers": len(users), "labels": given}
