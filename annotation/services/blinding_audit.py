"""The measurements behind annotation/blinding.md, run through the real services (tests/annotation and
bench/measure_blinding.py both use them, so neither imports the other): synthetic and realistic study data, a
study answered by raters arriving in a random interleaving, the "less often left so far" side guess, and a
classifier telling controls from real pairs by their surface.
"""
from __future__ import annotations

import difflib
import io
import json
import random
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.contrib.auth.models import User

from annotation.models import Item, Slot, Study
from selection.demo import make_demo_rows
from selection.models import Dataset, Example, Output, System
from selection.services.datasets import dataset_import

from .assignment import slot_next
from .judgments import judgment_submit

TASK_PREFIX = {"gec": "Fix grammar", "simplification": "Simplify this", "paraphrase": "Paraphrase this"}
WORDS = "the cat sat on a warm mat while quiet birds sang over green hills near old stone walls".split()


def synthetic_study_data(n_examples: int = 30, n_systems: int = 3, seed: int = 0,
                         identical_every: int = 0) -> tuple[Dataset, list[System]]:
    """A dataset (test split) and systems with distinct, easily greppable names and model paths."""
    rng = random.Random(seed)
    ds = Dataset.objects.create(name=f"study-ds-{seed}", row_count=n_examples)
    tasks = list(TASK_PREFIX)
    examples = []
    for i in range(n_examples):
        text = " ".join(rng.sample(WORDS, 8))
        task = tasks[i % len(tasks)]
        examples.append(Example(dataset=ds, ext_id=f"ex{i}", task=task, split="test",
                                src=f"{TASK_PREFIX[task]}: {text}", refs=[text.replace("the", "a", 1) + " today"]))
    Example.objects.bulk_create(examples)
    examples = list(ds.examples.order_by("pk"))
    systems = []
    for s in range(n_systems):
        system = System.objects.create(name=f"zebrasys{s}", dataset=ds, kind="imported",
                                       model_path=f"/runs/secretpath{s}/model", params={"run": f"runid{s}"})
        outs = []
        for i, ex in enumerate(examples):
            words = ex.input_text.split()
            if identical_every and i % identical_every == 0:
                text = " ".join(words[:-1])
            else:
                text = " ".join(words[: len(words) - 1 - s] + [f"w{s}x", "end"])
            outs.append(Output(system=system, example=ex, text=text))
        Output.objects.bulk_create(outs)
        systems.append(system)
    return ds, systems


def _noisy(text: str, rng: random.Random) -> str:
    """A plausible imperfect edit: one word of the text dropped or doubled."""
    words = text.split()
    i = rng.randrange(len(words))
    return " ".join(words[:i] + words[i + 1:] if rng.random() < 0.5 else words[:i + 1] + words[i:])


def realistic_study_data(n_rows: int = 260, seed: int = 3) -> tuple[Dataset, list[System]]:
    """Demo rows and two systems that behave like real ones: a strong one (mostly the reference, sometimes a
    slip, now and then no edit) and a weak one (often no edit at all, sometimes the reference, sometimes a slip)."""
    rows = make_demo_rows(n_rows=n_rows, seed=seed)
    for row in rows:
        row["split"] = "test"
    ds = dataset_import(stream=io.BytesIO("".join(json.dumps(r) + "\n" for r in rows).encode()), name=f"ctl-{seed}", filename="ctl.jsonl")
    rng = random.Random(seed)
    strong = System.objects.create(name="strong", dataset=ds, kind="imported")
    weak = System.objects.create(name="weak", dataset=ds, kind="imported")
    outputs = []
    for ex in ds.examples.all():
        ref, src = ex.refs[0], ex.input_text
        r = rng.random()
        outputs.append(Output(system=strong, example=ex, text=ref if r < 0.7 else _noisy(ref, rng) if r < 0.9 else src))
        r = rng.random()
        outputs.append(Output(system=weak, example=ex, text=src if r < 0.4 else ref if r < 0.7 else _noisy(ref, rng)))
    Output.objects.bulk_create(outputs)
    return ds, [strong, weak]


def _served_features(source: str, left: str, right: str) -> list[float]:
    """A rater's glance, measured independently of the platform's own features: characters, difflib."""
    def same(a: str, b: str) -> bool:
        return " ".join(a.split()) == " ".join(b.split())

    def far(a: str, b: str) -> float:
        return 1 - difflib.SequenceMatcher(None, a, b).ratio()

    n = max(1, len(source))
    return [float(same(left, source) or same(right, source)),
            *sorted((len(left) / n, len(right) / n)),
            *sorted((far(left, source), far(right, source))),
            far(left, right)]


def control_surface_auc(study: Study) -> float:
    """5-fold ROC AUC of a logistic regression telling the study's controls from its real pairs by what a rater
    sees (characters and difflib distances, computed independently of annotation.controls): 0.5 = no better
    than chance."""
    from sklearn.linear_model import LogisticRegression  # scikit-learn loads only where this is measured
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    items = list(study.items.filter(kind__in=[Item.Kind.REAL, Item.Kind.CONTROL]).select_related("example"))
    items = [i for i in items if not i.identical]
    x = np.array([_served_features(i.example.input_text, i.text_a, i.text_b) for i in items])
    y = np.array([i.kind == Item.Kind.CONTROL for i in items])
    if not 40 <= y.sum() <= len(y) - 40:
        raise ValueError("too few of one class to judge")
    model = make_pipeline(StandardScaler(), LogisticRegression(random_state=0))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    return float(cross_val_score(model, x, y, cv=folds, scoring="roc_auc").mean())


def interleaved_study(study: Study, raters: list[User], seed: int, answer: Mapping[str, Any]) -> list[Slot]:
    """Raters arrive in a seeded random interleaving, each answering one pair per turn with ``answer``, until
    none gets more work; returns the study's real slots in serving order."""
    rng = random.Random(seed)
    active = list(raters)
    while active:
        user = rng.choice(active)
        slot = slot_next(study=study, user=user)
        if slot is None:
            active.remove(user)
            continue
        judgment_submit(slot=slot, user=user, answer=dict(answer), idempotency_key=f"k{slot.pk}")
    return list(Slot.objects.filter(item__study=study, item__kind=Item.Kind.REAL).select_related("item")
                .order_by("id"))


def less_often_left_guess(slots: list[Slot]) -> tuple[float, dict]:
    """Replay slots in serving order; each time, guess that the system of the pair shown on the left less often
    so far (to this rater) is on the left now. Ties count 1/2. Returns (share right, final imbalance per key)."""
    lead: dict[tuple, int] = defaultdict(int)  # (rater, system_a, system_b) -> a_left - b_left
    right = 0.0
    for slot in slots:
        key = (slot.rater_id, slot.item.system_a_id, slot.item.system_b_id)
        if lead[key] == 0:
            right += 0.5
        else:
            right += (lead[key] < 0) == slot.left_is_a
        lead[key] += 1 if slot.left_is_a else -1
    return right / len(slots), dict(lead)
