"""The production stack: static files collected and served (the rating page gets its script), the real server
under the production settings, a database outage answered with a clear 503, and `make prod`'s preflight."""
from __future__ import annotations

import json
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import OperationalError, close_old_connections, connection
from django.test import Client, RequestFactory, override_settings

from deft_site import outage, preflight
from tests.needs import port_open

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def _annotator_client() -> Client:
    user = User.objects.create_user("prod-anna")
    user.groups.add(Group.objects.get_or_create(name="annotator")[0])
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_rating_page_loads_its_script_and_styles_under_production_static_storage(tmp_path, researcher):
    """Under the production settings' storage the page names content-hashed files, and WhiteNoise serves them."""
    from annotation.services import study_create
    from tests.annotation.conftest import make_study_data

    ds, systems = make_study_data(n_examples=6)
    study = study_create(name="prod-static", dataset=ds, systems=systems[:2], n_examples=4, raters_per_item=2,
                         control_rate=0.0, user=researcher, launch=True)
    with override_settings(STORAGES=MANIFEST_STORAGE, STATIC_ROOT=tmp_path / "static", DEBUG=False):
        call_command("collectstatic", "--noinput", verbosity=0)
        client = _annotator_client()  # a new client: WhiteNoise indexes STATIC_ROOT when its middleware starts
        page = client.get(f"/work/{study.public_token}/")
        assert page.status_code == 200
        html = page.content.decode()
        scripts = re.findall(r'<script src="(/static/[^"]+)"', html)
        styles = re.findall(r'<link rel="stylesheet" href="(/static/[^"]+)"', html)
        rate_js = [s for s in scripts if "/annotation/rate." in s]
        assert rate_js and re.search(r"rate\.[0-9a-f]{12}\.js$", rate_js[0]), scripts
        for url in rate_js + styles:
            resp = client.get(url)
            assert resp.status_code == 200, url
            assert "immutable" in resp["Cache-Control"]
        body = b"".join(client.get(rate_js[0]).streaming_content)
        assert body == (ROOT / "annotation/static/annotation/rate.js").read_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_serves_pages_and_static_files_under_the_production_settings(tmp_path):
    """The real production server: gunicorn with deft_site/gunicorn.conf.py, prod settings, collected static."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({"DJANGO_SETTINGS_MODULE": "deft_site.settings.prod", "SECRET_KEY": secrets.token_urlsafe(50),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "STATIC_ROOT": str(tmp_path / "static"),
                "SECURE_SSL_REDIRECT": "0", "TASKS_BACKEND": "db", "PORT": str(port), "WEB_CONCURRENCY": "1",
                "GUNICORN_THREADS": "2", "DEFT_VAR_DIR": str(tmp_path)})
    for args in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deft_site/gunicorn.conf.py", "deft_site.wsgi"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            if port_open(port):
                break
            assert server.poll() is None, server.stdout.read().decode()
            time.sleep(0.1)
        assert urllib.request.urlopen(f"{base}/healthz/", timeout=10).read() == b"ok"
        assert urllib.request.urlopen(f"{base}/readyz/", timeout=10).status == 200
        login = urllib.request.urlopen(f"{base}/login/", timeout=10).read().decode()
        css = re.search(r'href="(/static/deft/site\.[0-9a-f]{12}\.css)"', login)
        assert css, login[:500]
        resp = urllib.request.urlopen(f"{base}{css.group(1)}", timeout=10)
        assert resp.status == 200 and "immutable" in resp.headers["Cache-Control"]
        manifest = (tmp_path / "static" / "staticfiles.json").read_text()
        rate_js = re.search(r'"annotation/rate\.js": "([^"]+)"', manifest).group(1)
        assert b"pendingKey" in urllib.request.urlopen(f"{base}/static/{rate_js}", timeout=10).read()
    finally:
        server.terminate()
        server.wait(20)


def _real_operational_error() -> OperationalError:
    """What Django raises when its database cannot be opened (made here by really failing to open one)."""
    try:
        sqlite3.connect("file:/nonexistent-dir/x.sqlite3?mode=rw", uri=True)
    except sqlite3.OperationalError as exc:
        return OperationalError(*exc.args)
    raise AssertionError("sqlite3 opened a file in a directory that does not exist")


def test_database_outage_in_a_view_is_a_503_json_for_the_api_and_a_page_for_browsers():
    middleware = outage.DatabaseOutageMiddleware(lambda request: None)
    factory, error = RequestFactory(), _real_operational_error()
    api = middleware.process_exception(factory.post("/api/work/abc/next/"), error)
    assert api.status_code == 503 and api["Retry-After"] == "5"
    body = json.loads(api.content)
    assert body["code"] == "database_unavailable" and "Try again" in body["detail"]
    page = middleware.process_exception(factory.get("/work/"), error)
    assert page.status_code == 503 and b"Back in a moment" in page.content
    assert middleware.process_exception(factory.get("/work/"), ValueError("a bug")) is None


def test_database_outage_outside_a_view_is_a_503_and_other_errors_stay_500():
    request = RequestFactory().get("/api/work/")
    try:
        raise _real_operational_error()
    except OperationalError:
        assert outage.server_error(request).status_code == 503
    try:
        raise ValueError("a bug")
    except ValueError:
        assert outage.server_error(request).status_code == 500



@pytest.mark.postgres
def test_requests_get_503_while_postgresql_is_unreachable_and_succeed_after(pg):
    """A real outage: the server's database address stops answering, then answers again."""
    client = _annotator_client()
    assert client.get("/api/work/").status_code == 200
    saved = dict(connection.settings_dict)
    closed_port = _free_port()  # nothing listens there: connecting is refused, as when PostgreSQL is stopped
    connection.close()
    connection.settings_dict["PORT"] = closed_port
    try:
        api = client.get("/api/work/")
        assert api.status_code == 503 and api.json()["code"] == "database_unavailable"
        assert client.post("/api/work/x/next/").status_code == 503
        page = client.get("/work/")
        assert page.status_code == 503 and page["Retry-After"] == "5"
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert client.get("/api/work/").status_code == 200


