"""The demo `make run` loads once: users of each role, the demo dataset, and background work on it.

`demo_load` is idempotent: a second `make run` finds everything in place and changes nothing.
"""
from __future__ import annotations

import io
import json
from typing import Callable

from django.contrib.auth.models import Group, User
from django.db import transaction

from deft_site.roles import ANNOTATOR, RESEARCHER
from selection.core.demo_data import make_demo_rows
from selection.models import Dataset
from selection.services.datasets import dataset_import

DEMO_USERS = [
    ("admin", "admin-demo", "admin"),
    ("researcher", "researcher-demo", RESEARCHER),
    ("annotator1", "annotator-demo", ANNOTATOR),
    ("annotator2", "annotator-demo", ANNOTATOR),
    ("annotator3", "annotator-demo", ANNOTATOR),
]
DEMO_DATASET = "demo"
DEMO_ROWS = 3000
DEMO_SEED = 0


def demo_users_create() -> list[User]:
    users = []
    for username, password, role in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.is_staff = user.is_superuser = role == "admin"
            user.save()
        if role in (RESEARCHER, ANNOTATOR):
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        users.append(user)
    return users


def demo_dataset_create() -> Dataset:
    existing = Dataset.objects.filter(name=DEMO_DATASET).first()
    if existing:
        return existing
    rows = make_demo_rows(n_rows=DEMO_ROWS, seed=DEMO_SEED)
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    return dataset_import(stream=io.BytesIO(payload), name=DEMO_DATASET, filename=f"make_demo_data seed={DEMO_SEED}",
                          origin=Dataset.Origin.DEMO, description=f"Synthetic demo data: {DEMO_ROWS} rows, seed {DEMO_SEED}.")


def demo_load(say: Callable[[str], None] = print) -> None:
    with transaction.atomic():
        demo_users_create()
        dataset = demo_dataset_create()
    say(f"Demo dataset '{dataset.name}': {dataset.row_count} rows.")
