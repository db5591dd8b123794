"""Benchmark: rater competence and soft labels (annotation.stats.competence) against majority vote and against
crowd-kit's MACE and Dawid–Skene, on the same simulated studies with known truth
(annotation.stats.competence_sim, the rater model of ``simulate_raters``).

For each setting (careful / random-clicking / always-left raters, k raters per item) it runs ``--studies``
seeded studies of ``--items`` pairs and reports, per method: the share of pairs whose most probable label is the
true winner (majority vote: a tied plurality counts as right with probability 1 / number tied), the share of
studies in which every careful rater's competence is above every bad rater's (not defined for majority vote),
and the CPU seconds per study fit (threads pinned to 1). crowd-kit is a baseline only: it is imported when
installed (``pip install crowd-kit``, in requirements-bench.in) or found on ``--crowdkit-path``.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_competence.py --studies 50
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from annotation.stats.competence import LABELS, RaterCompetence, unit_label  # noqa: E402
from annotation.stats.competence_sim import simulate_preferences  # noqa: E402

SETTINGS = [  # (careful, random clickers, always-left, k)
    (3, 4, 3, 5),
    (3, 4, 3, 3),
    (5, 1, 1, 3),
    (6, 0, 0, 3),
]


def _answers(js: list) -> list[tuple]:
    out = []
    for j in js:
        unit, label = unit_label(j)
        out.append((unit, j.rater, LABELS[label]))
    return out


def majority(js: list, truth: dict) -> float:
    votes: dict = defaultdict(Counter)
    for unit, _, label in _answers(js):
        votes[unit][label] += 1
    score = 0.0
    for unit, c in votes.items():
        top = max(c.values())
        best = [lab for lab, n in c.items() if n == top]
        score += (truth[unit[0]] in best) / len(best)
    return score / len(votes)


def ours(model: str):  # noqa: ANN201
    def fit(js: list) -> tuple[dict, dict]:
        m = RaterCompetence(model=model, random_state=0).fit(js)
        return {u[0]: max(p, key=p.get) for u, p in m.posteriors_.items()}, m.competence_
    return fit


def crowdkit(model: str):  # noqa: ANN201
    import pandas as pd
    from crowdkit.aggregation import MACE, DawidSkene

    def fit(js: list) -> tuple[dict, dict]:
        rows = _answers(js)
        df = pd.DataFrame({"task": [str(u[0]) for u, _, _ in rows], "worker": [r for _, r, _ in rows],
                           "label": [lab for _, _, lab in rows]})
        if model == "mace":
            m = MACE(random_state=0).fit(df)
            workers = pd.factorize(df["worker"])[1]
            competence = dict(zip(workers, m.spamming_[:, 1], strict=True))  # P(not spamming): MACE's theta
        else:
            m = DawidSkene(n_iter=100).fit(df)
            competence = {}
            for w, g in df.groupby("worker"):  # expected accuracy under the fitted confusion matrix
                weights = m.probas_.loc[g["task"]].mean(axis=0)
                diag = {t: m.errors_.loc[(w, t), t] if (w, t) in m.errors_.index else 0.0 for t in weights.index}
                competence[w] = float(sum(weights[t] * diag[t] for t in weights.index))
        labels = m.probas_.idxmax(axis="columns")
        return {int(t): lab for t, lab in labels.items()}, competence
    return fit


def ranked(competence: dict) -> bool:
    careful = [c for r, c in competence.items() if r.startswith("careful")]
    bad = [c for r, c in competence.items() if not r.startswith("careful")]
    return not bad or min(careful) > max(bad)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--studies", type=int, default=50)
    ap.add_argument("--items", type=int, default=120)
    ap.add_argument("--crowdkit-path", default="", help="a folder holding the crowdkit package (baseline only)")
    args = ap.parse_args()
    if args.crowdkit_path:
        sys.path.insert(0, args.crowdkit_path)
    methods = {"ours: MACE": ours("mace"), "ours: Dawid-Skene": ours("dawid_skene")}
    try:
        import crowdkit as _  # noqa: F401
        methods |= {"crowd-kit 1.x: MACE": crowdkit("mace"), "crowd-kit 1.x: Dawid-Skene": crowdkit("ds")}
    except ImportError:
        print("crowd-kit not installed: its rows are left out")
    print(f"load average {os.getloadavg()[0]:.2f}; {args.studies} studies x {args.items} pairs per setting")
    print("| careful / random / always-left, k | method | true winner recovered | careful ranked first | CPU s per fit |")
    print("| --- | --- | --- | --- | --- |")
    for careful, rnd, left, k in SETTINGS:
        studies = [simulate_preferences(n_items=args.items, careful=careful, random=rnd, left=left, k=k, seed=s)
                   for s in range(args.studies)]
        name = f"{careful} / {rnd} / {left}, k={k}"
        mv = np.mean([majority(js, truth) for js, truth in studies])
        print(f"| {name} | majority vote | {mv:.3f} | — | — |")
        for label, fit in methods.items():
            acc, rank, cpu = [], [], 0.0
            for js, truth in studies:
                t = time.process_time()
                labels, competence = fit(js)
                cpu += time.process_time() - t
                acc.append(np.mean([labels[i] == truth[i] for i in truth if i in labels]))
                rank.append(ranked(competence))
            print(f"| {name} | {label} | {np.mean(acc):.3f} | {np.mean(rank):.0%} | {cpu / len(studies):.3f} |")


if __name__ == "__main__":
    main()