@pytest.mark.postgres
def test_a_killed_persistent_connection_is_replaced_before_the_next_request(pg):
    """Production keeps connections (CONN_MAX_AGE) and health-checks them: one that PostgreSQL killed (a
    restart, pg_terminate_backend) is noticed and replaced, so the next request succeeds instead of failing."""
    client = _annotator_client()
    connection.close()
    connection.settings_dict.update({"CONN_MAX_AGE": 300, "CONN_HEALTH_CHECKS": True})
    try:
        assert client.get("/api/work/").status_code == 200
        pid = connection.connection.info.backend_pid
        name = connection.settings_dict["NAME"]
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as killer:
            row = killer.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = %s "
                                 "AND datname = %s", [pid, name]).fetchone()  # only this test's own connection
        assert row == (True,)
        # What a real server does as each request starts (Django's test client leaves it out, for its
        # transactions): forget the last health check, so the connection is checked again before its next use.
        close_old_connections()
        assert client.get("/api/work/").status_code == 200
        assert connection.connection.info.backend_pid != pid
    finally:
        connection.close()
        connection.settings_dict.update({"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False})


def test_preflight_names_what_is_missing():
    port = _free_port()
    problem = preflight.check_postgres(f"postgres://postgres@127.0.0.1:{port}/deft")
    assert problem and "PostgreSQL is not reachable" in problem and str(port) in problem
    assert "must point at PostgreSQL" in preflight.check_postgres("sqlite:///x.sqlite3")
    problem = preflight.check_redis(f"redis://127.0.0.1:{port}/0")
    assert problem and "Redis is not reachable" in problem
    assert "***" in preflight._redact("postgres://u:secret@127.0.0.1/db")
