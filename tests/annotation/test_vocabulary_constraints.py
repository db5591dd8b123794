"""The database holds the closed vocabularies: a value outside a model's TextChoices cannot be stored, even by
an UPDATE that skips validation, and every value inside can."""
from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from annotation.models import Control, Item, Judgment, Preference, Slot, Strength, Study, StudyEvent
from annotation.services import judgment_submit, slot_next


def _rejects(model: type, pk: int, field: str, value: str) -> bool:
    try:
        with transaction.atomic():
            model.objects.filter(pk=pk).update(**{field: value})
    except IntegrityError:
        return True
    return False


@pytest.fixture
def rows(study_factory, annotator):
    study = study_factory(control_rate=0.5)
    slot = slot_next(study=study, user=annotator)
    judgment_submit(slot=slot, user=annotator, idempotency_key="k1",
                    answer={"preference": "left", "accurate_left": True, "accurate_right": True})
    return {"study": study, "slot": slot, "judgment": Judgment.objects.get(slot=slot),
            "item": slot.item, "control": Control.objects.filter(item__study=study).first(),
            "event": StudyEvent.objects.filter(study=study).first()}


CASES = [
    ("study", Study, "status", Study.Status.values),
    ("study", Study, "split", ["train", "validation", "test"]),
    ("study", Study, "identical_outputs", Study.Identical.values),
    ("study", Study, "display_mode", Study.Display.values),
    ("study", Study, "allocation", Study.Allocation.values),
    ("item", Item, "kind", Item.Kind.values),
    ("slot", Slot, "status", Slot.Status.values),
    ("judgment", Judgment, "preference", ["", *Preference.values]),
    ("judgment", Judgment, "strength", ["", *Strength.values]),
    ("control", Control, "kind", Control.Kind.values),
    ("control", Control, "expected", Control.Expected.values),
    ("control", Control, "degradation", ["", *Control.Degradation.values]),
    ("event", StudyEvent, "action", StudyEvent.Action.values),
]


@pytest.mark.parametrize(("row", "model", "field", "values"), CASES, ids=[f"{m.__name__}.{f}" for _, m, f, _ in CASES])
def test_only_the_vocabulary_can_be_stored(rows, row, model, field, values):
    pk = rows[row].pk
    assert _rejects(model, pk, field, "bogus")
    for value in values:
        assert not _rejects(model, pk, field, value), value
