"""Generation from a tiny T5 trained here (a few seconds), loaded from its local directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from selection.core.generation import clear_model_cache, generate, load_model
from selection.core.training import TrainingConfig, train
from selection.demo import synthetic_edit_examples

# A copy-like task the 1-layer model picks up in 60 steps, so its outputs differ from source to source.
TINY = TrainingConfig(
    num_layers=1, d_model=32, d_ff=64, num_heads=2, vocab_size=200, max_steps=60, batch_size=16,
    learning_rate=1e-2, log_every=20, checkpoint_every=30, seed=0, dropout_rate=0.0, num_threads=1,
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    examples = synthetic_edit_examples(64, seed=0)
    result = train(TINY, examples, tmp_path_factory.mktemp("gen-run"))
    return Path(result.final_dir)


@pytest.fixture(scope="module")
def srcs():
    # varied lengths so that sorting by length really reorders them
    texts = [ex["src"] for ex in synthetic_edit_examples(12, seed=1)]
    return [t if i % 3 else t + " " + t for i, t in enumerate(texts)]


def test_batched_sorted_generation_returns_outputs_in_input_order(model_dir, srcs):
    one_by_one = [generate(model_dir, [s], batch_size=1, max_new_tokens=24)[0] for s in srcs]
    batched = generate(model_dir, srcs, batch_size=5, max_new_tokens=24)
    assert batched == one_by_one
    assert len(set(batched)) > 3, "the model should produce source-dependent outputs"
    assert generate(model_dir, list(reversed(srcs)), batch_size=5, max_new_tokens=24) == batched[::-1]


def test_beam_search_and_progress(model_dir, srcs):
    calls = []
    out = generate(model_dir, srcs, batch_size=4, num_beams=3, max_new_tokens=24,
                   progress=lambda done, total: calls.append((done, total)))
    assert len(out) == len(srcs) and all(isinstance(o, str) for o in out)
    assert calls == [(4, 12), (8, 12), (12, 12)]


def test_max_new_tokens_bounds_output_length(model_dir, srcs):
    model, tokenizer = load_model(model_dir)
    out = generate(model_dir, srcs, max_new_tokens=3)
    assert all(len(tokenizer(o, add_special_tokens=False).input_ids) <= 3 for o in out)


def test_load_model_caches_per_path_and_loads_checkpoints(model_dir):
    model, tokenizer = load_model(model_dir)
    assert load_model(str(model_dir)) == (model, tokenizer)
    assert not model.training
    checkpoint = model_dir.parent / "checkpoints" / "step-30"
    ckpt_model, _ = load_model(checkpoint)
    assert ckpt_model is not model
    assert len(generate(checkpoint, ["Simplify: the vessel will move the car ."])) == 1
    clear_model_cache()
    assert load_model(model_dir)[0] is not model


def test_empty_input_and_bad_arguments(model_dir):
    assert generate(model_dir, []) == []
    with pytest.raises(ValueError, match="batch_size"):
        generate(model_dir, ["x"], batch_size=0)
    with pytest.raises(ValueError, match="num_beams"):
        generate(model_dir, ["x"], num_beams=0)
    with pytest.raises(ValueError, match="srcs must be strings"):
        generate(model_dir, [None])
