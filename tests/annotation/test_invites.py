"""Invite links: a welcome / consent page, joining only by POST, rate-limited accounts, none for a study that
is not live."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from annotation.services import invite_create, study_close, study_pause

pytestmark = pytest.mark.django_db


def _accounts(invite) -> int:
    return User.objects.filter(username__startswith=f"p-{invite.pk}-").count()


@pytest.fixture
def invite(study_factory):
    study = study_factory(name="crowd", n_examples=6, raters_per_item=2, control_rate=0.0, practice_count=1,
                          open_to_annotators=False, guidelines="Prefer **fluent** edits.")
    return invite_create(study=study, label="batch 1")


def test_a_plain_get_shows_the_welcome_page_and_signs_nobody_in_or_out(researcher_client, researcher, invite):
    page = researcher_client.get(f"/join/{invite.token}/?PROLIFIC_PID=PX1")
    body = page.content.decode()
    assert page.status_code == 200
    for text in (invite.study.public_title, "What you will do", "completion code", "Your data", "PX1",
                 'name="consent"', "csrfmiddlewaretoken", "<strong>fluent</strong>",
                 "You are signed in as <strong>rita</strong>"):
        assert text in body, text
    assert "zebrasys" not in body
    assert _accounts(invite) == 0
    assert researcher_client.get("/api/studies/").status_code == 200  # still the researcher


def test_joining_is_a_post_with_consent_and_csrf(invite):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/join/{invite.token}/", {"pid": "PX2", "consent": "1"}).status_code == 403
    client = Client()
    refused = client.post(f"/join/{invite.token}/", {"pid": "PX2"})
    assert refused.status_code == 400 and b"agree to take part" in refused.content and _accounts(invite) == 0
    joined = client.post(f"/join/{invite.token}/", {"pid": "PX2", "consent": "1"})
    assert joined.status_code == 302 and joined["Location"] == f"/work/{invite.study.public_token}/"
    assert _accounts(invite) == 1
    # back on the link while signed in as that participant: straight to the work
    assert client.get(f"/join/{invite.token}/?pid=PX2")["Location"] == f"/work/{invite.study.public_token}/"


def test_a_returning_participant_continues_after_a_post(invite):
    from django.conf import settings

    client = Client()
    client.post(f"/join/{invite.token}/", {"pid": "PX3", "consent": "1"})
    del client.cookies[settings.SESSION_COOKIE_NAME]
    page = client.get(f"/join/{invite.token}/?pid=PX3")
    assert page.status_code == 200 and b"Welcome back" in page.content
    assert client.post(f"/join/{invite.token}/", {"pid": "PX3", "consent": "1"}).status_code == 302
    assert _accounts(invite) == 1


def test_account_creation_is_rate_limited_per_address(invite, settings):
    client = Client()
    codes = [client.post(f"/join/{invite.token}/", {"pid": f"bot{i}", "consent": "1"}, REMOTE_ADDR="10.1.1.1")
             .status_code for i in range(25)]
    assert codes[:10] == [302] * 10 and set(codes[10:]) == {429}
    assert _accounts(invite) == 10
    limited = client.post(f"/join/{invite.token}/", {"pid": "bot99", "consent": "1"}, REMOTE_ADDR="10.1.1.1")
    assert b"try again in about" in limited.content
    # someone else, elsewhere, still gets in
    assert Client().post(f"/join/{invite.token}/", {"pid": "real", "consent": "1"},
                         REMOTE_ADDR="10.2.2.2").status_code == 302


def test_account_creation_is_rate_limited_per_invite(invite, settings):
    settings.DEFT_JOIN_RATE_PER_INVITE = "5/hour"
    codes = [Client().post(f"/join/{invite.token}/", {"pid": f"p{i}", "consent": "1"},
                           REMOTE_ADDR=f"10.3.0.{i}").status_code for i in range(8)]
    assert codes == [302] * 5 + [429] * 3 and _accounts(invite) == 5


def test_a_forged_forwarded_for_header_does_not_dodge_the_limit(invite):
    codes = [Client().post(f"/join/{invite.token}/", {"pid": f"f{i}", "consent": "1"}, REMOTE_ADDR="10.4.4.4",
                           HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").status_code for i in range(12)]
    assert codes.count(302) == 10


def test_no_account_for_a_draft_study(study_factory):
    draft = invite_create(study=study_factory(name="not-yet", launch=False))
    assert Client().get(f"/join/{draft.token}/?pid=D1").status_code == 404
    assert Client().post(f"/join/{draft.token}/", {"pid": "D1", "consent": "1"}).status_code == 404
    assert _accounts(draft) == 0


@pytest.mark.parametrize("how", ["closed", "paused", "inactive", "full"])
def test_no_account_when_the_study_or_invite_is_not_open(invite, researcher, how):
    if how == "closed":
        study_close(study=invite.study, user=researcher)
    elif how == "paused":
        study_pause(study=invite.study, user=researcher)
    elif how == "inactive":
        type(invite).objects.filter(pk=invite.pk).update(active=False)
    else:
        type(invite).objects.filter(pk=invite.pk).update(max_participants=0)
    page = Client().get(f"/join/{invite.token}/?pid=C1")
    assert page.status_code in (200, 410) and b'name="consent"' not in page.content
    assert Client().post(f"/join/{invite.token}/", {"pid": "C1", "consent": "1"}).status_code == 403
    assert _accounts(invite) == 0
