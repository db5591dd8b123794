"""Benchmark: adaptive allocation with a sequential stopping rule against fixed k, on simulated studies with
known truth (annotation.stats.allocation_sim, the rater model of ``simulate_raters``).

For each setting (number of systems, k, true preference p of each pair's first system) it runs ``--studies``
seeded studies under both designs, on the same votes, and reports: how often the two designs reach the same
decision (a, b or no difference), ratings used (mean, and the adaptive design's saving), and the error rate of
each design: the share of studies where it declared a winner that is not the true one (under p = 0.5 every
declaration is an error). Nominal level: alpha = 0.05 per study (split over its pairs).

    nice -n 10 .venv/bin/python bench/bench_adaptive.py --studies 25
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scipy import stats  # noqa: E402

from annotation.stats.allocation_sim import simulate_study  # noqa: E402

SETTINGS = [  # (systems, k, floor, p)
    (2, 3, 1, 0.5), (2, 3, 1, 0.6), (2, 3, 1, 0.7), (2, 3, 1, 0.8),
    (2, 5, 1, 0.5), (2, 5, 1, 0.7),
    (3, 3, 1, 0.5), (3, 3, 1, 0.75),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--studies", type=int, default=25, help="seeded studies per setting")
    ap.add_argument("--items", type=int, default=80, help="examples per study")
    ap.add_argument("--raters", type=int, default=6)
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--null", type=int, default=0,
                    help="extra studies under p = 0.5 (2 systems, k = 3) to pin down the error rate")
    ap.add_argument("--json", type=Path, default=None, help="write every study's result here")
    args = ap.parse_args()
    wall, cpu = time.perf_counter(), time.process_time()
    rows, everything = [], []
    print(f"{'setting':<22} {'studies':>7} {'same':>6} {'fixed':>7} {'adaptive':>8} {'saved':>6} "
          f"{'err fixed':>9} {'err adapt':>9} {'power f/a':>10}")
    settings = [(*s, args.studies, 0) for s in SETTINGS]
    if args.null:
        settings.append((2, 3, 1, 0.5, args.null, 10_000))
    for n_sys, k, floor, p, n_studies, first_seed in settings:
        res = [simulate_study(n_examples=args.items, p_a=p, n_systems=n_sys, cap=k, floor=floor,
                              raters=args.raters, alpha=args.alpha, seed=seed)
               for seed in range(first_seed, first_seed + n_studies)]
        everything += [{"systems": n_sys, "k": k, "floor": floor, "p": p, "seed": s, **r.to_dict()}
                       for s, r in enumerate(res)]
        same = sum(r.fixed == r.adaptive for r in res) / len(res)
        fr = sum(r.fixed_ratings for r in res) / len(res)
        ar = sum(r.adaptive_ratings for r in res) / len(res)
        err_f = sum(any(d is not None and d != r.truth[pr] for pr, d in r.fixed.items()) for r in res) / len(res)
        err_a = sum(any(d is not None and d != r.truth[pr] for pr, d in r.adaptive.items()) for r in res) / len(res)
        pow_f = sum(all(d == r.truth[pr] for pr, d in r.fixed.items()) for r in res) / len(res)
        pow_a = sum(all(d == r.truth[pr] for pr, d in r.adaptive.items()) for r in res) / len(res)
        setting = f"{n_sys} sys k={k} floor={floor} p={p}" + (" (null)" if first_seed else "")
        rows.append({"setting": setting, "studies": len(res), "same_decision": same, "fixed_ratings": fr,
                     "adaptive_ratings": ar, "saved": 1 - ar / fr, "error_fixed": err_f, "error_adaptive": err_a,
                     "correct_fixed": pow_f, "correct_adaptive": pow_a})
        print(f"{setting:<22} {len(res):>7} {same:>6.0%} {fr:>7.0f} {ar:>8.1f} {1 - ar / fr:>6.0%} "
              f"{err_f:>9.1%} {err_a:>9.1%} {pow_f:>4.0%}/{pow_a:<4.0%}", flush=True)
    n = sum(r["studies"] for r in rows)
    total_same = sum(r["same_decision"] * r["studies"] for r in rows) / n
    total_saved = 1 - sum(r["adaptive_ratings"] * r["studies"] for r in rows) / sum(
        r["fixed_ratings"] * r["studies"] for r in rows)
    worst = max(r["error_adaptive"] for r in rows)
    if args.null:
        null = rows[-1]
        errors = round(null["error_adaptive"] * null["studies"])
        upper = stats.beta.ppf(0.975, errors + 1, null["studies"] - errors) if errors < null["studies"] else 1.0
        print(f"null check: adaptive declared a winner in {errors} of {null['studies']} studies under p = 0.5 "
              f"({null['error_adaptive']:.1%}, 95% upper bound {upper:.1%}); fixed {null['error_fixed']:.1%}")
    print(f"\n{n} studies: same decision {total_same:.0%}, ratings saved {total_saved:.0%}, "
          f"adaptive error rate at most {worst:.1%} per setting (nominal {args.alpha:.0%}); "
          f"wall {time.perf_counter() - wall:.1f} s, CPU {time.process_time() - cpu:.1f} s, "
          f"load {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps({"summary": rows, "studies": everything}, indent=1))


if __name__ == "__main__":
    main()
