"""SARI (Xu et al., TACL 2016) exactly as Hugging Face ``evaluate``'s ``sari`` metric computes it, vectorised
(the platform's ``sari_evaluate``; the papers' corpus SARI, ``sari``, is in ``sari_corpus.py`` and shares the
tokenisation and n-gram counting below).

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
string is tokenised once, all of them joined into one text; the whitespace split runs in numpy on its UTF-8
bytes and gives every raw token an integer id (a hash sort, checked byte for byte, so no Python string is made
per token occurrence); the 13a regexes, which only ever act inside one whitespace-separated token, run once
over the distinct raw tokens that need them. N-grams become integer ids, all the counting for the whole corpus
is an integer value sort of (order, example, n-gram, role) keys per order, and the per-example sums are
segment reductions with several small integer sums packed into one int64.

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

__all__ = ["SariScores", "sari_scores", "sari_sentence", "corpus_sari_evaluate", "normalize_tokens"]

_MAX_ORDER = 4
_SEP = "\x01"  # joins strings into one text; never produced or touched by the 13a rules
_REGEXP = TokenizerRegexp()
# A raw token without any of these characters passes the 13a regexes unchanged.
_NEEDS_13A = re.compile(r"[\{-\~\[-\` -\&\(-\+\:-\@\/\.,\-]")
# The commonest other case, a word with a final comma or period: 13a always splits that punctuation off.
_WORD_THEN_PUNCT = re.compile(r"([^\{-\~\[-\` -\&\(-\+\:-\@\/\.,\-]+)([.,])")
# What str.split() splits on: the ASCII separators, found byte-wise in numpy, and the other Unicode spaces
# (all below U+3001), which are replaced by " " first.
_ASCII_SPACE = np.array([c < 128 and chr(c).isspace() for c in range(256)])
_OTHER_SPACE = re.compile("[" + "".join(c for c in map(chr, range(128, 0x3001)) if c.isspace()) + "]")
_SPACE_UTF8 = [c.encode("utf-8") for c in _OTHER_SPACE.pattern[1:-1]]
_SPACE_LEAD = np.isin(np.arange(256), [b[0] for b in _SPACE_UTF8])
_SPACE_CODES = tuple(np.array([int.from_bytes(b, "big") for b in _SPACE_UTF8 if len(b) == k]) for k in (2, 3))
_HASH_BASE = np.uint64(0x9E3779B97F4A7C15)
_HASH_LENGTH = np.uint64(0xC2B2AE3D27D4EB4F)
_COUNT_BITS = 21  # the src / out / ref counts of one n-gram in one example, packed into one int64
_BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)  # the low k bytes
# Bytes in the 13a punctuation classes (the class of _NEEDS_13A), and the 13a rules with the space left out of
# the first class (see _split_raw_tokens).
_13A_BYTE = np.array([c < 128 and _NEEDS_13A.match(chr(c)) is not None for c in range(256)], dtype=np.int64)
_13A_RULES = [(re.compile(r"([\{-\~\[-\`!-\&\(-\+\:-\@\/])"), r" \1 "), *_REGEXP._re[1:]]


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
    split each run once; the whitespace split itself runs on the UTF-8 bytes in numpy, and the 13a regexes run
    once over the distinct raw tokens.
    """
    big = _line_level(f" {_SEP} ".join([s.lower() for s in strings]) + f" {_SEP}")
    raw = None
    if big.count(_SEP) == len(strings):  # else a string holds the separator itself
        raw = _raw_token_ids(big)
    if raw is None:  # the plain Python way
        return _tokenize_slow(strings)
    raw_ids, raw_vocab, kind = raw
    sep_raw = raw_vocab.index(_SEP)
    piece_flat, piece_len, vocab_size = _split_raw_tokens(raw_vocab[:sep_raw] + raw_vocab[sep_raw + 1:],
                                                          np.delete(kind, sep_raw))
    # Put the separator back as raw id sep_raw, made of the single piece 0.
    piece_flat = np.concatenate([piece_flat[: int(piece_len[:sep_raw].sum())], [0],
                                 piece_flat[int(piece_len[:sep_raw].sum()):]])
    piece_len = np.concatenate([piece_len[:sep_raw], [1], piece_len[sep_raw:]])
    return _assemble(raw_ids, piece_flat, piece_len, len(strings), vocab_size)


