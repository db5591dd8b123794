"""Proof under load: 200 simulated annotators for 60 s against `make prod`, beside the same server's ceiling.

Run (PostgreSQL and Redis on 127.0.0.1; the stack is started and stopped by the script):
    nice -n 10 .venv/bin/python bench/load/run_load.py --users 200 --seconds 60 --port 8500 \\
        --database-url postgres://postgres@127.0.0.1:5432/deft --redis-url redis://127.0.0.1:6379/0
`--url http://127.0.0.1:8000` instead uses a stack that is already running (then also give --database-url).

One script, one server, one client (loadgen.py), one study, in this order:
1. ceiling: --users keep-alive clients GET /healthz/ (a view returning "ok") in a closed loop for
   --trivial-seconds: the framework's ceiling on this machine.
2. saturation (answers "judgments/s" and ">= 50 % of the ceiling"): --users annotators join by the study's invite
   link, then rate in a closed loop (no think time) for --seconds, answering with "?next=1" as the rating page
   does (one request per judgment). Their requests/s over the ceiling's is the ratio.
3. paced (answers "p99 < 100 ms" at a stated offered load): --users fresh annotators, each spending a log-normal
   time with median --think seconds on every pair, starting at random over the first --think seconds (so they
   do not all ask at once), for --seconds; the same combined request. Offered load ~ users / mean think.
4. paced-separate: as 3 but with the separate "next pair" and "submit" requests (the old endpoints, what an API
   client does), so that each has its own p50/p99 at the same offered load.
Then: every acknowledged judgment of all phases is stored exactly once; the stack is stopped. Beside every
phase: the load average before and after and the web server's CPU per request (the stable figure on a shared
machine). Prints one JSON document (also written to bench/out/). `--phases` picks a subset.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import run_annotators, run_trivial  # noqa: E402
from stack import ROOT, Stack, add_run_arguments, check_exactly_once, machine, setup_study  # noqa: E402

PHASES = ("ceiling", "saturation", "paced", "paced-separate")
RATING_KINDS = ("next", "submit", "submit+next")


def _rating_phase(stack: Stack | None, base: str, study: dict, users: int, seconds: float, think: float,
                  combined: bool, acked: dict[str, str]) -> dict:
    """One set of fresh annotators rating for `seconds`; the web server's CPU counted while they rate only."""
    window_cpu: list[float] = []
    before = machine()

    async def go() -> tuple[dict, object]:
        started = asyncio.Event()
        watcher = None
        if stack is not None:
            async def at_start() -> None:
                await started.wait()
                window_cpu.append(stack.web_cpu_seconds())
            watcher = asyncio.create_task(at_start())
        result = await run_annotators(base, study["invite"], study["token"], users, seconds, think,
                                      run_id=f"load{uuid.uuid4().hex[:6]}", on_start=started, stagger=think,
                                      combined=combined)
        if watcher is not None:
            await watcher
            window_cpu.append(stack.web_cpu_seconds())
        return result

    summary, stats = asyncio.run(go())
    acked.update(stats.acked)
    summary.pop("client_cpu_s", None)  # the process's total so far: not per phase
    n_req = sum(summary["latency"][k]["n"] for k in RATING_KINDS if k in summary["latency"])
    summary["requests_per_s"] = round(n_req / summary["window_s"], 1)
    if window_cpu:
        cpu = window_cpu[1] - window_cpu[0]
        summary["web_cpu_s"] = round(cpu, 2)
        summary["web_cpu_ms_per_judgment"] = round(1000 * cpu / max(1, summary["acknowledged"]), 2)
        summary["web_cpu_ms_per_request"] = round(1000 * cpu / max(1, n_req), 2)
        summary["web_cores_used"] = round(cpu / summary["window_s"], 2)
    summary["machine_before"], summary["machine_after"] = before, machine()
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(parser, users=200, seconds=60, items=4000)
    parser.add_argument("--trivial-seconds", type=float, default=20)
    parser.add_argument("--think", type=float, default=10.0, help="paced phases: median seconds per pair")
    parser.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated, of {', '.join(PHASES)}")
    parser.add_argument("--data", help="CoEDIT-format JSONL for the texts (default: synthetic)")
    parser.add_argument("--url", help="use a stack that is already running here instead of starting one")
    args = parser.parse_args()
    phases = [p for p in args.phases.split(",") if p]
    if set(phases) - set(PHASES):
        parser.error(f"unknown phases {sorted(set(phases) - set(PHASES))}")

    stack = Stack(args.port, args.database_url, args.redis_url, ROOT / "bench/out/load-stack.log")
    report: dict = {"command": " ".join(sys.argv), "users": args.users, "seconds": args.seconds,
                    "think_median_s": args.think, "machine_before": machine()}
    acked: dict[str, str] = {}
    try:
        if args.url:
            base = args.url
        else:
            stack.start()
            base = stack.url
        study = setup_study(args.database_url, args.items, args.data)
        report["study"] = study
        own = None if args.url else stack
        if "ceiling" in phases:
            before = machine()
            cpu0 = own.web_cpu_seconds() if own else None
            ceiling = asyncio.run(run_trivial(base, args.users, args.trivial_seconds))
            ceiling.pop("client_cpu_s", None)
            if own:
                ceiling["web_cpu_s"] = round(own.web_cpu_seconds() - cpu0, 2)
                ceiling["web_cpu_ms_per_request"] = round(
                    1000 * ceiling["web_cpu_s"] / max(1, ceiling["latency"]["trivial"]["n"]), 3)
                ceiling["web_cores_used"] = round(ceiling["web_cpu_s"] / ceiling["window_s"], 2)
            ceiling["machine_before"], ceiling["machine_after"] = before, machine()
            report["ceiling"] = ceiling
        for name, think, combined in (("saturation", 0.0, True), ("paced", args.think, True),
                                      ("paced-separate", args.think, False)):
            if name in phases:
                report[name] = _rating_phase(own, base, study, args.users, args.seconds, think, combined, acked)
        if "saturation" in report and "ceiling" in report:
            sat, ceil = report["saturation"], report["ceiling"]
            report["ratio_to_ceiling"] = round(sat["requests_per_s"] / ceil["requests_per_s"], 4)
            if "web_cpu_ms_per_request" in sat and "web_cpu_ms_per_request" in ceil:
                report["cpu_ratio_ceiling_over_rating"] = round(
                    ceil["web_cpu_ms_per_request"] / sat["web_cpu_ms_per_request"], 4)
        report["check"] = check_exactly_once(args.database_url, study["study"], acked)
        report["machine_after"] = machine()
    finally:
        stack.stop()
    out = ROOT / "bench/out" / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    print(f"written to {out.relative_to(ROOT)}", file=sys.stderr)
    if not report.get("check", {}).get("exactly_once"):
        sys.exit(1)


if __name__ == "__main__":
    main()
