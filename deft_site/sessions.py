"""Sessions read from the shared Redis cache, written through to the database (the production engine).

Why: every signed-in request read its session row from PostgreSQL before the view ran; the annotator's rating
requests are the site's busiest, and one statement of each was the session (bench/RESULTS.md, "Annotators
under load"). Django's `cached_db` engine reads the cache first and keeps the database as the truth; this
subclass bounds how long a cached copy may stand for the database, which is what makes a Redis outage safe:

- **The database stays the truth.** Every write (login, logout, a changed session) goes to the database first,
  then to the cache. A cache entry lives at most `SESSION_CACHE_SECONDS` (default 60) after it was written,
  however long the session itself lasts; after that the next request reads the row again.
- **Redis down** (deft_site/cache.py fails open): reads miss and go to the database, writes to the cache are
  skipped (logged), so everyone stays signed in and can sign in and out; nothing is a 500.
- **Logout while Redis is unreachable**: the row is deleted, but the cache's copy cannot be. If Redis comes
  back before that copy's time runs out, the logged-out session is accepted again for what is left of it: at
  most `SESSION_CACHE_SECONDS` after it was last cached (entries expire on Redis's own clock, so an outage
  longer than that leaves nothing to revive). A deployment that cannot accept that window sets
  `SESSION_CACHE_SECONDS=0`: database sessions, one query more per request.
- Changing a password or an admin deleting a user are unaffected: Django checks the session's password hash
  against the user row, which is read from the database on every request.
"""
from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore

logger = logging.getLogger(__name__)


def cache_seconds() -> int:
    return int(getattr(settings, "SESSION_CACHE_SECONDS", 60))


class _Capped:
    """The session cache, with every entry's lifetime capped at SESSION_CACHE_SECONDS."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache

    def _timeout(self, timeout: Any) -> int:
        return cache_seconds() if timeout is None else max(0, min(int(timeout), cache_seconds()))

    def set(self, key: str, value: Any, timeout: Any = None, *args: Any, **kwargs: Any) -> Any:
        return self._cache.set(key, value, self._timeout(timeout), *args, **kwargs)

    async def aset(self, key: str, value: Any, timeout: Any = None, *args: Any, **kwargs: Any) -> Any:
        return await self._cache.aset(key, value, self._timeout(timeout), *args, **kwargs)

    def __contains__(self, key: str) -> bool:
        return key in self._cache

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cache, name)


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = _Capped(self._cache)

    def exists(self, session_key: str) -> bool:
        """Is the key taken? (asked when a new key is made, at login): the database answers when Redis cannot."""
        try:
            return super().exists(session_key)
        except Exception as exc:  # noqa: BLE001 - the cache's client errors (deft_site/cache.py logs the rest)
            logger.warning("session cache unavailable (exists): %s", exc)
            return DBStore.exists(self, session_key)
