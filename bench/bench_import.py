"""Benchmark: import a 100,000-row CoEDIT JSONL file (time, rows/s, peak Python memory vs file size).

Run: .venv/bin/python bench/bench_import.py [--rows 100000] [--postgres]
Baseline in the same process: the obvious import (read the whole file, json.loads every line into a list,
then create rows one by one in a transaction) on the first 10,000 rows, scaled up.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import setup_django  # noqa: E402


def write_file(path: Path, rows: int) -> None:
    from selection.demo import make_demo_rows, write_jsonl

    write_jsonl(make_demo_rows(n_rows=rows, seed=7), path)


def naive_import(path: Path, limit: int) -> float:
    from django.db import transaction

    from selection.models import Dataset, Example

    start = time.perf_counter()
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:limit]]
    with transaction.atomic():
        dataset = Dataset.objects.create(name="naive")
        for r in records:
            refs = r["tgt"] if isinstance(r["tgt"], list) else [r["tgt"]]
            Example.objects.create(dataset=dataset, ext_id=r["_id"], task=r["task"], src=r["src"], refs=refs,
                                   split=r.get("split", "train"))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    setup_django(args.postgres)
    from django.db import connection

    from selection.services.datasets import dataset_import

    path = Path(tempfile.mkdtemp()) / "big.jsonl"
    write_file(path, args.rows)
    size = path.stat().st_size
    start = time.perf_counter()
    with path.open("rb") as stream:
        dataset = dataset_import(stream=stream, name="bench", filename=path.name)
    ours = time.perf_counter() - start
    tracemalloc.start()  # a second import, traced (tracing slows it, so it is not the timed one)
    with path.open("rb") as stream:
        dataset_import(stream=stream, name="bench-traced", filename=path.name)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    limit = min(10_000, args.rows)
    naive = naive_import(path, limit) * args.rows / limit
    print(f"database: {connection.vendor}; rows: {dataset.row_count}; file: {size / 1e6:.1f} MB")
    print(f"ours:  {ours:.2f} s ({dataset.row_count / ours:,.0f} rows/s), peak Python memory {peak / 1e6:.1f} MB "
          f"({peak / size:.2f}x the file)")
    print(f"naive (read all, create one by one; {limit} rows scaled): {naive:.2f} s -> ours is {naive / ours:.1f}x faster")


if __name__ == "__main__":
    main()
