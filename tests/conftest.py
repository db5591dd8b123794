"""Shared fixtures: users of each role, a small demo dataset, API clients."""
from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection

from tests.needs import need, port_open


def _user(username: str, group: str | None, **extra) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, **extra)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def make_users(prefix: str, n: int, group: str | None = "annotator") -> list[User]:
    """``n`` users named ``<prefix>0`` ... in ``group``."""
    return [_user(f"{prefix}{i}", group) for i in range(n)]


@pytest.fixture
def pg(transactional_db):
    """The test database connection, when it is PostgreSQL (tests/needs.py: skips, or fails under CI=true)."""
    need(connection.vendor == "postgresql",
         "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
         + ("" if port_open(5432) else " (and nothing listens on 127.0.0.1:5432)"))
    return connection


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """API and invite throttles count requests in the cache: each test starts with none counted."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def researcher(db) -> User:
    return _user("rita", "researcher")


@pytest.fixture
def annotator(db) -> User:
    return _user("anna", "annotator")


@pytest.fixture
def other_annotator(db) -> User:
    return _user("otto", "annotator")


@pytest.fixture
def staff(db) -> User:
    return _user("sam", None, is_staff=True, is_superuser=True)


@pytest.fixture
def researcher_client(client, researcher):
    client.force_login(researcher)
    return client


@pytest.fixture
def annotator_client(client, annotator):
    client.force_login(annotator)
    return client


def jsonl_bytes(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@pytest.fixture
def demo_rows():
    from selection.demo import make_demo_rows

    return make_demo_rows(n_rows=120, seed=1)


@pytest.fixture
def demo_dataset(db, demo_rows):
    from selection.services.datasets import dataset_import

    return dataset_import(stream=io.BytesIO(jsonl_bytes(demo_rows)), name="demo-small", filename="demo.jsonl")
