"""The access matrix, generated from the URL configuration: every route × every kind of visitor.

Each route needs a rule below (by URL name) saying which visitors it lets through; a new route without a
rule fails `test_every_route_has_a_rule`. A visitor is *refused* when the answer is 401, 403, 404 or a redirect
to a login page, and *let through* otherwise (a 400 for an empty form counts: the access check passed).
Each request runs in a rolled-back savepoint, so a POST that closes a study does not change the next one.

Routes with a DRF format suffix (`.json`) are checked for refusals only: what they answer to allowed
visitors belongs to the bad-input tests.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from annotation.models import Adjudication, StudyRater
from annotation.services import invite_create, invite_join, judgment_submit, slot_next, study_create
from deft_site.jobs.models import Job
from selection.models import SelectionRun, TrainingRun
from tests.annotation.conftest import make_study_data
from tests.urlwalk import walk

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "annotator", "other_annotator", "crowd", "owner", "other_researcher", "admin", "reviewer",
         "other_reviewer")
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
RESEARCHERS = frozenset({"owner", "other_researcher", "admin"})
STUDY_MANAGERS = frozenset({"owner", "admin"})
STUDY_RATERS = frozenset({"annotator", "crowd"})
SLOT_OWNER = frozenset({"annotator"})
STAFF = frozenset({"admin"})
STUDY_REVIEWERS = frozenset({"reviewer"})  # assigned to the study, with the reviewer role (blinding.may_review)


@dataclass(frozen=True)
class Rule:
    allowed: frozenset
    kwargs: Callable[[dict], dict] = field(default=lambda w: {})
    method: str = "get"
    query: str = ""
    # Which answers mean "refused": any of 401/403/404/redirect-to-login ("any"), or only the redirect to a
    # login page ("login": the admin's own 403/404 for a missing object or a forbidden add come after access).
    refusal: str = "any"
    before: Callable[[Client, dict], None] | None = None  # e.g. a logged peek earlier in the same session


def _peeked_session(client: Client, w: dict) -> None:
    from annotation import blinding

    if "_auth_user_id" in client.session:
        session = client.session
        blinding.remember_peek(session, w["study"])
        session.save()


def _study(w: dict) -> dict:
    return {"name": w["study"].name}


def _dataset(w: dict) -> dict:
    return {"name": w["dataset"].name}


R = Rule
RULES: dict[str, Rule] = {
    # site
    "home": R(SIGNED_IN),
    "login": R(EVERYONE),
    "logout": R(EVERYONE, method="post", refusal="login-ok"),
    "dashboard": R(STAFF),
    "api_tokens": R(SIGNED_IN),
    "api-schema": R(RESEARCHERS),
    "api-root": R(SIGNED_IN),
    "healthz": R(EVERYONE),  # load-balancer probes: say only "up" / "ready", nothing about the data
    "readyz": R(EVERYONE),
    # selection pages
    "selection:dataset_list": R(RESEARCHERS),
    "selection:dataset_upload": R(RESEARCHERS),
    "selection:dataset_detail": R(RESEARCHERS, _dataset),
    "selection:dataset_download": R(RESEARCHERS, _dataset),
    "jobs:list": R(RESEARCHERS),
    "jobs:detail": R(RESEARCHERS, lambda w: {"pk": w["job"].pk}),
    "jobs:json": R(RESEARCHERS, lambda w: {"pk": w["job"].pk}),
    "jobs:cancel": R(RESEARCHERS, lambda w: {"pk": w["job"].pk}, "post"),
    "jobs:retry": R(RESEARCHERS, lambda w: {"pk": w["job"].pk}, "post"),
    "selection:training_list": R(RESEARCHERS),
    "selection:training_new": R(RESEARCHERS),
    "selection:training_detail": R(RESEARCHERS, lambda w: {"name": w["training"].name}),
    "selection:training_loss_svg": R(RESEARCHERS, lambda w: {"name": w["training"].name}),
    "selection:training_generate": R(RESEARCHERS, lambda w: {"name": w["training"].name}, "post"),
    "selection:system_list": R(RESEARCHERS),
    "selection:system_import": R(RESEARCHERS),
    "selection:system_copy_baseline": R(RESEARCHERS, method="post"),
    "selection:system_detail": R(RESEARCHERS, lambda w: {"pk": w["system"].pk}),
    "selection:results": R(RESEARCHERS),
    "selection:results_score": R(RESEARCHERS, method="post"),
    "selection:selection_list": R(RESEARCHERS),
    "selection:selection_new": R(RESEARCHERS),
    "selection:selection_compare": R(RESEARCHERS),
    "selection:selection_detail": R(RESEARCHERS, lambda w: {"name": w["selection"].name}),
    "selection:selection_export": R(RESEARCHERS, lambda w: {"name": w["selection"].name}, "post"),
    "selection:selection_picks": R(RESEARCHERS, lambda w: {"name": w["selection"].name}),
    # selection API
    "dataset-list": R(RESEARCHERS),
    "dataset-detail": R(RESEARCHERS, _dataset),
    "dataset-examples": R(RESEARCHERS, _dataset),
    "dataset-export": R(RESEARCHERS, _dataset),
    "job-list": R(RESEARCHERS),
    "job-detail": R(RESEARCHERS, lambda w: {"pk": w["job"].pk}),
    "job-cancel": R(RESEARCHERS, lambda w: {"pk": w["job"].pk}, "post"),
    "job-retry": R(RESEARCHERS, lambda w: {"pk": w["job"].pk}, "post"),
    "selection-list": R(RESEARCHERS),
    "selection-detail": R(RESEARCHERS, lambda w: {"name": w["selection"].name}),
    "selection-export": R(RESEARCHERS, lambda w: {"name": w["selection"].name}, "post"),
    "selection-picks": R(RESEARCHERS, lambda w: {"name": w["selection"].name}),
    "training-run-list": R(RESEARCHERS),
    "training-run-detail": R(RESEARCHERS, lambda w: {"name": w["training"].name}),
    "training-run-generate": R(RESEARCHERS, lambda w: {"name": w["training"].name}, "post"),
    "training-run-loss": R(RESEARCHERS, lambda w: {"name": w["training"].name}),
    "system-list": R(RESEARCHERS),
    "system-copy-baseline": R(RESEARCHERS, method="post"),
    "system-import-outputs": R(RESEARCHERS, method="post"),
    "system-detail": R(RESEARCHERS, lambda w: {"pk": w["system"].pk}),
    "system-outputs": R(RESEARCHERS, lambda w: {"pk": w["system"].pk}),
    "scores": R(RESEARCHERS),
    # studies: pages and API (researchers see studies they own or share; admins all)
    "annotation:study_list": R(RESEARCHERS),
    "annotation:study_wizard": R(RESEARCHERS),
    "annotation:study_preview": R(RESEARCHERS, method="post"),
    "annotation:study_import": R(RESEARCHERS),
    "annotation:study_detail": R(STUDY_MANAGERS, _study),
    "annotation:study_export": R(STUDY_MANAGERS, _study, query="peek=1"),
    "annotation:study_report": R(STUDY_MANAGERS, _study, query="peek=1"),
    "annotation:study_report_live": R(STUDY_MANAGERS, _study, before=_peeked_session),
    "study-list": R(RESEARCHERS),
    "study-import": R(RESEARCHERS, method="post"),
    "study-detail": R(STUDY_MANAGERS, _study),
    "study-report": R(STUDY_MANAGERS, lambda w: {"ref": w["study"].name}, query="peek=1"),
    "study-judgments": R(STUDY_MANAGERS, _study, query="peek=1"),
    "study-research-export": R(STUDY_MANAGERS, _study, query="peek=1&kind=potato"),
    "study-progress": R(STUDY_MANAGERS, _study),
    "study-judges": R(STUDY_MANAGERS, _study),
    "study-launch": R(STUDY_MANAGERS, _study, "post"),
    "study-pause": R(STUDY_MANAGERS, _study, "post"),
    "study-resume": R(STUDY_MANAGERS, _study, "post"),
    "study-close": R(STUDY_MANAGERS, _study, "post"),
    # annotators: their studies and their own slots only
    "annotation:work_home": R(SIGNED_IN),
    "annotation:rate": R(STUDY_RATERS, lambda w: {"token": w["study"].public_token}),
    "annotation:guidelines": R(STUDY_RATERS, lambda w: {"token": w["study"].public_token}),
    "annotation:done": R(STUDY_RATERS, lambda w: {"token": w["study"].public_token}),
    "annotation:join": R(EVERYONE, lambda w: {"token": w["invite"].token}, query="pid=newcomer"),
    "work-list": R(SIGNED_IN),
    "work-next": R(STUDY_RATERS, lambda w: {"token": w["study"].public_token}, "post"),
    "work-previous": R(STUDY_RATERS, lambda w: {"token": w["study"].public_token}),
    "work-finish": R(STUDY_RATERS, lambda w: {"token": w["study"].public_token}, "post"),
    "work-practice-done": R(STUDY_RATERS, lambda w: {"token": w["study"].public_token}, "post"),
    "work-slot": R(SLOT_OWNER, lambda w: {"slot": w["slot"].token}),
    "work-judgment": R(SLOT_OWNER, lambda w: {"slot": w["slot"].token}, "post"),
    "work-skip": R(SLOT_OWNER, lambda w: {"slot": w["slot"].token}, "post"),
    "work-flag": R(SLOT_OWNER, lambda w: {"slot": w["slot"].token}, "post"),
    # reviewers (adjudication): the study's assigned reviewers, blinded like raters; managers manage it
    "annotation:review_home": R(SIGNED_IN),
    "annotation:review": R(STUDY_REVIEWERS, lambda w: {"token": w["study"].public_token}),
    "review-list": R(SIGNED_IN),
    "review-next": R(STUDY_REVIEWERS, lambda w: {"token": w["study"].public_token}, "post"),
    "review-item": R(STUDY_REVIEWERS, lambda w: {"item": w["adjudication"].token}),
    "review-label": R(STUDY_REVIEWERS, lambda w: {"item": w["adjudication"].token}, "post"),
    "study-adjudications": R(STUDY_MANAGERS, _study, query="peek=1"),
    "study-reviewers": R(STUDY_MANAGERS, _study, "post"),
}
# Django's admin: staff only (its own login page aside); an object id that does not exist is still "through".
ADMIN_KWARGS = {"object_id": "1", "id": "1", "app_label": "annotation", "content_type_id": 1, "url": "nowhere"}


def _is_admin(route: str) -> bool:
    return route.startswith("admin/")


def _rule(route: str, name: str) -> Rule | None:
    if name in ("admin:login", "admin:logout"):
        return Rule(EVERYONE, refusal="login")
    if _is_admin(route):
        return Rule(STAFF, refusal="login")
    return RULES.get(name)


def _routes() -> list[tuple[str, str]]:
    return [(route, name) for route, _, name in walk(get_resolver())]


def _admin_url(route: str, name: str) -> str:
    if not name:  # the admin's unnamed redirects (<object_id>/ to its change page) and its catch-all
        return "/" + route.replace("<path:object_id>", "1").replace("(?P<url>.*)$", "nowhere/")
    names = set(re.findall(r"<(?:\w+:)?(\w+)>", route)) | set(re.findall(r"\(\?P<(\w+)>", route))
    kwargs = {k: ADMIN_KWARGS.get(k, "0") for k in names}  # "0" fits django-rq's numeric ids and job ids
    return reverse(name, kwargs=kwargs)


def test_every_route_has_a_rule():
    missing = sorted({f"{route} (name {name!r})" for route, name in _routes()
                      if (not name and not _is_admin(route)) or _rule(route, name) is None})
    assert not missing, "routes without an access rule in tests/test_access_matrix.py:\n" + "\n".join(missing)
    stale = sorted(set(RULES) - {name for _, name in _routes()})
    assert not stale, f"rules for routes that no longer exist: {stale}"


def _user(username: str, group: str | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password="pw", **extra)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def world(db):
    return build_world()


def build_world() -> dict:
    """One study S owned by `owner`, invite-only, rated by `annotator` (a member) and `crowd` (joined through
    its invite); `other_annotator` rates another study T; plus one of each selection-side object."""
    ds, systems = make_study_data(n_examples=12, n_systems=2, seed=11)
    users = {"owner": _user("owner", "researcher"), "other_researcher": _user("other", "researcher"),
             "admin": _user("boss", is_staff=True, is_superuser=True), "annotator": _user("anno", "annotator"),
             "other_annotator": _user("otter", "annotator"), "reviewer": _user("revi", "reviewer"),
             "other_reviewer": _user("revo", "reviewer")}
    study = study_create(name="matrix", dataset=ds, systems=systems, n_examples=6, raters_per_item=3,
                         control_rate=0.0, user=users["owner"], launch=True, open_to_annotators=False,
                         adjudication="disagreements", reviewers=[users["reviewer"]])
    other = study_create(name="matrix-other", dataset=ds, systems=systems, n_examples=3, raters_per_item=1,
                         control_rate=0.0, user=users["other_researcher"], launch=True)
    StudyRater.objects.create(study=study, user=users["annotator"])
    invite = invite_create(study=study)
    users["crowd"] = invite_join(invite=invite, participant_id="crowd1", may_resume=False).user
    slots = {}
    for role in ("annotator", "crowd"):
        slot = slot_next(study=study, user=users[role])
        judgment_submit(slot=slot, user=users[role], answer={"preference": "left", "accurate_left": True,
                                                             "accurate_right": True}, idempotency_key=role)
        slots[role] = slot_next(study=study, user=users[role])  # reserved, unanswered
    slot_next(study=other, user=users["other_annotator"])
    # `reviewer` holds an item of S for adjudication; `other_reviewer` has the role but is not S's reviewer.
    adjudication = Adjudication.objects.create(item=slots["annotator"].item, study=study, reviewer=users["reviewer"],
                                               reserved_until=timezone.now() + timedelta(minutes=30))
    job = Job.objects.create(kind="selection", title="matrix job", status=Job.Status.FAILED)
    return {"users": users, "study": study, "invite": invite, "slot": slots["annotator"], "dataset": ds,
            "adjudication": adjudication,
            "system": systems[0], "job": job, "selection": SelectionRun.objects.create(name="matrix-sel", dataset=ds),
            "training": TrainingRun.objects.create(name="matrix-run", dataset=ds, split="test")}


def _refused(resp, refusal: str) -> bool:
    to_login = resp.status_code == 302 and "/login/" in resp["Location"]
    if refusal == "login":
        return to_login or resp.status_code == 401
    if resp.status_code in (401, 403, 404):
        return True
    return to_login and refusal != "login-ok"  # logging out lands on the login page: that is not a refusal


def _clients(world: dict) -> dict[str, Client]:
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role, user in world["users"].items():
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(user)
    return clients


def _request(client: Client, method: str, url: str, before=None, world=None, **extra):  # noqa: ANN001
    """One request whose writes are rolled back, with the client's cookies (its login) kept as they were."""
    cookies = client.cookies
    client.cookies = type(cookies)(cookies)
    cache.clear()
    try:
        with transaction.atomic():
            if before:
                before(client, world)
            resp = getattr(client, method)(url, **extra)
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return resp


def test_access_matrix(world):
    clients = _clients(world)
    wrong = []
    checked = 0
    for route, name in _routes():
        rule = _rule(route, name)
        suffixed = "format" in route
        if _is_admin(route):
            url = _admin_url(route, name)
        else:
            kwargs = rule.kwargs(world) | ({"format": "json"} if suffixed else {})
            url = reverse(name, kwargs=kwargs) + (f"?{rule.query}" if rule.query else "")
        for role in ROLES:
            if suffixed and role in rule.allowed:
                continue
            resp = _request(clients[role], rule.method, url, rule.before, world)
            checked += 1
            through = not _refused(resp, rule.refusal)
            if role in rule.allowed and not _is_admin(route) and resp.status_code >= 500:
                wrong.append(f"{rule.method.upper()} {url} as {role}: {resp.status_code} (server error)")
            elif through != (role in rule.allowed):
                what = "let through" if through else "refused"
                wrong.append(f"{rule.method.upper()} {url} as {role}: {what} ({resp.status_code})")
    assert checked > 1000
    assert not wrong, "\n".join(wrong)
