"""Benchmark: the repeats a repeat study's progress bar counts ahead (annotation/queue.py, `_ahead_with_repeats`),
redrawn per request as before against memoised per process as now, on the same raters, the same pairs ahead and
the same number of runs each, in one process, one thread.

A progress bar in a study with repeats counts, for every real pair still ahead of the rater, whether its seeded
draw brings it back. Before, each of those draws seeded a generator afresh on every request; now they are drawn
once per process and rater (`queue._repeat_draws`) and later requests read them. Prints CPU and wall ms per request:
"before" (every request alike), "now, first request" (draws the memo) and "now, later requests", medians of --runs.

    .venv/bin/python bench/bench_draws.py --ahead 4000 --raters 50 --runs 5
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deft_site.settings.dev")


def _timed(call, raters: list, runs: int) -> tuple[float, float]:  # noqa: ANN001
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        for user in raters:
            call(user)
        cpu.append(1000 * (time.process_time() - c0) / len(raters))
        wall.append(1000 * (time.perf_counter() - w0) / len(raters))
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ahead", type=int, default=4000, help="real pairs still ahead of each rater")
    parser.add_argument("--raters", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import django

    django.setup()
    from annotation import queue

    study = SimpleNamespace(public_token="bench", seed=1, repeat_rate=0.1, repeat_gap=5)

    def before(user: SimpleNamespace) -> int:
        return sum(1 for j in range(args.ahead) if queue._seeded_repeat_draw(study, user, j) is not None)

    def now(user: SimpleNamespace) -> int:
        return sum(1 for d in queue._repeat_draws(study, user, args.ahead)[:args.ahead] if d is not None)

    rows = {"before: redrawn on every request": _timed(before, [SimpleNamespace(pk=i) for i in range(args.raters)],
                                                       args.runs)}
    fresh = iter(range(10**6, 2 * 10**6))
    rows["now, first request (draws the memo)"] = _timed(
        lambda _: now(SimpleNamespace(pk=next(fresh))), list(range(args.raters)), args.runs)
    warm = [SimpleNamespace(pk=i) for i in range(args.raters)]
    for user in warm:
        now(user)
    rows["now, later requests"] = _timed(now, warm, args.runs)
    assert all(before(u) == now(u) for u in warm[:5])  # the same counts
    for name, (cpu, wall) in rows.items():
        print(f"{name:40s} {cpu:9.3f} ms CPU {wall:9.3f} ms wall per request ({args.ahead} pairs ahead)")


if __name__ == "__main__":
    main()
