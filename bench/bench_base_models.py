"""Offline base models on the real test sets: the copy baseline, the tiny T5 from scratch and the edit tagger.

    nice -n 10 .venv/bin/python bench/bench_base_models.py [--train-rows N] [--epochs E] [--t5-steps S]
        [--variants mlp,layer] [--out bench/out/bench_base_models.json]

Trains on ``shared/data/coedit/train_pool.jsonl`` (a random ``--train-rows`` of it, all by default) and scores
on the test sets of ``shared/data/coedit/eval/eval_sets.jsonl`` (ASSET, TurkCorpus, JFLEG, IteraTeR fluency /
clarity / coherence) with the platform's metrics, one torch thread for every model. Beside each score: the
system's deletion and insertion rates (share of source words deleted, share of word slots given an
insertion, by the tagger's own alignment) and the same rates of the references (mean over references), which
is the check that a model does not win a metric by deleting. CPU seconds are given beside wall seconds (the
machine is shared). Prints a Markdown table for bench/RESULTS.md and docs/reproduction.md.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from selection.core import tagger  # noqa: E402
from selection.core.benchmarks import coedit_eval_rows, headline_metric  # noqa: E402
from selection.core.generation import generate  # noqa: E402
from selection.core.text import strip_instruction  # noqa: E402
from selection.core.training import TrainingConfig, train  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "coedit"


def load(train_rows: int | None, seed: int = 0):
    pool = [json.loads(line) for line in (DATA / "train_pool.jsonl").open()]
    random.Random(seed).shuffle(pool)
    if train_rows:
        pool = pool[:train_rows]
    train_ex = [{"id": r["_id"], "src": r["src"], "tgt": r["tgt"]} for r in pool]
    evals = coedit_eval_rows(json.loads(line) for line in (DATA / "eval" / "eval_sets.jsonl").open())
    return train_ex, evals


def metrics_for(srcs, preds, refs) -> dict[str, float]:
    from selection.core import metrics as m

    _, corpus = m.score_rows(srcs, preds, refs)
    out = {"sari": corpus["sari"], "rouge_l": corpus["rouge_l"]}
    for name in ("corpus_sari", "corpus_gleu", "gleu"):  # the EASSE-compatible metrics, once they exist
        fn = getattr(m, name, None)
        if fn is not None:
            try:
                value = fn(srcs, preds, refs) if name != "gleu" else fn(srcs, preds, refs)
                out[name] = float(getattr(value, "score", value))
            except Exception:  # noqa: BLE001 - a metric whose signature differs is left out, not guessed
                pass
    rates = tagger.edit_rates(srcs, preds)
    out.update(rates)
    return out


def reference_rates(srcs, refs) -> dict[str, float]:
    per_ref = defaultdict(list)
    for s, rs in zip(srcs, refs):
        for r in rs:
            rates = tagger.edit_rates([s], [r])
            for k, v in rates.items():
                per_ref[k].append(v)
    return {k: float(np.mean(v)) for k, v in per_ref.items()}


def score_system(name: str, evals, preds, table: dict) -> None:
    groups = defaultdict(list)
    for i, row in enumerate(evals):
        groups[row["dataset"]].append(i)
    for bench, idx in sorted(groups.items()):
        srcs = [strip_instruction(evals[i]["src"]) for i in idx]
        refs = [evals[i]["refs"] for i in idx]
        table.setdefault(bench, {})[name] = metrics_for(srcs, [preds[i] for i in idx], refs)
        if "references" not in table[bench]:
            table[bench]["references"] = reference_rates(srcs, refs)


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    value = fn()
    return value, {"wall_s": round(time.perf_counter() - w, 1), "cpu_s": round(time.process_time() - c, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-rows", type=int, default=0)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--t5-steps", type=int, default=0)
    ap.add_argument("--variants", default="mlp")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--layer-lr-scale", type=float, default=0.1,
                    help="learning rate of the unfrozen encoder layers, as a share of --lr")
    ap.add_argument("--none-weight", type=float, default=1.0, help="loss weight of 'no insertion'")
    ap.add_argument("--delete-weight", type=float, default=1.0, help="loss weight of DELETE")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "bench_base_models.json"))
    ap.add_argument("--cache", default=str(ROOT / "var" / "data" / "features"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    tagger.CACHE_DIR = args.cache
    train_ex, evals = load(args.train_rows or None)
    srcs = [e["src"] for e in evals]
    table: dict = {}
    facts: dict = {"n_train": len(train_ex), "n_eval": len(evals), "epochs": args.epochs, "args": vars(args)}
    score_system("copy", evals, [strip_instruction(s) for s in srcs], table)
    work = Path(tempfile.mkdtemp(prefix="bench-base-"))
    variants = {"mlp": 0, "layer": 1, "layer2": 2, "layer3": 3}
    for variant in [v for v in args.variants.split(",") if v]:
        cfg = TrainingConfig(base_model=tagger.MINILM_TAGGER, epochs=args.epochs, learning_rate=args.lr,
                             batch_size=32, num_threads=1, log_every=50, max_source_length=96,
                             tagger_trainable_layers=variants[variant], checkpoint_every=10**6,
                             tagger_layer_lr_scale=args.layer_lr_scale, tagger_none_weight=args.none_weight,
                             tagger_delete_weight=args.delete_weight)
        result, t_train = timed(lambda: train(cfg, train_ex, work / f"tagger-{variant}"))
        preds, t_gen = timed(lambda: generate(result.final_dir, srcs, batch_size=64))
        name = f"tagger-{variant}"
        score_system(name, evals, preds, table)
        meta = json.loads((Path(result.final_dir) / tagger.CONFIG_FILE).read_text())
        facts[name] = {"train": t_train, "generate": t_gen, "steps": result.steps, "final_loss": result.final_loss,
                       "calibration": {k: v for k, v in meta.items() if k not in ("phrases", "encoder")},
                       "examples": [{"src": srcs[i], "out": preds[i]} for i in range(0, len(srcs), 300)]}
        print(name, facts[name], flush=True)
    if args.t5_steps:
        cfg = TrainingConfig(base_model="tiny-t5", max_steps=args.t5_steps, epochs=None, num_threads=1,
                             log_every=50, checkpoint_every=10**6)
        result, t_train = timed(lambda: train(cfg, train_ex, work / "tiny-t5"))
        preds, t_gen = timed(lambda: generate(result.final_dir, srcs, batch_size=64, max_new_tokens=96))
        score_system("tiny-t5", evals, preds, table)
        facts["tiny-t5"] = {"train": t_train, "generate": t_gen, "steps": result.steps,
                            "final_loss": result.final_loss,
                            "examples": [{"src": srcs[i], "out": preds[i]} for i in range(0, len(srcs), 300)]}
        print("tiny-t5", facts["tiny-t5"], flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"facts": facts, "table": table}, indent=2))
    print_table(table)


def print_table(table: dict) -> None:
    print("| benchmark | system | headline | SARI | ROUGE-L | deleted | inserted |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for bench, systems in table.items():
        head = headline_metric(bench)
        for name, m in systems.items():
            headline = m.get("corpus_gleu", m.get("gleu")) if head == "gleu" else m.get("corpus_sari", m.get("sari"))
            cells = [f"{headline:.2f}" if isinstance(headline, float) else "",
                     f"{m['sari']:.2f}" if "sari" in m else "", f"{m['rouge_l']:.3f}" if "rouge_l" in m else "",
                     f"{100 * m['delete_rate']:.1f} %", f"{100 * m['insert_rate']:.1f} %"]
            print(f"| {bench} | {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
