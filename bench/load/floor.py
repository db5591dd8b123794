"""The floor: what a signed-in request costs on this stack before any annotation code runs, beside the rating page's
own request, all on one Django WSGI handler in one process (no HTTP server, no network, no client).

Run (PostgreSQL and Redis on 127.0.0.1; a database of its own, migrated here):
    createdb -h 127.0.0.1 -U postgres floor
    .venv/bin/python bench/load/floor.py --database-url postgres://postgres@127.0.0.1:5432/floor \\
        --redis-url redis://127.0.0.1:6379/9 --requests 2000 --rounds 3

Issue #11 sets ">= 50 % of the trivial endpoint's requests/s" for judgments. A rung of the ladder below at more than
twice the trivial rung's CPU is, alone, already under 50 % of it: each rung adds one thing the rating request must
do (read its session, make a round trip to PostgreSQL, load its user, go through DRF with CSRF and throttles), so the
first rung past 2x is the floor of every request that needs it. The real requests (next pair, submit, and the rating
page's answer-and-next) run after, on a study made like the load test's (bench/load/setup_study.py), by fresh
annotators signed in with a session cookie, 200 of them so that each user's throttle history stays as short as an
annotator's. Production settings (deft_site.settings.prod): Redis-cached sessions, the Redis cache, persistent
connections with health checks. Each figure is CPU per request (time.process_time), mean over --requests, the
lowest of --rounds rounds (the machine is shared: the lowest round is the least disturbed); wall beside it.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
USERS = 200
ANSWER = {"preference": "left", "accurate_left": True, "accurate_right": False, "comment": ""}
LADDER = (
    ("trivial: HttpResponse('ok') (/healthz/)", "GET", "/healthz/", False),
    ("+ session read (Redis cache), no user", "GET", "/floor/session/", True),
    ("one PostgreSQL round trip, signed out", "GET", "/floor/statement/", False),
    ("session read + one round trip", "GET", "/floor/session-statement/", True),
    ("request.user (session, user row)", "GET", "/floor/user/", True),
    ("DRF signed-in GET (auth, permission, throttle)", "GET", "/floor/api/", True),
    ("DRF signed-in POST (+ CSRF, JSON body)", "POST", "/floor/api/", True),
)


def _django(database_url: str, redis_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench/load"))
    os.environ.update(DJANGO_SETTINGS_MODULE="deft_site.settings.prod", DATABASE_URL=database_url,
                      REDIS_URL=redis_url, DEFT_CACHE_PREFIX=f"floor{os.getpid()}")
    os.environ.setdefault("SECRET_KEY", "floor-benchmark-only-" + "k" * 40)
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"):
        os.environ.setdefault(name, "0")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "floor_urls"


class Handler:
    """Django's WSGI application called directly with a plain environ, as gunicorn calls it."""

    def __init__(self) -> None:
        from django.core.wsgi import get_wsgi_application

        self.app = get_wsgi_application()
        self.status = ""

    def _start(self, status: str, headers: list, exc_info: object = None) -> None:
        self.status = status

    def __call__(self, method: str, path: str, cookie: str = "", body: bytes = b"", csrf: str = "") -> bytes:
        path, _, query = path.partition("?")
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
                   "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
                   "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json"}
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        if csrf:
            environ["HTTP_X_CSRFTOKEN"] = csrf
        response = self.app(environ, self._start)
        try:
            return b"".join(response)
        finally:
            getattr(response, "close", lambda: None)()


