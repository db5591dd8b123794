"""UCS diagnostics on the real pool, and the TF-IDF fit cache's time (issue #12).

On the 41,593 rows of ../shared/data/coedit/train_pool.jsonl with their MiniLM `src` vectors
(bench/real_data.py's cache), the pure core the selection service calls is run as the service runs it:

  * UCSSelector(K, target_fraction=0.325, alpha=0, beta=1 (hard), cosine, base_fraction) once without and
    once with ``groups`` = the row's source sentence without its instruction (the service's "group by source"
    option, `text_for_embedding(src, None, "input")`);
  * the run page's diagnostics on each: agreement of the clusters with the task and with the instruction
    phrasing (purity beside its majority-class baseline, lift, NMI, ARI: `diagnostics.agreement`), the
    starved-task warning (`diagnostics.starved_tasks`, ratio 0.5 as the service uses) and the spread over
    source sentences (`diagnostics.source_spread`).

--tfidf also times the TF-IDF + SVD embedder on the pool's distinct `src` texts: a first fit into an empty
cache directory, then the same call again (loads the cached fit), 1 BLAS thread, CPU and wall.

Run:  .venv/bin/python bench/bench_ucs_diagnostics.py --ks 7 100 --tfidf
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def run_diagnostics(K: int, base_fraction: float, seed: int) -> list[dict]:
    from real_data import minilm_vectors, pool_rows

    from selection.core import diagnostics
    from selection.core.embedders import text_for_embedding
    from selection.core.ucs import UCSSelector

    rows = pool_rows()
    X_src, texts = minilm_vectors("src")
    row_of = {t: i for i, t in enumerate(texts)}
    X = np.ascontiguousarray(X_src[[row_of[text_for_embedding(r["src"], None, "src")] for r in rows]])
    tasks = np.array([r["task"] for r in rows], dtype=object)
    instructions = np.array([diagnostics.instruction_of(r["src"]) for r in rows], dtype=object)
    sources = np.array([text_for_embedding(r["src"], None, "input") for r in rows], dtype=object)
    out = []
    for grouped in (False, True):
        sel = UCSSelector(base_fraction=base_fraction, n_clusters=K, target_fraction=0.325, alpha=0.0, beta=1.0,
                          distance="cosine", random_state=seed)
        c = time.process_time()
        sel.fit(X, tasks, groups=sources if grouped else None)
        cpu = time.process_time() - c
        remain = sel.remain_indices_
        out.append({
            "K": K, "base_fraction": base_fraction, "group_by_source": grouped, "fit_cpu": cpu,
            "selected": int(sel.chosen_mask_.sum()), "n": len(rows),
            "task": diagnostics.agreement(sel.labels_, tasks[remain]),
            "instruction": diagnostics.agreement(sel.labels_, instructions[remain]),
            "starved": diagnostics.starved_tasks(tasks, sel.chosen_mask_, ratio=0.5),
            "task_share": {t: {"pool": float(np.mean(tasks == t)), "chosen": float(np.mean(tasks[sel.chosen_mask_] == t))}
                           for t in sorted(set(tasks))},
            "sources": diagnostics.source_spread(sources, sel.chosen_mask_),
        })
        print(json.dumps(out[-1]), flush=True)
    return out


def run_tfidf() -> dict:
    from real_data import distinct_texts

    from selection.core.embedders import TfidfSvdEmbedder

    texts = distinct_texts("src")
    res: dict = {"texts": len(texts)}
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(1):
        for name in ("first_fit", "cached"):
            emb = TfidfSvdEmbedder(cache_dir=tmp)
            t, c = time.perf_counter(), time.process_time()
            V = emb.embed(texts)
            res[name] = {"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                         "cache_hit": emb.last_cache_hit_}
            res.setdefault("shape", list(V.shape))
    res["load1"] = os.getloadavg()[0]
    print(json.dumps(res), flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ks", type=int, nargs="*", default=[7, 100])
    ap.add_argument("--base-fraction", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tfidf", action="store_true")
    ap.add_argument("--json", type=str, default=None, help="write everything to this JSON file")
    args = ap.parse_args()
    result: dict = {"load1_start": os.getloadavg()[0], "diagnostics": []}
    with threadpool_limits(1):
        for K in args.ks:
            result["diagnostics"] += run_diagnostics(K, args.base_fraction, args.seed)
    if args.tfidf:
        result["tfidf"] = run_tfidf()
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
