"""Fixtures for studies: a small dataset with three systems whose names, ids and model paths a leak test can
look for."""
from __future__ import annotations

import random

import pytest

TASK_PREFIX = {"gec": "Fix grammar", "simplification": "Simplify this", "paraphrase": "Paraphrase this"}
WORDS = "the cat sat on a warm mat while quiet birds sang over green hills near old stone walls".split()


def make_study_data(n_examples: int = 30, n_systems: int = 3, seed: int = 0, identical_every: int = 0):
    """A dataset (test split) and systems with distinct, easily greppable names and model paths."""
    from selection.models import Dataset, Example, Output, System

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


def next_queries_by_kind(client, study, max_answers: int) -> dict[str, list[int]]:
    """A fresh annotator ("timer") joins ``study`` over the API, then answers up to ``max_answers`` pairs; the
    database queries each following ``next`` ran, by the kind ("real" / "control") of the pair it handed out."""
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotation.models import Slot

    user = User.objects.create_user("timer")
    user.groups.add(Group.objects.get_or_create(name="annotator")[0])
    client.force_login(user)
    client.post(f"/api/work/{study.public_token}/next/")  # the first request joins the study: not compared
    counts: dict[str, list[int]] = {"real": [], "control": []}
    slot = Slot.objects.get(rater=user)
    for i in range(max_answers):
        client.post(f"/api/work/slots/{slot.token}/judgment/",
                    data={"idempotency_key": f"k{i}", "preference": "left", "accurate_left": True,
                          "accurate_right": False}, content_type="application/json")
        with CaptureQueriesContext(connection) as queries:
            nxt = client.post(f"/api/work/{study.public_token}/next/").json()
        if nxt["finished"]:
            break
        slot = Slot.objects.get(token=nxt["slot"]["slot"])
        counts[slot.item.kind].append(len(queries))
    return counts


@pytest.fixture
def study_data(db):
    return make_study_data()


@pytest.fixture
def study_factory(study_data, researcher):
    from annotation.services import study_create

    ds, systems = study_data

    def make(name: str = "s1", n_systems: int = 2, launch: bool = True, **kw):
        params = dict(n_examples=12, raters_per_item=2, seed=3, control_rate=0.2, user=researcher)
        params.update(kw)
        return study_create(name=name, dataset=ds, systems=systems[:n_systems], launch=launch, **params)

    return make
