"""End-to-end tests of the training core on a tiny T5 (1 layer, d_model 32): each run takes about a second."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from selection.core.training import (
    TrainingCancelled,
    TrainingConfig,
    _epoch_permutation,
    latest_checkpoint,
    lr_scheduler,
    read_loss_log,
    train,
)
from selection.demo import synthetic_edit_examples

REPO_ROOT = Path(__file__).resolve().parents[3]

TINY = TrainingConfig(
    num_layers=1, d_model=32, d_ff=64, num_heads=2, vocab_size=200, max_steps=20, batch_size=8,
    grad_accumulation=2, learning_rate=1e-2, log_every=1, checkpoint_every=10, seed=3,
    num_threads=1,  # the test machine is shared: two spinning OpenMP threads can be 50x slower there
)


@pytest.fixture(scope="module")
def examples():
    return synthetic_edit_examples(48, seed=0)


@pytest.fixture(scope="module")
def finished(tmp_path_factory, examples):
    """One uninterrupted run, shared by the tests that only read it."""
    run_dir = tmp_path_factory.mktemp("run")
    calls = []
    result = train(TINY, examples, run_dir, progress=lambda s, t, loss: calls.append((s, t, loss)))
    return run_dir, result, calls


def _weights(model_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(model_dir / "model.safetensors"))


def _assert_same_weights(a: Path, b: Path) -> None:
    import torch

    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), key


def test_importing_the_core_does_not_import_torch():
    code = ("import sys, selection.core.training, selection.core.generation, selection.core.tokenizer; "
            "heavy = [m for m in ('torch', 'transformers', 'accelerate', 'tokenizers') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_run_dir_holds_manifest_ids_losses_and_a_loadable_final_model(finished, examples):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    run_dir, result, _ = finished
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "completed"
    assert manifest["base_model"] == "tiny-t5"
    assert manifest["config"]["learning_rate"] == TINY.learning_rate
    assert manifest["n_train"] == len(examples)
    assert len(manifest["data_hash"]) == 64
    assert {"torch", "transformers", "accelerate", "tokenizers"} <= set(manifest["library_versions"])
    assert manifest["timings"]["train_seconds"] > 0
    assert manifest["final_metrics"]["final_loss"] == pytest.approx(result.final_loss)
    assert (run_dir / "train_ids.txt").read_text().split() == [ex["id"] for ex in examples]
    assert [row["step"] for row in read_loss_log(run_dir)] == list(range(1, 21))
    assert result.steps == result.total_steps == 20
    # 48 examples in micro-batches of 8, two per update: 3 updates per epoch
    assert manifest["steps_per_epoch"] == 3 and result.epochs == pytest.approx(20 / 3)
    model = AutoModelForSeq2SeqLM.from_pretrained(result.final_dir)
    tokenizer = AutoTokenizer.from_pretrained(result.final_dir)
    assert model.config.d_model == 32 and model.config.num_layers == 1
    assert tokenizer.pad_token_id == 0 and tokenizer.eos_token_id == 1
    assert model.config.vocab_size == len(tokenizer) <= 200


def test_loss_decreases_and_progress_reports_every_step(finished):
    run_dir, _, calls = finished
    losses = [row["loss"] for row in read_loss_log(run_dir)]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.5
    assert [c[0] for c in calls] == list(range(1, 21))
    assert all(c[1] == 20 for c in calls)
    assert [c[2] for c in calls] == pytest.approx(losses)


def test_lr_follows_linear_schedule_to_zero(finished):
    run_dir, _, _ = finished
    lrs = [row["lr"] for row in read_loss_log(run_dir)]
    assert lrs[0] == pytest.approx(TINY.learning_rate)  # warmup of int(0.05 * 20) = 1 step is over
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    assert lrs[-1] == 0.0


def test_cancelled_then_resumed_run_equals_uninterrupted_run(finished, examples, tmp_path):
    run_dir, result, _ = finished
    polls = []

    def stop_at_ninth_poll():
        polls.append(1)
        return len(polls) == 9

    with pytest.raises(TrainingCancelled) as info:
        train(TINY, examples, tmp_path, should_stop=stop_at_ninth_poll)
    assert info.value.step == 9
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "cancelled"
    assert not (tmp_path / "final").exists()
    assert latest_checkpoint(tmp_path)[0] == 9
    state = json.loads((tmp_path / "checkpoints" / "step-9" / "trainer_state.json").read_text())
    assert state == {"step": 9, "epoch": 3, "micro_batch": 0, "steps_per_epoch": 3, "total_steps": 20}

    resumed = train(TINY, examples, tmp_path)
    assert resumed.resumed_from_step == 9
    _assert_same_weights(Path(result.final_dir), Path(resumed.final_dir))
    assert read_loss_log(tmp_path) == read_loss_log(run_dir)


def test_crash_then_resume_from_last_checkpoint_equals_uninterrupted_run(finished, examples, tmp_path):
    _, result, _ = finished

    def crash_at_step_13(step, total, loss):
        if step == 13:
            raise RuntimeError("injected crash")

    with pytest.raises(RuntimeError, match="injected crash"):
        train(TINY, examples, tmp_path, progress=crash_at_step_13)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "injected crash" in manifest["error"]
    assert latest_checkpoint(tmp_path)[0] == 10

    resumed = train(TINY, examples, tmp_path)
    assert resumed.resumed_from_step == 10
    _assert_same_weights(Path(result.final_dir), Path(resumed.final_dir))
    assert [r["step"] for r in read_loss_log(tmp_path)] == list(range(1, 21))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [s["status"] for s in manifest["timings"]["segments"]] == ["failed", "completed"]


def test_completed_run_is_returned_not_retrained(finished, examples):
    run_dir, result, _ = finished
    mtime = (run_dir / "final" / "model.safetensors").stat().st_mtime_ns
    again = train(TINY, examples, run_dir)
    assert again.final_loss == result.final_loss and again.steps == 20
    assert (run_dir / "final" / "model.safetensors").stat().st_mtime_ns == mtime


def test_run_dir_of_another_run_is_refused(finished, examples):
    run_dir, _, _ = finished
    with pytest.raises(ValueError, match="different settings .*learning_rate"):
        train(dataclasses.replace(TINY, learning_rate=5e-3), examples, run_dir)
    with pytest.raises(ValueError, match="different training data"):
        train(TINY, examples[:-1], run_dir)


def test_only_the_newest_checkpoints_are_kept(examples, tmp_path):
    cfg = dataclasses.replace(TINY, max_steps=12, checkpoint_every=3, keep_checkpoints=2, log_every=4)
    train(cfg, examples, tmp_path)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step-6", "step-9"]
    assert [r["step"] for r in read_loss_log(tmp_path)] == [4, 8, 12]


def test_fine_tunes_from_a_local_directory_like_a_hub_id(finished, examples, tmp_path):
    from transformers import AutoTokenizer

    _, result, _ = finished
    cfg = dataclasses.replace(TINY, base_model=result.final_dir, max_steps=None, epochs=1.0, lr_scheduler="cosine")
    out = train(cfg, examples[:16], tmp_path)
    assert out.total_steps == 1  # 16 examples, micro-batches of 8, two per update
    assert json.loads((tmp_path / "manifest.json").read_text())["base_model"] == result.final_dir
    before = AutoTokenizer.from_pretrained(result.final_dir).get_vocab()
    assert AutoTokenizer.from_pretrained(out.final_dir).get_vocab() == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": None, "max_steps": None}, "set epochs or max_steps"),
        ({"learning_rate": -1e-3}, "learning_rate must be > 0"),
        ({"epochs": 0}, "epochs must be > 0"),
        ({"max_steps": 0}, "max_steps must be a positive integer"),
        ({"lr_scheduler": "exponential"}, "lr_scheduler must be one of"),
        ({"precision": "fp16"}, "precision must be one of"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"warmup_ratio": 1.5}, r"warmup_ratio must be in \[0, 1\)"),
        ({"d_model": 30, "num_heads": 4}, "divisible by num_heads"),
        ({"base_model": ""}, "base_model must be"),
    ],
)
def test_bad_settings_are_rejected_with_a_clear_message(changes, message, examples, tmp_path):
    with pytest.raises(ValueError, match=message):
        train(dataclasses.replace(TINY, **changes), examples, tmp_path)
    assert not (tmp_path / "manifest.json").exists()


def test_config_round_trips_and_rejects_unknown_keys():
    assert TrainingConfig.from_dict(TINY.to_dict()) == TINY
    with pytest.raises(ValueError, match="unknown training settings: learnig_rate"):
        TrainingConfig.from_dict({"learnig_rate": 1e-3})


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([], "train_examples is empty"),
        ([{"id": 1, "src": "a"}], "example 0 lacks tgt"),
        ([{"id": 1, "src": "a", "tgt": "b"}, {"id": 1, "src": "c", "tgt": "d"}], "duplicate example id '1'"),
        ([{"id": 1, "src": None, "tgt": "b"}], "must be strings"),
    ],
)
def test_bad_examples_are_rejected(bad, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        train(TINY, bad, tmp_path)


def test_data_order_depends_only_on_seed_and_epoch():
    import torch

    assert torch.equal(_epoch_permutation(50, 7, 2), _epoch_permutation(50, 7, 2))
    assert not torch.equal(_epoch_permutation(50, 7, 2), _epoch_permutation(50, 7, 3))
    assert sorted(_epoch_permutation(50, 7, 2).tolist()) == list(range(50))


@pytest.mark.parametrize("kind", ["linear", "cosine", "constant"])
def test_schedules_warm_up_then_follow_their_shape(kind):
    import torch

    cfg = dataclasses.replace(TINY, lr_scheduler=kind, warmup_ratio=0.1)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = lr_scheduler(optimizer, cfg, 100)
    factors = []
    for _ in range(101):
        factors.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    f = factors.__getitem__
    warm = [f(s) for s in range(10)]
    assert warm == sorted(warm) and warm[0] < 0.2 and f(10) == pytest.approx(1.0)
    end = {"linear": 0.0, "cosine": 0.0, "constant": 1.0}[kind]
    assert f(100) == pytest.approx(end, abs=1e-12)
    assert f(55) == pytest.approx({"linear": 0.5, "cosine": 0.5, "constant": 1.0}[kind])


def test_tokenizer_round_trips_words_it_was_trained_on():
    from selection.core.tokenizer import train_tokenizer

    tok = train_tokenizer(["he goes to school .", "she reads a book ."] * 5, vocab_size=100)
    ids = tok("she goes to a school .").input_ids
    assert ids[-1] == tok.eos_token_id == 1
    assert tok.decode(ids, skip_special_tokens=True) == "she goes to a school ."
    assert tok.convert_ids_to_tokens([0, 1, 2]) == ["<pad>", "</s>", "<unk>"]



def test_precision_can_change_between_runs_in_one_process(examples, tmp_path):
    short = dataclasses.replace(TINY, max_steps=3)
    bf16 = train(dataclasses.replace(short, precision="bf16"), examples, tmp_path / "bf16")
    fp32 = train(dataclasses.replace(short, precision="fp32"), examples, tmp_path / "fp32")
    assert (bf16.precision, fp32.precision) == ("bf16", "fp32")
    assert json.loads((tmp_path / "bf16" / "manifest.json").read_text())["precision_used"] == "bf16"
    assert bf16.final_loss != fp32.final_loss  # bf16 autocast really was on
