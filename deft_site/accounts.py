"""Accounts: the sign-in lockout page (django-axes calls `lockout_response`) and each user's API token page.

API tokens are DRF's `rest_framework.authtoken` tokens: one per user, made and revoked by that user on
/account/tokens/, sent as ``Authorization: Token <key>``. The key is shown once, when it is made.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from deft_site.tokens import api_token_of, api_token_replace, api_token_revoke

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The address that sign-in lockouts count (django-axes' AXES_CLIENT_IP_CALLABLE): the same one the API and
    invite throttles count, REMOTE_ADDR, or behind `NUM_PROXIES` trusted proxies the client's address from
    X-Forwarded-For. Without it, behind a proxy, five wrong passwords from anyone locked everyone out."""
    from rest_framework.throttling import BaseThrottle

    return BaseThrottle().get_ident(request)


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (f"Too many failed sign-ins for this account or from this address. Sign-in is blocked for "
            f"{minutes} minutes, even with the right password. Wait, then try again, or ask an admin to unlock it.")


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """The login page again, with the lockout explained, as 429 Too Many Requests."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    logger.warning("sign-in locked out: username=%r address=%s", username, request.META.get("REMOTE_ADDR"))
    form = AuthenticationForm(request, initial={"username": username})
    return render(request, "registration/login.html", {"form": form, "locked_out": lockout_message(),
                                                       "next": request.POST.get("next", "")}, status=429)


@never_cache
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """GET: whether this user has an API token. POST action=create (replaces any old one) or action=revoke."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            token = api_token_replace(request.user)
            logger.info("API token created for %s", request.user.username)
            return render(request, "account/tokens.html", {"token": token, "new_key": token.key})
        if action == "revoke":
            deleted = api_token_revoke(request.user)
            logger.info("API token revoked for %s", request.user.username)
            messages.success(request, "Your API token was revoked." if deleted else "You had no API token.")
        else:
            messages.error(request, "Unknown action.")
        return redirect("api_tokens")
    return render(request, "account/tokens.html", {"token": api_token_of(request.user)})
