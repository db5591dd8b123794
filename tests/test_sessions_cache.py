"""The production session engine (deft_site/sessions.py): the database stays the truth, the cache's copy lives
at most SESSION_CACHE_SECONDS, and with the cache down everyone can still sign in, stay in and sign out."""
from __future__ import annotations

import socket

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sessions-test"}}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _down() -> dict:
    return {"default": {"BACKEND": "deft_site.cache.FailOpenRedisCache",
                        "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
                        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}


def _signed_in(client: Client) -> bool:
    return client.get("/account/tokens/").status_code == 200


@pytest.fixture
def user():
    return User.objects.create_user("sess", password="pw-long-enough-123")


@override_settings(CACHES=LOCMEM, SESSION_ENGINE="deft_site.sessions", SESSION_CACHE_SECONDS=60)
def test_a_cached_session_is_read_without_the_database_and_logout_ends_it(user, django_assert_num_queries,
                                                                          caplog):
    from deft_site.sessions import SessionStore

    client = Client()
    client.force_login(user)
    assert "session cache unavailable" not in caplog.text  # a working cache is asked, not bypassed
    key = client.cookies["sessionid"].value
    store = SessionStore(key)
    assert caches["default"].get(store.cache_key) is not None  # written through at login
    with django_assert_num_queries(0):
        assert SessionStore(key).load()["_auth_user_id"] == str(user.pk)
    assert _signed_in(client)
    client.post("/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert caches["default"].get(store.cache_key) is None
    assert not _signed_in(client)


@override_settings(CACHES=LOCMEM, SESSION_ENGINE="deft_site.sessions", SESSION_CACHE_SECONDS=60)
def test_a_cache_entry_never_outlives_session_cache_seconds(user, monkeypatch):
    from deft_site.sessions import SessionStore

    seen = []
    real_set = type(caches["default"]).set
    monkeypatch.setattr(type(caches["default"]), "set",
                        lambda self, key, value, timeout=None, version=None: seen.append(timeout)
                        or real_set(self, key, value, timeout, version))
    client = Client()
    client.force_login(user)  # the session itself lasts two weeks (SESSION_COOKIE_AGE)
    caches["default"].clear()
    SessionStore(client.cookies["sessionid"].value).load()  # a miss: read from the database, cached again
    assert seen and all(t is not None and 0 <= t <= 60 for t in seen)


@override_settings(SESSION_ENGINE="deft_site.sessions", SESSION_CACHE_SECONDS=60)
def test_with_the_cache_down_sign_in_stay_in_and_sign_out_all_work(user):
    with override_settings(CACHES=_down()):
        client = Client()
        assert client.post("/login/", {"username": "sess", "password": "pw-long-enough-123"}
                           ).status_code in (200, 302)
        assert "sessionid" in client.cookies
        assert _signed_in(client)  # every read misses and goes to the database
        key = client.cookies["sessionid"].value
        client.post("/logout/")
        assert not Session.objects.filter(session_key=key).exists()
        assert not _signed_in(client)
