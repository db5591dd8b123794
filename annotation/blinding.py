"""The one gate for who may manage a study and who may see which system wrote what, and when.

Every page, API view and management command that manages a study or shows unblinded results (judgments with
system names, the report, exports) asks this module; none decides on its own.

Who: a study's owner, its collaborators, and admins (staff). An admin acting on a study that is not theirs
is allowed and logged (``logging``, logger ``annotation.blinding``). Management commands run with shell
access to the server, i.e. as an operator: they pass ``user=None``.

When: after close, unblinded results are open to those people. Before close (draft, live, paused) only as
an explicit *peek* (``?peek=1`` on pages and the API, ``--peek`` on the command line), and every peek is
written to the study's audit log (a ``StudyEvent``) and to ``logging``. Annotators never pass this gate.

Reviewers (adjudication, annotation/review.py) pass a gate of their own, ``may_review``: a user who holds the
reviewer role and whom a manager of the study assigned to it (``Study.reviewers``), on a study that adjudicates
and is not a draft. Being a manager is not enough (a manager may have seen unblinded results), and a reviewer is
shown the pair blinded, like a rater: passing ``may_review`` never passes ``unblind``.
"""
from __future__ import annotations

import logging
from typing import Any, MutableMapping

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import Http404

from annotation.models import Study
from annotation.services import study_peek
from annotation.services.errors import NotAllowed

logger = logging.getLogger(__name__)

PEEK_TRUE = frozenset({"1", "true", "yes", "on"})


class Blinded(NotAllowed):
    """Unblinded results of a study that is not closed, asked for without a peek."""


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and (user.is_staff or user.is_superuser))


def _is_member(user: Any, study: Study) -> bool:
    """Owner or collaborator (one query at most)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if study.owner_id == user.pk:
        return True
    return study.collaborators.filter(pk=user.pk).exists()


def may_manage(user: Any, study: Study) -> bool:
    """Owner, collaborator or admin; ``None`` is the operator of a management command."""
    return user is None or is_admin(user) or _is_member(user, study)


def may_share(user: Any, study: Study) -> bool:
    """Only the owner and admins change who shares a study (a collaborator cannot add more)."""
    return user is None or is_admin(user) or (getattr(user, "is_authenticated", False) and study.owner_id == user.pk)


def manageable_studies(user: Any, queryset: QuerySet[Study] | None = None) -> QuerySet[Study]:
    """The studies this user may manage: all for admins, their own and shared ones for researchers."""
    qs = queryset if queryset is not None else Study.objects.all()
    if user is None or is_admin(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(Q(owner=user) | Q(collaborators=user)).distinct()


def require_manager(user: Any, study: Study, action: str) -> None:
    """Refuse (NotAllowed) anyone who may not manage `study`; log an admin acting on someone else's."""
    if user is None:
        return
    if _is_member(user, study):
        return
    if is_admin(user):
        logger.warning("admin %s: %s on study %s owned by %s", user.username, action, study.name,
                       study.owner.username if study.owner_id else "nobody")
        return
    owner = study.owner.username if study.owner_id else "an admin"
    logger.warning("denied: %s may not %s on study %s", getattr(user, "username", "?"), action, study.name)
    raise NotAllowed(f"Study {study.name} belongs to {owner}; ask them to add you as a collaborator.")


def managed_study(user: Any, name: str, action: str, queryset: QuerySet[Study] | None = None) -> Study:
    """The study named `name` (404 if none) if `user` may manage it (NotAllowed otherwise)."""
    study = (queryset if queryset is not None else Study.objects.select_related("owner")).filter(name=name).first()
    if study is None:
        raise Http404(f"No study {name!r}.")
    require_manager(user, study, action)
    return study


def may_review(user: Any, study: Study) -> bool:
    """May `user` adjudicate `study`? See the module docstring (one query for the role, one for the assignment)."""
    from deft_site.roles import is_reviewer

    if study.adjudication == Study.Adjudication.OFF or study.status == Study.Status.DRAFT:
        return False
    return is_reviewer(user) and study.reviewers.filter(pk=user.pk).exists()


def reviewable_study(user: Any, token: str) -> Study:
    """The study with this public token if `user` may review it; Http404 otherwise (to anyone else the study
    does not exist, as for a rater who is not a member)."""
    study = Study.objects.filter(public_token=token).first()
    if study is None or not may_review(user, study):
        if study is not None and getattr(user, "is_authenticated", False):
            logger.warning("denied: %s may not review study %s", user.username, study.name)
        raise Http404("No such study to review.")
    return study


def reviewable_studies(user: Any) -> QuerySet[Study]:
    """The studies this user may review now (live, paused or closed, adjudication on, assigned)."""
    from deft_site.roles import is_reviewer

    if not is_reviewer(user):
        return Study.objects.none()
    return (Study.objects.filter(reviewers=user).exclude(status=Study.Status.DRAFT)
            .exclude(adjudication=Study.Adjudication.OFF).order_by("-created_at"))


def peek_requested(value: Any) -> bool:
    """How every channel reads its peek switch: ``1``, ``true``, ``yes`` or ``on`` (any case), or a True flag."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in PEEK_TRUE


def blinded_message(study: Study) -> str:
    return (f"Study {study.name} is {study.status}: its unblinded results are available after close, or as a "
            "logged peek (?peek=1 on the web and the API, --peek on the command line).")


def unblind(*, study: Study, user: User | None, peek: Any, channel: str) -> bool:
    """Allow unblinded results of `study` to `user` through `channel` (e.g. "report page", "export_study
    command"), or raise NotAllowed / Blinded. Returns True when this was a peek before close (logged)."""
    require_manager(user, study, f"unblinded {channel}")
    if study.status == Study.Status.CLOSED:
        return False
    if not peek_requested(peek):
        raise Blinded(blinded_message(study))
    who = user.username if user is not None else "operator (command line)"
    logger.info("peek: %s viewed unblinded results of %s study %s via %s", who, study.status, study.name,
                   channel)
    study_peek(study=study, user=user, note=f"{channel} before close")
    return True


def _session_key(study: Study) -> str:
    return f"report-peek-{study.pk}"


def remember_peek(session: MutableMapping, study: Study) -> None:
    """A logged peek on the report page lets that browser session's live updates through without logging
    every 10-second poll."""
    session[_session_key(study)] = True


def unblind_live_poll(*, study: Study, user: User, session: MutableMapping) -> None:
    """The report page's poll: after close, or in a session that already made a logged peek."""
    require_manager(user, study, "report poll")
    if study.status != Study.Status.CLOSED and not session.get(_session_key(study)):
        raise Blinded(blinded_message(study))
