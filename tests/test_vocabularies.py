"""Closed vocabularies: the models' TextChoices are the one list the database, forms and API check against, and
the pure cores' own tuples (which import no Django) hold the same values."""
from __future__ import annotations

import pytest

from annotation import controls
from annotation.models import Control, Preference
from annotation.stats import preferences
from selection.core import baselines, embedders, semdedup, ucs
from selection.models import EmbedText, PickReason
from selection.params import PARAMS


def test_preference_answers_of_the_stats_are_the_models():
    assert preferences.ANSWERS == tuple(Preference.values)


def test_adjudication_vocabularies_of_the_rules_are_the_models():
    from annotation import review
    from annotation.models import FinalLabel, StudyAdjudication

    assert review.LABELS == tuple(FinalLabel.values)
    assert review.SIDE_ANSWERS == tuple(Preference.values)
    assert review.MODES == tuple(StudyAdjudication.values)


def test_judge_answers_and_kinds_of_the_judges_package_are_the_models():
    from annotation.judges import base
    from annotation.models import JudgeKind, JudgeVerdict

    assert base.ANSWERS == tuple(JudgeVerdict.values)
    assert base.KINDS == tuple(JudgeKind.values)


def test_control_kinds_and_degradations_of_the_core_are_the_models():
    assert set(controls.CONTROL_KINDS) == set(Control.Kind.values)
    assert controls.DEGRADATIONS == tuple(Control.Degradation.values)


def test_pick_reasons_of_every_selector_are_the_models():
    from_cores = set(ucs.REASONS) | set(semdedup.REASONS) | set(baselines.REASONS)
    assert from_cores == set(PickReason.values)


def test_embed_text_modes_of_the_core_are_the_models():
    assert embedders.TEXT_MODES == tuple(EmbedText.values)


def test_selection_params_offer_the_models_strategies_and_embed_texts():
    from selection.models import SelectionRun

    by_name = {p.name: p for p in PARAMS}
    assert tuple(by_name["embed_text"].choices) == tuple(EmbedText.values)
    assert set(by_name["strategy"].choices) == set(SelectionRun.Strategy.values)


def test_what_selectors_learn_is_a_pick_reason():
    import numpy as np

    X = np.random.default_rng(0).normal(size=(60, 4))
    tasks = np.array(["gec", "simplification", "paraphrase"] * 20)
    runs = [
        ucs.UCSSelector(base_fraction=0.1, n_clusters=4, target_fraction=0.5, random_state=0).fit(X, tasks=tasks),
        semdedup.SemDeDupSelector(base_fraction=0.1, n_clusters=4, eps=0.05, random_state=0).fit(X, tasks=tasks),
        baselines.RandomSelector(fraction=0.3, random_state=0).fit(X, tasks),
        baselines.StratifiedRandomSelector(fraction=0.3, random_state=0).fit(X, tasks),
    ]
    for sel in runs:
        chosen = sel.reason_[sel.chosen_mask_]
        assert set(chosen) <= set(PickReason.values), type(sel).__name__


@pytest.mark.django_db
def test_the_database_refuses_values_outside_the_selection_and_jobs_vocabularies():
    from django.db import IntegrityError, transaction

    from deft_site.jobs.models import Worker
    from selection.models import Dataset, System

    dataset = Dataset.objects.create(name="vocab")
    system = System.objects.create(name="s", dataset=dataset, kind=System.Kind.IMPORTED)
    worker = Worker.objects.create(name="h:1", hostname="h", pid=1)
    for model, pk, field, good in [(Dataset, dataset.pk, "origin", Dataset.Origin.values),
                                   (System, system.pk, "kind", System.Kind.values),
                                   (Worker, worker.pk, "backend", Worker.Backend.values)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=pk).update(**{field: "bogus"})
        for value in good:
            model.objects.filter(pk=pk).update(**{field: value})
