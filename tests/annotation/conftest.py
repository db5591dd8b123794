"""Fixtures for studies: a small dataset with three systems whose names, ids and model paths a leak test can
look for."""
from __future__ import annotations

import pytest


def make_study_data(n_examples: int = 30, n_systems: int = 3, seed: int = 0, identical_every: int = 0):
    """A dataset (test split) and systems with distinct, easily greppable names and model paths."""
    from annotation.services.blinding_audit import synthetic_study_data

    return synthetic_study_data(n_examples=n_examples, n_systems=n_systems, seed=seed,
                                identical_every=identical_every)


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
        counts.setdefault(slot.item.kind, []).append(len(queries))
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
