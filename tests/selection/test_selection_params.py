"""One specification of a selection's parameters: the form, the API, the CLI and the core reject the same bad
values with the same message (selection.params)."""
from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils.html import escape

from selection.core.semdedup import SemDeDupSelector
from selection.core.ucs import UCSSelector
from selection.models import SelectionRun
from selection.models.datasets import Split
from selection.params import PARAM, SPLITS, STRATEGIES, SelectionParams, SelectionParamsError

BAD = [
    ({"per_cluster": 0}, "per_cluster (A) must be an integer >= 1, got per_cluster=0"),
    ({"per_cluster": "2.5"}, "per_cluster (A) must be an integer >= 1, got per_cluster=2.5"),
    ({"alpha": 1.5, "beta": 0}, "alpha must be in [0, 1], got alpha=1.5"),
    ({"alpha": "abc"}, "alpha must be in [0, 1], got alpha='abc'"),
    ({"base_fraction": 1}, "base_fraction must be in [0, 1), got base_fraction=1.0"),
    ({"n_clusters": 0}, "n_clusters must be an integer >= 1, got n_clusters=0"),
    ({"target_fraction": 0}, "target_fraction must be in (0, 1], got target_fraction=0.0"),
    ({"seed": -1}, "seed must be an integer in [0, 9223372036854775807], got seed=-1"),
    ({"alpha": 0.7, "beta": 0.6}, "alpha + beta must be <= 1, got alpha=0.7, beta=0.6 (sum 1.3)"),
    ({"per_cluster": 5, "target_fraction": 0.3}, "give either per_cluster (A) or target_fraction, not both"),
    ({"strategy": "semdedup", "per_cluster": 3},
     "semdedup keeps every example that is not a near-duplicate; per_cluster does not apply (tune eps instead)"),
    ({"strategy": "semdedup", "eps": 1}, "eps must be in (0, 1), got eps=1.0"),
    ({"batch_size": 0}, "batch_size must be an integer in [1, 4096], got batch_size=0"),
    ({"embed_text": "tgt"}, "embed_text must be one of src, input, input+target, got embed_text='tgt'"),
    ({"split": "nope"}, "split must be one of train, validation, test, got split='nope'"),
    ({"strategy": "kmeans"}, "strategy must be one of ucs, random, stratified, semdedup, got strategy='kmeans'"),
]


def _cli_args(raw: dict) -> list[str]:
    args: list[str] = []
    for key, value in raw.items():
        args += [PARAM[key].option, str(value)]
    return args


@pytest.mark.parametrize("raw, message", BAD)
def test_form_api_and_cli_give_the_same_message(client, researcher, demo_dataset, raw, message):
    with pytest.raises(SelectionParamsError) as parsed:
        SelectionParams.parse(raw)
    assert str(parsed.value) == message

    with pytest.raises(CommandError) as cli:
        call_command("select", "--dataset", demo_dataset.name, *_cli_args(raw), stdout=io.StringIO())
    assert str(cli.value) == message

    client.force_login(researcher)
    api = client.post("/api/selections/", {"dataset": demo_dataset.name, **raw}, content_type="application/json")
    assert api.status_code == 400 and api.json()["detail"] == message
    assert api.json()["field"] == parsed.value.field

    form = {"dataset": demo_dataset.name, **{k: str(v) for k, v in raw.items()}}
    page = client.post("/selections/new/", form)
    assert page.status_code == 200 and escape(message) in page.content.decode()
    assert not SelectionRun.objects.exists()


@pytest.mark.parametrize("params, message", [
    ({"per_cluster": 0}, BAD[0][1]),
    ({"per_cluster": 5, "alpha": 1.5, "beta": 0}, BAD[2][1]),
    ({"per_cluster": 5, "base_fraction": 1.0}, BAD[4][1]),
    ({"per_cluster": 5, "n_clusters": 0}, BAD[5][1]),
    ({"target_fraction": 0.0}, BAD[6][1]),
    ({"per_cluster": 5, "alpha": 0.7, "beta": 0.6}, BAD[8][1]),
])
def test_the_core_uses_the_same_checks(params, message):
    X = np.random.default_rng(0).standard_normal((50, 4)).astype(np.float32)
    with pytest.raises(ValueError) as caught:
        UCSSelector(**params).fit(X, ["a"] * 50)
    assert str(caught.value) == message
    with pytest.raises(ValueError) as caught:
        SemDeDupSelector(eps=1.0).fit(X, ["a"] * 50)
    assert str(caught.value) == BAD[11][1]


def test_the_form_no_longer_accepts_per_cluster_zero(client, researcher, demo_dataset):
    client.force_login(researcher)
    page = client.post("/selections/new/", {"dataset": demo_dataset.name, "per_cluster": "0"}).content.decode()
    assert 'name="per_cluster"' in page and 'min="1"' in page  # the browser's hint has the same bound
    assert escape(BAD[0][1]) in page


def test_an_unknown_api_parameter_is_named(client, researcher, demo_dataset):
    client.force_login(researcher)
    api = client.post("/api/selections/", {"dataset": demo_dataset.name, "per_clustre": 3},
                      content_type="application/json")
    assert api.status_code == 400 and api.json()["field"] == "per_clustre"
    assert api.json()["detail"].startswith("unknown parameter(s): per_clustre")


def test_defaults_and_coercion():
    p = SelectionParams.parse({"per_cluster": "5", "seed": "3", "group_by_source": "on", "alpha": "",
                               "beta": "0.75"}, default_embedder="minilm")
    assert (p.per_cluster, p.seed, p.group_by_source, p.alpha, p.beta) == (5, 3, True, 0.0, 0.75)
    assert p.target_fraction is None and p.embedder == "minilm"
    assert SelectionParams.parse({}).target_fraction == pytest.approx(1 / 3)
    assert SelectionParams.parse({"strategy": "semdedup"}).target_fraction is None
    assert SelectionParams.parse({}).as_dict() == SelectionParams(target_fraction=1 / 3).validate().as_dict()


def test_vocabularies_match_the_models():
    assert STRATEGIES == tuple(SelectionRun.Strategy.values)
    assert SPLITS == tuple(Split.values)
