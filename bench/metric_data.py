"""What the metric benchmarks (``bench_metrics.py``, ``bench_corpus_sari.py``) share: the rows they score, the
timer, and how a section of ``bench/RESULTS.md`` is replaced.

``eval_rows(n, n_refs)`` takes the real evaluation sets (``../shared/data/coedit/eval/eval_sets.jsonl``: rows
with at least ``n_refs`` non-blank references, the reference list rotated on each pass so repeated sources
get different reference subsets) or, where that file is absent, synthetic rows; each output perturbs the
source or one reference (drop, swap, duplicate, insert a word, or upper-case one), seeded.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
EVAL_SETS = ROOT.parent / "shared" / "data" / "coedit" / "eval" / "eval_sets.jsonl"
_INSERTED = ("the", "very", "also", "which")


def perturb(text: str, rng: random.Random) -> str:
    """A deterministic system-like output: up to three word edits."""
    words = text.split()
    for _ in range(rng.randint(0, 3)):
        if not words:
            break
        i = rng.randrange(len(words))
        op = rng.random()
        if op < 0.3:
            del words[i]
        elif op < 0.5 and i + 1 < len(words):
            words[i], words[i + 1] = words[i + 1], words[i]
        elif op < 0.65:
            words.insert(i, words[i])
        elif op < 0.85:
            words.insert(i, rng.choice(_INSERTED))
        else:
            words[i] = words[i].upper()
    return " ".join(words)


def eval_rows(n: int, n_refs: int, seed: int = 0) -> tuple[list[str], list[str], list[list[str]], str]:
    """(sources, outputs, references, a description of where they came from) for ``n`` examples."""
    rng = random.Random(seed)
    if EVAL_SETS.exists():
        with EVAL_SETS.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh]
        rows = [r for r in rows if len(r["refs"]) >= n_refs and all(x.strip() for x in r["refs"])]
        source = f"{EVAL_SETS.name} ({len(rows)} rows with >= {n_refs} references, reference lists rotated)"
    else:
        vocab = [f"w{i}" for i in range(3000)] + [",", ".", "the", "a", "of"]
        rows = [{"src": " ".join(rng.choices(vocab, k=rng.randint(5, 40))),
                 "refs": [" ".join(rng.choices(vocab, k=rng.randint(5, 40))) for _ in range(n_refs)]}
                for _ in range(3000)]
        source = "synthetic rows"
    srcs, preds, refs = [], [], []
    for i in range(n):
        row = rows[i % len(rows)]
        k = (i // len(rows)) % len(row["refs"])
        rotated = row["refs"][k:] + row["refs"][:k]
        srcs.append(row["src"])
        refs.append(rotated[:n_refs])
        preds.append(perturb(rng.choice([row["src"], *rotated]), rng))
    return srcs, preds, refs, source


def timed(fn, repeat: int = 1, before=None):
    """(best wall seconds, best CPU seconds of this process, last value) over ``repeat`` runs."""
    best, best_cpu, value = float("inf"), float("inf"), None
    for _ in range(repeat):
        if before:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        value = fn()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return best, best_cpu, value


def write_section(title: str, body: str) -> None:
    """Replace the ``## title`` section of bench/RESULTS.md with ``body`` (append it when there is none)."""
    head = f"## {title}"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    section = f"{head}\n\n{body}\n"
    if head in text:
        start = text.index(head)
        end = text.find("\n## ", start + len(head))
        text = text[:start] + section + (text[end:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")
