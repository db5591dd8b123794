"""SARI (Xu et al., TACL 2016) exactly as Hugging Face ``evaluate``'s ``sari`` metric computes it, vectorised.

Conventions (see docs/metrics.md), all as in ``evaluate``:

* every string is lowercased, tokenised with sacrebleu's ``13a`` tokenizer and split on single spaces, so a
  string that normalises to nothing (``""``, ``"   "``) is **one empty token**. An empty prediction therefore
  "adds" the empty token: its add precision is 0 unless a reference is empty too, it keeps nothing and deletes
  every source n-gram;
* n-gram orders 1-4 with equal weights; SARI = (F_add + F_keep + P_del) / 3;
* additions are sets; keep and delete counts are weighted across the r references (source and output counts
  are multiplied by r, reference counts are summed); keep recall is a ratio of sums; every 0/0 is 1;
* corpus SARI = 100 x the mean of sentence SARIs. Per-example scores and their components are reported on the
  same 0-100 scale, so ``sari == (sari_add + sari_keep + sari_del) / 3`` for every row.

Why this is fast (measured against a naive evaluate-style SARI in bench/bench_metrics.py): each distinct
string is tokenised once, and the 13a regexes, which only ever act inside one whitespace-separated token, run
once per distinct raw token instead of once per sentence; n-grams become integer ids, and all the counting of
one n-gram order for the whole corpus is a single integer sort of (example, n-gram, role) keys.

The module imports only numpy and sacrebleu so that ``sari_metric.py`` can ship it next to itself when
``evaluate.load`` copies the metric script into its module cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np
from sacrebleu.tokenizers.tokenizer_re import TokenizerRegexp

__all__ = ["SariScores", "sari_scores", "sari_sentence", "corpus_sari", "normalize_tokens"]

_MAX_ORDER = 4
_SEP = "\x01"  # joins strings into one text; never produced or touched by the 13a rules
_REGEXP = TokenizerRegexp()
# A raw token without any of these characters passes the 13a regexes unchanged.
_NEEDS_13A = re.compile(r"[\{-\~\[-\` -\&\(-\+\:-\@\/\.,\-]")
# The commonest other case, a word with a final comma or period: 13a always splits that punctuation off.
_WORD_THEN_PUNCT = re.compile(r"([^\{-\~\[-\` -\&\(-\+\:-\@\/\.,\-]+)([.,])")


@dataclass(frozen=True)
class SariScores:
    """Per-example SARI and its three components, each an array on the 0-100 scale."""

    sari: np.ndarray
    add: np.ndarray
    keep: np.ndarray
    delete: np.ndarray

    def rows(self) -> list[dict[str, float]]:
        """One ``{"sari", "sari_add", "sari_keep", "sari_del"}`` dict per example, in input order."""
        return [
            {"sari": float(s), "sari_add": float(a), "sari_keep": float(k), "sari_del": float(d)}
            for s, a, k, d in zip(self.sari, self.add, self.keep, self.delete)
        ]


def _line_level(text: str) -> str:
    """The language-independent part of sacrebleu's Tokenizer13a (applied after lowercasing, as evaluate does)."""
    text = text.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in text:
        text = text.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return text


@lru_cache(maxsize=2**18)
def _split_raw_token(token: str) -> tuple[str, ...]:
    """The 13a regexes applied to one whitespace-free token padded with spaces, as sacrebleu pads a line.

    Each 13a rule only looks at a character and its immediate neighbours, and a whitespace character is
    never consumed in a way that carries state across it, so tokenising a line equals tokenising each of its
    whitespace-separated pieces (checked against sacrebleu on random text in the tests).
    """
    if _NEEDS_13A.search(token) is None:
        return (token,)
    match = _WORD_THEN_PUNCT.fullmatch(token)
    if match is not None:
        return match.groups()
    return tuple(_REGEXP(f" {token} ").split())


def normalize_tokens(text: str) -> list[str]:
    """evaluate's SARI normalisation of one string: lowercase, 13a, split on single spaces (``""`` -> ``[""]``)."""
    tokens = [t for raw in _line_level(text.lower()).split() for t in _split_raw_token(raw)]
    return tokens or [""]


