"""A straightforward SARI, written to mirror Hugging Face ``evaluate``'s ``sari`` script step by step (no Django).

It is the oracle for the fast implementation in ``selection.core.metrics.sari`` (the property tests in
tests/selection/core/test_metrics.py) and the baseline of ``bench/bench_metrics.py``; it lives here so that
neither the tests nor the benchmarks import the other. It is deliberately naive: a fresh sacrebleu tokenizer
per sentence (as ``evaluate`` builds one per call), n-grams as space-joined strings, ``Counter`` arithmetic per
order. tests/selection/core/test_metrics_reference.py pins it to the published worked example, so that the
oracle itself is checked. Nothing in the platform scores with it.
"""

from __future__ import annotations

from collections import Counter

from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

__all__ = ["reference_corpus_sari", "reference_normalize", "reference_sari_ngram", "reference_sari_sentence"]


def reference_normalize(sentence: str) -> str:
    """Lowercase, then sacrebleu's 13a tokenizer (a new instance each call, like evaluate)."""
    return Tokenizer13a()(sentence.lower())


def _string_ngrams(tokens: list[str], n: int) -> list[str]:
    return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if (p > 0 or r > 0) else 0.0


def reference_sari_ngram(sgrams, cgrams, rgramslist, numref):
    """(keep F1, delete precision, add F1) for one n-gram order, with Counter arithmetic."""
    rcount = Counter(g for rgrams in rgramslist for g in rgrams)
    scount = Counter({g: c * numref for g, c in Counter(sgrams).items()})
    ccount = Counter({g: c * numref for g, c in Counter(cgrams).items()})

    keep = scount & ccount
    keep_good = keep & rcount
    keep_all = scount & rcount
    keep_p = sum(keep_good[g] / keep[g] for g in keep_good) / len(keep) if keep else 1.0
    keep_r = sum(keep_good.values()) / sum(keep_all.values()) if keep_all else 1.0

    delete = scount - ccount
    del_good = delete - rcount
    del_p = sum(del_good[g] / delete[g] for g in del_good) / len(delete) if delete else 1.0

    add = set(ccount) - set(scount)
    add_good = add & set(rcount)
    add_all = set(rcount) - set(scount)
    add_p = len(add_good) / len(add) if add else 1.0
    add_r = len(add_good) / len(add_all) if add_all else 1.0
    return _f1(keep_p, keep_r), del_p, _f1(add_p, add_r)


def reference_sari_sentence(src: str, pred: str, refs: list[str]) -> tuple[float, float, float, float]:
    """(sari, add, keep, del) of one example on a 0-1 scale, after evaluate's normalisation."""
    s = reference_normalize(src).split(" ")
    c = reference_normalize(pred).split(" ")
    rs = [reference_normalize(r).split(" ") for r in refs]
    keeps, dels, adds = [], [], []
    for n in range(1, 5):
        k, d, a = reference_sari_ngram(
            _string_ngrams(s, n), _string_ngrams(c, n), [_string_ngrams(r, n) for r in rs], len(refs)
        )
        keeps.append(k)
        dels.append(d)
        adds.append(a)
    add, keep, dele = sum(adds) / 4, sum(keeps) / 4, sum(dels) / 4
    return (add + keep + dele) / 3, add, keep, dele


def reference_corpus_sari(srcs: list[str], preds: list[str], refs_list: list[list[str]]) -> float:
    """evaluate's corpus SARI: 100 x the mean of sentence SARIs."""
    total = sum(reference_sari_sentence(s, p, r)[0] for s, p, r in zip(srcs, preds, refs_list))
    return 100 * total / len(preds)
