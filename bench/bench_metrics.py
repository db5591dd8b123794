"""Benchmark: our SARI and ROUGE-L against the straightforward baselines, on 10,000 examples x 4 references.

Baselines, run in this same script: the naive evaluate-style SARI (tests/selection/core/test_metrics_reference.py,
a step-by-step mirror of huggingface/evaluate metrics/sari/sari.py) and rouge-score's RougeScorer.score_multi.
Values must agree to 1e-9. Our timings are with the tokenisation caches cleared (a cold call).

    .venv/bin/python bench/bench_metrics.py [--n 10000] [--write]
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from metric_data import eval_rows, timed, write_section  # noqa: E402
from rouge_score import rouge_scorer  # noqa: E402
from sacrebleu.tokenizers.tokenizer_re import TokenizerRegexp  # noqa: E402

from selection.core.metrics import rouge_l_scores, sari_scores  # noqa: E402
from selection.core.metrics.sari import _split_raw_token  # noqa: E402
from selection.core.metrics.sari_reference import reference_sari_sentence  # noqa: E402

N_REFS = 4
COMMAND = "`nice -n 10 .venv/bin/python bench/bench_metrics.py --write`"


def _clear_caches() -> None:
    _split_raw_token.cache_clear()
    TokenizerRegexp.__call__.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    srcs, preds, refs, source = eval_rows(args.n, N_REFS)
    load_before = os.getloadavg()[0]
    sari_scores(srcs[:50], preds[:50], refs[:50])  # warm imports and numpy

    t_sari_ref, c_sari_ref, sari_ref = timed(lambda: 100 * np.array(
        [reference_sari_sentence(s, p, r) for s, p, r in zip(srcs, preds, refs)]))
    t_sari, c_sari, ours = timed(lambda: sari_scores(srcs, preds, refs), repeat=3, before=_clear_caches)
    got = np.stack([ours.sari, ours.add, ours.keep, ours.delete], axis=1)
    sari_diff = float(np.max(np.abs(got - sari_ref)))
    assert sari_diff <= 1e-9, sari_diff

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    t_rouge_ref, c_rouge_ref, rouge_ref = timed(lambda: np.array(
        [scorer.score_multi(r, p)["rougeL"].fmeasure for p, r in zip(preds, refs)]))
    t_rouge, c_rouge, rouge = timed(lambda: rouge_l_scores(preds, refs), repeat=3)
    rouge_diff = float(np.max(np.abs(rouge - rouge_ref)))
    assert rouge_diff <= 1e-9, rouge_diff

    load_after = os.getloadavg()[0]
    lines = [
        f"Command: {COMMAND} (single process, 2-core machine shared with other work, so absolute times are "
        "noisy).",
        "",
        f"Data: {args.n} examples x {N_REFS} references from {source}; predictions perturb a source or reference.",
        "",
        "| metric | baseline | baseline s | ours s | speed-up | CPU s (baseline / ours) | CPU speed-up "
        "| max abs diff | corpus value |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| SARI (+ add/keep/del) | naive evaluate-style sari | {t_sari_ref:.2f} | {t_sari:.3f} | "
        f"{t_sari_ref / t_sari:.1f}x | {c_sari_ref:.2f} / {c_sari:.3f} | {c_sari_ref / c_sari:.1f}x | "
        f"{sari_diff:.1e} | {ours.sari.mean():.4f} |",
        f"| ROUGE-L | rouge_score RougeScorer.score_multi | {t_rouge_ref:.2f} | {t_rouge:.3f} | "
        f"{t_rouge_ref / t_rouge:.1f}x | {c_rouge_ref:.2f} / {c_rouge:.3f} | {c_rouge_ref / c_rouge:.1f}x | "
        f"{rouge_diff:.1e} | {rouge.mean():.4f} |",
        "",
        "Seconds are the best of 3 runs for ours (tokenisation caches cleared before each) and one run for the "
        "baselines. The machine is shared (load average, 1 min, before / after: "
        f"{load_before:.2f} / {load_after:.2f} on 2 cores), so wall time includes waiting for a CPU; the "
        "targets are judged on CPU time of the process, the steadier figure.",
        "",
        f"Targets (CPU time): SARI >= 10x {'met' if c_sari_ref / c_sari >= 10 else 'NOT met'}, "
        f"ROUGE-L >= 3x {'met' if c_rouge_ref / c_rouge >= 3 else 'NOT met'} in this run.",
    ]
    print("\n".join(lines))
    if args.write:
        write_section("Automatic metrics (SARI, ROUGE-L)", "\n".join(lines))


if __name__ == "__main__":
    main()
