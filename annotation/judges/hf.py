"""A local Hugging Face model as a judge: any model directory or id in the local cache, never the network.

The model is asked the prompt of ``base.PROMPT`` and the two answer labels ("A" = the left output, "B" = the
right one) are scored by their log-likelihood after it: for a seq2seq model (T5, Flan-T5, BART) as the decoder's
target, for a causal model (GPT-2, Llama, Qwen...) as the prompt's continuation. ``p_left`` is the softmax of the
two scores, so no text is generated and no reply can fail to parse. Scoring the labels is what lm-eval-harness
does for multiple-choice tasks; it is also the cheapest exact way to get a judge's probability.

torch and transformers are imported when a judge is built, not when this module is (manage.py stays light).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import LABELS, PROMPT, JudgeError, JudgeQuery, Verdict, verdict_from_scores


class HFJudge:
    """Scores the labels A and B after the prompt with a local model (``local_files_only=True``)."""

    def __init__(self, path: str, tie_margin: float = 0.0, max_length: int = 512, device: str = "") -> None:
        try:
            import torch
            from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer
        except ImportError as exc:  # pragma: no cover - both are core requirements
            raise JudgeError(f"A Hugging Face judge needs torch and transformers: {exc}") from None
        self.path, self.tie_margin, self.max_length = path, tie_margin, max_length
        try:
            config = AutoConfig.from_pretrained(path, local_files_only=True)
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            loader = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
            self.model = loader.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as exc:
            where = "directory" if Path(path).exists() else "model (no such directory, and not in the local cache)"
            raise JudgeError(f"Cannot load the judge {where} {path!r}: {str(exc).splitlines()[0][:200]}") from None
        self.seq2seq = bool(config.is_encoder_decoder)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        self._torch = torch
        self._labels = [self._label_ids(label) for label in LABELS]
        if self._labels[0] == self._labels[1]:
            raise JudgeError(f"The judge's tokenizer cannot tell the answer labels {LABELS} apart.")
        limit = getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", None)
        if limit and not self.seq2seq:
            self.max_length = min(self.max_length, int(limit) - max(len(ids) for ids in self._labels))

    def describe(self) -> str:
        kind = "sequence-to-sequence" if self.seq2seq else "causal"
        return f"a local Hugging Face {kind} model, {Path(self.path).name or self.path}"

    def _label_ids(self, label: str) -> list[int]:
        ids = self.tokenizer(label if self.seq2seq else " " + label, add_special_tokens=self.seq2seq)["input_ids"]
        if not ids:
            raise JudgeError(f"The judge's tokenizer turns the label {label!r} into no tokens.")
        return list(ids)

    def _prompt_ids(self, query: JudgeQuery) -> list[int]:
        ids = list(self.tokenizer(query.prompt(PROMPT), add_special_tokens=self.seq2seq)["input_ids"])
        return ids[-self.max_length:]  # the end holds the outputs and the question: keep it

    def scores(self, query: JudgeQuery) -> tuple[float, float]:
        """The log-likelihoods of the labels A (left) and B (right) after the query's prompt."""
        prompt = self._prompt_ids(query)
        with self._torch.no_grad():
            a, b = self._seq2seq_scores(prompt) if self.seq2seq else self._causal_scores(prompt)
        return a, b

    def judge(self, query: JudgeQuery) -> Verdict:
        a, b = self.scores(query)
        return verdict_from_scores(a, b, self.tie_margin, raw=f"logL A={a:.3f} B={b:.3f}")

    def _seq2seq_scores(self, prompt: list[int]) -> list[float]:
        torch = self._torch
        width = max(len(ids) for ids in self._labels)
        labels = torch.full((2, width), -100, dtype=torch.long)
        for i, ids in enumerate(self._labels):
            labels[i, :len(ids)] = torch.tensor(ids)
        inputs = torch.tensor([prompt, prompt], device=self.device)
        labels = labels.to(self.device)
        logits = self.model(input_ids=inputs, attention_mask=torch.ones_like(inputs), labels=labels).logits
        return _summed(torch, logits, labels)

    def _causal_scores(self, prompt: list[int]) -> list[float]:
        torch = self._torch
        seqs = [prompt + ids for ids in self._labels]
        width = max(len(s) for s in seqs)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        inputs = torch.full((2, width), pad, dtype=torch.long)
        mask = torch.zeros((2, width), dtype=torch.long)
        targets = torch.full((2, width), -100, dtype=torch.long)
        for i, (seq, ids) in enumerate(zip(seqs, self._labels)):
            inputs[i, :len(seq)] = torch.tensor(seq)
            mask[i, :len(seq)] = 1
            targets[i, len(prompt):len(seq)] = torch.tensor(ids)
        inputs, mask, targets = inputs.to(self.device), mask.to(self.device), targets.to(self.device)
        logits = self.model(input_ids=inputs, attention_mask=mask).logits
        return _summed(torch, logits[:, :-1], targets[:, 1:])  # position t predicts token t + 1


def _summed(torch: Any, logits: Any, labels: Any) -> list[float]:
    """Sum over each row of the log-probabilities of its label tokens (positions with -100 left out)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    keep = labels != -100
    picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return [float(v) for v in (picked * keep).sum(dim=-1)]
