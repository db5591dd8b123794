"""Access control: annotators reach only their own work; every researcher endpoint refuses them."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from annotation.services import slot_next

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(study_factory, annotator, other_annotator):
    study = study_factory(n_examples=6, raters_per_item=2, control_rate=0.0)
    theirs = slot_next(study=study, user=other_annotator)
    return study, theirs


RESEARCHER_GETS = ["/studies/", "/studies/new/", "/studies/{name}/", "/studies/{name}/export/?format=csv&peek=1",
                   "/api/studies/", "/api/studies/{name}/", "/api/studies/{name}/judgments/?peek=1",
                   "/api/studies/{name}/progress/"]
RESEARCHER_POSTS = ["/studies/new/", "/studies/preview/", "/studies/{name}/", "/api/studies/",
                    "/api/studies/{name}/launch/", "/api/studies/{name}/pause/", "/api/studies/{name}/resume/",
                    "/api/studies/{name}/close/"]


def test_annotator_refused_every_researcher_endpoint(annotator_client, setup):
    study, _ = setup
    for url in RESEARCHER_GETS:
        assert annotator_client.get(url.format(name=study.name)).status_code == 403, url
    for url in RESEARCHER_POSTS:
        assert annotator_client.post(url.format(name=study.name), {"action": "close"}).status_code == 403, url
    study.refresh_from_db()
    assert study.status == "live"


def test_annotator_cannot_read_or_answer_another_annotators_slot(annotator_client, setup):
    _, theirs = setup
    token = theirs.token
    assert annotator_client.get(f"/api/work/slots/{token}/").status_code == 404
    for action in ("judgment", "skip", "flag"):
        resp = annotator_client.post(f"/api/work/slots/{token}/{action}/", {"idempotency_key": "x", "preference": "left",
                                                                           "reason": "x"}, content_type="application/json")
        assert resp.status_code == 404, action
    theirs.refresh_from_db()
    assert theirs.status == "reserved" and not hasattr(theirs, "judgment") and theirs.flag_reason == ""


def test_previous_answer_is_only_ones_own(annotator_client, other_annotator, setup):
    study, theirs = setup
    from annotation.services import judgment_submit

    judgment_submit(slot=theirs, user=other_annotator, answer={"preference": "left", "accurate_left": True,
                                                               "accurate_right": True}, idempotency_key="o")
    resp = annotator_client.get(f"/api/work/{study.public_token}/previous/")
    assert resp.status_code == 404


def test_invite_only_study_hidden_from_other_annotators(annotator_client, study_factory):
    study = study_factory(name="closed-group", open_to_annotators=False)
    token = study.public_token
    assert annotator_client.get(f"/work/{token}/").status_code == 404
    assert annotator_client.post(f"/api/work/{token}/next/").status_code == 404
    assert annotator_client.post(f"/api/work/{token}/finish/").status_code == 404
    assert all(s["token"] != token for s in annotator_client.get("/api/work/").json())


def test_anonymous_is_sent_to_login_or_refused(client, setup):
    study, theirs = setup
    assert client.get(f"/work/{study.public_token}/").status_code == 302
    assert client.get("/studies/").status_code == 302
    assert client.get(f"/api/work/slots/{theirs.token}/").status_code in (401, 403)
    assert client.get("/api/studies/").status_code in (401, 403)


def test_researcher_sees_unblinded_only_after_close_or_logged_peek(researcher_client, setup):
    study, _ = setup
    assert researcher_client.get(f"/api/studies/{study.name}/judgments/").status_code == 403
    assert researcher_client.get(f"/studies/{study.name}/export/").status_code == 403
    assert researcher_client.get(f"/api/studies/{study.name}/judgments/?peek=1").status_code == 200
    assert study.events.filter(action="peek").count() == 1
    researcher_client.post(f"/api/studies/{study.name}/close/")
    assert researcher_client.get(f"/api/studies/{study.name}/judgments/").status_code == 200
    assert study.events.filter(action="peek").count() == 1


def test_invite_link_gives_account_and_completion_code(client, study_factory):
    from annotation.services import completion_code_valid, invite_create

    study = study_factory(name="crowd", n_examples=3, raters_per_item=1, control_rate=0.0, open_to_annotators=False)
    invite = invite_create(study=study, label="batch")
    welcome = client.get(f"/join/{invite.token}/?pid=PX1")
    assert welcome.status_code == 200 and not User.objects.filter(username__startswith=f"p-{invite.pk}-").exists()
    resp = client.post(f"/join/{invite.token}/", {"pid": "PX1", "consent": "1"})
    assert resp.status_code == 302 and resp["Location"] == f"/work/{study.public_token}/"
    for i in range(20):
        nxt = client.post(f"/api/work/{study.public_token}/next/").json()
        if nxt["finished"]:
            break
        client.post(f"/api/work/slots/{nxt['slot']['slot']}/judgment/", {
            "idempotency_key": str(i), "preference": "left", "accurate_left": True, "accurate_right": False},
            content_type="application/json")
    code = client.post(f"/api/work/{study.public_token}/finish/").json()["completion_code"]
    assert completion_code_valid(study=study, participant_id="PX1", code=code)
    assert not completion_code_valid(study=study, participant_id="PX1", code="WRONG")
    # the same participant arriving again in the same browser (session gone, join cookie kept) gets the same account
    del client.cookies[settings.SESSION_COOKIE_NAME]
    assert client.post(f"/join/{invite.token}/", {"pid": "PX1", "consent": "1"}).status_code == 302
    assert User.objects.filter(username__startswith=f"p-{invite.pk}-").count() == 1


def test_a_participant_id_alone_does_not_open_someone_elses_work(client, study_factory):
    """Crowd worker ids are easy to learn: another browser presenting the same id is refused, not logged in."""
    from django.test import Client

    from annotation.services import invite_create

    study = study_factory(name="crowd-2", n_examples=3, raters_per_item=1, control_rate=0.0, open_to_annotators=False)
    invite = invite_create(study=study)
    assert client.post(f"/join/{invite.token}/", {"pid": "PX9", "consent": "1"}).status_code == 302
    intruder = Client()
    resp = intruder.post(f"/join/{invite.token}/", {"pid": "PX9", "consent": "1"})
    assert resp.status_code == 403 and b"already started in another browser" in resp.content
    assert intruder.post(f"/api/work/{study.public_token}/next/").status_code in (401, 403)
    forged = Client()
    forged.cookies[f"deft-join-{invite.pk}"] = "PX9"  # unsigned: refused too
    assert forged.post(f"/join/{invite.token}/", {"pid": "PX9", "consent": "1"}).status_code == 403


def test_draft_study_does_not_exist_for_annotators_on_the_api(annotator_client, annotator, study_factory):
    """A draft is not published: its token gives the same 404 on the API as on the pages, and joins nobody."""
    study = study_factory(name="draft-one", launch=False)
    token = study.public_token
    assert annotator_client.get(f"/work/{token}/").status_code == 404
    assert annotator_client.post(f"/api/work/{token}/next/").status_code == 404
    assert annotator_client.get(f"/api/work/{token}/previous/").status_code == 404
    assert annotator_client.post(f"/api/work/{token}/practice-done/").status_code == 404
    assert annotator_client.post(f"/api/work/{token}/finish/").status_code == 404
    assert not study.raters.filter(user=annotator).exists()


def test_rater_pages_and_work_api_are_never_cached(annotator_client, study_factory):
    study = study_factory(name="nocache")
    for response in (annotator_client.get("/work/"), annotator_client.get(f"/work/{study.public_token}/"),
                     annotator_client.post(f"/api/work/{study.public_token}/next/")):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
