"""Django for benchmarks: a throwaway SQLite file, or a PostgreSQL database of its own that is dropped at exit
(never the server's `postgres` database, which tests and other work share)."""
from __future__ import annotations

import atexit
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_django(postgres: bool, migrate: bool = True) -> None:
    """Configure Django on a fresh database; `migrate=False` leaves the schema to the caller."""
    sys.path.insert(0, str(ROOT))
    if postgres:
        name = f"deft_bench_{os.getpid()}"
        _pg(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
        atexit.register(_drop, name)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deft_site.settings.test")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def _drop(name: str) -> None:
    from django.db import connections

    connections.close_all()
    _pg(f'DROP DATABASE IF EXISTS "{name}"')
