"""The SARI oracle (selection.core.metrics.sari_reference) pinned to evaluate's published worked example."""

import pytest

from selection.core.metrics.sari_reference import reference_corpus_sari, reference_normalize


def test_reference_matches_evaluate_docstring_example():
    srcs = ["About 95 species are currently accepted."]
    preds = ["About 95 you now get in."]
    refs = [["About 95 species are currently known.", "About 95 species are now accepted.",
             "95 species are now accepted."]]
    assert reference_corpus_sari(srcs, preds, refs) == pytest.approx(26.953601953601954, abs=1e-12)


def test_reference_normalize_splits_punctuation_and_lowercases():
    assert reference_normalize("Hello, World.") == "hello , world ."
    assert reference_normalize("").split(" ") == [""]
