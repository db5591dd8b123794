"""How long the study report takes to build from judgment records (the cost of one live-page refresh after a
new judgment; unchanged studies are served from the cache).

Synthetic study: 2 systems, 3 tasks, N pairs, 8 raters (6 careful with per-item truth, a random clicker and an
always-left rater, so both rater versions are computed), pairwise + accuracy + one Likert scale, 1000 bootstrap
resamples for every interval (agreement, win rates, Bradley-Terry, metrics), per task and overall. The agreement
bootstrap's own ratio against the `krippendorff` package is in bench_agreement.py.

    DJANGO_SETTINGS_MODULE=deft_site.settings.test .venv/bin/python bench/bench_report.py
"""
from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deft_site.settings.test")
import django  # noqa: E402

django.setup()
from annotation import reports  # noqa: E402


def records(n_items: int, seed: int = 0) -> tuple[list[dict], dict]:
    rng = random.Random(seed)
    raters = [f"r{i}" for i in range(6)] + ["clicker", "lefty"]
    out = []
    for item in range(n_items):
        truth = "A" if rng.random() < 0.75 else "B"
        for r in rng.sample(raters, 3):
            left, right = ("A", "B") if rng.random() < 0.5 else ("B", "A")
            if r == "clicker":
                ans = rng.choice(["left", "right", "tie"])
            elif r == "lefty":
                ans = "left"
            else:
                win = truth if rng.random() < 0.9 else ({"A": "B", "B": "A"}[truth])
                ans = "left" if left == win else "right"
            out.append({"item": item, "rater": r, "left_system": left, "right_system": right, "system_a": "A",
                        "system_b": "B", "answer": ans, "accurate_left": ans == "left", "accurate_right": ans == "right",
                        "likert": {"fluency": {"left": rng.randint(1, 5), "right": rng.randint(1, 5)}},
                        "seconds": rng.uniform(3, 20), "is_control": False, "task": ("gec", "simp", "para")[item % 3],
                        "submitted_at": "2025-01-01T00:00:00"})
    scores = {(i, s): {"sari": rng.uniform(20, 50), "rougeL": rng.random()} for i in range(n_items) for s in "AB"}
    return out, scores


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    meta = {"systems": ["A", "B"], "questions": {"pairwise": True, "accuracy": True,
                                                 "likert": [{"key": "fluency", "label": "Fluency", "min": 1, "max": 5}]}}
    for n in (100, 400, 1600):
        recs, scores = records(n)
        seconds = timed(lambda: reports.build_report(recs, meta=meta, scores=scores, bootstrap=1000))
        print(f"{n} pairs, {len(recs)} judgments: report with 1000-resample intervals {seconds:.2f} s")


if __name__ == "__main__":
    main()
