"""Batched generation with any seq2seq model: a Hugging Face id or a local ``save_pretrained`` directory.

Sources are sorted by token length before batching so each batch pads little (much faster on long-tailed
inputs); outputs come back in input order. Loaded models are cached per (path, device) within the process,
so a worker generating for several datasets loads each model once.

No torch or transformers import happens at module import time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

ProgressFn = Callable[[int, int], None]


def load_model(path: str | os.PathLike[str], device: str | None = None) -> tuple[Any, Any]:
    """Return ``(model, tokenizer)`` for a model id or directory, in eval mode on ``device``.

    ``device`` defaults to CUDA when available, else the CPU. Cached: the same (path, device) returns the
    same objects; call ``load_model.cache_clear()`` (or ``clear_model_cache()``) to free them.
    """
    return _load_cached(_normalise_path(path), _resolve_device(device))


def clear_model_cache() -> None:
    """Forget every cached model (e.g. after a directory was overwritten by a new run)."""
    _load_cached.cache_clear()


load_model.cache_clear = clear_model_cache  # type: ignore[attr-defined]


def generate(
    model_path_or_dir: str | os.PathLike[str],
    srcs: Sequence[str],
    batch_size: int = 32,
    num_beams: int = 1,
    max_new_tokens: int = 64,
    progress: ProgressFn | None = None,
    device: str | None = None,
    max_source_length: int | None = 512,
) -> list[str]:
    """Generate one output per source, greedy (``num_beams=1``) or beam search, in input order.

    A directory saved by the edit tagger (``selection.core.tagger``) is run by the tagger instead (decoding
    settings do not apply to it).

    ``progress(done, total)`` is called after each batch. Sources longer than ``max_source_length``
    tokens are truncated (None: no truncation). Raises ``ValueError`` for bad arguments.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if num_beams < 1:
        raise ValueError(f"num_beams must be >= 1, got {num_beams}")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    srcs = list(srcs)
    if not all(isinstance(s, str) for s in srcs):
        raise ValueError("srcs must be strings")
    if not srcs:
        return []
    from selection.core import tagger

    if tagger.is_tagger_dir(model_path_or_dir):
        return tagger.generate_tagger(model_path_or_dir, srcs, batch_size=batch_size, progress=progress)
    import torch

    model, tokenizer = load_model(model_path_or_dir, device)
    trunc = {"truncation": True, "max_length": max_source_length} if max_source_length else {}
    lengths = [len(ids) for ids in tokenizer(srcs, **trunc)["input_ids"]]
    order = sorted(range(len(srcs)), key=lambda i: -lengths[i])
    outputs: list[str | None] = [None] * len(srcs)
    done = 0
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        enc = tokenizer([srcs[i] for i in idx], return_tensors="pt", padding=True, **trunc).to(model.device)
        with torch.inference_mode():
            out = model.generate(
                input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], num_beams=num_beams,
                max_new_tokens=max_new_tokens, do_sample=False,
            )
        texts = tokenizer.batch_decode(out, skip_special_tokens=True)
        for i, text in zip(idx, texts):
            outputs[i] = text.strip()
        done += len(idx)
        if progress is not None:
            progress(done, len(srcs))
    return [o if o is not None else "" for o in outputs]


@lru_cache(maxsize=4)
def _load_cached(path: str, device: str) -> tuple[Any, Any]:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSeq2SeqLM.from_pretrained(path)
    model.to(device)
    model.eval()
    return model, tokenizer


def _normalise_path(path: str | os.PathLike[str]) -> str:
    """Local directories by absolute path (so "./x" and "x" share a cache entry); hub ids unchanged."""
    p = Path(path)
    return str(p.resolve()) if p.exists() else str(path)


def _resolve_device(device: str | None) -> str:
    if device is not None:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
