"""Fine-tuning of seq2seq text-editing models, resumable exactly after a crash or a cancellation.

A plain PyTorch loop driven by ``accelerate`` (one GPU, several GPUs under ``accelerate launch``, or the CPU).
Why not ``Seq2SeqTrainer``: exact resumption is easier to guarantee when the loop owns the data order.

Data order is a pure function of ``(seed, epoch)``: each epoch shuffles the examples with a
``torch.Generator`` seeded with ``seed + epoch``, and global optimizer step ``s`` consumes micro-batches
``(s % steps_per_epoch) * grad_accumulation ...`` of epoch ``s // steps_per_epoch``. A checkpoint therefore
only has to remember the step; with model, optimizer, scheduler and RNG states restored (``accelerate``'s
``save_state`` / ``load_state``), a resumed run performs bit-for-bit the same updates on the CPU as an
uninterrupted one. The learning-rate schedules are ``transformers.get_scheduler``'s and batches are padded by
``transformers.DataCollatorForSeq2Seq``.

``run_dir`` layout::

    manifest.json          config, base model, data hash, library versions, timings, final metrics, status
    train_ids.txt          the training ids, in the order given
    loss.jsonl             {"step", "loss", "lr"} every ``log_every`` steps
    tokenizer/             the tokenizer (trained on the data for "tiny-t5")
    checkpoints/step-N/    model + tokenizer (loadable like final/), trainer_state.json, and state/: what
                           Accelerator.save_state writes (model, optimizer, scheduler, every RNG state)
    final/                 model + tokenizer, loadable by AutoModelForSeq2SeqLM / AutoTokenizer.from_pretrained

No torch, transformers or accelerate import happens at module import time: the web process imports this.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import platform
import re
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

TINY_T5 = "tiny-t5"
SCHEDULES = ("linear", "constant", "cosine")
PRECISIONS = ("fp32", "bf16", "auto")
# Settings that do not change what is learned: a run may be resumed with different values.
_RESUME_FREE_FIELDS = frozenset({"checkpoint_every", "keep_checkpoints", "log_every", "num_threads"})
_CKPT_RE = re.compile(r"^step-(\d+)$")

ProgressFn = Callable[[int, int, float], None]
StopFn = Callable[[], bool]


class TrainingCancelled(Exception):
    """Raised by ``train`` when ``should_stop()`` returned True; a checkpoint was saved first."""

    def __init__(self, step: int, checkpoint_dir: str):
        super().__init__(f"training cancelled at step {step}; checkpoint saved in {checkpoint_dir}")
        self.step = step
        self.checkpoint_dir = checkpoint_dir


@dataclass
class TrainingConfig:
    """Everything that defines a fine-tuning run.

    ``base_model`` is a Hugging Face model id, a local directory saved with ``save_pretrained`` (for example
    another run's ``final/``), or ``"tiny-t5"``: a small T5 built from ``num_layers``, ``d_model``, ``d_ff``,
    ``num_heads`` and ``vocab_size`` with a tokenizer trained on the training texts. ``max_steps``, when set,
    overrides ``epochs``. Defaults suit the tiny model learning word-level edits on a few CPU cores.
    """

    base_model: str = TINY_T5
    num_layers: int = 2
    d_model: int = 128
    d_ff: int = 512
    num_heads: int = 4
    vocab_size: int = 2000
    dropout_rate: float = 0.1
    epochs: float | None = 10.0
    max_steps: int | None = None
    learning_rate: float = 2e-3
    lr_scheduler: str = "linear"
    warmup_ratio: float = 0.05
    weight_decay: float = 0.0
    max_grad_norm: float | None = 1.0
    batch_size: int = 32
    grad_accumulation: int = 1
    max_source_length: int = 64
    max_target_length: int = 64
    seed: int = 0
    precision: str = "auto"
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    log_every: int = 10
    num_threads: int | None = None
    # Edit-tagging base models ("minilm-tagger", "tagger:<encoder>"); see selection/core/tagger.py.
    tagger_phrase_vocab_size: int = 500
    tagger_trainable_layers: int = 1
    tagger_none_weight: float = 1.0
    tagger_delete_weight: float = 1.0
    tagger_calibration_fraction: float = 0.05
    tagger_layer_lr_scale: float = 0.1

    def validate(self) -> TrainingConfig:
        """Raise ``ValueError`` naming the first bad setting; return ``self``."""
        if not isinstance(self.base_model, str) or not self.base_model.strip():
            raise ValueError("base_model must be a model id, a local path or 'tiny-t5'")
        if self.epochs is None and self.max_steps is None:
            raise ValueError("set epochs or max_steps (neither was given)")
        if self.epochs is not None and not self.epochs > 0:
            raise ValueError(f"epochs must be > 0, got {self.epochs}")
        if self.max_steps is not None and (not isinstance(self.max_steps, int) or self.max_steps < 1):
            raise ValueError(f"max_steps must be a positive integer, got {self.max_steps!r}")
        if not (isinstance(self.learning_rate, (int, float)) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        if self.lr_scheduler not in SCHEDULES:
            raise ValueError(f"lr_scheduler must be one of {SCHEDULES}, got {self.lr_scheduler!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if not 0 <= self.dropout_rate < 1:
            raise ValueError(f"dropout_rate must be in [0, 1), got {self.dropout_rate}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.max_grad_norm is not None and self.max_grad_norm <= 0:
            raise ValueError(f"max_grad_norm must be > 0 or None, got {self.max_grad_norm}")
        for name in ("batch_size", "grad_accumulation", "max_source_length", "max_target_length",
                     "checkpoint_every", "keep_checkpoints", "log_every",
                     "num_layers", "d_model", "d_ff", "num_heads", "vocab_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name, low in (("tagger_phrase_vocab_size", 1), ("tagger_trainable_layers", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in ("tagger_none_weight", "tagger_delete_weight", "tagger_layer_lr_scale"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0 <= self.tagger_calibration_fraction < 0.5:
            raise ValueError(f"tagger_calibration_fraction must be in [0, 0.5), got {self.tagger_calibration_fraction}")
        if self.num_threads is not None and self.num_threads < 1:
            raise ValueError(f"num_threads must be a positive integer or None, got {self.num_threads}")
        if self.base_model == TINY_T5 and self.d_model % self.num_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by num_heads ({self.num_heads})")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingConfig:
        """Build from a mapping, rejecting unknown keys (a typo should not silently fall back to a default)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(unknown)}")
        return cls(**dict(data))


