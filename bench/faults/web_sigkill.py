"""Fault: SIGKILL the web server (gunicorn's master and every worker) while annotators rate; start it again.

Run (PostgreSQL and Redis on 127.0.0.1; the script starts and stops `make prod` itself):
    nice -n 10 .venv/bin/python bench/faults/web_sigkill.py --users 50 --seconds 40 --kill-at 12 --port 8510 \\
        --database-url postgres://postgres@127.0.0.1:5432/deft --redis-url redis://127.0.0.1:6379/0

The annotators behave like rate.js: an answer without a 2xx is kept and resent with the same idempotency key.
At --kill-at seconds every gunicorn process gets SIGKILL (requests in flight die with it; `make prod` exits);
then `make prod` is started again, as a supervisor would. Passes (exit 0) when every acknowledged judgment is
in the database exactly once, nothing was answered 500, and annotators got acknowledgements after the restart.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "load"))
from loadgen import load_until_fault  # noqa: E402
from stack import ROOT, Stack, add_run_arguments, finish_fault_report, machine, phase_counts, run_fault  # noqa: E402


async def scenario(stack: Stack, study: dict, args: argparse.Namespace) -> dict:
    stats, load = await load_until_fault(stack.url, study, args.users, args.seconds, args.kill_at)
    master = stack.gunicorn()
    victims = [master, *master.children(recursive=True)]
    acked_before = len(stats.acked)
    killed_at = time.perf_counter()
    for proc in victims:
        os.kill(proc.pid, signal.SIGKILL)
    await asyncio.to_thread(stack.proc.wait, 30)  # make prod ends when its server does
    await asyncio.to_thread(stack.start)  # a supervisor starts it again (migrate and collectstatic are no-ops)
    back_at = time.perf_counter()
    summary, _ = await load
    return {"summary": summary, "killed_pids": [p.pid for p in victims], "acked_before_kill": acked_before,
            "down_s": round(back_at - killed_at, 1), "phases": phase_counts(stats.timeline, killed_at, back_at),
            "acked": stats.acked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(parser, users=50, seconds=40, items=2000)
    parser.add_argument("--kill-at", type=float, default=12)
    args = parser.parse_args()
    stack = Stack(args.port, args.database_url, args.redis_url, ROOT / "bench/out/fault-web-stack.log")
    report: dict = {"command": " ".join(sys.argv), "machine_before": machine()}
    run_fault(report, stack, args.database_url, args.items, lambda study: scenario(stack, study, args))
    after = report["phases"]["after"]
    server_errors = sum(n for phase in report["phases"].values() for kind in phase.values()
                        for code, n in kind.items() if code == "500")
    report["passed"] = bool(report["check"]["exactly_once"] and server_errors == 0
                            and after.get("submit", {}).get("201", 0) + after.get("submit", {}).get("200", 0) > 0)
    finish_fault_report(report, "fault-web")


if __name__ == "__main__":
    main()
