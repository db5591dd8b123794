"""Instruction handling (only CoEDIT's known phrasings, or a declared instruction, are removed) and the
bootstrap over corpus statistics (vectorised weights against a plain loop that re-scores each resample)."""

import json
from pathlib import Path

import numpy as np
import pytest

from selection.core.metrics import (
    corpus_bootstrap_ci,
    corpus_gleu,
    corpus_paired_bootstrap,
    corpus_sari,
    gleu_stats,
    gleu_weights_scorer,
    sari_stats,
    sari_weights_scorer,
    score_system,
)
from selection.core.metrics.bootstrap import resample_weights
from selection.core.text import COEDIT_INSTRUCTIONS, add_instruction, split_instruction, strip_instruction

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "eval_sample.jsonl"


@pytest.mark.parametrize("src", [
    "The spacecraft consists of two main elements: the NASA Cassini orbiter, named after the astronomer.",
    "Working Group I: Assesses scientific aspects of the climate system and climate change.",
    "Note: this is a sentence.",
    "Simplify the tax code: a proposal.",
])
def test_a_colon_alone_never_cuts_the_input(src):
    assert strip_instruction(src) == src


@pytest.mark.parametrize("task, phrasings", sorted(COEDIT_INSTRUCTIONS.items()))
def test_every_known_phrasing_is_removed(task, phrasings):
    for phrasing in phrasings:
        assert split_instruction(f"{phrasing}: She go home.") == (phrasing, "She go home.")
        assert strip_instruction(f"{phrasing.lower()}:  She go home.") == "She go home."


def test_declared_instruction_and_add_instruction():
    assert strip_instruction("Tidy this up: she go.", "Tidy this up") == "she go."
    assert strip_instruction("Tidy this up: she go.") == "Tidy this up: she go."
    assert strip_instruction("Something else: x", "Tidy this up") == "Something else: x"
    assert add_instruction("she go .", "gec") == "Fix grammar: she go ."
    assert add_instruction("Fix grammar: she go .", "gec") == "Fix grammar: she go ."
    assert add_instruction("x", "unknown-task") is None


def _fixture(benchmark):
    rows = [json.loads(line) for line in FIXTURE.open(encoding="utf-8")]
    rows = [r for r in rows if r["dataset"] == benchmark and r["split"] == "test"]
    srcs = [r["src"] for r in rows]
    preds = [" ".join(s.split()[:-1]) for s in srcs]
    return srcs, preds, [r["refs"] for r in rows]


def test_resampled_corpus_sari_equals_rescoring_each_resample():
    srcs, preds, refs = _fixture("asset")
    n, n_boot = len(srcs), 30
    weights = next(resample_weights(n, n_boot, np.random.default_rng(3)))
    vectorised = sari_weights_scorer(sari_stats(srcs, preds, refs))(weights)
    # the same resamples, drawn again as index lists and scored from the strings
    draws = np.random.default_rng(3).integers(0, n, size=(n_boot, n))
    looped = [corpus_sari([srcs[i] for i in d], [preds[i] for i in d], [refs[i] for i in d]) for d in draws]
    assert vectorised == pytest.approx(looped, abs=1e-9)
    # GLEU: a resample's weights equal repeating its examples (the reference draws are the script's per row)
    stats = gleu_stats(srcs, preds, refs)
    assert gleu_weights_scorer(stats)(np.ones((1, n)))[0] == pytest.approx(corpus_gleu(srcs, preds, refs))


def test_corpus_interval_and_paired_test():
    srcs, preds, refs = _fixture("jfleg")
    scores = score_system(srcs, preds, refs, fkgl=False)
    copy = score_system(srcs, srcs, refs, fkgl=False)
    ci = corpus_bootstrap_ci(sari_weights_scorer(scores.sari), len(srcs), n_resamples=300, random_state=1)
    assert ci.estimate == pytest.approx(corpus_sari(srcs, preds, refs))
    assert ci.low < ci.estimate < ci.high
    assert ci == corpus_bootstrap_ci(sari_weights_scorer(scores.sari), len(srcs), n_resamples=300, random_state=1)
    paired = corpus_paired_bootstrap(sari_weights_scorer(scores.sari), sari_weights_scorer(copy.sari), len(srcs),
                                     n_resamples=300, random_state=1)
    assert paired.mean_diff == pytest.approx(corpus_sari(srcs, preds, refs) - corpus_sari(srcs, srcs, refs))
    assert paired.low <= paired.mean_diff <= paired.high
    # the p-value follows the documented rule on the same resampled differences
    diffs = []
    for w in resample_weights(len(srcs), 300, np.random.default_rng(1)):
        diffs.append(sari_weights_scorer(scores.sari)(w) - sari_weights_scorer(copy.sari)(w))
    diffs = np.concatenate(diffs)
    share = np.mean(diffs <= 0) if paired.mean_diff > 0 else np.mean(diffs >= 0)
    assert paired.p_value == pytest.approx(min(1.0, 2 * share))
    same = scores.paired(scores, "gleu", n_resamples=50)
    assert same.mean_diff == 0 and same.p_value == 1.0


@pytest.mark.parametrize("counts", [[4] * 300, [10] * 37, [1] * 20, [3] * 50, [2, 4, 4, 1, 3] * 9])
def test_reference_draws_are_the_jfleg_scripts(counts):
    """random.seed(j * 101), then random.randint(0, k - 1) per sentence: the script's draws, exactly."""
    import random as stdlib_random

    from selection.core.metrics.gleu import reference_indices

    got = reference_indices(counts, 40)
    script_random = stdlib_random.Random()  # the module-level functions are methods of one such instance
    for j in range(40):
        script_random.seed(j * 101)
        assert list(got[j]) == [script_random.randint(0, k - 1) for k in counts]
