"""The rating page's one round trip per judgment: POST /api/work/slots/<slot>/judgment/?next=1 stores the answer
exactly like the plain request and hands out exactly what POST /api/work/<study>/next/ would have."""
from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from annotation.models import Judgment, Slot
from annotation.services import study_pause
from tests.conftest import make_users

pytestmark = pytest.mark.django_db

ANSWER = {"preference": "left", "accurate_left": True, "accurate_right": False}


def _answer(client: Client, slot: str, key: str, combined: bool = True):
    return client.post(f"/api/work/slots/{slot}/judgment/" + ("?next=1" if combined else ""),
                       json.dumps({**ANSWER, "idempotency_key": key}), content_type="application/json")


def _rater(name: str) -> Client:
    (user,) = make_users(name, 1)
    client = Client()
    client.force_login(user)
    return client


def test_the_combined_answer_gives_what_next_would_and_the_same_progress(study_factory):
    study = study_factory(n_examples=8, raters_per_item=2, control_rate=0.25)
    client = _rater("comb")
    first = client.post(f"/api/work/{study.public_token}/next/").json()
    slot = first["slot"]["slot"]
    resp = _answer(client, slot, "k1")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["stored"] and body["created"] and body["next"]["finished"] is False
    nxt = body["next"]["slot"]
    assert nxt["slot"] != slot and nxt["answer"] is None
    assert body["progress"] == body["next"]["progress"]
    again = client.post(f"/api/work/{study.public_token}/next/").json()  # the pair handed out is the current one
    assert again["slot"] == nxt and again["progress"] == body["progress"]
    assert Judgment.objects.get(slot__token=slot).idempotency_key == "k1"
    assert Slot.objects.filter(rater__username="comb0", status=Slot.Status.RESERVED).count() == 1


def test_the_same_answer_again_stores_nothing_new_and_hands_out_no_second_pair(study_factory):
    study = study_factory(n_examples=8, raters_per_item=2, control_rate=0.0)
    client = _rater("twice")
    slot = client.post(f"/api/work/{study.public_token}/next/").json()["slot"]["slot"]
    one = _answer(client, slot, "same").json()
    two = _answer(client, slot, "same")
    assert two.status_code == 200 and two.json()["created"] is False
    assert two.json()["next"]["slot"]["slot"] == one["next"]["slot"]["slot"]
    assert Judgment.objects.filter(slot__token=slot).count() == 1
    assert Slot.objects.filter(rater__username="twice0").count() == 2


def test_without_next_the_reply_is_as_before(study_factory):
    study = study_factory(n_examples=4, raters_per_item=2, control_rate=0.0)
    client = _rater("plain")
    slot = client.post(f"/api/work/{study.public_token}/next/").json()["slot"]["slot"]
    body = _answer(client, slot, "p", combined=False).json()
    assert set(body) == {"stored", "created", "progress"}
    assert Slot.objects.filter(rater__username="plain0").count() == 1  # no pair handed out


def test_paused_study_stores_the_answer_and_hands_out_nothing(study_factory, researcher):
    study = study_factory(n_examples=4, raters_per_item=2, control_rate=0.0)
    client = _rater("pause")
    slot = client.post(f"/api/work/{study.public_token}/next/").json()["slot"]["slot"]
    study_pause(study=study, user=researcher)
    resp = _answer(client, slot, "k")
    assert resp.status_code == 201 and resp.json()["stored"] and resp.json()["next"] is None
    assert resp.json()["progress"]["done"] == 1
    assert client.post(f"/api/work/{study.public_token}/next/").status_code == 409  # what the page shows then


def test_the_last_answer_says_finished(study_factory):
    study = study_factory(n_examples=2, raters_per_item=1, control_rate=0.0)
    client = _rater("last")
    slot = client.post(f"/api/work/{study.public_token}/next/").json()["slot"]["slot"]
    seen = []
    for _ in range(10):
        body = _answer(client, slot, uuid.uuid4().hex).json()
        seen.append(slot)
        if body["next"]["finished"]:
            break
        slot = body["next"]["slot"]["slot"]
    assert body["next"] == {"slot": None, "progress": body["progress"], "finished": True}
    assert body["progress"]["left"] == 0 and len(set(seen)) == len(seen) == body["progress"]["done"]


def test_someone_elses_slot_is_404_and_hands_out_nothing(study_factory):
    study = study_factory(n_examples=4, raters_per_item=2, control_rate=0.0)
    owner, other = _rater("own"), _rater("oth")
    slot = owner.post(f"/api/work/{study.public_token}/next/").json()["slot"]["slot"]
    assert _answer(other, slot, "x").status_code == 404
    assert not Slot.objects.filter(rater__username="oth0").exists()
