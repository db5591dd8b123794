"""UCS selection speed and k-means quality: ours vs scikit-learn KMeans, MiniBatchKMeans and faiss.

Data sets (--data, any of):
  real-src    22,041 MiniLM vectors: each distinct `src` (instruction + input) of
              ../shared/data/coedit/train_pool.jsonl, embedded once (bench/real_data.py caches them)
  real-input  6,614 MiniLM vectors of the distinct inputs (instruction dropped)
  real-rows   41,593 rows: every row of the pool with its src vector (duplicates included, as UCS sees D)
  synth:N     N synthetic float32 points, d=384: 2,000 Gaussian blobs of Zipf-like sizes, noise comparable
              to the spread of the centres (seed 0)

For each data set and K in --ks, the whole selection given the embeddings is timed (clustering, distances,
per-cluster picks: alpha=0, beta=1, A=0.3·N/K):

  ours     UCSSelector(distance="euclidean").fit (fast_kmeans with its defaults)
  sklearn  sklearn.cluster.KMeans(n_clusters=K) defaults (k-means++ on all data, Lloyd to convergence),
           skipped where N·K > --sklearn-max-nk (its sequential seeding alone would take many minutes)
  minibatch sklearn.cluster.MiniBatchKMeans(n_clusters=K) defaults
  faiss    faiss.Kmeans(d, K, niter=20): random seeding, 20 Lloyd steps on a random sample of 256·K points
           (its default max_points_per_centroid; all the data when N <= 256·K), then one search for the labels.
           Ours fits on a sample too where N·K > 2e8 (8·K seeding points, 32·K Lloyd points) before its one
           full assignment pass: both sides subsample there.
  (baselines get the same per-cluster loop for the picks)

Quality: full-data inertia (sum of squared L2 distances of every point to its nearest centre), computed the
same way for every method (faiss IndexFlatL2 search over all points). Threads: every method runs under
threadpool_limits(--threads) and faiss.omp_set_num_threads(--threads), in this one process, each method
once per row; wall and CPU time (process_time: all threads) are both reported, with the 1-min load.
For ours, --mislabel also runs fast_kmeans(final_assign=False) (the previous default) and reports the share
of points whose label was not their nearest final centre.

Targets: ours' inertia within 0.5 % of the best baseline at every row; faiss / ours time >= 3 at 1M, K=1000.

The machine's single-thread sgemm rate is measured first; "ours CPU / one GEMM pass" divides our CPU time by
2·N·K·d FLOPs at that rate (one full assignment pass, the least any method that labels every point with its
nearest centre must spend).

Run:  bench/run_ucs_rows.sh     (every row in its own invocation of this script; faiss-cpu from
                                 requirements-bench.txt)
      .venv/bin/python bench/bench_ucs.py --table bench/out/ucs_rows.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

D = 384
SEED = 0  # every method's random_state (--seed)


def make_data(n: int, d: int = D, n_true: int = 2000, seed: int = 0) -> np.ndarray:
    """Blobs around n_true random centres; sizes ∝ 1/sqrt(rank); noise comparable to
    the spread of the centres so clusters overlap like real embeddings do."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_true, d), dtype=np.float32)
    w = 1.0 / np.sqrt(np.arange(1, n_true + 1))
    labels = rng.choice(n_true, n, p=w / w.sum())
    X = np.empty((n, d), dtype=np.float32)
    for a in range(0, n, 100_000):  # in chunks: no N×d temporaries
        part = rng.standard_normal((min(100_000, n - a), d), dtype=np.float32)
        part *= 0.8
        part += centres[labels[a : a + len(part)]]
        X[a : a + len(part)] = part
    return X


def load(spec: str) -> np.ndarray:
    from real_data import distinct_texts, minilm_vectors, pool_rows

    if spec.startswith("synth:"):
        return make_data(int(spec.split(":", 1)[1]))
    if spec in ("real-src", "real-input"):
        return minilm_vectors(spec.split("-", 1)[1])[0]
    if spec == "real-rows":
        X, texts = minilm_vectors("src")
        row_of = {t: i for i, t in enumerate(texts)}
        assert len(texts) == len(distinct_texts("src"))
        return np.ascontiguousarray(X[[row_of[r["src"]] for r in pool_rows()]])
    raise SystemExit(f"unknown data set {spec!r}")