def _tokenize_slow(strings: list[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """The same result as ``_tokenize_unique``, one string at a time (only for the rare fallback cases)."""
    token_lists = [normalize_tokens(s) for s in strings]
    vocab: dict[str, int] = {_SEP: 0, "": 1}  # a literal "\x01" token is just another id here
    flat = [t for tokens in token_lists for t in tokens]
    words = np.fromiter((vocab.setdefault(t, len(vocab)) for t in flat), dtype=np.int64, count=len(flat))
    offsets = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum([len(tokens) for tokens in token_lists], out=offsets[1:])
    return words, offsets, len(vocab)


def _assemble(raw_ids: np.ndarray, piece_flat: np.ndarray, piece_len: np.ndarray, n_strings: int, vocab_size: int,
              ) -> tuple[np.ndarray, np.ndarray]:
    """Expand raw tokens into their 13a pieces and cut the stream at the separators (piece 0) into strings."""
    if np.all(piece_len == 1):
        tokens = piece_flat[raw_ids]
    else:
        piece_start = np.cumsum(piece_len) - piece_len
        tokens = piece_flat[_ragged_index(piece_start[raw_ids], piece_len[raw_ids])]
    is_sep = tokens == 0
    string_of = np.cumsum(is_sep) - is_sep  # index of the string each token belongs to
    words, owner = tokens[~is_sep], string_of[~is_sep]
    lengths = np.bincount(owner, minlength=n_strings)
    empty = np.flatnonzero(lengths == 0)
    if len(empty):  # an empty normalised string is one empty token, as "".split(" ") == [""]
        words = np.concatenate([words, np.ones(len(empty), dtype=np.int64)])
        owner = np.concatenate([owner, empty])
        words = words[np.argsort(owner, kind="stable")]
        lengths[empty] = 1
    offsets = np.zeros(n_strings + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return words, offsets, vocab_size


def _raw_token_ids(text: str) -> tuple[np.ndarray, list[str], np.ndarray] | None:
    """``text.split()`` as ids of distinct tokens, those tokens and their 13a kind, without a str per token.

    The split runs on the UTF-8 bytes (other Unicode spaces are first replaced by " ", which ``split`` treats
    alike). A token's first 8 bytes, read as one integer, are the token itself when it is short (most are);
    longer tokens fold in their further 8-byte words. Sorting a multiplicative hash of that with the token
    index in its low bits groups equal tokens, and every token is then checked against its group's first
    token (length, first word, further words), so the ids are exact: on a collision this returns None and the
    caller takes the plain Python way. The kind of a distinct token is 0 when 13a leaves it alone, 1 for a
    word with a final "." or ",", which 13a splits in two, and 2 otherwise.
    """
    data = text.encode("utf-8", "surrogatepass")
    buf = np.zeros(len(data) + 8, dtype=np.uint8)  # 8 bytes of padding, for the 8-byte words below
    buf[: len(data)] = np.frombuffer(data, dtype=np.uint8)
    if not text.isascii() and _has_other_space(buf):
        data = _OTHER_SPACE.sub(" ", text).encode("utf-8", "surrogatepass")
        buf = np.zeros(len(data) + 8, dtype=np.uint8)
        buf[: len(data)] = np.frombuffer(data, dtype=np.uint8)
    inside = np.zeros(len(data) + 2, dtype=bool)
    np.logical_not(_ASCII_SPACE[buf[: len(data)]], out=inside[1:-1])
    edges = np.flatnonzero(inside[1:] != inside[:-1])
    starts, ends = edges[0::2], edges[1::2]
    n = len(starts)
    if n == 0:
        return None
    lengths = ends - starts
    # the 8 bytes from every offset as one little-endian integer (an unaligned strided view, no copy)
    words = np.ndarray(shape=(len(data),), dtype="<u8", buffer=buf, strides=(1,))
    head = words[starts] & _BYTE_MASKS[np.minimum(lengths, 8)]
    long_at = np.flatnonzero(lengths > 8)
    tails = [_fold_words(words, starts[long_at], lengths[long_at])] if len(long_at) else []
    with np.errstate(over="ignore"):
        hashes = head + lengths.astype(np.uint64) * _HASH_LENGTH
        if tails:
            hashes[long_at] += tails[0] * _HASH_BASE
        hashes *= _HASH_BASE
    index_bits = n.bit_length()
    index_mask = np.uint64((1 << index_bits) - 1)
    keys = (hashes & ~index_mask) | np.arange(n, dtype=np.uint64)
    keys.sort()
    order = (keys & index_mask).astype(np.int64)
    keys >>= np.uint64(index_bits)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    ids = np.empty(n, dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    first = order[new]
    rep = first[ids]
    if not (np.array_equal(lengths, lengths[rep]) and np.array_equal(head, head[rep])):
        return None
    if tails and not _same_tails(words, starts[long_at], starts[rep[long_at]], lengths[long_at]):
        return None
    first_start, first_end = starts[first], ends[first]
    vocab = [data[s:e].decode("utf-8", "surrogatepass") for s, e in zip(first_start.tolist(), first_end.tolist())]

    first_len = first_end - first_start
    special = np.add.reduceat(_13A_BYTE[buf[_ragged_index(first_start, first_len)]], np.cumsum(first_len) - first_len)
    last = buf[first_end - 1]
    word_punct = (special == 1) & ((last == ord(".")) | (last == ord(","))) & (first_len > 1)
    kind = np.where(special == 0, 0, np.where(word_punct, 1, 2))
    return ids, vocab, kind


def _has_other_space(buf: np.ndarray) -> bool:
    """Whether UTF-8 bytes (followed by 2 or more padding bytes) encode a non-ASCII space."""
    at = np.flatnonzero(_SPACE_LEAD[buf[:-2]])
    code = (buf[at].astype(np.int64) << 16) | (buf[at + 1].astype(np.int64) << 8) | buf[at + 2]
    return bool(np.isin(code >> 8, _SPACE_CODES[0]).any() or np.isin(code, _SPACE_CODES[1]).any())


def _fold_words(words: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A hash of the bytes after the first 8 of each token, from its further 8-byte words."""
    folded = np.zeros(len(starts), dtype=np.uint64)
    here, left, active = starts + 8, lengths - 8, np.arange(len(starts))
    with np.errstate(over="ignore"):
        while len(active):
            word = words[here] & _BYTE_MASKS[np.minimum(left, 8)]
            folded[active] = folded[active] * _HASH_BASE + word
            longer = left > 8
            here, left, active = here[longer] + 8, left[longer] - 8, active[longer]
    return folded


def _same_tails(words: np.ndarray, here: np.ndarray, there: np.ndarray, lengths: np.ndarray) -> bool:
    """Whether the bytes after the first 8 of the tokens at ``here`` equal those at ``there`` (same lengths)."""
    here, there, left = here + 8, there + 8, lengths - 8
    while len(here):
        mask = _BYTE_MASKS[np.minimum(left, 8)]
        if not np.array_equal(words[here] & mask, words[there] & mask):
            return False
        longer = left > 8
        here, there, left = here[longer] + 8, there[longer] + 8, left[longer] - 8
    return True


def _split_raw_tokens(tokens: list[str], kind: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The 13a pieces of every distinct raw token, as ids (flattened) and counts, and the vocabulary size.

    Tokens of kind 0 are their own piece and those of kind 1 split before their last character. The rest are
    joined with " \\x01 " and the 13a regexes run once over the joined text: each rule only looks at a
    character and its neighbours, the spaces around each token play the part of the padding sacrebleu adds to
    a line, and no rule can touch the lone \\x01 between two spaces. The first rule is used without the space
    in its character class: it only turns a run of spaces into a longer one, which the split undoes.
    """
    kinds = kind.tolist()
    others = [t for t, k in zip(tokens, kinds) if k == 2]
    text = f" {f' {_SEP} '.join(others)} "
    for pattern, replacement in _13A_RULES:
        text = pattern.sub(replacement, text)
    pieces = text.split()
    cuts = [i for i, piece in enumerate(pieces) if piece == _SEP]
    if len(cuts) != len(others) - 1:  # cannot happen for whitespace-free tokens; stay exact regardless
        split_others = [list(_split_raw_token(t)) for t in others]
    else:
        bounds = [0, *(c + 1 for c in cuts), len(pieces) + 1]
        split_others = [pieces[bounds[i]: bounds[i + 1] - 1] for i in range(len(others))]
    sequence: list[str] = []
    lengths = np.array([1, 2, 0])[kind]
    lengths[kind == 2] = [len(p) for p in split_others]
    other_pieces = iter(split_others)
    for token, k in zip(tokens, kinds):
        if k == 0:
            sequence.append(token)
        elif k == 1:
            sequence += (token[:-1], token[-1])
        else:
            sequence += next(other_pieces)
    vocab: dict[str, int] = {_SEP: 0, "": 1}
    ids = np.fromiter(map(lambda p: vocab.setdefault(p, len(vocab)), sequence), dtype=np.int64, count=len(sequence))
    return ids, lengths, len(vocab)


def _ragged_index(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for every (s, n), without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)


def _dense_ids(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Map non-negative integer keys to 0..k-1 (equal keys, equal ids).

    A plain value sort with the position packed into the low bits is several times faster than an argsort.
    """
    n = len(keys)
    if n == 0:
        return keys.copy(), 0
    index_bits = n.bit_length()
    if int(keys.max()) >> (63 - index_bits):
        _, ids = np.unique(keys, return_inverse=True)
        return ids.astype(np.int64), int(ids.max()) + 1
    packed = (keys << index_bits) | np.arange(n, dtype=np.int64)
    packed.sort()
    order = packed & ((1 << index_bits) - 1)
    packed >>= index_bits
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(packed[1:], packed[:-1], out=new[1:])
    ids = np.empty(n, dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids, int(np.count_nonzero(new))


def _ngram_ids(words: np.ndarray, offsets: np.ndarray, vocab_size: int, max_bits: int,
               ) -> list[tuple[np.ndarray, int]]:
    """For each order, an id of the n-gram starting at every token position where one fits, and an id bound.

    Bigrams get dense ids (one sort); a trigram is then (bigram, word) and a 4-gram (bigram, bigram), packed
    into one integer, and densified only if that integer would need more than ``max_bits`` bits. Positions
    where no n-gram of the order fits hold meaningless values and are never read.
    """
    remaining = np.repeat(offsets[1:], np.diff(offsets)) - np.arange(len(words), dtype=np.int64)
    at = np.flatnonzero(remaining >= 2)
    bigrams = np.zeros(len(words), dtype=np.int64)
    bigrams[at], n_bigrams = _dense_ids(words[at] * vocab_size + words[at + 1])
    result = [(words, vocab_size), (bigrams, n_bigrams)]
    for n, right, right_size in ((3, words, vocab_size), (4, bigrams, n_bigrams)):
        at = np.flatnonzero(remaining >= n)
        ids = np.zeros(len(words), dtype=np.int64)
        values, size = bigrams[at] * right_size + right[at + 2], n_bigrams * right_size
        if size.bit_length() > max_bits:
            values, size = _dense_ids(values)
        ids[at] = values
        result.append((ids, size))
    return result


def gram_runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n-gram key of each key, start of each run of one n-gram, role of each key) of sorted
    (segment, n-gram, role) keys: a run of equal ``keys >> 2`` is one n-gram of one example and order."""
    gram = keys >> 2
    new = np.empty(len(keys), dtype=bool)
    new[0] = True
    np.not_equal(gram[1:], gram[:-1], out=new[1:])
    return gram, np.flatnonzero(new), keys & 3


def _segment_scores(keys: np.ndarray, gram_bits: int, n_refs: np.ndarray, n_examples: int, packed: bool,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F_keep, P_del, F_add) of every (order, example) segment from sorted (segment, n-gram, role) keys.

    A run of equal keys >> 2 is one n-gram of one example and order. With ``packed`` (every count and every
    per-segment sum below fits in 21 bits), adding 1, 2^21 or 2^42 per occurrence of role src / out / ref
    gives the n-gram's three counts in one reduction (reference occurrences summed over the references), and
    the integer per-segment sums are likewise reduced three to an int64. N-grams found only in references
    (often the most) count only towards the add recall denominator, so they are just counted per segment.
    """
    gram, starts, role = gram_runs(keys)
    n_segments = _MAX_ORDER * n_examples
    segment = gram[starts] >> gram_bits
    groups = np.diff(np.searchsorted(segment, np.arange(n_segments + 1)))
    if packed:
        counts = np.add.reduceat(np.array([1, 1 << _COUNT_BITS, 1 << (2 * _COUNT_BITS), 0])[role], starts)
        seen = np.flatnonzero(counts & ((1 << (2 * _COUNT_BITS)) - 1))  # in the source or the output
        src, out, ref = _unpack(counts[seen], 3)
    else:
        src, out, ref = (np.add.reduceat((role == k).astype(np.int64), starts) for k in range(3))
        seen = np.flatnonzero(src | out)
        src, out, ref = src[seen], out[seen], ref[seen]
    segment = segment[seen]
    bounds = np.searchsorted(segment, np.arange(n_segments + 1))
    present = bounds[1:] > bounds[:-1]
    first = bounds[:-1][present]

    def total(values: np.ndarray) -> np.ndarray:
        sums = np.zeros(n_segments, dtype=values.dtype)
        sums[present] = np.add.reduceat(values, first)
        return sums

    r = np.tile(n_refs, _MAX_ORDER)[segment]
    kept = np.minimum(src, out) * r
    kept_good = np.minimum(kept, ref)
    deleted = (src - out) * r
    deleted_good = deleted - ref
    added = src == 0  # out > 0 here
    integer_columns = [kept_good, np.minimum(src * r, ref), kept > 0, deleted > 0, added, added & (ref > 0)]
    if packed:
        chunks = [integer_columns[i:i + 3] for i in range(0, len(integer_columns), 3)]
        sums = [part for chunk in chunks for part in _unpack(total(_pack(chunk)), len(chunk))]
    else:
        sums = [total(column.astype(np.int64)) for column in integer_columns]
    keep_good, keep_all, n_keep, n_del, n_add, add_good = sums
    add_all = add_good + groups - np.diff(bounds)  # + the n-grams found only in references
    # kept == 0 implies kept_good == 0, and deleted_good > 0 implies deleted > 0: the guarded terms are 0
    keep_sum = total(kept_good / np.maximum(kept, 1))
    del_sum = total(np.maximum(deleted_good, 0) / np.maximum(deleted, 1))

    keep_f = _f1(_ratio(keep_sum, n_keep), _ratio(keep_good, keep_all))
    add_f = _f1(_ratio(add_good, n_add), _ratio(add_good, add_all))
    return keep_f, _ratio(del_sum, n_del), add_f


def _pack(columns: list[np.ndarray]) -> np.ndarray:
    """Up to three non-negative integer (or bool) columns, each below 2^21, in one int64 column."""
    word = columns[0].astype(np.int64)
    for j, column in enumerate(columns[1:], 1):
        word |= column.astype(np.int64) << (j * _COUNT_BITS)
    return word


def _unpack(word: np.ndarray, n: int) -> list[np.ndarray]:
    mask = (1 << _COUNT_BITS) - 1
    return [(word >> (j * _COUNT_BITS)) & mask for j in range(n)]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with 0/0 (an empty counter) = 1, the evaluate / tensor2tensor convention."""
    return np.where(den > 0, num / np.maximum(den, 1), 1.0)


def _f1(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    total = p + r
    return np.where(total > 0, 2 * p * r / np.where(total > 0, total, 1.0), 0.0)


def _validate(sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]]) -> None:
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


def _drop_empty_tokens(words: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove the empty token (id 1) that stands for an empty normalised string."""
    keep = words != 1
    if keep.all():
        return words, offsets
    owner = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    lengths = np.bincount(owner[keep], minlength=len(offsets) - 1)
    new_offsets = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    return words[keep], new_offsets


def _ngram_keys(sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]], *,
                drop_empty: bool) -> tuple[np.ndarray, int, np.ndarray, bool]:
    """Sorted (order, example, n-gram, role) keys of every n-gram occurrence, and what decodes them.

    Returns ``(keys, gram_bits, n_refs, packed)``. Roles: 0 source, 1 output, 2 reference. With
    ``drop_empty`` a string that normalises to nothing has no tokens (``str.split()``, EASSE's way); without
    it, it is one empty token (``split(" ")``, evaluate's way).
    """
    _validate(sources, predictions, references)
    n_examples = len(predictions)
    n_refs_list = [len(refs) for refs in references]
    all_strings = [*sources, *predictions, *(r for refs in references for r in refs)]
    index_of = {string: i for i, string in enumerate(dict.fromkeys(all_strings))}
    string_ids = np.fromiter(map(index_of.__getitem__, all_strings), dtype=np.int64, count=len(all_strings))
    words, offsets, vocab_size = _tokenize_unique(list(index_of))
    if drop_empty:
        words, offsets = _drop_empty_tokens(words, offsets)

    n_refs = np.asarray(n_refs_list, dtype=np.int64)
    examples = np.arange(n_examples, dtype=np.int64)
    slot_example = np.concatenate([examples, examples, np.repeat(examples, n_refs)])
    slot_role = np.repeat(np.array([0, 1, 2], dtype=np.int64), [n_examples, n_examples, int(n_refs.sum())])
    lengths = np.diff(offsets)[string_ids]
    starts = offsets[string_ids]
    # every count of one n-gram in one example, and every sum over one example's n-grams, is at most the
    # number of tokens of that example's strings
    packed = int(np.bincount(slot_example, weights=lengths).max()) < 1 << _COUNT_BITS

    segment_bits = max((_MAX_ORDER * n_examples).bit_length(), 1)
    orders = _ngram_ids(words, offsets, vocab_size, 61 - segment_bits)
    gram_bits = max(size for _, size in orders).bit_length()
    if segment_bits + gram_bits + 2 > 63:
        raise ValueError("corpus too large to score in one call; score it in chunks")
    # key = (order, example, n-gram, role): sorting each order's keys sorts their concatenation.
    slot_key = (slot_example << (gram_bits + 2)) | slot_role
    counts = [np.maximum(lengths - n, 0) for n in range(_MAX_ORDER)]
    bounds = np.cumsum([0, *(int(c.sum()) for c in counts)])
    keys = np.empty(bounds[-1], dtype=np.int64)
    for n, (gram_ids, _) in enumerate(orders):
        part = keys[bounds[n]: bounds[n + 1]]
        part[:] = np.repeat(slot_key + ((n * n_examples) << (gram_bits + 2)), counts[n])
        part |= gram_ids[_ragged_index(starts, counts[n])] << 2
        part.sort()
    return keys, gram_bits, n_refs, packed


def sari_scores(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]]
) -> SariScores:
    """SARI of every example (0-100) with its add / keep / delete components, as evaluate computes them.

    ``references[i]`` is the list of references of example i (at least one; the counts are weighted by
    their number, so examples may have different numbers of references).
    """
    n_examples = len(predictions)
    keys, gram_bits, n_refs, packed = _ngram_keys(sources, predictions, references, drop_empty=False)
    keep, delete, add = (
        component.reshape(_MAX_ORDER, n_examples).sum(axis=0)
        for component in _segment_scores(keys, gram_bits, n_refs, n_examples, packed)
    )
    keep, delete, add = keep / _MAX_ORDER, delete / _MAX_ORDER, add / _MAX_ORDER
    sari = (keep + delete + add) / 3
    return SariScores(sari=100 * sari, add=100 * add, keep=100 * keep, delete=100 * delete)


def sari_sentence(source: str, prediction: str, references: Sequence[str]) -> dict[str, float]:
    """SARI of one example: ``{"sari", "sari_add", "sari_keep", "sari_del"}`` on the 0-100 scale."""
    return sari_scores([source], [prediction], [list(references)]).rows()[0]


def corpus_sari_evaluate(
    sources: Sequence[str], predictions: Sequence[str], references: Sequence[Sequence[str]]
) -> float:
    """evaluate's SARI (``sari_evaluate``): 100 x the mean of the sentence SARIs. Not the papers' SARI: see
    :func:`selection.core.metrics.corpus_sari` for that.

    >>> round(corpus_sari_evaluate(["About 95 species are currently accepted."], ["About 95 you now get in."],
    ...     [["About 95 species are currently known.", "About 95 species are now accepted.",
    ...       "95 species are now accepted."]]), 10)
    26.9536019536
    """
    return float(np.mean(sari_scores(sources, predictions, references).sari))
