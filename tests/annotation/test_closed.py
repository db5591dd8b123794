"""Closed means closed: after close (and before launch) no annotator write succeeds, and `finish` with work left
never hands out a completion code."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from annotation.models import Slot, StudyRater
from annotation.services import StudyNotLive, WorkLeft, judgment_submit, slot_next, study_close
from annotation.services.judgments import rater_finish

pytestmark = pytest.mark.django_db

ANSWER = {"preference": "left", "accurate_left": True, "accurate_right": False}


@pytest.fixture
def rater(client):
    user = User.objects.create_user("closer")
    user.groups.add(Group.objects.get_or_create(name="annotator")[0])
    client.force_login(user)
    return user


def _answer_all(study, user) -> None:
    while (slot := slot_next(study=study, user=user)) is not None:
        judgment_submit(slot=slot, user=user, answer=ANSWER, idempotency_key=f"k{slot.pk}")


def test_no_annotator_write_succeeds_after_close(client, rater, study_factory):
    study = study_factory(n_examples=6, raters_per_item=1)
    held = client.post(f"/api/work/{study.public_token}/next/").json()["slot"]["slot"]
    study_close(study=study)
    api = "/api/work/slots/"
    writes = {
        "answer": client.post(f"{api}{held}/judgment/", {**ANSWER, "idempotency_key": "late"},
                              content_type="application/json"),
        "skip": client.post(f"{api}{held}/skip/", {"reason": "late"}, content_type="application/json"),
        "flag": client.post(f"{api}{held}/flag/", {"reason": "late"}, content_type="application/json"),
        "finish": client.post(f"/api/work/{study.public_token}/finish/"),
        "next": client.post(f"/api/work/{study.public_token}/next/"),
        "practice done": client.post(f"/api/work/{study.public_token}/practice-done/"),
    }
    for what, resp in writes.items():
        assert resp.status_code == 409, (what, resp.status_code, resp.content)
        assert "closed" in resp.json()["detail"], what
    slot = Slot.objects.get(token=held)
    assert (slot.status, slot.flag_reason, slot.skip_reason) == (Slot.Status.RESERVED, "", "")
    assert not hasattr(slot, "judgment") or slot.judgment is None
    member = StudyRater.objects.get(study=study, user=rater)
    assert member.completion_code == "" and member.finished_at is None and not member.practice_done
    # The done page says so too, and shows no code.
    page = client.get(f"/work/{study.public_token}/done/").content.decode()
    assert "completion-code" not in page and "closed" in page


def test_finish_with_work_left_gives_no_code(client, rater, study_factory):
    study = study_factory(n_examples=6, raters_per_item=1)
    client.post(f"/api/work/{study.public_token}/next/")
    resp = client.post(f"/api/work/{study.public_token}/finish/")
    assert resp.status_code == 409 and "completion_code" not in resp.json()
    assert "waiting" in resp.json()["detail"]
    with pytest.raises(WorkLeft):
        rater_finish(study=study, user=rater)
    assert StudyRater.objects.get(study=study, user=rater).completion_code == ""


def test_a_code_issued_before_close_stays_readable(client, rater, study_factory):
    study = study_factory(n_examples=4, raters_per_item=1, control_rate=0.0)
    _answer_all(study, rater)
    code = client.post(f"/api/work/{study.public_token}/finish/").json()["completion_code"]
    study_close(study=study)
    again = client.post(f"/api/work/{study.public_token}/finish/")
    assert again.status_code == 200 and again.json()["completion_code"] == code


def test_nothing_is_accepted_before_launch(client, rater, study_factory):
    study = study_factory(n_examples=4, raters_per_item=1, launch=False)
    assert client.post(f"/api/work/{study.public_token}/finish/").status_code == 404
    assert client.post(f"/api/work/{study.public_token}/next/").status_code == 404
    StudyRater.objects.create(study=study, user=rater)
    with pytest.raises(StudyNotLive, match="not started"):
        rater_finish(study=study, user=rater)


def _crowd(study, pid: str):
    from annotation.services import invite_create, invite_join

    invite = study.invites.first() or invite_create(study=study)
    return invite_join(invite=invite, participant_id=pid, may_resume=False).user


def test_skipping_every_pair_earns_no_valid_code(client, study_factory):
    """A crowd cheater who skips every pair (controls included) finishes with a code, as everyone does, but
    the code is not valid for payment: skipping is not a way out of the checks."""
    from annotation.services import completion_code_valid, slot_skip

    study = study_factory(n_examples=12, raters_per_item=2, control_rate=0.5)
    skipper = _crowd(study, "skipper")
    kinds = set()
    while (slot := slot_next(study=study, user=skipper)) is not None:
        kinds.add(slot.item.kind)
        slot_skip(slot=slot, user=skipper, reason="skip")
    assert kinds == {"real", "control"}
    member = rater_finish(study=study, user=skipper)
    assert member.completion_code and not completion_code_valid(study=study, participant_id="skipper",
                                                                 code=member.completion_code)


def test_skipping_the_controls_only_fails_them(study_factory):
    """Answering the real pairs and skipping each control (were a rater able to spot them) fails the checks."""
    from annotation.services import completion_code_valid, slot_skip

    study = study_factory(n_examples=12, raters_per_item=2, control_rate=0.5)
    dodger, honest = _crowd(study, "dodger"), _crowd(study, "honest")
    for user in (dodger, honest):
        while (slot := slot_next(study=study, user=user)) is not None:
            if slot.item.kind == "control" and user == dodger:
                slot_skip(slot=slot, user=user)
                continue
            expected = "left" if slot.left_is_a else "right"  # controls' good side is a; real pairs: any answer
            judgment_submit(slot=slot, user=user, answer={**ANSWER, "preference": expected},
                            idempotency_key=f"k{slot.pk}")
    for user, pid, valid in ((dodger, "dodger", False), (honest, "honest", True)):
        code = rater_finish(study=study, user=user).completion_code
        assert completion_code_valid(study=study, participant_id=pid, code=code) is valid, pid
