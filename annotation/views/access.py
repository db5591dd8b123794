"""The pages' side of annotation.blinding: its refusals as HTTP 403 (a missing study is 404)."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from annotation import blinding
from annotation.models import Study
from annotation.services import NotAllowed


def managed_study(request: HttpRequest, name: str, action: str) -> Study:
    try:
        return blinding.managed_study(request.user, name, action)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
