"""Site-wide behaviour: settings, roles and access control over every researcher URL, login, dashboard."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent


def _run_manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (for live_server) must not reach a deployment check.
    dropped = ("SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    full_env = {k: v for k, v in os.environ.items() if k not in dropped}
    full_env.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True)


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = _run_manage("check", "--deploy", env={"DJANGO_SETTINGS_MODULE": "deft_site.settings.prod",
                                                   "SECRET_KEY": secrets.token_urlsafe(50)})
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _run_manage("check", env={"DJANGO_SETTINGS_MODULE": "deft_site.settings.prod"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _routes(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _routes(entry, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def _concrete(route: str) -> str:
    """Fill route converters with a plausible value ("<int:pk>" → 1, "<slug:name>" → "x")."""
    import re

    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = re.sub(r"<(?:\w+:)?\w+>", "1", route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\.", ".").replace("\\", "")


def researcher_routes() -> list[str]:
    """Every URL of the selection app and the researcher side of the API."""
    routes = []
    for route, pattern in _routes(get_resolver()):
        module = getattr(pattern.callback, "__module__", "")
        if "format" in route:
            continue  # DRF's ".json" suffix variants of the routes below
        if module.startswith("selection.") or route.startswith("dashboard"):
            routes.append(_concrete(route))
    return sorted(set(routes))


@pytest.mark.django_db
def test_annotators_get_403_on_every_researcher_page_and_api(annotator_client):
    routes = researcher_routes()
    assert len(routes) >= 10  # datasets, jobs and their API at the very least
    refused = {}
    for url in routes:
        for method in ("get", "post"):
            status = getattr(annotator_client, method)(url).status_code
            refused[(method, url)] = status
    allowed = {k: v for k, v in refused.items() if v not in (302, 403, 405)}
    assert allowed == {}, f"annotator reached researcher endpoints: {allowed}"
    assert any(v == 403 for v in refused.values())


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/datasets/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/datasets/").status_code in (401, 403)


@pytest.mark.django_db
def test_login_page_and_role_home(client, researcher, annotator):
    assert client.post("/login/", {"username": "rita", "password": "pw-rita"}).status_code == 302
    assert b"Datasets" in client.get("/").content
    client.logout()
    client.post("/login/", {"username": "anna", "password": "pw-anna"})
    assert client.get("/")["Location"] == "/work/"


@pytest.mark.django_db
def test_dashboard_is_for_staff_and_linked_from_admin(client, staff, researcher):
    client.force_login(researcher)
    assert client.get("/dashboard/").status_code == 302  # staff only: sent to the admin login
    client.force_login(staff)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    for heading in (b"Running and queued jobs", b"Failures", b"Studies", b"disk used"):
        assert heading in page.content
    assert b'href="/dashboard/"' in client.get("/admin/").content


@pytest.mark.django_db
def test_openapi_schema_is_served(researcher_client):
    response = researcher_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/datasets/" in response.content


def test_migrations_match_the_models():
    result = _run_manage("makemigrations", "--check", "--dry-run", env={"DJANGO_SETTINGS_MODULE": "deft_site.settings.test"})
    assert result.returncode == 0, result.stdout + result.stderr
