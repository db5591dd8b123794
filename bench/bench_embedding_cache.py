"""Benchmark: the embedding cache at scale (store and reload N vectors of a 384-d embedder).

Run: .venv/bin/python bench/bench_embedding_cache.py [--rows 100000] [--postgres]
Measures, on a fresh SQLite (or PostgreSQL) table: storing N vectors in batches of 1,000 (what an embedding
job does), `embeddings_missing` on all N hashes (what a second run checks first), and `embeddings_load` of
all N in order. Baseline in the same process: np.save / np.load of the same float32 matrix as one .npy file
(the fastest possible reload, with no per-text keying, no sharing between datasets and no resume).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import setup_django  # noqa: E402


def setup_schema() -> None:
    from django.db import connection

    from selection.models import Embedding

    with connection.schema_editor() as editor:  # just this table: the bench needs nothing else
        editor.create_model(Embedding)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    setup_django(args.postgres, migrate=False)
    setup_schema()
    from selection.services import embeddings as svc

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.rows, args.dim)).astype(np.float32)
    hashes = [svc.text_sha256(f"text number {i}") for i in range(args.rows)]

    t = time.perf_counter()
    for a in range(0, args.rows, 1000):
        svc.embeddings_store(embedder_name="bench", hashes=hashes[a:a + 1000], vectors=X[a:a + 1000])
    store = time.perf_counter() - t
    t = time.perf_counter()
    missing = svc.embeddings_missing(embedder_name="bench", hashes=hashes)
    check = time.perf_counter() - t
    t = time.perf_counter()
    Y = svc.embeddings_load(embedder_name="bench", hashes=hashes)
    load = time.perf_counter() - t
    assert missing == [] and np.array_equal(X, Y)

    path = Path(tempfile.mkdtemp()) / "x.npy"
    t = time.perf_counter()
    np.save(path, X)
    npy_save = time.perf_counter() - t
    t = time.perf_counter()
    Z = np.load(path)
    npy_load = time.perf_counter() - t
    assert np.array_equal(X, Z)
    if args.postgres:  # leave the shared database as it was
        from django.db import connection

        from selection.models import Embedding

        with connection.schema_editor() as editor:
            editor.delete_model(Embedding)
    db = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{db}, {args.rows} x {args.dim} float32 ({X.nbytes / 1e6:.0f} MB)")
    print(f"store in batches of 1000: {store:.2f} s ({args.rows / store:,.0f} vectors/s); .npy save {npy_save:.2f} s")
    print(f"check all cached:         {check:.2f} s")
    print(f"load all in order:        {load:.2f} s ({args.rows / load:,.0f} vectors/s); .npy load {npy_load:.3f} s")


if __name__ == "__main__":
    main()
