"""Roles: researchers create and run everything; annotators see only their own assigned work; reviewers
adjudicate the studies they are assigned to (annotation.blinding.may_review), blinded like annotators.

A role is a Django group. Staff users count as researchers. Views use `researcher_required`; API views
use `IsResearcher`.
"""
from __future__ import annotations

import logging
from functools import wraps
from typing import Any, Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission

logger = logging.getLogger("deft.security")

RESEARCHER = "researcher"
ANNOTATOR = "annotator"
REVIEWER = "reviewer"


def is_researcher(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.groups.filter(name=RESEARCHER).exists())


def is_annotator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.groups.filter(name=ANNOTATOR).exists())


def is_reviewer(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.groups.filter(name=REVIEWER).exists())


def researcher_required(view: Callable) -> Callable:
    """Log in first; then a 403 for anyone who is not a researcher."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_researcher(request.user):
            logger.warning("denied: %s (not a researcher) asked for %s %s", request.user.username, request.method,
                           request.path)
            raise PermissionDenied("Researchers only.")
        return view(request, *args, **kwargs)

    return wrapped


class IsResearcher(BasePermission):
    message = "Researchers only."

    def has_permission(self, request, view) -> bool:  # noqa: ANN001
        allowed = is_researcher(request.user)
        if not allowed and getattr(request.user, "is_authenticated", False):  # anonymous calls get a 401 anyway
            logger.warning("denied: %s (not a researcher) called %s %s", request.user.username, request.method,
                           request.path)
        return allowed


def roles_context(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {"is_researcher": is_researcher(user), "is_annotator": is_annotator(user),
            "is_reviewer": is_reviewer(user)}
