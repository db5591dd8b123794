"""Benchmark: a rater's seeded control draws, as annotation/queue.py made them before (a generator seeded afresh per
slot from a SHA-256 of the slot's number) and as it makes them now (one seeded stream per rater), on the same
raters, the same number of draws and the same number of runs each, in one process, one thread.

The number of draws is what a rater's first progress bar in each web process asks for: every slot they could
still be handed (a study's askable real items plus its controls; the load test's study: 4,000 + 445). Prints CPU
and wall milliseconds per rater, the median of --runs.

    .venv/bin/python bench/bench_draws.py --draws 4445 --raters 50 --runs 5
"""
from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import time


def stable_int(*parts: object) -> int:  # annotation.queue.stable_int, unchanged
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 2


def per_slot(seed: int, rater: int, n: int, rate: float) -> bytes:
    """Before: `random.Random(stable_int(seed, rater, slot, "control")).random() < rate` for every slot."""
    return bytes(random.Random(stable_int(seed, rater, k, "control")).random() < rate for k in range(n))


def stream(secret: str, seed: int, rater: int, n: int, rate: float) -> bytes:
    """Now (annotation.queue._control_draws): one stream per rater, keyed by the study's secret and seed."""
    rng = random.Random(stable_int(secret, seed, rater, "control"))
    return bytes(rng.random() < rate for _ in range(n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=4445)
    parser.add_argument("--raters", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rate", type=float, default=0.1)
    args = parser.parse_args()
    sides = {"before: a generator seeded per slot": lambda r: per_slot(1, r, args.draws, args.rate),
             "now: one stream per rater": lambda r: stream("secret", 1, r, args.draws, args.rate)}
    for name, make in sides.items():
        cpu, wall, share = [], [], 0.0
        for _ in range(args.runs):
            c0, w0 = time.process_time(), time.perf_counter()
            draws = [make(r) for r in range(args.raters)]
            cpu.append(1000 * (time.process_time() - c0) / args.raters)
            wall.append(1000 * (time.perf_counter() - w0) / args.raters)
            share = sum(map(sum, draws)) / (args.raters * args.draws)
        print(f"{name:40s} {statistics.median(cpu):8.3f} ms CPU {statistics.median(wall):8.3f} ms wall per rater "
              f"({args.draws} draws; share of controls {share:.4f}, rate {args.rate})")


if __name__ == "__main__":
    main()