def full_inertia(X: np.ndarray, centres: np.ndarray) -> float:
    import faiss

    index = faiss.IndexFlatL2(X.shape[1])
    index.add(np.ascontiguousarray(centres, dtype=np.float32))
    total = 0.0
    for a in range(0, len(X), 200_000):
        dist, _ = index.search(X[a : a + 200_000], 1)
        total += float(dist.sum(dtype=np.float64))
    return total


def nearest(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    import faiss

    index = faiss.IndexFlatL2(X.shape[1])
    index.add(np.ascontiguousarray(centres, dtype=np.float32))
    return np.concatenate([index.search(X[a : a + 200_000], 1)[1][:, 0] for a in range(0, len(X), 200_000)])


def loop_picks(X: np.ndarray, labels: np.ndarray, centres: np.ndarray, A: int) -> np.ndarray:
    """The straightforward per-cluster loop a notebook would write (hard picks)."""
    chosen = []
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(len(centres) + 1))
    for k in range(len(centres)):
        members = order[bounds[k] : bounds[k + 1]]
        dist = np.linalg.norm(X[members] - centres[k], axis=1)
        chosen.append(members[np.argsort(dist)[::-1][:A]])
    return np.sort(np.concatenate(chosen))


def sgemm_gflops(threads: int, reps: int = 10) -> float:
    """This machine's float32 GEMM throughput (GFLOP/s of CPU time) on the shape of one assignment
    chunk (16,384 × 384 by 384 × 1,000): the physical limit of a Lloyd pass, 2·N·K·d FLOPs."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((16_384, D), dtype=np.float32)
    B = rng.standard_normal((1000, D), dtype=np.float32)
    G = np.empty((16_384, 1000), dtype=np.float32)
    with threadpool_limits(threads):
        np.matmul(A, B.T, out=G)
        c = time.process_time()
        for _ in range(reps):
            np.matmul(A, B.T, out=G)
        c = time.process_time() - c
    return 2 * 16_384 * 1000 * D * reps / c / 1e9


def per_cluster(n: int, K: int) -> int:
    return max(1, round(0.3 * n / K))


def timed(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def run_ours(X: np.ndarray, K: int, A: int) -> tuple[dict, np.ndarray]:
    from selection.core.ucs import UCSSelector

    sel = UCSSelector(n_clusters=K, per_cluster=A, alpha=0.0, beta=1.0, distance="euclidean", random_state=SEED)
    _, wall, cpu = timed(lambda: sel.fit(X, np.zeros(len(X), dtype=np.int8)))
    return {"wall": wall, "cpu": cpu}, sel.cluster_centers_


def run_mislabel(X: np.ndarray, K: int) -> dict:
    """The previous default (labels = assignment before the last mean update): share not nearest."""
    from selection.core.kmeans import fast_kmeans

    old_passes = 10 if len(X) * K <= 2e7 else 3 if len(X) * K <= 2e8 else 1  # the schedule of that default
    old = fast_kmeans(X, K, random_state=0, final_assign=False, init_per_centroid=3, n_init=1, sample_cost=0,
                      full_passes=old_passes)
    wrong = int(np.sum(old.labels != nearest(X, old.centers)))
    return {"mislabelled": wrong, "share": wrong / len(X)}


def run_sklearn(X: np.ndarray, K: int, A: int) -> tuple[dict, np.ndarray]:
    from sklearn.cluster import KMeans

    km, wall, cpu = timed(lambda: KMeans(n_clusters=K, random_state=SEED).fit(X))
    _, w2, c2 = timed(lambda: loop_picks(X, km.labels_, km.cluster_centers_, A))
    return {"wall": wall + w2, "cpu": cpu + c2, "n_iter": int(km.n_iter_)}, km.cluster_centers_


def run_minibatch(X: np.ndarray, K: int, A: int) -> tuple[dict, np.ndarray]:
    from sklearn.cluster import MiniBatchKMeans

    def fit():
        km = MiniBatchKMeans(n_clusters=K, random_state=SEED).fit(X)
        return km, km.predict(X)

    (km, labels), wall, cpu = timed(fit)
    _, w2, c2 = timed(lambda: loop_picks(X, labels, km.cluster_centers_, A))
    return {"wall": wall + w2, "cpu": cpu + c2, "n_iter": int(km.n_iter_)}, km.cluster_centers_


def run_faiss(X: np.ndarray, K: int, A: int) -> tuple[dict, np.ndarray]:
    import faiss

    def fit():
        km = faiss.Kmeans(X.shape[1], K, niter=20, seed=SEED + 1)
        km.train(X)
        _, lab = km.index.search(X, 1)
        return km.centroids, lab[:, 0]

    (centres, labels), wall, cpu = timed(fit)
    _, w2, c2 = timed(lambda: loop_picks(X, labels, centres, A))
    return {"wall": wall + w2, "cpu": cpu + c2}, centres


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", nargs="+", default=["real-src", "real-rows", "synth:70000", "synth:1000000"])
    ap.add_argument("--ks", type=int, nargs="+", default=[7, 100, 1000])
    ap.add_argument("--methods", nargs="+", default=["ours", "sklearn", "minibatch", "faiss"])
    ap.add_argument("--sklearn-max-nk", type=float, default=2.5e7)
    ap.add_argument("--threads", type=int, default=1, help="BLAS / OpenMP threads for every method (default 1)")
    ap.add_argument("--mislabel", action="store_true", help="also measure the old default's mislabelled share")
    ap.add_argument("--json", type=str, default=None, help="append the rows to this JSON-lines file")
    ap.add_argument("--seed", type=int, default=0, help="random_state of every method (faiss: seed + 1)")
    ap.add_argument("--table", type=str, default=None, help="only print the table of this JSON-lines file")
    args = ap.parse_args()
    global SEED
    SEED = args.seed
    if args.table:
        print_table([json.loads(line) for line in Path(args.table).read_text().splitlines() if line.strip()])
        return
    import faiss

    faiss.omp_set_num_threads(args.threads)
    runners = {"ours": run_ours, "sklearn": run_sklearn, "minibatch": run_minibatch, "faiss": run_faiss}
    gflops = sgemm_gflops(args.threads)
    print(f"sgemm: {gflops:.1f} GFLOP/s per CPU-s ({args.threads} thread(s))", flush=True)
    rows = []
    for spec in args.data:
        X = load(spec)
        n = len(X)
        for K in args.ks:
            A = per_cluster(n, K)
            row: dict = {"data": spec, "n": n, "K": K, "A": A, "threads": args.threads, "seed": SEED,
                         "load1": os.getloadavg()[0], "sgemm_gflops": gflops,
                         "gemm_pass_cpu": 2 * n * K * X.shape[1] / gflops / 1e9}
            for name in args.methods:
                if name == "sklearn" and n * K > args.sklearn_max_nk:
                    row[name] = {"skipped": f"N·K > {args.sklearn_max_nk:g}"}
                    continue
                with threadpool_limits(args.threads):
                    res, centres = runners[name](X, K, A)
                res["inertia"] = full_inertia(X, centres)
                row[name] = res
            if args.mislabel:
                with threadpool_limits(args.threads):
                    row["mislabel"] = run_mislabel(X, K)
            row["load1_end"] = os.getloadavg()[0]
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.json:
                with open(args.json, "a") as fh:
                    fh.write(json.dumps(row) + "\n")
        del X
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    names = ["ours", "sklearn", "minibatch", "faiss"]
    print("\n| data | N | K | load | " + " | ".join(f"{m} s (CPU s)" for m in names)
          + " | ours / best inertia | faiss / ours CPU | ours CPU / one GEMM pass | old default mislabelled |")
    print("|---|---|---|---|" + "---|" * len(names) + "---|---|---|---|")
    for r in rows:
        cells = []
        for m in names:
            v = r.get(m)
            cells.append("—" if v is None else "skipped" if "skipped" in v else f"{v['wall']:.1f} ({v['cpu']:.1f})")
        base = [r[m]["inertia"] for m in names[1:] if m in r and "inertia" in r[m]]
        ratio = f"{r['ours']['inertia'] / min(base):.4f}" if base and "ours" in r else "—"
        sp = f"{r['faiss']['cpu'] / r['ours']['cpu']:.1f}×" if "faiss" in r and "ours" in r else "—"
        limit = f"{r['ours']['cpu'] / r['gemm_pass_cpu']:.1f}" if "ours" in r else "—"
        load = f"{r['load1']:.1f}–{r.get('load1_end', r['load1']):.1f}"
        mis = f"{r['mislabel']['mislabelled']:,} ({r['mislabel']['share']:.1%})" if "mislabel" in r else "—"
        seed = f" (seed {r['seed']})" if r.get("seed") else ""
        print(f"| {r['data']}{seed} | {r['n']:,} | {r['K']} | {load} | " + " | ".join(cells)
              + f" | {ratio} | {sp} | {limit} | {mis} |")


if __name__ == "__main__":
    main()
