"""Fault: PostgreSQL stopped and started again (or its connections killed) while annotators rate.

Never touches a shared server: the script makes a private PostgreSQL cluster of its own (initdb under /tmp as
the `postgres` user, on --pg-port), runs `make prod` against it, and stops/starts only that one.

Run (Redis on 127.0.0.1; run as root or as the postgres user):
    nice -n 10 .venv/bin/python bench/faults/pg_restart.py --users 50 --seconds 40 --fault-at 10 --down 8 \\
        --port 8520 --pg-port 8521 --redis-url redis://127.0.0.1:6379/0 [--mode stop|terminate]

--mode stop: `pg_ctl stop -m fast` at --fault-at seconds, `pg_ctl start` --down seconds later.
--mode terminate: pg_terminate_backend on every connection of the web server and workers, twice, 1 s apart.
Passes (exit 0) when nothing was answered 500 or dropped by the web server, the requests that failed while the
database was gone were 503 with the JSON reason, requests succeeded afterwards, and every acknowledged
judgment is in the database exactly once.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "load"))
from loadgen import load_until_fault  # noqa: E402
from stack import ROOT, Stack, add_run_arguments, finish_fault_report, machine, phase_counts, run_fault  # noqa: E402

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


class PrivateCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1:port, owned by the postgres OS user, under /tmp."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix=f"deft-pg-{port}-"))
        self.data = self.dir / "data"

    def _as_postgres(self, *cmd: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *cmd], check=True, capture_output=True, text=True)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                       "max_connections = 100\nfsync = on\n")
        self.start()

    def start(self) -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def terminate_all(self, database: str) -> int:
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                                "AND pid <> pg_backend_pid()", [database]).fetchall()
        return len(rows)

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


async def scenario(stack: Stack, cluster: PrivateCluster, study: dict, args: argparse.Namespace) -> dict:
    stats, load = await load_until_fault(stack.url, study, args.users, args.seconds, args.fault_at)
    fault_at = time.perf_counter()
    if args.mode == "stop":
        await asyncio.to_thread(cluster.stop)
        await asyncio.sleep(args.down)
        await asyncio.to_thread(cluster.start)
        terminated = None
    else:
        terminated = await asyncio.to_thread(cluster.terminate_all, "deft")
        await asyncio.sleep(1)
        terminated += await asyncio.to_thread(cluster.terminate_all, "deft")
    back_at = time.perf_counter()
    summary, _ = await load
    return {"summary": summary, "mode": args.mode, "fault_s": round(back_at - fault_at, 1),
            "terminated_connections": terminated, "phases": phase_counts(stats.timeline, fault_at, back_at),
            "acked": stats.acked, "samples_503": [e for e in stats.errors if "HTTP 503" in e][:2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(parser, users=50, seconds=40, items=2000, database_url=False)
    parser.add_argument("--fault-at", type=float, default=10)
    parser.add_argument("--down", type=float, default=8)
    parser.add_argument("--mode", choices=["stop", "terminate"], default="stop")
    parser.add_argument("--pg-port", type=int, default=5499)
    args = parser.parse_args()
    cluster = PrivateCluster(args.pg_port)
    database_url = f"postgres://postgres@127.0.0.1:{args.pg_port}/deft"
    stack = Stack(args.port, database_url, args.redis_url, ROOT / "bench/out/fault-pg-stack.log")
    report: dict = {"command": " ".join(sys.argv), "machine_before": machine()}
    try:
        cluster.init()
        run_fault(report, stack, database_url, args.items, lambda study: scenario(stack, cluster, study, args))
    finally:
        cluster.destroy()
    phases = report["phases"]
    codes = {code for phase in phases.values() for kind in phase.values() for code in kind}
    after_ok = sum(phases["after"].get(k, {}).get(c, 0) for k in ("next", "submit") for c in ("200", "201"))
    report["passed"] = bool(report["check"]["exactly_once"] and not codes & {"500", "502", "0"} and after_ok > 0
                            and (args.mode == "terminate" or "503" in codes))
    finish_fault_report(report, f"fault-pg-{args.mode}")


if __name__ == "__main__":
    main()