def _tokenize_unique(strings: list[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """Token ids of every string, flattened, with offsets; and the vocabulary size.

    The strings are joined into one text so that lowercasing, the line-level replacements and the whitespace
    split each run once; the 13a regexes then run once per distinct raw token.
    """
    lowered = [s.lower() for s in strings]
    big = _line_level(f" {_SEP} ".join(lowered))
    if big.count(_SEP) != len(strings) - 1:  # a string holds the separator itself: go one by one
        token_lists = [normalize_tokens(s) for s in strings]
        raw = [t for tokens in token_lists for t in (*tokens, _SEP)]
    else:
        raw = big.split()
        raw.append(_SEP)
    raw_vocab = {tok: i for i, tok in enumerate(dict.fromkeys(raw))}
    raw_ids = np.fromiter(map(raw_vocab.__getitem__, raw), dtype=np.int64, count=len(raw))

    vocab: dict[str, int] = {_SEP: 0, "": 1}
    pieces = [tuple(vocab.setdefault(t, len(vocab)) for t in _split_raw_token(r)) if r != _SEP else (0,)
              for r in raw_vocab]
    piece_len = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    piece_flat = np.fromiter((i for p in pieces for i in p), dtype=np.int64, count=int(piece_len.sum()))
    if np.all(piece_len == 1):
        tokens = piece_flat[raw_ids]
    else:
        tokens = piece_flat[_ragged_index(np.cumsum(piece_len)[raw_ids] - piece_len[raw_ids], piece_len[raw_ids])]

    is_sep = tokens == 0
    string_of = np.cumsum(is_sep) - is_sep  # index of the string each token belongs to
    words, owner = tokens[~is_sep], string_of[~is_sep]
    lengths = np.bincount(owner, minlength=len(strings))
    empty = np.flatnonzero(lengths == 0)
    if len(empty):  # an empty normalised string is one empty token, as "".split(" ") == [""]
        words = np.concatenate([words, np.ones(len(empty), dtype=np.int64)])
        owner = np.concatenate([owner, empty])
        words = words[np.argsort(owner, kind="stable")]
        lengths[empty] = 1
    offsets = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return words, offsets, len(vocab)


def _ragged_index(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for every (s, n), without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)


def _dense_ids(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Map integer keys to 0..k-1 (equal keys, equal ids)."""
    if len(keys) == 0:
        return keys.copy(), 0
    order = np.argsort(keys)
    sorted_keys = keys[order]
    new = np.empty(len(keys), dtype=bool)
    new[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    ids = np.empty(len(keys), dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids, int(new.sum())


def _ngram_ids(words: np.ndarray, offsets: np.ndarray, vocab_size: int) -> list[tuple[np.ndarray, int]]:
    """For each order n, the id of the n-gram starting at every token position (-1 where none fits)."""
    ends = np.repeat(offsets[1:], np.diff(offsets))
    positions = np.arange(len(words), dtype=np.int64)
    result = [(words, vocab_size)]
    previous = words
    for n in range(2, _MAX_ORDER + 1):
        valid = positions + n <= ends
        ids = np.full(len(words), -1, dtype=np.int64)
        keys = previous[valid] * vocab_size + words[positions[valid] + n - 1]
        ids[valid], size = _dense_ids(keys)
        result.append((ids, size))
        previous = ids
    return result


def _group_counts(keys: np.ndarray, gram_bits: int, sentinel: int):
    """Sort (example, n-gram, role) keys; return each (example, n-gram)'s example and src / out / ref counts.

    Runs of equal keys give the count of one n-gram in one role of one example; reference occurrences all
    carry role 2, so their run is the count summed over the references. Positions where no n-gram of this
    order fits carry the sentinel n-gram and are dropped here.
    """
    keys.sort()
    run_start = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    counts = np.diff(np.append(run_start, len(keys)))
    group_key = keys[run_start] >> 2
    role = keys[run_start] & 3
    new_group = np.concatenate(([True], group_key[1:] != group_key[:-1]))
    group = np.cumsum(new_group) - 1
    n_groups = int(group[-1]) + 1
    per_role = np.zeros((3, n_groups), dtype=np.int64)
    per_role[role, group] = counts
    heads = group_key[new_group]
    real = (heads & ((1 << gram_bits) - 1)) != sentinel
    return heads[real] >> gram_bits, per_role[0, real], per_role[1, real], per_role[2, real]


def _component_scores(grouped, n_refs: np.ndarray, n_examples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F_keep, P_del, F_add) of every example for one order, from the grouped counts."""
    example, src, out, ref = grouped
    r = n_refs[example]
    s, c = src * r, out * r
    kept = np.minimum(s, c)
    kept_good = np.minimum(kept, ref)
    deleted = s - c
    deleted_good = deleted - ref
    added = (out > 0) & (src == 0)
    columns = np.empty((len(example), 9))
    columns[:, 0] = kept > 0
    columns[:, 1] = kept_good
    columns[:, 2] = np.minimum(s, ref)
    columns[:, 3] = deleted > 0
    columns[:, 4] = added
    columns[:, 5] = added & (ref > 0)
    columns[:, 6] = (ref > 0) & (src == 0)
    np.divide(kept_good, kept, out=columns[:, 7], where=kept > 0)
    columns[kept <= 0, 7] = 0.0
    np.divide(deleted_good, deleted, out=columns[:, 8], where=deleted_good > 0)
    columns[deleted_good <= 0, 8] = 0.0
    sums = _segment_sums(columns, example, n_examples)
    n_keep, keep_good, keep_all, n_del, n_add, add_good, add_all, keep_sum, del_sum = sums.T

    keep_f = _f1(_ratio(keep_sum, n_keep), _ratio(keep_good, keep_all))
    add_f = _f1(_ratio(add_good, n_add), _ratio(add_good, add_all))
    return keep_f, _ratio(del_sum, n_del), add_f


def _segment_sums(columns: np.ndarray, example: np.ndarray, n_examples: int) -> np.ndarray:
    """Column sums of the rows of each example (rows sorted by example; an example may have none)."""
    bounds = np.searchsorted(example, np.arange(n_examples + 1))
    sums = np.zeros((n_examples, columns.shape[1]))
    present = bounds[1:] > bounds[:-1]
    if len(columns):
        sums[present] = np.add.reduceat(columns, bounds[:-1][present], axis=0)
    return sums


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with 0/0 (an empty counter) = 1, the evaluate / tensor2tensor convention."""
    return np.where(den > 0, num / np.maximum(den, 1), 1.0)


def _f1(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    total = p + r
    return np.where(total > 0, 2 * p * r / np.where(total > 0, total, 1.0), 0.0)


def _validate(sources, predictions, references) -> None:
    if not (len(sources) == len(predictions) == len(references)):
        raise ValueError(
            f"sources ({len(sources)}), predictions ({len(predictions)}) and references ({len(references)}) "
            "must have the same length"
        )
    if len(predictions) == 0:
        raise ValueError("SARI needs at least one example")
    for i, refs in enumerate(references):
        if isinstance(refs, str) or len(refs) == 0:
            raise ValueError(f"example {i}: references must be a non-empty list of strings")


def sari_scores(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]]
) -> SariScores:
    """SARI of every example (0-100) with its add / keep / delete components, as evaluate computes them.

    ``references[i]`` is the list of references of example i (at least one; the counts are weighted by
    their number, so examples may have different numbers of references).
    """
    _validate(sources, predictions, references)
    n_examples = len(predictions)
    n_refs_list = [len(refs) for refs in references]
    all_strings = [*sources, *predictions, *(r for refs in references for r in refs)]
    index_of: dict[str, int] = {}
    string_ids = np.fromiter((index_of.setdefault(s, len(index_of)) for s in all_strings), dtype=np.int64,
                             count=len(all_strings))
    words, offsets, vocab_size = _tokenize_unique(list(index_of))

    n_refs = np.asarray(n_refs_list, dtype=np.int64)
    examples = np.arange(n_examples, dtype=np.int64)
    slot_example = np.concatenate([examples, examples, np.repeat(examples, n_refs)])
    slot_role = np.repeat(np.array([0, 1, 2], dtype=np.int64), [n_examples, n_examples, int(n_refs.sum())])

    # Every token occurrence of every example's strings, once; each order reuses it with its own n-gram ids.
    lengths = np.diff(offsets)[string_ids]
    occurrence = _ragged_index(offsets[string_ids], lengths)
    orders = _ngram_ids(words, offsets, vocab_size)
    sentinel = max(size for _, size in orders)
    gram_bits = sentinel.bit_length()
    if max(n_examples.bit_length(), 1) + gram_bits + 2 > 63:
        raise ValueError("corpus too large to score in one call; score it in chunks")
    base = (np.repeat(slot_example, lengths) << (gram_bits + 2)) | np.repeat(slot_role, lengths)

    keep = np.zeros(n_examples)
    delete = np.zeros(n_examples)
    add = np.zeros(n_examples)
    for gram_ids, _ in orders:
        shifted = np.where(gram_ids < 0, sentinel, gram_ids) << 2
        grouped = _group_counts(base | shifted[occurrence], gram_bits, sentinel)
        k, d, a = _component_scores(grouped, n_refs, n_examples)
        keep += k
        delete += d
        add += a
    keep, delete, add = keep / _MAX_ORDER, delete / _MAX_ORDER, add / _MAX_ORDER
    sari = (keep + delete + add) / 3
    return SariScores(sari=100 * sari, add=100 * add, keep=100 * keep, delete=100 * delete)


def sari_sentence(source: str, prediction: str, references: Sequence[str]) -> dict[str, float]:
    """SARI of one example: ``{"sari", "sari_add", "sari_keep", "sari_del"}`` on the 0-100 scale."""
    return sari_scores([source], [prediction], [list(references)]).rows()[0]


def corpus_sari(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]]
) -> float:
    """evaluate's corpus SARI: 100 x the mean of the sentence SARIs.

    >>> round(corpus_sari(["About 95 species are currently accepted."], ["About 95 you now get in."],
    ...     [["About 95 species are currently known.", "About 95 species are now accepted.",
    ...       "95 species are now accepted."]]), 10)
    26.9536019536
    """
    return float(np.mean(sari_scores(sources, predictions, references).sari))
