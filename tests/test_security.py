"""Site-wide security: sign-in lockout, API tokens instead of Basic auth, API throttling, the schema behind a
login, safe redirects and the Content-Security-Policy (see SECURITY.md)."""
from __future__ import annotations

import base64
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from freezegun import freeze_time
from rest_framework.throttling import SimpleRateThrottle

from deft_site.jobs.models import Job

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def _login(client: Client, username: str, password: str, addr: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=addr)


def _signed_in(client: Client) -> bool:
    return settings.SESSION_COOKIE_NAME in client.cookies and client.get("/api/work/").status_code == 200


# --- sign-in throttling (django-axes) ------------------------------------------------------------------------

def test_repeated_failures_lock_the_account_even_for_the_right_password(client, researcher):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "rita", "wrong").status_code == 200
    assert _login(client, "rita", "wrong").status_code == 429  # the last allowed failure locks
    locked = _login(client, "rita", "pw-rita")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content and b"15 minutes" in locked.content
    assert not _signed_in(client)
    # the account is locked from another address too
    assert _login(Client(), "rita", "pw-rita", addr="10.9.9.9").status_code == 429
    with freeze_time(timedelta(minutes=16)):  # after the cool-off the right password works again
        fresh = Client()
        assert _login(fresh, "rita", "pw-rita", addr="10.9.9.9").status_code == 302
        assert _signed_in(fresh)


def test_repeated_failures_from_one_address_lock_that_address(client, researcher, annotator):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"nobody{i}", "wrong", addr="10.0.0.7")
    assert _login(client, "anna", "pw-anna", addr="10.0.0.7").status_code == 429
    other = Client()
    assert _login(other, "anna", "pw-anna", addr="10.0.0.8").status_code == 302


def test_behind_a_proxy_one_client_cannot_lock_out_everyone(client, researcher, settings):
    """With NUM_PROXIES=1 the address counted is the client's (from the proxy's X-Forwarded-For), as for the
    API throttles: failures of one client lock that client, not every visitor arriving through the proxy."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": f"nobody{i}", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.5",
                    **proxy)
    locked = client.post("/login/", {"username": "rita", "password": "pw-rita"},
                         HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    assert locked.status_code == 429
    other = Client().post("/login/", {"username": "rita", "password": "pw-rita"},
                          HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert other.status_code == 302


def test_without_a_declared_proxy_a_forged_forwarded_for_does_not_dodge_the_lock(client, researcher):
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": f"nobody{i}", "password": "x"}, REMOTE_ADDR="10.0.0.3",
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    resp = Client().post("/login/", {"username": "rita", "password": "pw-rita"}, REMOTE_ADDR="10.0.0.3",
                         HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert resp.status_code == 429


# --- API authentication: tokens, not Basic --------------------------------------------------------------------

def test_http_basic_auth_is_refused(researcher):
    basic = base64.b64encode(b"rita:pw-rita").decode()
    assert Client().get("/api/studies/", HTTP_AUTHORIZATION=f"Basic {basic}").status_code in (401, 403)


def test_token_made_and_revoked_from_the_ui_and_scoped_to_its_user(researcher_client, annotator):
    page = researcher_client.get("/account/tokens/")
    assert page.status_code == 200 and b"no API token" in page.content
    made = researcher_client.post("/account/tokens/", {"action": "create"})
    key = re.search(rb'id="new-token">([0-9a-f]{40})<', made.content).group(1).decode()
    api = Client()
    assert api.get("/api/studies/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert b"starting" in researcher_client.get("/account/tokens/").content  # the key is not shown again
    assert key.encode() not in researcher_client.get("/account/tokens/").content
    researcher_client.post("/account/tokens/", {"action": "revoke"})
    assert api.get("/api/studies/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    # an annotator's token can do what the annotator can, nothing more
    anna = Client()
    anna.force_login(annotator)
    anna.post("/account/tokens/", {"action": "create"})
    from rest_framework.authtoken.models import Token

    anna_key = Token.objects.get(user=annotator).key
    assert api.get("/api/work/", HTTP_AUTHORIZATION=f"Token {anna_key}").status_code == 200
    assert api.get("/api/studies/", HTTP_AUTHORIZATION=f"Token {anna_key}").status_code == 403


def test_tokens_page_needs_a_login_and_a_post_with_csrf(researcher):
    assert Client().get("/account/tokens/").status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(researcher)
    assert strict.post("/account/tokens/", {"action": "create"}).status_code == 403


def test_every_api_route_is_throttled(monkeypatch, researcher):
    from rest_framework.authtoken.models import Token

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "2/minute"})
    key = Token.objects.create(user=researcher).key
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    codes = [api.get(url).status_code for url in ("/api/datasets/", "/api/studies/", "/api/work/", "/api/jobs/")]
    assert codes == [200, 200, 200, 429]  # one budget per user across routes
    throttled = api.get("/api/datasets/")
    assert throttled.status_code == 429 and "Retry-After" in throttled
    other = Client()
    other.force_login(researcher)
    assert other.get("/api/studies/").status_code == 429  # the same user by session


def test_api_views_all_carry_throttles():
    """Generated from the URL configuration: a new API view without throttling fails here."""
    from django.urls import get_resolver

    from tests.urlwalk import walk

    api = [(route, cb) for route, cb, _ in walk(get_resolver()) if route.startswith("api/")]
    assert len(api) > 20
    for route, callback in api:
        cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        assert cls is not None, route
        throttles = cls.throttle_classes if hasattr(cls, "throttle_classes") else []
        assert throttles, f"{route} has no throttle"


_THROTTLE_PROBE = """
import django
django.setup()
from django.test import RequestFactory
from annotation.throttles import JoinPerAddress
request = RequestFactory().post("/join/x/", REMOTE_ADDR="10.9.8.7")
print(" ".join(str(JoinPerAddress().allow_request(request, None)) for _ in range(2)))
"""


def _prod_process(cache_url: str, prefix: str) -> str:
    import os
    import secrets
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "deft_site.settings.prod", "SECRET_KEY": secrets.token_urlsafe(50),
                "CACHE_URL": cache_url, "JOIN_RATE_PER_ADDRESS": "3/hour", "DEFT_CACHE_PREFIX": prefix})
    done = subprocess.run([sys.executable, "-c", _THROTTLE_PROBE], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.redis
def test_production_limits_are_counted_once_across_worker_processes():
    """Two processes of the production settings (two gunicorn workers) share one count: with a per-process
    memory cache each would allow 3 new accounts an hour from one address, together 6; here 3 in all."""
    import secrets

    from tests.needs import need, port_open

    need(port_open(6379), "Redis is not reachable on 127.0.0.1:6379")
    prefix = f"test-{secrets.token_hex(4)}"
    first = _prod_process("redis://127.0.0.1:6379/2", prefix)
    second = _prod_process("redis://127.0.0.1:6379/2", prefix)
    assert (first, second) == ("True True", "True False")


def test_production_limits_fail_open_while_redis_is_down():
    """No Redis (a closed port): the limit lets requests through (and logs it) instead of a 500 for everyone."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    assert _prod_process(f"redis://127.0.0.1:{port}/0", "down") == "True True"


