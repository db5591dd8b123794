"""Training and generation throughput, and a demonstration that the tiny T5 learns word-level edits.

    .venv/bin/python bench/bench_training.py [--parts cpu,demo,gpu] [--threads 1,2] [--demo-steps 3000]

cpu:  training steps/s of the demo-sized model (2 layers, d_model 128, batch 32) on synthetic edit pairs,
      for each thread count; generation sentences/s (greedy, batch 32, length-sorted) against two baselines
      run here: batch size 1, and batches of 32 in input order (no length sorting); beam search 4.
demo: trains that model on 8,000 synthetic pairs and reports exact-match accuracy on 300 held-out pairs
      (sources never seen in training) at each checkpoint, with the training time spent to reach it.
gpu:  the same throughput figures for a Flan-T5-large-sized model built from its config (random weights;
      skipped without CUDA). ``--large-smoke`` runs that code path with a small config on the CPU.
Writes bench/out/bench_training.json and prints Markdown rows for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from selection.core.generation import clear_model_cache, generate, load_model  # noqa: E402
from selection.core.training import TrainingConfig, train  # noqa: E402
from selection.demo import synthetic_edit_examples  # noqa: E402

DEMO = dict(num_layers=2, d_model=128, d_ff=512, num_heads=4, batch_size=32, learning_rate=2e-3)
FLAN_T5_LARGE = dict(d_model=1024, d_kv=64, num_layers=24, num_decoder_layers=24, num_heads=16, d_ff=2816,
                     feed_forward_proj="gated-gelu", vocab_size=32128, tie_word_embeddings=False)
SMOKE_LARGE = dict(FLAN_T5_LARGE, d_model=64, num_layers=2, num_decoder_layers=2, num_heads=2, d_kv=32, d_ff=128)


def timed_train(cfg: TrainingConfig, examples, run_dir, skip: int = 10) -> dict:
    """Train and return steps/s measured after the first ``skip`` steps (set-up and warm-up excluded)."""
    stamps: dict[int, float] = {}
    t0 = time.perf_counter()
    result = train(cfg, examples, run_dir, progress=lambda s, t, loss: stamps.setdefault(s, time.perf_counter()))
    last = max(stamps)
    rate = (last - skip) / (stamps[last] - stamps[skip])
    return {"steps_per_s": rate, "examples_per_s": rate * cfg.batch_size * cfg.grad_accumulation,
            "steps": last, "wall_s": time.perf_counter() - t0, "final_loss": result.final_loss,
            "final_dir": result.final_dir, "device": result.device, "precision": result.precision,
            "num_parameters": result.num_parameters}


def unsorted_generate(model_dir, srcs, batch_size, max_new_tokens) -> list[str]:
    """Baseline: the same batched greedy decoding, batches taken in input order."""
    import torch

    model, tok = load_model(model_dir)
    out = []
    for i in range(0, len(srcs), batch_size):
        enc = tok(srcs[i:i + batch_size], return_tensors="pt", padding=True).to(model.device)
        with torch.inference_mode():
            ids = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1)
        out += [t.strip() for t in tok.batch_decode(ids, skip_special_tokens=True)]
    return out


def gen_rate(fn, n: int) -> float:
    t0 = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t0)


def mixed_length_sources(n: int, seed: int) -> list[str]:
    """Synthetic sources of 1 to 4 sentences, so that length sorting has something to sort."""
    pairs = synthetic_edit_examples(4 * n, seed=seed)
    return [" ".join(p["src"] for p in pairs[4 * i:4 * i + 1 + i % 4]) for i in range(n)]


def bench_generation(model_dir, n: int, max_new_tokens: int, batch: int = 32) -> dict:
    srcs = mixed_length_sources(n, seed=11)
    load_model(model_dir)  # load once, outside the timings
    generate(model_dir, srcs[:batch], batch_size=batch, max_new_tokens=max_new_tokens)  # warm-up
    sorted_out: list[str] = []
    res = {"n": n, "max_new_tokens": max_new_tokens, "batch_size": batch}
    res["sorted_batched"] = gen_rate(lambda: sorted_out.extend(
        generate(model_dir, srcs, batch_size=batch, max_new_tokens=max_new_tokens)), n)
    res["unsorted_batched"] = gen_rate(lambda: unsorted_generate(model_dir, srcs, batch, max_new_tokens), n)
    k = max(32, n // 4)  # batch size 1 is slow: time a quarter
    res["batch_1"] = gen_rate(lambda: generate(model_dir, srcs[:k], batch_size=1, max_new_tokens=max_new_tokens), k)
    res["beam4_sorted_batched"] = gen_rate(
        lambda: generate(model_dir, srcs, batch_size=batch, num_beams=4, max_new_tokens=max_new_tokens), n)
    return res


def part_cpu(threads: list[int], out: dict) -> str:
    examples = synthetic_edit_examples(4000, seed=0)
    for n_threads in threads:
        cfg = TrainingConfig(**DEMO, max_steps=110, log_every=1, checkpoint_every=10_000, num_threads=n_threads)
        with tempfile.TemporaryDirectory() as tmp:
            tr = timed_train(cfg, examples, tmp)
            clear_model_cache()
            gen = bench_generation(tr["final_dir"], n=256, max_new_tokens=64)
            clear_model_cache()
        tr.pop("final_dir")
        out[f"cpu_threads_{n_threads}"] = {"train": tr, "generate": gen}
    return "cpu done"


def part_demo(steps: int, threads: int | None, out: dict, keep_dir: str | None) -> None:
    train_ex = synthetic_edit_examples(8000, seed=0)
    seen = {e["src"] for e in train_ex}
    held_out = [e for e in synthetic_edit_examples(2000, seed=1) if e["src"] not in seen][:300]
    cfg = TrainingConfig(**DEMO, max_steps=steps, log_every=50, checkpoint_every=max(1, steps // 6),
                         keep_checkpoints=10, num_threads=threads)
    run_dir = keep_dir or tempfile.mkdtemp(prefix="demo-")
    stamps: dict[int, float] = {}
    t0 = time.perf_counter()
    train(cfg, train_ex, run_dir, progress=lambda s, t, loss: stamps.setdefault(s, time.perf_counter() - t0))
    rows = []
    ckpts = sorted(Path(run_dir, "checkpoints").glob("step-*"), key=lambda p: int(p.name[5:]))
    for path in ckpts + [Path(run_dir, "final")]:
        step = steps if path.name == "final" else int(path.name[5:])
        preds = generate(path, [e["src"] for e in held_out], batch_size=64, max_new_tokens=64)
        clear_model_cache()
        hits = [p == e["tgt"] for p, e in zip(preds, held_out)]
        by_task = {}
        for e, h in zip(held_out, hits):
            by_task.setdefault(e["task"], []).append(h)
        rows.append({"step": step, "train_minutes": stamps.get(step, stamps[max(stamps)]) / 60,
                     "exact_match": sum(hits) / len(hits),
                     "by_task": {t: sum(v) / len(v) for t, v in sorted(by_task.items())}})
        print(json.dumps(rows[-1]), flush=True)
    out["demo"] = {"n_train": len(train_ex), "n_held_out": len(held_out), "steps": steps,
                   "config": cfg.to_dict(), "checkpoints": rows,
                   "examples": [{"src": e["src"], "pred": p, "tgt": e["tgt"]}
                                for e, p in list(zip(held_out, preds))[:6]]}


def part_large(shape: dict, out: dict, key: str, steps: int, n_gen: int) -> None:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    from selection.core.tokenizer import train_tokenizer

    examples = synthetic_edit_examples(4000, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp, "base")
        tok = train_tokenizer([e["src"] for e in examples] + [e["tgt"] for e in examples], vocab_size=2000)
        torch.manual_seed(0)
        model = T5ForConditionalGeneration(T5Config(**shape, pad_token_id=0, eos_token_id=1,
                                                    decoder_start_token_id=0))
        model.save_pretrained(base)
        tok.save_pretrained(base)
        del model
        cfg = TrainingConfig(base_model=str(base), batch_size=32, learning_rate=1e-4, max_steps=steps,
                             log_every=1, checkpoint_every=10_000, precision="auto")
        tr = timed_train(cfg, examples, Path(tmp, "run"), skip=min(5, steps - 2))
        gen = bench_generation(tr.pop("final_dir"), n=n_gen, max_new_tokens=64, batch=64)
        clear_model_cache()
    out[key] = {"shape": shape, "train": tr, "generate": gen,
                "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parts", default="cpu,demo,gpu")
    ap.add_argument("--threads", default="1,2", help="thread counts for the cpu part")
    ap.add_argument("--demo-steps", type=int, default=3000)
    ap.add_argument("--demo-threads", type=int, default=None)
    ap.add_argument("--demo-dir", default=None)
    ap.add_argument("--large-smoke", action="store_true", help="run the gpu code path with a small model on CPU")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    out: dict = {"load_average_start": os.getloadavg(), "cpus": len(os.sched_getaffinity(0))}
    if "cpu" in parts:
        part_cpu([int(t) for t in args.threads.split(",")], out)
    if "demo" in parts:
        part_demo(args.demo_steps, args.demo_threads, out, args.demo_dir)
    if "gpu" in parts:
        import torch

        if torch.cuda.is_available():
            part_large(FLAN_T5_LARGE, out, "gpu_flan_t5_large_shape", steps=40, n_gen=512)
        else:
            out["gpu_flan_t5_large_shape"] = "skipped: no CUDA GPU"
        if args.large_smoke:
            part_large(SMOKE_LARGE, out, "large_code_path_smoke_cpu", steps=8, n_gen=64)
    out["load_average_end"] = os.getloadavg()
    dest = Path(__file__).with_name("out")
    dest.mkdir(exist_ok=True)
    (dest / "bench_training.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
