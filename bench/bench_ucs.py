"""UCS selection speed and k-means quality: ours vs scikit-learn and faiss.

For each N in --sizes and K in --ks, on synthetic clustered float32 data (d=384, 2,000
Gaussian blobs of Zipf-like sizes, seed 0), it times the whole selection given the
embeddings (clustering, distances, per-cluster picks: alpha=0, beta=1, A=0.3·N/K):

  ours     UCSSelector(distance="euclidean").fit, in a fresh subprocess (peak RSS = data + fit)
  sklearn  sklearn.cluster.KMeans(n_clusters=K) with default settings + a Python loop
           over clusters for the picks (skipped where N·K > --sklearn-max-nk; then
           k-means++ seeding alone is timed at K/10 and scaled to give a lower bound)
  faiss    faiss.Kmeans(d, K, niter=20) (trains on a 256·K sample) + the same loop

Quality: full-data inertia (sum of squared L2 distances of every point to its nearest
centre), measured identically for all three with a faiss IndexFlatL2 search.
Wall time and CPU time (all threads) are both reported: on a shared machine wall time
depends on the load, printed with each row.

Run:  .venv/bin/python bench/bench_ucs.py            (all sizes; ~20+ min on 2 cores)
      .venv/bin/python bench/bench_ucs.py --sizes 70000 --ks 7 100
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

D = 384


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


def full_inertia(X: np.ndarray, centres: np.ndarray) -> float:
    import faiss

    index = faiss.IndexFlatL2(X.shape[1])
    index.add(np.ascontiguousarray(centres, dtype=np.float32))
    total = 0.0
    for a in range(0, len(X), 200_000):
        dist, _ = index.search(X[a : a + 200_000], 1)
        total += float(dist.sum(dtype=np.float64))
    return total


def loop_picks(X: np.ndarray, labels: np.ndarray, centres: np.ndarray, A: int) -> np.ndarray:
    """The straightforward per-cluster loop a notebook would write (hard picks)."""
    chosen = []
    for k in range(len(centres)):
        members = np.flatnonzero(labels == k)
        dist = np.linalg.norm(X[members] - centres[k], axis=1)
        chosen.append(members[np.argsort(dist)[::-1][:A]])
    return np.sort(np.concatenate(chosen))


def per_cluster(n: int, K: int) -> int:
    return max(1, round(0.3 * n / K))


def timed(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def child_ours(n: int, K: int, distance: str, centres_path: str) -> None:
    """Fresh process: make the data, time ours, print JSON (peak RSS includes X)."""
    from selection.core.ucs import UCSSelector

    _reset_peak_rss()  # ru_maxrss would include the parent's RSS inherited at fork
    X = make_data(n)
    tasks = np.zeros(n, dtype=np.int8)
    rss_data = _peak_rss_mb()
    sel = UCSSelector(n_clusters=K, per_cluster=per_cluster(n, K), alpha=0.0, beta=1.0,
                      distance=distance, random_state=0)
    _, wall, cpu = timed(lambda: sel.fit(X, tasks))
    np.save(centres_path, sel.cluster_centers_)
    print(json.dumps({
        "wall": wall, "cpu": cpu, "selected": int(len(sel.selected_indices_)),
        "rss_peak_mb": _peak_rss_mb(),
        "rss_after_data_mb": rss_data, "data_mb": X.nbytes / 2**20,
    }))


def _reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as fh:  # Linux: "5" resets VmHWM
        fh.write("5")


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(n: int, K: int, distance: str = "euclidean") -> tuple[dict, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "centres.npy")
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n), str(K), distance, path],
            capture_output=True, text=True, check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1]), np.load(path)


def run_sklearn(X: np.ndarray, K: int, A: int) -> tuple[dict, np.ndarray]:
    from sklearn.cluster import KMeans

    km, wall, cpu = timed(lambda: KMeans(n_clusters=K).fit(X))
    _, w2, c2 = timed(lambda: loop_picks(X, km.labels_, km.cluster_centers_, A))
    return {"wall": wall + w2, "cpu": cpu + c2, "n_iter": int(km.n_iter_)}, km.cluster_centers_


def estimate_sklearn_init(X: np.ndarray, K: int) -> dict:
    """sklearn's greedy k-means++ costs ∝ N·K·(2+ln K): time it on at most 50,000 rows
    at K/10 centres and scale up (a lower bound for the whole fit: Lloyd comes on top)."""
    from sklearn.cluster import kmeans_plusplus

    k_small = max(2, K // 10)
    n_sub = min(len(X), 50_000)
    _, wall, cpu = timed(lambda: kmeans_plusplus(X[:n_sub], k_small, random_state=0))
    scale = (len(X) / n_sub) * (K * (2 + np.log(K))) / (k_small * (2 + np.log(k_small)))
    return {"init_only_wall_est": wall * scale, "init_only_cpu_est": cpu * scale,
            "measured_k": k_small, "measured_n": n_sub}


def run_faiss(X: np.ndarray, K: int, A: int) -> tuple[dict, np.ndarray]:
    import faiss

    def fit():
        km = faiss.Kmeans(X.shape[1], K, niter=20, seed=1)
        km.train(X)
        _, lab = km.index.search(X, 1)
        return km.centroids, lab[:, 0]

    (centres, labels), wall, cpu = timed(fit)
    _, w2, c2 = timed(lambda: loop_picks(X, labels, centres, A))
    return {"wall": wall + w2, "cpu": cpu + c2}, centres


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[70_000, 1_000_000])
    ap.add_argument("--ks", type=int, nargs="+", default=[7, 100, 1000])
    ap.add_argument("--sklearn-max-nk", type=float, default=1.1e8)
    ap.add_argument("--cosine-too", action="store_true", help="also time ours with cosine")
    ap.add_argument("--json", type=str, default=None)
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        X = make_data(n)
        for K in args.ks:
            A = per_cluster(n, K)
            load = os.getloadavg()[0]
            ours, c_ours = run_ours(n, K)
            ours["inertia"] = full_inertia(X, c_ours)
            row = {"n": n, "K": K, "A": A, "load1": load, "ours": ours}
            if args.cosine_too:
                row["ours_cosine"] = run_ours(n, K, "cosine")[0]
            fa, c_fa = run_faiss(X, K, A)
            fa["inertia"] = full_inertia(X, c_fa)
            row["faiss"] = fa
            if n * K <= args.sklearn_max_nk:
                sk, c_sk = run_sklearn(X, K, A)
                sk["inertia"] = full_inertia(X, c_sk)
                row["sklearn"] = sk
            else:
                row["sklearn"] = {"skipped": True, **estimate_sklearn_init(X, K)}
            rows.append(row)
            print(json.dumps(row), flush=True)
        del X
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    print("\n| N | K | load | ours s (cpu s) | faiss s (cpu s) | sklearn s (cpu s) | "
          "faiss/ours time | inertia ours/faiss | inertia ours/sklearn | ours peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        o, f, s = r["ours"], r["faiss"], r["sklearn"]
        if s.get("skipped"):
            sk = f"skipped; k-means++ alone ≈{s['init_only_wall_est']:.0f} (est.)"
            ratio_sk = "n/a"
        else:
            sk = f"{s['wall']:.1f} ({s['cpu']:.1f})"
            ratio_sk = f"{o['inertia'] / s['inertia']:.4f}"
        print(f"| {r['n']:,} | {r['K']} | {r['load1']:.1f} | {o['wall']:.1f} ({o['cpu']:.1f}) | "
              f"{f['wall']:.1f} ({f['cpu']:.1f}) | {sk} | {f['wall'] / o['wall']:.1f}× | "
              f"{o['inertia'] / f['inertia']:.4f} | {ratio_sk} | {o['rss_peak_mb']:.0f} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_ours(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        main()
