"""selection.demo.edit_pairs: the short synthetic word-edit pairs of the training, tagging and generation tests."""
from __future__ import annotations

from selection.demo import synthetic_edit_examples


def test_synthetic_pairs_are_deterministic_word_edits():
    a, b = synthetic_edit_examples(30, seed=5), synthetic_edit_examples(30, seed=5)
    assert a == b and a != synthetic_edit_examples(30, seed=6)
    assert {ex["task"] for ex in a} == {"gec", "neutralize", "simplification"}
    for ex in a:
        text = ex["src"].split(": ", 1)[1]
        assert text != ex["tgt"]
        assert abs(len(text.split()) - len(ex["tgt"].split())) <= 1
