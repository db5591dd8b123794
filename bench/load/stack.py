"""Shared by the load and fault benchmarks: start and stop `make prod`, make a study to rate, check afterwards
that every acknowledged judgment is in the database exactly once, and measure the machine (load, CPU time)."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent.parent
PY = sys.executable


class Stack:
    """`make prod` in its own process group, on PORT, against DATABASE_URL and REDIS_URL."""

    def __init__(self, port: int, database_url: str, redis_url: str, log: Path, extra_env: dict | None = None):
        self.port, self.database_url, self.redis_url, self.log = port, database_url, redis_url, log
        # Every simulated annotator joins from 127.0.0.1 through one invite link within seconds: the join
        # throttles (10 new participants an hour per address, 120 per link) are raised for the benchmark only.
        # The API's per-user throttle (600/minute) stays as deployed: one annotator here stays well under it.
        self.env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PORT": str(port),
                    "JOIN_RATE_PER_ADDRESS": "5000/hour", "JOIN_RATE_PER_INVITE": "5000/hour",
                    **(extra_env or {})}
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 300) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")
        # DEFT_BENCH_MAKE_ARGS: extra make arguments, e.g. "-o .venv/.installed" where .venv is shared and set up.
        make_args = os.environ.get("DEFT_BENCH_MAKE_ARGS", "").split()
        self.proc = subprocess.Popen(["make", *make_args, "prod", f"PORT={self.port}"], cwd=ROOT, env=self.env, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_up(timeout)

    def wait_up(self, timeout: float = 300) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"make prod exited with {self.proc.returncode}; see {self.log}")
            try:
                if urllib.request.urlopen(f"{self.url}/healthz/", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the stack did not answer on {self.url} within {timeout:.0f} s; see {self.log}")

    def gunicorn(self) -> psutil.Process:
        pid = int((ROOT / "var/prod/gunicorn.pid").read_text().strip())
        return psutil.Process(pid)

    def web_cpu_seconds(self) -> float:
        """CPU time of the gunicorn master and its workers so far (user + system)."""
        master = self.gunicorn()
        total = 0.0
        for proc in [master, *master.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def add_run_arguments(parser: argparse.ArgumentParser, users: int, seconds: float, items: int,
                      database_url: bool = True) -> None:
    """--users and --seconds of the simulated annotators, --items of the study, and where the stack runs:
    --port, --database-url (unless the script makes its own database) and --redis-url (defaults: $DATABASE_URL /
    $REDIS_URL, else the local deft database / Redis 0)."""
    parser.add_argument("--users", type=int, default=users)
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--items", type=int, default=items)
    parser.add_argument("--port", type=int, default=8000)
    if database_url:
        parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL",
                                                                     "postgres://postgres@127.0.0.1:5432/deft"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


def run_fault(report: dict, stack: Stack, database_url: str, items: int,
              scenario: Callable[[dict], Coroutine[Any, Any, dict]]) -> None:
    """Start the stack, make a study of ``items``, run ``scenario(study)`` (it returns its findings and the
    acknowledged judgments under "acked"), check those are stored exactly once, stop the stack; all into
    ``report``."""
    try:
        stack.start()
        study = setup_study(database_url, items)
        result = asyncio.run(scenario(study))
        acked = result.pop("acked")
        report.update(result)
        report["check"] = check_exactly_once(database_url, study["study"], acked)
        report["machine_after"] = machine()
    finally:
        stack.stop()


def setup_study(database_url: str, items: int, data: str | None = None) -> dict:
    cmd = [PY, str(ROOT / "bench/load/setup_study.py"), "--items", str(items)] + (["--data", data] if data else [])
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "deft_site.settings.dev"}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_exactly_once(database_url: str, study_name: str, acked: dict[str, str]) -> dict:
    """Every acknowledged (slot, idempotency key) is stored, once, with that key; counts what was stored unasked."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT s.token, j.idempotency_key, j.revision_count FROM annotation_judgment j "
            "JOIN annotation_slot s ON s.id = j.slot_id JOIN annotation_item i ON i.id = s.item_id "
            "JOIN annotation_study st ON st.id = i.study_id WHERE st.name = %s", [study_name]).fetchall()
    stored: dict[str, list[tuple[str, int]]] = {}
    for token, key, revisions in rows:
        stored.setdefault(token, []).append((key, revisions))
    missing = [slot for slot in acked if slot not in stored]
    wrong_key = [slot for slot, key in acked.items() if slot in stored and stored[slot][0][0] != key]
    duplicated = [slot for slot, found in stored.items() if len(found) > 1]
    revised = [slot for slot, found in stored.items() if any(rev for _, rev in found)]
    return {"acknowledged": len(acked), "stored": len(rows), "missing": len(missing), "wrong_key": len(wrong_key),
            "duplicated": len(duplicated), "revised": len(revised),
            "stored_not_acknowledged": len(set(stored) - set(acked)),
            "exactly_once": bool(acked) and not (missing or wrong_key or duplicated or revised)}


def machine() -> dict:
    return {"load_avg": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}


def phase_counts(timeline: list[tuple[float, str, int]], fault_at: float, back_at: float) -> dict:
    """Replies by phase (before the fault, while it lasts, after it), kind and status ("0" = no reply)."""
    phases: dict[str, dict[str, dict[str, int]]] = {"before": {}, "during": {}, "after": {}}
    for t, kind, code in timeline:
        phase = "before" if t < fault_at else "during" if t < back_at else "after"
        counts = phases[phase].setdefault(kind, {})
        counts[str(code)] = counts.get(str(code), 0) + 1
    return phases


def finish_fault_report(report: dict, name: str) -> None:
    """Save a fault run's report under bench/out/ (timestamped), print it, and exit 0 exactly when it passed."""
    out = ROOT / "bench/out" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    sys.exit(0 if report["passed"] else 1)
