"""Proof under load: 200 simulated annotators for 60 s against `make prod`, beside the same server's ceiling.

Run (PostgreSQL and Redis on 127.0.0.1; the stack is started and stopped by the script):
    nice -n 10 .venv/bin/python bench/load/run_load.py --users 200 --seconds 60 --port 8500 \\
        --database-url postgres://postgres@127.0.0.1:5432/deft --redis-url redis://127.0.0.1:6379/0
`--url http://127.0.0.1:8000` instead uses a stack that is already running (then also give --database-url).

Steps: start `make prod`; make a fresh study (bench/load/setup_study.py); the ceiling: the same number of
keep-alive clients GET /healthz/ (a view returning "ok") for --trivial-seconds; then the annotators join by
the study's invite link and rate for --seconds (loadgen.py); then check that every acknowledged judgment is
stored exactly once; then stop the stack. Prints one JSON document (also written to bench/out/) with
judgments/s, p50/p99 per endpoint, errors, the ratio to the ceiling, load average and CPU time.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import run_annotators, run_trivial  # noqa: E402
from stack import ROOT, Stack, add_run_arguments, check_exactly_once, machine, setup_study  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(parser, users=200, seconds=60, items=4000)
    parser.add_argument("--trivial-seconds", type=float, default=20)
    parser.add_argument("--think", type=float, default=0.0)
    parser.add_argument("--data", help="CoEDIT-format JSONL for the texts (default: synthetic)")
    parser.add_argument("--url", help="use a stack that is already running here instead of starting one")
    args = parser.parse_args()

    stack = Stack(args.port, args.database_url, args.redis_url, ROOT / "bench/out/load-stack.log")
    report: dict = {"command": " ".join(sys.argv), "users": args.users, "seconds": args.seconds,
                    "machine_before": machine()}
    try:
        if args.url:
            base = args.url
        else:
            stack.start()
            base = stack.url
        study = setup_study(args.database_url, args.items, args.data)
        report["study"] = study
        cpu0 = stack.web_cpu_seconds() if not args.url else None
        t0 = time.perf_counter()
        report["ceiling"] = asyncio.run(run_trivial(base, args.users, args.trivial_seconds))
        if cpu0 is not None:
            report["ceiling"]["web_cpu_s"] = round(stack.web_cpu_seconds() - cpu0, 2)
        report["ceiling"]["wall_s"] = round(time.perf_counter() - t0, 2)
        report["machine_after_ceiling"] = machine()
        client_cpu0 = report["ceiling"]["client_cpu_s"]
        window_cpu: list[float] = []

        async def annotators():  # noqa: ANN202 - the web server's CPU time is read when rating starts and ends
            started = asyncio.Event()
            if not args.url:
                async def at_start() -> None:
                    await started.wait()
                    window_cpu.append(stack.web_cpu_seconds())
                watcher = asyncio.create_task(at_start())
            result = await run_annotators(base, study["invite"], study["token"], args.users, args.seconds,
                                          args.think, on_start=started)
            if not args.url:
                await watcher
                window_cpu.append(stack.web_cpu_seconds())
            return result

        summary, stats = asyncio.run(annotators())
        summary["client_cpu_s"] = round(summary["client_cpu_s"] - client_cpu0, 2)
        if not args.url:
            cpu1 = stack.web_cpu_seconds()
        report["annotators"] = summary
        report["machine_after"] = machine()
        if not args.url:
            report["annotators"]["web_cpu_s_incl_join"] = round(cpu1 - cpu0 - report["ceiling"]["web_cpu_s"], 2)
            # While rating (joins excluded): the web server's CPU per judgment and per request, and how much of
            # the machine's two cores it got (the rest went to PostgreSQL, the client and other work).
            cpu = window_cpu[1] - window_cpu[0]
            n_req = sum(summary["latency"][k]["n"] for k in ("next", "submit") if k in summary["latency"])
            report["annotators"]["web_cpu_s_rating"] = round(cpu, 2)
            report["annotators"]["web_cpu_ms_per_judgment"] = round(1000 * cpu / max(1, summary["acknowledged"]), 2)
            report["annotators"]["web_cpu_ms_per_request"] = round(1000 * cpu / max(1, n_req), 2)
            report["annotators"]["web_cores_used"] = round(cpu / summary["window_s"], 2)
            report["ceiling"]["web_cpu_ms_per_request"] = round(
                1000 * report["ceiling"]["web_cpu_s"] / max(1, report["ceiling"]["latency"]["trivial"]["n"]), 3)
        report["check"] = check_exactly_once(args.database_url, study["study"], stats.acked)
        requests = sum(summary["latency"][k]["n"] for k in ("next", "submit") if k in summary["latency"])
        report["annotator_requests_per_s"] = round(requests / summary["window_s"], 1)
        report["ratio_to_ceiling"] = round(report["annotator_requests_per_s"] / report["ceiling"]["requests_per_s"], 3)
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
