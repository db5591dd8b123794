"""ROUGE-L with the semantics of Google's ``rouge-score`` (``RougeScorer(["rougeL"])``), made fast.

* Tokens: the text is lowercased and only runs of ``[a-z0-9]`` are kept (rouge-score's default tokenizer), so
  **text in other scripts (Cyrillic, CJK, Arabic, ...) has no tokens and scores 0**, as with rouge-score; accented
  Latin letters split words (``"café"`` -> ``["caf"]``). With ``use_stemmer=True`` rouge-score's own Porter
  tokenizer is used (stems words longer than 3 characters).
* Per reference: LCS precision = lcs / len(prediction), recall = lcs / len(reference),
  F = 2PR / (P + R); either side without tokens scores 0.
* Several references: the best F-measure (rouge-score's ``score_multi``). Corpus = mean of per-example F
  (not evaluate's random bootstrap aggregate).

Why it is fast (measured against rouge-score in bench/bench_metrics.py): every distinct string is tokenised once, tokens
become integer ids written as characters of a string, and the LCS length comes from RapidFuzz's bit-parallel
``LCSseq`` instead of a Python dynamic-programming table.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
from rapidfuzz.distance import LCSseq

__all__ = ["rouge_l_scores", "rouge_l_sentence", "corpus_rouge_l", "rouge_tokens"]

_ALNUM = re.compile(r"[a-z0-9]+")
# ids are written as code points from here on, clear of the surrogate range
_CODEPOINT_BASE = 0xE000


def rouge_tokens(text: str) -> list[str]:
    """rouge-score's default tokenisation (no stemming): lowercase, keep runs of ``[a-z0-9]``."""
    return _ALNUM.findall(text.lower())


def _encode(strings: list[str], use_stemmer: bool) -> list[str]:
    """Each string's token sequence as a string with one code point per distinct token."""
    if use_stemmer:
        from rouge_score.tokenizers import DefaultTokenizer  # only the optional stemming path needs nltk

        tokenize = DefaultTokenizer(use_stemmer=True).tokenize
    else:
        tokenize = rouge_tokens
    vocab: dict[str, str] = {}
    encoded = []
    for text in strings:
        chars = [vocab.get(t) or vocab.setdefault(t, chr(_CODEPOINT_BASE + len(vocab))) for t in tokenize(text)]
        encoded.append("".join(chars))
    if len(vocab) > 0x10FFFF - _CODEPOINT_BASE:
        raise ValueError("vocabulary too large for the character encoding; score in chunks")
    return encoded


def _f_measure(lcs: int, n_pred: int, n_ref: int) -> float:
    if lcs == 0 or n_pred == 0 or n_ref == 0:
        return 0.0
    precision = lcs / n_pred
    recall = lcs / n_ref
    return 2 * precision * recall / (precision + recall)


def rouge_l_scores(
    predictions: Sequence[str], references: Sequence[Sequence[str]], *, use_stemmer: bool = False
) -> np.ndarray:
    """ROUGE-L F-measure (0-1) of every prediction against the best of its references."""
    if len(predictions) != len(references):
        raise ValueError(f"predictions ({len(predictions)}) and references ({len(references)}) differ in length")
    for i, refs in enumerate(references):
        if isinstance(refs, str) or len(refs) == 0:
            raise ValueError(f"example {i}: references must be a non-empty list of strings")
    index_of: dict[str, int] = {}
    for text in (*predictions, *(r for refs in references for r in refs)):
        index_of.setdefault(text, len(index_of))
    encoded = _encode(list(index_of), use_stemmer)
    similarity = LCSseq.similarity
    scores = np.empty(len(predictions))
    for i, (pred, refs) in enumerate(zip(predictions, references)):
        p = encoded[index_of[pred]]
        scores[i] = max(_f_measure(similarity(p, r), len(p), len(r)) for r in (encoded[index_of[x]] for x in refs))
    return scores


def rouge_l_sentence(prediction: str, references: Sequence[str] | str, *, use_stemmer: bool = False) -> float:
    """ROUGE-L F-measure of one prediction against the best of its references (a string is one reference)."""
    refs = [references] if isinstance(references, str) else list(references)
    return float(rouge_l_scores([prediction], [refs], use_stemmer=use_stemmer)[0])


def corpus_rouge_l(
    predictions: Sequence[str], references: Sequence[Sequence[str]], *, use_stemmer: bool = False
) -> float:
    """Mean of the per-example ROUGE-L F-measures.

    >>> round(corpus_rouge_l(["the cat sat on the mat"], [["the cat is on the mat", "a dog"]]), 6)
    0.833333
    """
    return float(np.mean(rouge_l_scores(predictions, references, use_stemmer=use_stemmer)))
