"""Rate limits on new crowd accounts made through invite links (DRF's cache-backed throttles, reused by the
join page so that the API and the pages count the same way).

Two limits, both only on *new* participants: per client address (one person making many accounts) and per
invite link (many addresses at once). Settings: DEFT_JOIN_RATE_PER_ADDRESS, DEFT_JOIN_RATE_PER_INVITE."""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from annotation.models import Invite


class JoinPerAddress(SimpleRateThrottle):
    scope = "join-address"

    def get_rate(self) -> str:
        return settings.DEFT_JOIN_RATE_PER_ADDRESS

    def get_cache_key(self, request, view) -> str:  # noqa: ANN001
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class JoinPerInvite(SimpleRateThrottle):
    scope = "join-invite"

    def __init__(self, invite: Invite) -> None:
        self.invite = invite
        super().__init__()

    def get_rate(self) -> str:
        return settings.DEFT_JOIN_RATE_PER_INVITE

    def get_cache_key(self, request, view) -> str:  # noqa: ANN001
        return self.cache_format % {"scope": self.scope, "ident": self.invite.pk}


def new_participant_wait(request: HttpRequest, invite: Invite) -> float | None:
    """None if one more new participant may join now (and counts it), else the seconds to wait."""
    for throttle in (JoinPerAddress(), JoinPerInvite(invite)):
        if not throttle.allow_request(request, None):
            return throttle.wait() or 60.0
    return None
