"""Measure what a crowd cheater can learn, for annotation/blinding.md: side predictability and balance, and how
often controls stand out, over several seeded simulated studies run through the real services.

    .venv/bin/python bench/measure_blinding.py [--studies 10] [--postgres]

Sides: 2 systems, 50 examples x 4 raters (200 judgments), 8 raters arriving in a random interleaving; the guess
"the system shown on the left less often so far to this rater" (ties count 1/2) over the serving order, each
rater's final |left difference| per pair of systems, and system a's overall share of the left.
Controls: a crowd study with a quota (60 examples, k=3, 15 raters x 12 pairs, 20 % controls): the share of
controls among all slots and among the pairs two raters both got (what two accounts of one cheater compare),
and the most raters any control met; a classifier's ROC AUC telling controls from real pairs by their surface.
The pure side design (annotation/sides.py) over 3,000 studies too.
"""
from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchdb import setup_django  # noqa: E402

ANSWER = {"preference": "tie", "accurate_left": True, "accurate_right": True}


def sides_study(seed: int) -> tuple[float, int, float]:
    from django.contrib.auth.models import Group, User

    from annotation.services import study_create
    from annotation.services.blinding_audit import interleaved_study, less_often_left_guess, synthetic_study_data

    ds, systems = synthetic_study_data(n_examples=50, n_systems=2, seed=1000 + seed)
    study = study_create(name=f"sides-{seed}", dataset=ds, systems=systems, n_examples=50, raters_per_item=4,
                         control_rate=0.0, seed=seed, launch=True)
    group = Group.objects.get_or_create(name="annotator")[0]
    raters = [User.objects.create_user(f"m{seed}-{i}") for i in range(8)]
    group.user_set.add(*raters)
    slots = interleaved_study(study, raters, seed, ANSWER)
    accuracy, lead = less_often_left_guess(slots)
    return accuracy, max(abs(v) for v in lead.values()), sum(s.left_is_a for s in slots) / len(slots)


def controls_study(seed: int) -> tuple[float, float, int]:
    from django.contrib.auth.models import User
    from django.db.models import Count

    from annotation.models import Item, Slot
    from annotation.services import invite_create, invite_join, judgment_submit, slot_next, study_create
    from annotation.services.blinding_audit import synthetic_study_data

    owner = User.objects.get_or_create(username="owner")[0]
    ds, systems = synthetic_study_data(n_examples=160, n_systems=2, seed=2000 + seed)
    study = study_create(name=f"ctl-{seed}", dataset=ds, systems=systems, n_examples=60, raters_per_item=3,
                         control_rate=0.2, quota_per_rater=12, user=owner, launch=True, seed=seed)
    invite = invite_create(study=study)
    seen = {}
    for pid in range(15):
        user = invite_join(invite=invite, participant_id=f"s{seed}p{pid}", may_resume=False).user
        while (slot := slot_next(study=study, user=user)) is not None:
            judgment_submit(slot=slot, user=user, answer=ANSWER, idempotency_key=f"k{slot.pk}")
        seen[user.pk] = set(Slot.objects.filter(rater=user).values_list("item_id", "item__kind"))
    every = [p for pairs in seen.values() for p in pairs]
    shared = [p for a, b in itertools.combinations(seen, 2) for p in seen[a] & seen[b]]
    met = (Slot.objects.filter(item__study=study, item__kind=Item.Kind.CONTROL).values("item")
           .annotate(n=Count("pk")).values_list("n", flat=True))
    share = lambda rows: sum(k == Item.Kind.CONTROL for _, k in rows) / max(1, len(rows))  # noqa: E731
    return share(every), share(shared), max(met)


def pure_design(n_studies: int = 3000) -> tuple[float, float, float, float]:
    from annotation.sides import side_choice

    rng = random.Random(0)
    accs, worst_balance = [], 0.0
    for _ in range(n_studies):
        n_raters, per = 8, rng.randint(19, 50)
        order = [r for r in range(n_raters) for _ in range(per)]
        rng.shuffle(order)
        mine, everyone, right = [0] * n_raters, 0, 0.0
        for r in order:
            a_left = side_choice(mine[r], everyone, rng.random())
            right += 0.5 if mine[r] == 0 else float((mine[r] < 0) == a_left)
            mine[r] += 1 if a_left else -1
            everyone += 1 if a_left else -1
        accs.append(right / len(order))
        worst_balance = max(worst_balance, abs(everyone) / len(order) / 2)
    accs.sort()
    return statistics.mean(accs), accs[int(0.95 * len(accs))], accs[-1], worst_balance


def controls_auc(seed: int) -> float:
    """The classifier of tests/annotation/test_controls.py (annotation/services/blinding_audit.py: logistic regression on independently computed
    surface features, 5-fold ROC AUC) on a study whose two systems behave like real ones."""
    from annotation.services import study_create
    from annotation.services.blinding_audit import control_surface_auc, realistic_study_data

    ds, systems = realistic_study_data(seed=100 + seed)
    study = study_create(name=f"auc-{seed}", dataset=ds, systems=systems, n_examples=70, raters_per_item=1,
                         control_rate=0.5, seed=seed)
    return control_surface_auc(study)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=10)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    setup_django(args.postgres)
    sides = [sides_study(seed) for seed in range(args.studies)]
    accs = [a for a, _, _ in sides]
    print(f"sides, {args.studies} studies of 200 judgments: guess right {min(accs):.1%}-{max(accs):.1%} "
          f"(mean {statistics.mean(accs):.1%}); worst per-rater |left difference| {max(w for _, w, _ in sides)}; "
          f"system a on the left {min(s for *_, s in sides):.1%}-{max(s for *_, s in sides):.1%}")
    mean, p95, top, balance = pure_design()
    print(f"pure design, 3,000 studies of 152-400 judgments: guess mean {mean:.1%}, 95th percentile {p95:.1%}, "
          f"max {top:.1%}; overall balance off by at most {balance:.1%}")
    ctl = [controls_study(seed) for seed in range(max(1, args.studies // 2))]
    print(f"controls, {len(ctl)} crowd studies: {statistics.mean(c[0] for c in ctl):.0%} of slots, "
          f"{statistics.mean(c[1] for c in ctl):.0%} of the pairs two raters share "
          f"(range {min(c[1] for c in ctl):.0%}-{max(c[1] for c in ctl):.0%}); "
          f"a control met by at most {max(c[2] for c in ctl)} raters (k = 3)")
    aucs = [controls_auc(seed) for seed in range(max(1, args.studies // 2))]
    print(f"controls vs real pairs, {len(aucs)} studies: ROC AUC {min(aucs):.2f}-{max(aucs):.2f} "
          f"(mean {statistics.mean(aucs):.2f}; 0.5 is chance)")


if __name__ == "__main__":
    main()
