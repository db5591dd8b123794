"""The local Hugging Face judge on small models built here from a config, with a tokenizer trained here, loaded
through the real loading code from a local directory (no network: local_files_only)."""
from __future__ import annotations

import io
import math

import pytest
from django.core.management import CommandError, call_command

from annotation.judges import JudgeError, JudgeQuery, build_judge, parse_spec
from annotation.judges.base import PROMPT
from annotation.models import Item, JudgeAnswer
from deft_site.jobs.models import Job

from ..conftest import make_study_data

QUERY = JudgeQuery(instruction="Fix grammar", source="she go to school", left="she goes to school",
                   right="she go to schools")


def _texts() -> list[str]:
    words = "she he goes go to school schools reads read a book books the cat sat on mat".split()
    texts = [QUERY.prompt(PROMPT), QUERY.swapped().prompt(PROMPT), "A", "B", "Answer: A", "Answer: B"]
    texts += [" ".join(words[i:] + words[:i]) for i in range(len(words))]
    return texts * 3


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """A tiny T5 (seq2seq) and a tiny GPT-2 (causal), random weights from a config, saved as a model dir."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, T5Config, T5ForConditionalGeneration

    from selection.core.tokenizer import train_tokenizer

    torch.manual_seed(0)
    tok = train_tokenizer(_texts(), vocab_size=300)
    dirs = {}
    for arch in ("t5", "gpt2"):
        if arch == "t5":
            model = T5ForConditionalGeneration(T5Config(
                vocab_size=len(tok), d_model=32, d_ff=64, d_kv=16, num_layers=2, num_decoder_layers=2,
                num_heads=2, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0))
        else:
            model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_positions=256, n_embd=32, n_layer=2,
                                               n_head=2, bos_token_id=1, eos_token_id=1, pad_token_id=0))
        path = tmp_path_factory.mktemp(f"tiny-{arch}-judge")
        model.save_pretrained(path)
        tok.save_pretrained(path)
        dirs[arch] = str(path)
    return dirs


@pytest.mark.parametrize("arch", ["t5", "gpt2"])
def test_label_scores_are_the_models_own_log_likelihoods(tiny_models, arch):
    """The two scores equal what transformers' own loss says of each label after the prompt."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    judge = build_judge(parse_spec(f"hf:{tiny_models[arch]}"))
    assert judge.seq2seq == (arch == "t5")
    tok = AutoTokenizer.from_pretrained(tiny_models[arch])
    scores = judge.scores(QUERY)
    loader = AutoModelForSeq2SeqLM if arch == "t5" else AutoModelForCausalLM
    model = loader.from_pretrained(tiny_models[arch]).eval()
    for label, score in zip(("A", "B"), scores):
        with torch.no_grad():
            if arch == "t5":
                prompt = tok(QUERY.prompt(PROMPT))["input_ids"]
                ids = tok(label)["input_ids"]
                loss = model(input_ids=torch.tensor([prompt]), labels=torch.tensor([ids])).loss
            else:
                prompt = tok(QUERY.prompt(PROMPT), add_special_tokens=False)["input_ids"]
                ids = tok(" " + label, add_special_tokens=False)["input_ids"]
                seq = torch.tensor([prompt + ids])
                loss = model(input_ids=seq, labels=torch.tensor([[-100] * len(prompt) + ids])).loss
        assert score == pytest.approx(-float(loss) * len(ids), abs=1e-4)
    verdict = judge.judge(QUERY)
    assert verdict.p_left == pytest.approx(1 / (1 + math.exp(scores[1] - scores[0])))
    assert verdict.answer == ("left" if scores[0] >= scores[1] else "right")
    assert judge.judge(QUERY.swapped()).p_left != verdict.p_left  # a different prompt, not a cached answer


def test_a_tie_margin_turns_near_even_scores_into_ties(tiny_models):
    judge = build_judge(parse_spec(f"hf:{tiny_models['t5']}", tie_margin=0.49))
    assert judge.judge(QUERY).answer == "tie"


def test_a_model_that_is_not_here_fails_clearly_without_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # even allowed to, the judge does not go online
    with pytest.raises(JudgeError, match="no such directory, and not in the local cache"):
        build_judge(parse_spec("hf:no-such-org/no-such-judge-model"))
    with pytest.raises(JudgeError, match="Cannot load the judge directory"):
        build_judge(parse_spec(f"hf:{tmp_path}"))  # a directory without a model


@pytest.mark.django_db
def test_judge_study_runs_a_local_model_on_every_pair_in_both_orders(tiny_models, researcher):
    from annotation.services import study_create

    ds, systems = make_study_data(n_examples=10, n_systems=3, seed=21)
    study = study_create(name="hfjudged", dataset=ds, systems=systems, n_examples=6, raters_per_item=2, seed=1,
                         control_rate=0.2, user=researcher, launch=True)
    out = io.StringIO()
    call_command("judge_study", "hfjudged", "--judge", f"hf:{tiny_models['gpt2']}", "--name", "tiny-gpt2",
                 stdout=out)
    n_real = Item.objects.filter(study=study, kind=Item.Kind.REAL).count()
    assert n_real == 18
    assert f"answered {2 * n_real} times on {n_real} pairs" in out.getvalue()
    answers = JudgeAnswer.objects.filter(run__study=study)
    assert answers.count() == 2 * n_real
    assert not answers.filter(item__kind=Item.Kind.CONTROL).exists()  # controls are the humans' checks
    for a in answers:
        assert 0 < a.p_left < 1 and a.preference == ("left" if a.p_left >= 0.5 else "right")
    run = study.judge_runs.get()
    assert run.description.startswith("a local Hugging Face causal model")
    assert run.job.status == Job.Status.SUCCEEDED and run.job.progress_done == 2 * n_real
    with pytest.raises(CommandError, match="already succeeded"):
        call_command("judge_study", "hfjudged", "--judge", f"hf:{tiny_models['gpt2']}", "--name", "tiny-gpt2")


@pytest.mark.django_db
def test_a_judge_whose_model_is_missing_fails_for_good_with_a_headline(researcher, tmp_path):
    from annotation.services import study_create

    ds, systems = make_study_data(n_examples=4, n_systems=2, seed=22)
    study = study_create(name="hfmissing", dataset=ds, systems=systems, n_examples=4, raters_per_item=2, seed=1,
                         control_rate=0.0, user=researcher, launch=True)
    with pytest.raises(CommandError, match="judge failed: Cannot load the judge"):
        call_command("judge_study", "hfmissing", "--judge", f"hf:{tmp_path / 'gone'}")
    job = study.judge_runs.get().job
    assert job.status == Job.Status.FAILED and not job.retryable
