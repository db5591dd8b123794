"""A small subword tokenizer trained on the fine-tuning texts themselves.

Used by the ``"tiny-t5"`` base model: a from-scratch T5 needs a vocabulary, and no pretrained one can be
downloaded at run time. The tokenizer follows T5's conventions so that ``generate()`` and
``AutoTokenizer.from_pretrained`` work unchanged: ids 0/1/2 are ``<pad>``/``</s>``/``<unk>`` (T5 starts the
decoder with the pad id), words are split on whitespace with the ``▁`` meta-space marker, and every encoded
sequence ends with ``</s>``.

Heavy imports happen inside the function so that importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PAD_TOKEN, EOS_TOKEN, UNK_TOKEN = "<pad>", "</s>", "<unk>"
SPECIAL_TOKENS = [PAD_TOKEN, EOS_TOKEN, UNK_TOKEN]


def train_tokenizer(texts: Iterable[str], vocab_size: int = 2000, min_frequency: int = 1) -> Any:
    """Train a BPE tokenizer on ``texts`` and wrap it as a ``transformers`` fast tokenizer.

    Returns a ``PreTrainedTokenizerFast`` with pad id 0, eos id 1, unk id 2. The vocabulary may come out
    smaller than ``vocab_size`` when the texts hold fewer distinct merges. BPE training is deterministic
    for a given list of texts; callers that must reproduce a run should still save the result rather than
    retrain it.
    """
    if vocab_size < len(SPECIAL_TOKENS) + 1:
        raise ValueError(f"vocab_size must be at least {len(SPECIAL_TOKENS) + 1}, got {vocab_size}")
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=UNK_TOKEN))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, min_frequency=min_frequency, show_progress=False
    )
    tok.train_from_iterator(list(texts), trainer)
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS_TOKEN}", pair=f"$A {EOS_TOKEN} $B {EOS_TOKEN}",
        special_tokens=[(EOS_TOKEN, tok.token_to_id(EOS_TOKEN))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD_TOKEN, eos_token=EOS_TOKEN, unk_token=UNK_TOKEN
    )
