"""The edit tagger on a tiny BERT built here: tags from alignments, realisation, training, saved-model
generation through the platform's ``generate``, resumption, and the calibration of its edit rates."""
from __future__ import annotations

import json

import pytest

from selection.core import tagger
from selection.core.generation import generate
from selection.core.training import TrainingConfig, train
from selection.demo import synthetic_edit_examples


def test_gold_tags_realise_the_target_when_every_phrase_is_known():
    pairs = [("She go to school every day .", "She goes to school every day ."),
             ("The brilliant mayor was announced on monday .", "The mayor was announced on monday ."),
             ("He utilize the car .", "He uses a car ."),
             ("They have gone home", "They have gone home today."),
             ("It rains , so we stay", "It rains , so we stay home .")]
    for src, tgt in pairs:
        words, spaces = tagger.split_words(src)
        ops, phrases = tagger.align_tags(words, tagger.split_words(tgt)[0])
        assert tagger.realise(words, spaces, ops, phrases) == tgt


def test_realise_keeps_source_spacing_and_recases_a_new_sentence_start():
    words, spaces = tagger.split_words('However, the "big" plan (so far) failed.')
    ops = [tagger.DELETE, tagger.DELETE] + [tagger.KEEP] * (len(words) - 2)
    out = tagger.realise(words, spaces, ops, [""] * (len(words) + 1))
    assert out == 'The "big" plan (so far) failed.'
    dropped_quote = [tagger.KEEP] * len(words)
    dropped_quote[3] = tagger.DELETE
    assert tagger.realise(words, spaces, dropped_quote, [""] * (len(words) + 1)) == \
        'However, the big" plan (so far) failed.'


def test_unrealisable_replacements_are_left_out_of_the_loss():
    words = tagger.split_words("the physician arrived")[0]
    tgt = tagger.split_words("the doctor arrived")[0]
    ops, phrase_ids = tagger.example_labels(words, tgt, {"doctor": 1})
    assert ops[:3] == [tagger.KEEP, tagger.DELETE, tagger.KEEP] and phrase_ids[1] == 1
    ops, phrase_ids = tagger.example_labels(words, tgt, {})
    assert ops[1] == tagger.IGNORE and phrase_ids[1] == tagger.IGNORE


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    texts = [ex["src"] + " " + ex["tgt"] for ex in synthetic_edit_examples(300, seed=1)]
    return tagger.save_tiny_encoder(tmp_path_factory.mktemp("enc"), texts, hidden=32, layers=2)


def _config(encoder: str, **extra) -> TrainingConfig:
    values = dict(base_model=f"tagger:{encoder}", epochs=None, max_steps=120, learning_rate=3e-3, batch_size=16,
                  num_threads=1, log_every=10, checkpoint_every=40, tagger_trainable_layers=0,
                  tagger_phrase_vocab_size=50, tagger_calibration_fraction=0.1)
    values.update(extra)
    return TrainingConfig(**values)


def test_tagger_learns_edits_that_copying_misses(tiny_encoder, tmp_path, monkeypatch):
    monkeypatch.setattr(tagger, "CACHE_DIR", str(tmp_path / "features"))
    examples = synthetic_edit_examples(600, seed=2)
    result = train(_config(tiny_encoder), examples, tmp_path / "run")
    assert result.steps == 120 and (tmp_path / "run" / "final" / tagger.CONFIG_FILE).is_file()
    held_out = synthetic_edit_examples(90, seed=3)
    outputs = generate(result.final_dir, [ex["src"] for ex in held_out])
    exact = sum(o == ex["tgt"] for o, ex in zip(outputs, held_out)) / len(held_out)
    copied = sum(ex["src"].split(": ", 1)[1] == ex["tgt"] for ex in held_out) / len(held_out)
    assert exact > copied + 0.3, (exact, copied, outputs[:3])
    meta = json.loads((tmp_path / "run" / "final" / tagger.CONFIG_FILE).read_text())
    # 40 held-out rows per task (the minimum), each task with its own biases, and instruction -> task.
    assert 120 <= meta["calibrated_on"] <= 126 and set(meta["by_task"]) == {ex["task"] for ex in examples}
    assert meta["similarity"] > meta["copy_similarity"]
    assert meta["instruction_tasks"][" ".join(tagger._prepare([held_out[0]])[0]["instruction"]).lower()] == held_out[0]["task"]