@dataclass
class TrainingResult:
    """What ``train`` returns; the same figures are in ``run_dir/manifest.json``."""

    run_dir: str
    final_dir: str
    steps: int
    total_steps: int
    epochs: float
    final_loss: float | None
    train_seconds: float
    resumed_from_step: int | None = None
    device: str = "cpu"
    precision: str = "fp32"
    num_parameters: int = 0
    loss_history: list[dict[str, float]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- public API


def train(
    config: TrainingConfig,
    train_examples: Sequence[Mapping[str, Any]],
    run_dir: str | os.PathLike[str],
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> TrainingResult:
    """Fine-tune ``config.base_model`` on ``train_examples`` (dicts with "id", "src", "tgt").

    If ``run_dir`` already holds checkpoints of the same run (same settings and data), training resumes
    from the last one; a run already completed is not retrained and its result is returned. ``progress``
    is called as ``progress(step, total_steps, mean_loss)`` every ``log_every`` steps and at the end;
    ``should_stop`` is polled at the same moments and, when it returns True, a checkpoint is saved and
    ``TrainingCancelled`` is raised. Raises ``ValueError`` for bad settings, bad examples, or a
    ``run_dir`` that belongs to a different run.
    """
    config.validate()
    examples = _validate_examples(train_examples)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    data_hash = _data_hash(examples)
    manifest = _load_or_start_manifest(run_dir, config, examples, data_hash)
    if manifest["status"] == "completed" and (run_dir / "final").is_dir():
        return _result_from_manifest(run_dir, manifest)
    from selection.core import tagger

    if tagger.is_tagger_spec(config.base_model):
        return _train_tagger(config, examples, run_dir, manifest, progress, should_stop)
    return _Trainer(config, examples, run_dir, manifest, progress, should_stop).run()


def _train_tagger(config, examples, run_dir: Path, manifest: dict, progress, should_stop) -> TrainingResult:
    """The edit-tagging base models: same run directory, manifest and resumption contract as the seq2seq loop."""
    from selection.core import tagger

    _configure_threads(config.num_threads)
    started = time.time()
    manifest.update({"status": "running", "library_versions": _library_versions()})
    _write_json(run_dir / "manifest.json", manifest)
    status, error = "completed", None
    try:
        tagger.train_tagger(config, examples, run_dir, manifest, progress, should_stop)
    except TrainingCancelled:
        status = "cancelled"
        raise
    except BaseException as exc:
        status, error = "failed", repr(exc)
        raise
    finally:
        now = time.time()
        rows = read_loss_log(run_dir)
        timings = manifest.setdefault("timings", {"segments": []})
        timings["segments"].append({"started_at": _iso(started), "ended_at": _iso(now),
                                    "seconds": round(now - started, 3), "status": status,
                                    "end_step": rows[-1]["step"] if rows else 0})
        timings["train_seconds"] = round(sum(s["seconds"] for s in timings["segments"]), 3)
        manifest.update({"status": status, "error": error, "final_metrics": _final_metrics(rows)})
        if status == "completed":
            manifest["finished_at"] = _iso(now)
        _write_json(run_dir / "manifest.json", manifest)
    return _result_from_manifest(run_dir, manifest)


def read_loss_log(run_dir: str | os.PathLike[str]) -> list[dict[str, float]]:
    """The rows of ``run_dir/loss.jsonl`` ({"step", "loss", "lr"}), in step order."""
    path = Path(run_dir) / "loss.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def latest_checkpoint(run_dir: str | os.PathLike[str]) -> tuple[int, Path] | None:
    """``(step, path)`` of the newest complete checkpoint in ``run_dir/checkpoints``, or None."""
    ckpt_root = Path(run_dir) / "checkpoints"
    found = []
    if ckpt_root.is_dir():
        for child in ckpt_root.iterdir():
            match = _CKPT_RE.match(child.name)
            if match and (child / "trainer_state.json").exists():
                found.append((int(match.group(1)), child))
    return max(found) if found else None


# ---------------------------------------------------------------------------------------------- the loop


class _Trainer:
    """One call of ``train``: sets up model, data and optimizer, then runs the steps that remain."""

    def __init__(self, config, examples, run_dir, manifest, progress, should_stop):
        self.config, self.examples, self.run_dir = config, examples, run_dir
        self.manifest, self.progress, self.should_stop = manifest, progress, should_stop

    def run(self) -> TrainingResult:
        started, segment_start = time.time(), None
        try:
            self._setup()
            segment_start = self.start_step
            self._loop()
            self._save_final()
        except TrainingCancelled:
            self._finish_manifest("cancelled", started, segment_start)
            raise
        except BaseException as exc:
            self._finish_manifest("failed", started, segment_start, error=repr(exc))
            raise
        self._finish_manifest("completed", started, segment_start)
        return _result_from_manifest(self.run_dir, self.manifest)

    # -- set-up

    def _setup(self) -> None:
        import torch
        from accelerate.utils import set_seed
        from transformers import DataCollatorForSeq2Seq

        cfg = self.config
        _configure_threads(cfg.num_threads)
        self.precision = _resolve_precision(cfg.precision)
        self.accelerator = _make_accelerator(self.precision)
        self.is_main = self.accelerator.is_main_process
        ckpt = latest_checkpoint(self.run_dir)
        self.start_step, ckpt_dir = (ckpt[0], ckpt[1]) if ckpt else (0, None)
        set_seed(cfg.seed)
        self.tokenizer = self._load_tokenizer()
        model = self._load_model()  # a checkpoint's weights are loaded over it by _restore
        self.num_parameters = sum(p.numel() for p in model.parameters())
        self.features = _tokenize(self.tokenizer, self.examples, cfg)
        # Pads inputs with the pad id (attention 0) and labels with -100, on the tokenizer's side (the right for T5)
        self.collate = DataCollatorForSeq2Seq(self.tokenizer, label_pad_token_id=-100, return_tensors="pt")
        self._plan()
        optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
        self.scheduler = lr_scheduler(optimizer, cfg, self.total_steps)
        # The scheduler is stepped by hand, once per optimizer step, whatever the number of processes: so it is
        # registered for checkpointing rather than prepared (a prepared one steps once per process).
        self.model, self.optimizer = self.accelerator.prepare(model, optimizer)
        self.accelerator.register_for_checkpointing(self.scheduler)
        if ckpt_dir is not None:
            self._restore(ckpt_dir)
        self.manifest.update(self._run_facts())
        self._write_manifest()

    def _load_tokenizer(self):
        tok_dir = self.run_dir / "tokenizer"
        from transformers import AutoTokenizer

        if tok_dir.is_dir():
            return AutoTokenizer.from_pretrained(str(tok_dir))
        if self.config.base_model == TINY_T5:
            from selection.core.tokenizer import train_tokenizer

            texts = [ex["src"] for ex in self.examples] + [ex["tgt"] for ex in self.examples]
            tokenizer = train_tokenizer(texts, vocab_size=self.config.vocab_size)
        else:
            tokenizer = AutoTokenizer.from_pretrained(self.config.base_model)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if self.is_main:
            tokenizer.save_pretrained(str(tok_dir))
        self.accelerator.wait_for_everyone()
        return tokenizer

    def _load_model(self):
        import torch
        from transformers import AutoModelForSeq2SeqLM

        cfg = self.config
        if cfg.base_model != TINY_T5:
            return AutoModelForSeq2SeqLM.from_pretrained(cfg.base_model, dtype=torch.float32)
        from transformers import T5Config, T5ForConditionalGeneration

        tok = self.tokenizer
        t5_config = T5Config(
            vocab_size=len(tok), d_model=cfg.d_model, d_kv=cfg.d_model // cfg.num_heads, d_ff=cfg.d_ff,
            num_layers=cfg.num_layers, num_decoder_layers=cfg.num_layers, num_heads=cfg.num_heads,
            dropout_rate=cfg.dropout_rate, feed_forward_proj="relu",
            pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
            decoder_start_token_id=tok.pad_token_id,
        )
        return T5ForConditionalGeneration(t5_config)

    def _plan(self) -> None:
        cfg, n = self.config, len(self.examples)
        self.micro_per_epoch = math.ceil(n / cfg.batch_size)
        self.steps_per_epoch = math.ceil(self.micro_per_epoch / cfg.grad_accumulation)
        if cfg.max_steps is not None:
            self.total_steps = cfg.max_steps
        else:
            self.total_steps = max(1, math.ceil(cfg.epochs * self.steps_per_epoch))
        if self.start_step > self.total_steps:
            raise ValueError(f"checkpoint step {self.start_step} is beyond total_steps {self.total_steps}")

    def _restore(self, ckpt_dir: Path) -> None:
        self.accelerator.load_state(str(ckpt_dir / "state"))  # model, optimizer, scheduler and every RNG state
        if self.is_main:
            rows = [r for r in read_loss_log(self.run_dir) if r["step"] <= self.start_step]
            _write_jsonl(self.run_dir / "loss.jsonl", rows)
        self.manifest.setdefault("resumed_from", []).append(self.start_step)

    def _run_facts(self) -> dict[str, Any]:
        return {
            "status": "running",
            "device": str(self.accelerator.device),
            "num_processes": self.accelerator.num_processes,
            "precision_used": self.precision,
            "num_parameters": self.num_parameters,
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
            "library_versions": _library_versions(),
        }

    # -- steps

    def _loop(self) -> None:
        cfg, acc = self.config, self.accelerator
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        window: list[float] = []
        self.last_saved_step = self.start_step
        perm_cache: dict[int, Any] = {}
        for step in range(self.start_step, self.total_steps):
            epoch, group = divmod(step, self.steps_per_epoch)
            if epoch not in perm_cache:
                perm_cache.clear()
                perm_cache[epoch] = _epoch_permutation(len(self.examples), cfg.seed, epoch)
            window.append(self._one_step(perm_cache[epoch], group))
            done = step + 1
            if done % cfg.checkpoint_every == 0 and done < self.total_steps:
                self._save_checkpoint(done)
            if done % cfg.log_every == 0 or done == self.total_steps:
                mean_loss = self._log(done, window)
                window = []
                if self.progress is not None and self.is_main:
                    self.progress(done, self.total_steps, mean_loss)
                if done < self.total_steps and self._stop_requested():
                    if self.last_saved_step != done:
                        self._save_checkpoint(done)
                    acc.wait_for_everyone()
                    raise TrainingCancelled(done, str(self.run_dir / "checkpoints" / f"step-{done}"))

    def _one_step(self, perm, group: int) -> float:
        """One optimizer update over ``grad_accumulation`` micro-batches; returns the mean micro-batch loss."""
        cfg, acc = self.config, self.accelerator
        first = group * cfg.grad_accumulation
        micro = range(first, min(first + cfg.grad_accumulation, self.micro_per_epoch))
        total = 0.0
        for k, m in enumerate(micro):
            idx = perm[m * cfg.batch_size:(m + 1) * cfg.batch_size].tolist()
            shard = idx[acc.process_index::acc.num_processes]
            weight = 1.0
            if not shard:  # a last batch smaller than the number of processes: contribute nothing
                shard, weight = idx[-1:], 0.0
            batch = {k: v.to(acc.device) for k, v in self.collate([self.features[i] for i in shard]).items()}
            last = k == len(micro) - 1
            ctx = acc.no_sync(self.model) if (not last and acc.num_processes > 1) else contextlib.nullcontext()
            with ctx:
                loss = self.model(**batch).loss
                acc.backward(loss * (weight / len(micro)))
            total += float(loss.detach())
        if cfg.max_grad_norm is not None:
            acc.clip_grad_norm_(self.model.parameters(), cfg.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return total / len(micro)

    def _log(self, step: int, window: list[float]) -> float:
        import torch

        mean_loss = sum(window) / len(window)
        if self.accelerator.num_processes > 1:
            t = torch.tensor([mean_loss], device=self.accelerator.device)
            mean_loss = float(self.accelerator.reduce(t, reduction="mean"))
        if self.is_main:
            row = {"step": step, "loss": mean_loss, "lr": self.scheduler.get_last_lr()[0]}
            with open(self.run_dir / "loss.jsonl", "a") as fh:
                fh.write(json.dumps(row) + "\n")
        return mean_loss

    def _stop_requested(self) -> bool:
        import torch

        flag = bool(self.should_stop()) if (self.should_stop is not None and self.is_main) else False
        if self.accelerator.num_processes > 1:  # every process must take the same branch
            t = torch.tensor([1.0 if flag else 0.0], device=self.accelerator.device)
            flag = float(self.accelerator.reduce(t, reduction="sum")) > 0
        return flag

    # -- saving

    def _save_checkpoint(self, step: int) -> None:
        acc = self.accelerator
        root = self.run_dir / "checkpoints"
        final, tmp = root / f"step-{step}", root / f".step-{step}.tmp"
        if self.is_main:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            self._save_model(tmp)  # a checkpoint is also a model that generation can load
        acc.wait_for_everyone()
        acc.save_state(str(tmp / "state"))  # every process writes its own RNG state; the main one the rest
        if self.is_main:
            epoch, group = divmod(step, self.steps_per_epoch)
            state = {"step": step, "epoch": epoch, "micro_batch": group * self.config.grad_accumulation,
                     "steps_per_epoch": self.steps_per_epoch, "total_steps": self.total_steps}
            (tmp / "trainer_state.json").write_text(json.dumps(state, indent=2))
            shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
            self._prune_checkpoints()
        acc.wait_for_everyone()
        self.last_saved_step = step

    def _prune_checkpoints(self) -> None:
        root = self.run_dir / "checkpoints"
        steps = sorted(int(m.group(1)) for c in root.iterdir() if (m := _CKPT_RE.match(c.name)))
        for old in steps[:-self.config.keep_checkpoints]:
            shutil.rmtree(root / f"step-{old}", ignore_errors=True)

    def _save_model(self, directory: Path) -> None:
        self.accelerator.unwrap_model(self.model).save_pretrained(str(directory))
        self.tokenizer.save_pretrained(str(directory))

    def _save_final(self) -> None:
        final, tmp = self.run_dir / "final", self.run_dir / ".final.tmp"
        if self.is_main:
            shutil.rmtree(tmp, ignore_errors=True)
            self._save_model(tmp)
            shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
        self.accelerator.wait_for_everyone()

    def _finish_manifest(self, status: str, started: float, segment_start: int | None, error: str | None = None):
        if not getattr(self, "is_main", True):
            return
        now = time.time()
        rows = read_loss_log(self.run_dir)
        end_step = rows[-1]["step"] if rows else (segment_start or 0)
        timings = self.manifest.setdefault("timings", {"segments": []})
        timings["segments"].append({
            "started_at": _iso(started), "ended_at": _iso(now), "seconds": round(now - started, 3),
            "start_step": segment_start, "end_step": end_step, "status": status,
        })
        timings["train_seconds"] = round(sum(s["seconds"] for s in timings["segments"]), 3)
        self.manifest["status"] = status
        self.manifest["error"] = error
        self.manifest["final_metrics"] = _final_metrics(rows)
        if status == "completed":
            self.manifest["finished_at"] = _iso(now)
        self._write_manifest()

    def _write_manifest(self) -> None:
        if getattr(self, "is_main", True):
            _write_json(self.run_dir / "manifest.json", self.manifest)


# ---------------------------------------------------------------------------------------------- helpers


def _validate_examples(train_examples: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    if not train_examples:
        raise ValueError("train_examples is empty")
    out, seen = [], set()
    for i, ex in enumerate(train_examples):
        missing = [k for k in ("id", "src", "tgt") if k not in ex]
        if missing:
            raise ValueError(f"example {i} lacks {', '.join(missing)}")
        if not isinstance(ex["src"], str) or not isinstance(ex["tgt"], str):
            raise ValueError(f"example {i} (id {ex['id']!r}): src and tgt must be strings")
        ex_id = str(ex["id"])
        if ex_id in seen:
            raise ValueError(f"duplicate example id {ex_id!r}")
        seen.add(ex_id)
        row = {"id": ex_id, "src": ex["src"], "tgt": ex["tgt"]}
        if ex.get("task"):  # kept for models that use it (the tagger calibrates per task); not hashed
            row["task"] = str(ex["task"])
        out.append(row)
    return out


def _data_hash(examples: list[dict[str, str]]) -> str:
    h = hashlib.sha256()
    for ex in examples:
        h.update(json.dumps([ex["id"], ex["src"], ex["tgt"]], ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def _load_or_start_manifest(run_dir: Path, config: TrainingConfig, examples, data_hash: str) -> dict:
    path = run_dir / "manifest.json"
    if path.exists():
        manifest = json.loads(path.read_text())
        if manifest.get("data_hash") != data_hash:
            raise ValueError(f"{run_dir} holds a run on different training data; use a new run_dir")
        old, new = manifest.get("config", {}), config.to_dict()
        changed = sorted(k for k in new if k not in _RESUME_FREE_FIELDS and old.get(k) != new[k])
        if changed:
            raise ValueError(f"{run_dir} holds a run with different settings ({', '.join(changed)}); "
                             "use a new run_dir")
        manifest["config"] = new
        return manifest
    (run_dir / "train_ids.txt").write_text("".join(ex["id"] + "\n" for ex in examples))
    manifest = {
        "status": "created",
        "created_at": _iso(time.time()),
        "config": config.to_dict(),
        "base_model": config.base_model,
        "n_train": len(examples),
        "data_hash": data_hash,
        "train_ids_file": "train_ids.txt",
        "data_order": "torch.randperm per epoch, generator seeded with seed + epoch",
    }
    _write_json(path, manifest)
    return manifest


def _result_from_manifest(run_dir: Path, manifest: dict) -> TrainingResult:
    rows = read_loss_log(run_dir)
    steps = rows[-1]["step"] if rows else 0
    per_epoch = manifest.get("steps_per_epoch") or 1
    resumed = manifest.get("resumed_from") or [None]
    return TrainingResult(
        run_dir=str(run_dir), final_dir=str(run_dir / "final"), steps=steps,
        total_steps=manifest.get("total_steps", steps), epochs=steps / per_epoch,
        final_loss=manifest.get("final_metrics", {}).get("final_loss"),
        train_seconds=manifest.get("timings", {}).get("train_seconds", 0.0),
        resumed_from_step=resumed[-1], device=manifest.get("device", "cpu"),
        precision=manifest.get("precision_used", "fp32"), num_parameters=manifest.get("num_parameters", 0),
        loss_history=rows,
    )


def _final_metrics(rows: list[dict]) -> dict[str, Any]:
    if not rows:
        return {"final_loss": None, "first_loss": None, "steps_logged": 0}
    tail = rows[-5:]
    return {"final_loss": rows[-1]["loss"], "first_loss": rows[0]["loss"],
            "mean_loss_last_5_logs": sum(r["loss"] for r in tail) / len(tail), "steps_logged": len(rows)}


def _tokenize(tokenizer, examples, cfg: TrainingConfig) -> list[dict[str, list[int]]]:
    srcs = tokenizer([ex["src"] for ex in examples], truncation=True, max_length=cfg.max_source_length)
    tgts = tokenizer(text_target=[ex["tgt"] for ex in examples], truncation=True,
                     max_length=cfg.max_target_length)
    return [{"input_ids": s, "labels": t} for s, t in zip(srcs["input_ids"], tgts["input_ids"])]


def _epoch_permutation(n: int, seed: int, epoch: int):
    import torch

    gen = torch.Generator().manual_seed(seed + epoch)
    return torch.randperm(n, generator=gen)


# TrainingConfig.lr_scheduler -> the name transformers.get_scheduler knows (each warms up over warmup_ratio)
_SCHEDULER_NAMES = {"linear": "linear", "constant": "constant_with_warmup", "cosine": "cosine"}


def lr_scheduler(optimizer: Any, cfg: TrainingConfig, total_steps: int) -> Any:
    """``transformers.get_scheduler``'s schedule ``cfg.lr_scheduler`` with ``int(warmup_ratio * total_steps)``
    linear warm-up steps; stepped once per optimizer step. The seq2seq loop and the tagger use it."""
    from transformers import get_scheduler

    return get_scheduler(_SCHEDULER_NAMES[cfg.lr_scheduler], optimizer,
                         num_warmup_steps=int(cfg.warmup_ratio * total_steps), num_training_steps=total_steps)


def _resolve_precision(precision: str) -> str:
    if precision != "auto":
        return precision
    import torch

    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16"
    return "fp32"


def _make_accelerator(precision: str):
    """An ``Accelerator``; in a single process, a second run may change precision (accelerate's state is global)."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    mixed = "bf16" if precision == "bf16" else "no"
    try:
        return Accelerator(mixed_precision=mixed)
    except ValueError:
        if AcceleratorState().num_processes > 1:
            raise
        AcceleratorState._reset_state(reset_partial_state=False)
        return Accelerator(mixed_precision=mixed)


def _configure_threads(num_threads: int | None) -> None:
    """Use the cores this process may run on (not the host's count, which containers misreport)."""
    import torch

    if num_threads is None:
        try:
            num_threads = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            num_threads = os.cpu_count() or 1
    if torch.get_num_threads() != num_threads:
        torch.set_num_threads(num_threads)


def _library_versions() -> dict[str, str]:
    import accelerate
    import tokenizers
    import torch
    import transformers

    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "accelerate": accelerate.__version__,
            "tokenizers": tokenizers.__version__}


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, path)


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    os.replace(tmp, path)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")
