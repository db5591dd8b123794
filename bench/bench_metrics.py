"""Benchmark: our SARI and ROUGE-L against the straightforward baselines, on 10,000 examples x 4 references.

Baselines, run in this same script: the naive evaluate-style SARI (tests/selection/core/test_metrics_reference.py,
a step-by-step mirror of huggingface/evaluate metrics/sari/sari.py) and rouge-score's RougeScorer.score_multi.
Values must agree to 1e-9. Our timings are with the tokenisation caches cleared (a cold call).

    .venv/bin/python bench/bench_metrics.py [--n 10000] [--write]
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rouge_score import rouge_scorer  # noqa: E402
from sacrebleu.tokenizers.tokenizer_re import TokenizerRegexp  # noqa: E402

from selection.core.metrics import rouge_l_scores, sari_scores  # noqa: E402
from selection.core.metrics.sari import _split_raw_token  # noqa: E402
from selection.core.metrics.sari_reference import reference_sari_sentence  # noqa: E402

EVAL_SETS = ROOT.parent / "shared" / "data" / "coedit" / "eval" / "eval_sets.jsonl"
N_REFS = 4


def _perturb(text: str, rng: random.Random) -> str:
    """A deterministic system-like output: drop, swap, duplicate or case-change a few words."""
    words = text.split()
    for _ in range(rng.randint(0, 3)):
        if not words:
            break
        i = rng.randrange(len(words))
        op = rng.random()
        if op < 0.35:
            del words[i]
        elif op < 0.6 and i + 1 < len(words):
            words[i], words[i + 1] = words[i + 1], words[i]
        elif op < 0.8:
            words.insert(i, words[i])
        else:
            words[i] = words[i].upper()
    return " ".join(words)


def build(n: int, seed: int = 0):
    rng = random.Random(seed)
    if EVAL_SETS.exists():
        rows = [json.loads(line) for line in EVAL_SETS.open()]
        rows = [r for r in rows if len(r["refs"]) >= N_REFS]
        source = f"{EVAL_SETS.name} ({len(rows)} rows with >= {N_REFS} refs, reference subsets rotated)"
    else:
        vocab = [f"w{i}" for i in range(3000)] + [",", ".", "the", "a", "of"]
        rows = [{"src": " ".join(rng.choices(vocab, k=rng.randint(5, 40))),
                 "refs": [" ".join(rng.choices(vocab, k=rng.randint(5, 40))) for _ in range(8)]}
                for _ in range(3000)]
        source = "synthetic"
    srcs, preds, refs = [], [], []
    for i in range(n):
        row = rows[i % len(rows)]
        k = (i // len(rows)) % len(row["refs"])
        rotated = row["refs"][k:] + row["refs"][:k]
        srcs.append(row["src"])
        refs.append(rotated[:N_REFS])
        preds.append(_perturb(rng.choice([row["src"], *rotated]), rng))
    return srcs, preds, refs, source


def _clear_caches() -> None:
    _split_raw_token.cache_clear()
    TokenizerRegexp.__call__.cache_clear()


def timed(fn, repeat: int = 1, before=None):
    """Best wall-clock seconds, best CPU seconds of this process (steadier on a shared machine), last value."""
    best, best_cpu, value = float("inf"), float("inf"), None
    for _ in range(repeat):
        if before:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        value = fn()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return best, best_cpu, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    srcs, preds, refs, source = build(args.n)
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

    lines = [
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
        "baselines; wall-clock is the speed-up claimed, CPU time of the process is shown because other work "
        "shares the machine.",
        "",
        f"Targets: SARI >= 10x {'met' if t_sari_ref / t_sari >= 10 else 'NOT met'}, "
        f"ROUGE-L >= 3x {'met' if t_rouge_ref / t_rouge >= 3 else 'NOT met'} in this run.",
    ]
    print("\n".join(lines))
    if args.write:
        _write_section("\n".join(lines))


def _write_section(body: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    title = "## Automatic metrics (SARI, ROUGE-L)"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    section = (f"{title}\n\nCommand: `.venv/bin/python bench/bench_metrics.py --write` "
               f"(single process, 2-core machine shared with other work, so absolute times are noisy).\n\n"
               f"{body}\n")
    if title in text:
        start = text.index(title)
        end = text.find("\n## ", start + len(title))
        text = text[:start] + section + ("\n" + text[end + 1:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


if __name__ == "__main__":
    main()