def test_tagger_resumes_from_its_checkpoint(tiny_encoder, tmp_path, monkeypatch):
    from selection.core.training import TrainingCancelled

    monkeypatch.setattr(tagger, "CACHE_DIR", None)
    examples = synthetic_edit_examples(200, seed=4)
    cfg = _config(tiny_encoder, max_steps=40, checkpoint_every=10, tagger_calibration_fraction=0.0)
    straight = train(cfg, examples, tmp_path / "straight")
    calls = {"n": 0}

    def stop_once() -> bool:
        calls["n"] += 1
        return calls["n"] == 2

    with pytest.raises(TrainingCancelled):
        train(cfg, examples, tmp_path / "resumed", should_stop=stop_once)
    resumed = train(cfg, examples, tmp_path / "resumed")
    assert resumed.resumed_from_step == 20
    assert [r["loss"] for r in resumed.loss_history] == pytest.approx([r["loss"] for r in straight.loss_history],
                                                                      rel=1e-5)


def test_tagger_spec_errors_are_clear():
    with pytest.raises(ValueError, match="needs an encoder path"):
        tagger.encoder_path("tagger:")
    with pytest.raises(ValueError, match="tagger_trainable_layers"):
        TrainingConfig(base_model="minilm-tagger", tagger_trainable_layers=-1).validate()


def test_holdout_takes_whole_sources_so_calibration_sees_unseen_sentences():
    rows = tagger._prepare([{"src": f"Simplify: sentence number {i // 4} here .", "tgt": f"ref {j}"}
                            for j, i in enumerate(range(200))])
    held = tagger._holdout_indices(rows, 0.1, seed=0)
    assert 40 <= len(held) <= 44  # the per-task minimum
    sources_held = {" ".join(rows[i]["words"]) for i in held}
    sources_kept = {" ".join(r["words"]) for i, r in enumerate(rows) if i not in held}
    assert not sources_held & sources_kept
    assert all(sum(" ".join(r["words"]) == s for r in rows) == 4 for s in sources_held)


def test_top_layer_variant_trains_with_its_own_learning_rate(tiny_encoder, tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(tagger, "CACHE_DIR", None)
    examples = synthetic_edit_examples(300, seed=5)
    seen = {}
    real_adamw = torch.optim.AdamW

    def spy(groups, **kw):
        seen["lrs"] = [g["lr"] for g in groups]
        return real_adamw(groups, **kw)

    monkeypatch.setattr(torch.optim, "AdamW", spy)
    result = train(_config(tiny_encoder, tagger_trainable_layers=1, tagger_layer_lr_scale=0.25, max_steps=60),
                   examples, tmp_path / "run")
    assert seen["lrs"] == pytest.approx([3e-3, 3e-3 * 0.25])
    meta = json.loads((tmp_path / "run" / "final" / tagger.CONFIG_FILE).read_text())
    assert meta["trainable_layers"] == 1 and meta["frozen_layers"] == 1
    # The calibrated biases never delete a larger share of words than the held-out references do.
    assert meta["predicted_delete_rate"] <= meta["target_delete_rate"]
    assert meta["sari"] >= meta["copy_sari"]
    outputs = generate(result.final_dir, [ex["src"] for ex in examples[:10]])
    assert len(outputs) == 10 and all(isinstance(o, str) for o in outputs)


def test_generation_uses_the_biases_of_the_instructions_task(tiny_encoder, tmp_path, monkeypatch):
    monkeypatch.setattr(tagger, "CACHE_DIR", None)
    examples = synthetic_edit_examples(300, seed=6)
    result = train(_config(tiny_encoder, max_steps=40), examples, tmp_path / "run")
    cfg_path = tmp_path / "run" / "final" / tagger.CONFIG_FILE
    meta = json.loads(cfg_path.read_text())
    gec = next(ex for ex in examples if ex["task"] == "gec")
    instruction = tagger._prepare([gec])[0]["instruction"]
    # Force the grammar task to delete everything and leave the global biases as they are.
    meta["by_task"]["gec"].update({"delete_bias": 50.0, "insert_bias": -50.0})
    cfg_path.write_text(json.dumps(meta))
    (tmp_path / "run" / "final" / tagger.WEIGHTS_FILE).touch()  # a new file time: the loaded copy is stale
    other = next(ex for ex in examples if ex["task"] != "gec")
    out_gec, out_other = tagger.generate_tagger(result.final_dir, [gec["src"], other["src"]])
    assert out_gec == "" and out_other != ""
    assert " ".join(instruction).lower() in meta["instruction_tasks"]
