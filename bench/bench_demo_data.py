"""Benchmark: how long the synthetic demo dataset takes to generate, and to write as JSONL.

Run: .venv/bin/python bench/bench_demo_data.py [n_rows ...]   (default: 10000 100000)

Reports wall and CPU seconds per size, rows per CPU second, the 100k/10k CPU-time ratio (linear scaling
means about 10), and the ratio against writing the same rows with ``write_jsonl`` (the baseline: plain
JSON serialisation of the very same data, run in the same process).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from selection.demo import make_demo_rows, write_jsonl  # noqa: E402


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main(sizes: list[int]) -> None:
    cpu_by_size = {}
    for n in sizes:
        rows, wall, cpu = _timed(make_demo_rows, n, 0)
        with tempfile.TemporaryDirectory() as tmp:
            _, w_wall, w_cpu = _timed(write_jsonl, rows, Path(tmp) / "demo.jsonl")
        cpu_by_size[n] = cpu
        print(f"n={n:>7}: generate wall {wall:6.2f}s cpu {cpu:6.2f}s ({n / cpu:,.0f} rows/cpu-s); "
              f"write_jsonl cpu {w_cpu:5.2f}s; generate/write = {cpu / w_cpu:4.1f}x")
    if len(sizes) >= 2:
        small, big = min(sizes), max(sizes)
        print(f"cpu({big})/cpu({small}) = {cpu_by_size[big] / cpu_by_size[small]:.1f} "
              f"(sizes differ {big / small:.0f}x)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