def test_schema_is_not_public(researcher_client, annotator):
    assert Client().get("/api/schema/").status_code in (401, 403)
    anna = Client()
    anna.force_login(annotator)
    assert anna.get("/api/schema/").status_code == 403
    assert researcher_client.get("/api/schema/").status_code == 200


# --- redirects ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "http:\\\\evil.example"])
def test_job_pages_next_parameter_is_not_an_open_redirect(researcher_client, target):
    job = Job.objects.create(kind="selection", title="t", status=Job.Status.FAILED)
    for action in ("cancel", "retry"):
        resp = researcher_client.post(f"/jobs/{job.pk}/{action}/", {"next": target})
        assert resp.status_code == 302 and resp["Location"] == f"/jobs/{job.pk}/", (action, resp["Location"])


def test_job_pages_next_parameter_still_works_inside_the_site(researcher_client):
    job = Job.objects.create(kind="selection", title="t", status=Job.Status.QUEUED)
    resp = researcher_client.post(f"/jobs/{job.pk}/cancel/", {"next": "/training/x/"})
    assert resp["Location"] == "/training/x/"


def test_login_next_is_not_an_open_redirect(client, researcher):
    resp = client.post("/login/?next=https://evil.example/", {"username": "rita", "password": "pw-rita",
                                                             "next": "https://evil.example/"})
    assert resp.status_code == 302 and "evil" not in resp["Location"]


# --- Content-Security-Policy ------------------------------------------------------------------------------------

def test_pages_send_a_csp_without_inline_script(researcher_client):
    resp = researcher_client.get("/datasets/")
    csp = resp["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "'none'" in directives["object-src"] and "'none'" in directives["frame-ancestors"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def test_no_template_needs_inline_script():
    """The CSP forbids inline script: every page's script comes from a static file."""
    templates = [p for app in ("annotation", "selection", "deft_site") for p in (ROOT / app).rglob("*.html")]
    assert len(templates) > 20
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not INLINE_SCRIPT.search(text), f"inline <script> in {path.relative_to(ROOT)}"
        assert not INLINE_HANDLER.search(text), f"inline event handler in {path.relative_to(ROOT)}"
        assert "javascript:" not in text, path
