"""The one home of per-benchmark defaults (selection/core/benchmarks.py) and the one bootstrap engine
(selection/core/metrics/bootstrap.py): their docstring examples, the names the platform's sets go by, the
instruction table shared by the reproduction and ``generate --add-instruction``, and means resampled by the
same weights as corpus scores."""

import doctest

import numpy as np
import pytest

from selection.core import benchmarks
from selection.core.benchmarks import (
    benchmark_label,
    benchmark_of,
    coedit_eval_rows,
    headline_metric,
    headline_metrics,
)
from selection.core.metrics import bootstrap, bootstrap_ci, paired_bootstrap
from selection.core.metrics.bootstrap import resample_weights
from selection.core.text import add_instruction


@pytest.mark.parametrize("module", [benchmarks, bootstrap])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name, task, expected", [
    ("asset", None, ("sari", "fkgl")), ("ASSET", None, ("sari", "fkgl")),
    ("turkcorpus_gem", None, ("sari", "fkgl")), ("turkcorpus", "simplification", ("sari", "fkgl")),
    ("jfleg", "gec", ("gleu", "sari")),  # the benchmark wins over its task (gec alone: SARI, GLEU)
    ("iterater_human_sent", None, ("sari",)), ("iterater-fluency", "gec", ("sari",)),
    ("my-set", "gec", ("sari", "gleu")), ("my-set", "simplification", ("sari", "fkgl")),
    ("my-set", "paraphrase", ("sari",)), (None, None, ("sari",)),
])
def test_headline_metrics_by_benchmark_then_task(name, task, expected):
    assert headline_metrics(name, task) == expected
    assert headline_metric(name or "") == headline_metrics(name)[0]


def test_names_of_the_platform_and_the_reproduction_sets_resolve_alike():
    # the dataset field of eval_sets.jsonl and the reproduction's benchmark names are the same benchmarks
    for field, repro in (("asset", "asset"), ("turkcorpus_gem", "turkcorpus"), ("jfleg", "jfleg"),
                         ("iterater_human_sent", "iterater-clarity")):
        assert benchmark_of(field) == benchmark_of(repro) is not None
    assert benchmark_of("wnc") is None
    assert [benchmark_label(n) for n in ("jfleg", "turkcorpus_gem", "iterater-fluency", "mine")] == [
        "JFLEG", "TurkCorpus (turkcorpus_gem)", "IteraTeR (iterater-fluency)", "mine"]


def test_reproduction_rows_carry_the_instruction_generate_would_add():
    records = [{"id": f"{task}-{i}", "dataset": dataset, "split": "test", "coedit_task": task,
                "src": "Two parts: the orbiter and the probe.", "refs": ["Two parts."]}
               for i, (dataset, task) in enumerate([("asset", "simplification"), ("jfleg", "gec"),
                                                    ("iterater_human_sent", "clarity"),
                                                    ("iterater_human_sent", "coherence")])]
    rows = coedit_eval_rows(records)
    assert [r["dataset"] for r in rows] == ["asset", "jfleg", "iterater-clarity", "iterater-coherence"]
    for rec, row in zip(records, rows):
        assert row["src"] == add_instruction(rec["src"], rec["coedit_task"])  # one instruction table
        assert row["src"].endswith(": Two parts: the orbiter and the probe.")  # the input's own colon kept


def test_mean_bootstrap_is_the_weighted_mean_of_the_same_resamples():
    rng = np.random.default_rng(7)
    a, b = rng.random(57), rng.random(57)
    ci = bootstrap_ci(a, n_resamples=400, random_state=3)
    # the same draws as an index matrix: rows of the weights are bincounts of these
    draws = np.random.default_rng(3).integers(0, len(a), size=(400, len(a)))
    means = a[draws].mean(axis=1)
    assert ci.estimate == pytest.approx(a.mean())
    assert (ci.low, ci.high) == pytest.approx(tuple(np.quantile(means, [0.025, 0.975])), abs=1e-12)
    weights = np.concatenate(list(resample_weights(len(a), 400, np.random.default_rng(3))))
    assert np.array_equal(weights[5], np.bincount(draws[5], minlength=len(a)))
    paired = paired_bootstrap(a, b, n_resamples=400, random_state=3)
    diffs = (a - b)[draws].mean(axis=1)
    assert paired.mean_diff == pytest.approx((a - b).mean())
    assert (paired.low, paired.high) == pytest.approx(tuple(np.quantile(diffs, [0.025, 0.975])), abs=1e-12)
    assert paired.a_wins == pytest.approx(np.mean(diffs > 0))
