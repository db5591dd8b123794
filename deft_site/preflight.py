"""Before `make prod` starts anything: are PostgreSQL and Redis there? Says clearly what is missing and how to fix it.

Run: `python -m deft_site.preflight` (reads DATABASE_URL and REDIS_URL like the settings do). Creates the
PostgreSQL database named in DATABASE_URL when the server is up but the database does not exist yet, so a
fresh machine needs only a running server. Exit status 0 when both answer, 1 otherwise. Imports no Django.
"""
from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/deft"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def check_postgres(url: str) -> str | None:
    """None when the database answers (created if only it was missing); otherwise what is wrong."""
    import psycopg

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        return f"DATABASE_URL must point at PostgreSQL for the production stack (got {_redact(url)})."
    name = parts.path.lstrip("/") or "postgres"
    try:
        psycopg.connect(url, connect_timeout=3).close()
        return None
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            return (f"PostgreSQL is not reachable at {_redact(url)}: {str(exc).strip().splitlines()[0]}\n"
                    "  Start it (e.g. `pg_ctlcluster 15 main start` or `docker compose up -d db`) or set DATABASE_URL.")
    server = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        return f"PostgreSQL database {name!r} does not exist and could not be created: {exc}"
    print(f"preflight: created PostgreSQL database {name!r}")
    return None


def check_redis(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        return None
    except redis.RedisError as exc:
        return (f"Redis is not reachable at {_redact(url)}: {exc}\n"
                "  Start it (e.g. `redis-server --daemonize yes --bind 127.0.0.1`) or set REDIS_URL.")


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    problems = [p for p in (check_postgres(database_url), check_redis(redis_url)) if p]
    for problem in problems:
        print(f"make prod: {problem}", file=sys.stderr)
    if problems:
        print("make prod needs PostgreSQL and Redis; `make run` needs neither (SQLite and a database worker).",
              file=sys.stderr)
        return 1
    print(f"preflight: PostgreSQL {_redact(database_url)} and Redis {_redact(redis_url)} answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
