"""Markdown tables of a ``manage.py reproduce --out DIR`` run, for docs/reproduction.md, and its plots as files.

    .venv/bin/python bench/reproduce_tables.py bench/out/reproduce [--svg-dir docs/reproduction]

Prints: the headline score per run and evaluation set (GLEU for JFLEG, SARI elsewhere; 95 % bootstrap
interval), deletion / insertion rates beside the references', the paired bootstrap of each model against
the full-data model on the headline metric, and that of the pairs the paper's claims compare. With ``--svg-dir`` writes the report's score-against-fraction
plots there as standalone .svg files.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETS = ["asset", "turkcorpus", "jfleg", "iterater-fluency", "iterater-clarity", "iterater-coherence"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--svg-dir")
    args = ap.parse_args()
    out = Path(args.out_dir)
    result = json.loads((out / "results.json").read_text())
    head = {s: ("gleu" if s == "jfleg" else "sari") for s in SETS}
    score, rate = {}, defaultdict(dict)
    runs = []
    for r in result["rows"]:
        if r["run"] not in runs:
            runs.append(r["run"])
        if r["eval_set"] in head and r["metric"] == head[r["eval_set"]]:
            score[(r["run"], r["eval_set"])] = r
        if r["metric"] in ("delete_rate", "insert_rate"):
            rate[(r["run"], r["eval_set"])][r["metric"]] = r["value"]
    cells = {c["run"]: c for c in result["cells"]}
    print("| run | rows trained | " + " | ".join(f"{s} ({head[s].upper()})" for s in SETS) + " |")
    print("|---|---|" + "---|" * len(SETS))
    for run in runs:
        if run == "references":
            continue
        frac = cells.get(run, {}).get("fraction")
        n = "" if not frac else f"{round(frac * result['n_train'])}"
        vals = []
        for s in SETS:
            r = score.get((run, s))
            vals.append("" if r is None else f"{r['value']:.2f} [{r['low']:.1f}, {r['high']:.1f}]"
                        if r["low"] is not None else f"{r['value']:.2f}")
        print(f"| {run} | {n} | " + " | ".join(vals) + " |")
    print()
    print("Deleted / inserted (share of source words deleted / of word slots given an insertion):\n")
    print("| run | " + " | ".join(SETS) + " |")
    print("|---|" + "---|" * len(SETS))
    for run in runs:
        vals = []
        for s in SETS:
            d = rate.get((run, s), {})
            vals.append(f"{100 * d.get('delete_rate', float('nan')):.0f} / {100 * d.get('insert_rate', float('nan')):.1f}")
        print(f"| {run} | " + " | ".join(vals) + " |")
    print()
    n_boot = int(result.get("settings", {}).get("n_boot") or 1000)

    def cell(p: dict) -> str:  # a bootstrap p of 0 means below one resample in n_boot
        pv = f"p < {1 / n_boot:.3f}" if p["p_value"] < 1 / n_boot else f"p {p['p_value']:.3f}"
        return f"{p['mean_diff']:+.2f} ({pv})"

    print("Paired bootstrap against the full-data model (headline metric; difference = run − full):\n")
    print("| run | " + " | ".join(SETS) + " |")
    print("|---|" + "---|" * len(SETS))
    vs_full: dict[str, dict[str, str]] = defaultdict(dict)
    for p in result["paired"]:
        if p["eval_set"] in head and p["metric"] == head[p["eval_set"]]:
            vs_full[p["run"]][p["eval_set"]] = cell(p)
    for run, by_set in vs_full.items():
        print(f"| {run} | " + " | ".join(by_set.get(s, "") for s in SETS) + " |")
    compared = result.get("compared") or []
    if compared:
        print("\nThe pairs the claims compare (paired bootstrap, headline metric; difference = run − against, "
              "p in brackets):\n")
        print("| claim | run | against | " + " | ".join(SETS) + " |")
        print("|---|---|---|" + "---|" * len(SETS))
        pairs: dict[tuple[str, str, str], dict[str, str]] = defaultdict(dict)
        for p in compared:
            if p["eval_set"] in head and p["metric"] == head[p["eval_set"]]:
                pairs[(p["claim"], p["run"], p["against_run"])][p["eval_set"]] = cell(p)
        for (claim, run, other), by_set in sorted(pairs.items()):
            print(f"| {claim} | {run} | {other} | " + " | ".join(by_set.get(s, "") for s in SETS) + " |")
    if args.svg_dir:
        target = Path(args.svg_dir)
        target.mkdir(parents=True, exist_ok=True)
        html = (out / "report.html").read_text()
        for i, svg in enumerate(re.findall(r"<svg.*?</svg>", html, flags=re.DOTALL)):
            title = re.search(r"<text[^>]*>([^<]*):", svg)
            name = re.sub(r"[^a-z0-9-]+", "-", (title.group(1) if title else f"plot-{i}").lower()).strip("-")
            if "xmlns" not in svg[:200]:
                svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
            (target / f"{name}.svg").write_text(svg)
            print(f"wrote {target / (name + '.svg')}", file=sys.stderr)


if __name__ == "__main__":
    main()
