"""Each user's one API token (DRF's ``rest_framework.authtoken``): the read the token page shows, and the two
writes it makes (replace, revoke). The page (deft_site.accounts) logs what it did."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from rest_framework.authtoken.models import Token


def api_token_of(user: AbstractBaseUser) -> Token | None:
    """The user's API token, or None (selector)."""
    return Token.objects.filter(user=user).first()


def api_token_replace(user: AbstractBaseUser) -> Token:
    """A new API token for the user; any old one is deleted first (service)."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def api_token_revoke(user: AbstractBaseUser) -> bool:
    """Delete the user's API token; whether there was one (service)."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