def _signed_in(users: list) -> list[tuple[str, str]]:
    """(cookie, csrf token) per user: a session made by Django's own login, and a CSRF cookie."""
    from django.conf import settings
    from django.test import Client
    from django.utils.crypto import get_random_string

    out = []
    for user in users:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        csrf = get_random_string(32)
        out.append((f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}", csrf))
    return out


def _round(call, n: int) -> tuple[float, float]:  # noqa: ANN001 - (i) -> None
    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(n):
        call(i)
    return 1000 * (time.process_time() - c0) / n, 1000 * (time.perf_counter() - w0) / n


def ladder(handler: Handler, sessions: list[tuple[str, str]], n: int, rounds: int) -> dict[str, dict]:
    results: dict[str, list[tuple[float, float]]] = {}
    for _ in range(rounds):
        for name, method, path, signed_in in LADDER:
            def call(i: int, method: str = method, path: str = path, signed_in: bool = signed_in) -> None:
                cookie, csrf = sessions[i % len(sessions)] if signed_in else ("", "")
                handler(method, path, cookie, b"{}" if method == "POST" else b"", csrf if method == "POST" else "")
                if not handler.status.startswith("200"):
                    raise SystemExit(f"{path}: {handler.status}")
            call(0)
            results.setdefault(name, []).append(_round(call, n))
    return {name: _best(runs) for name, runs in results.items()}


def _best(runs: list[tuple[float, float]]) -> dict:
    cpu, wall = min(runs)
    return {"cpu_ms": round(cpu, 3), "wall_ms": round(wall, 3), "rounds_cpu_ms": [round(r[0], 3) for r in runs]}


def rating(handler: Handler, token: str, n: int, rounds: int, run: str) -> dict[str, dict]:
    """Fresh annotators per round: their first pair from /next/ (not counted: it also builds their seeded order),
    then `n` answers, alternately plain submits with a /next/ after, and the page's answer-and-next."""
    from django.contrib.auth.models import Group, User

    from annotation.models import Study, StudyRater

    group = Group.objects.get_or_create(name="annotator")[0]
    study = Study.objects.get(public_token=token)
    kinds = ("next pair", "submit", "answer-and-next (?next=1)")
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
    for r in range(rounds):
        users = [User.objects.create_user(f"floor-{run}-{r}-{u}") for u in range(USERS)]
        for user in users:
            user.groups.add(group)
            StudyRater.objects.create(study=study, user=user, participant_id=user.username)
        sessions = _signed_in(users)
        slots = [json.loads(handler("POST", f"/api/work/{token}/next/", c, b"", t))["slot"]["slot"]
                 for c, t in sessions]
        spent = {k: [0.0, 0.0, 0] for k in kinds}
        for i in range(n):
            u = i % USERS
            cookie, csrf = sessions[u]
            body = json.dumps({**ANSWER, "idempotency_key": uuid.uuid4().hex}).encode()
            combined = (i // USERS) % 2 == 1
            kind = kinds[2] if combined else kinds[1]
            c0, w0 = time.process_time(), time.perf_counter()
            reply = handler("POST", f"/api/work/slots/{slots[u]}/judgment/" + ("?next=1" if combined else ""),
                            cookie, body, csrf)
            _add(spent[kind], c0, w0)
            if not handler.status.startswith("201"):
                raise SystemExit(f"answer: {handler.status} {reply[:200]!r}")
            if combined:
                slots[u] = json.loads(reply)["next"]["slot"]["slot"]
                continue
            c0, w0 = time.process_time(), time.perf_counter()
            reply = handler("POST", f"/api/work/{token}/next/", cookie, b"", csrf)
            _add(spent[kinds[0]], c0, w0)
            slots[u] = json.loads(reply)["slot"]["slot"]
        for k in kinds:
            cpu, wall, count = spent[k]
            results[k].append((cpu / count, wall / count))
    return {k: _best(runs) for k, runs in results.items()}


def _add(acc: list, c0: float, w0: float) -> None:
    acc[0] += 1000 * (time.process_time() - c0)
    acc[1] += 1000 * (time.perf_counter() - w0)
    acc[2] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--requests", type=int, default=2000, help="requests per rung and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--items", type=int, default=4000, help="the study's size, as the load test's")
    parser.add_argument("--answers", type=int, default=1000, help="answers per round of the real requests")
    args = parser.parse_args()
    _django(args.database_url, args.redis_url)
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from setup_study import dataset_and_systems

    from annotation.services import study_create

    run = uuid.uuid4().hex[:6]
    dataset, systems = dataset_and_systems(args.items + args.items // 5, None)
    study = study_create(name=f"floor-{run}", dataset=dataset, systems=systems, n_examples=args.items,
                         raters_per_item=3, control_rate=0.1, control_kinds=["degraded"], seed=1,
                         open_to_annotators=False, questions={"pairwise": True, "accuracy": True, "comment": False},
                         launch=True)
    handler = Handler()
    users = [User.objects.create_user(f"floor-{run}-ladder-{u}") for u in range(USERS)]
    report: dict = {"command": " ".join(sys.argv), "load_avg_before": [round(x, 2) for x in os.getloadavg()],
                    "ladder": ladder(handler, _signed_in(users), args.requests, args.rounds),
                    "rating": rating(handler, study.public_token, args.answers, args.rounds, run)}
    report["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    trivial = report["ladder"][LADDER[0][0]]["cpu_ms"]
    print(f"{'request':50s} {'CPU ms':>8s} {'wall ms':>8s} {'x trivial':>9s} {'ratio bound':>11s}")
    for part in ("ladder", "rating"):
        for name, row in report[part].items():
            row["x_trivial"] = round(row["cpu_ms"] / trivial, 2)
            row["ratio_bound"] = round(trivial / row["cpu_ms"], 3)
            print(f"{name:50s} {row['cpu_ms']:8.3f} {row['wall_ms']:8.3f} {row['x_trivial']:9.2f} "
                  f"{100 * row['ratio_bound']:10.1f}%")
    print(f"load average {report['load_avg_before']} -> {report['load_avg_after']}")
    out = ROOT / "bench/out" / f"floor-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"written to {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
