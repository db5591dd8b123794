"""Controls look like real pairs: built from examples no rater meets as a real pair, and a classifier trained on
simple surface features cannot tell them from the real pairs much better than chance."""
from __future__ import annotations

import difflib
import io
import random

import numpy as np
import pytest
from django.db.models import Count
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from annotation.controls import degrade, pair_features
from annotation.models import Item
from annotation.services import AnnotationError, study_create
from selection.demo import make_demo_rows
from selection.models import Output, System
from selection.services.datasets import dataset_import
from tests.conftest import jsonl_bytes

pytestmark = pytest.mark.django_db


def _noisy(text: str, rng: random.Random) -> str:
    """A plausible imperfect edit: one word of the text dropped or doubled."""
    words = text.split()
    i = rng.randrange(len(words))
    return " ".join(words[:i] + words[i + 1:] if rng.random() < 0.5 else words[:i + 1] + words[i:])


def _realistic_study_data(n_rows: int = 260, seed: int = 3):
    """Demo rows and two systems that behave like real ones: a strong one (mostly the reference, sometimes a
    slip, now and then no edit) and a weak one (often no edit at all, sometimes the reference, sometimes a slip)."""
    rows = make_demo_rows(n_rows=n_rows, seed=seed)
    for row in rows:
        row["split"] = "test"
    ds = dataset_import(stream=io.BytesIO(jsonl_bytes(rows)), name=f"ctl-{seed}", filename="ctl.jsonl")
    rng = random.Random(seed)
    strong = System.objects.create(name="strong", dataset=ds, kind="imported")
    weak = System.objects.create(name="weak", dataset=ds, kind="imported")
    outputs = []
    for ex in ds.examples.all():
        ref, src = ex.refs[0], ex.input_text
        r = rng.random()
        outputs.append(Output(system=strong, example=ex, text=ref if r < 0.7 else _noisy(ref, rng) if r < 0.9 else src))
        r = rng.random()
        outputs.append(Output(system=weak, example=ex, text=src if r < 0.4 else ref if r < 0.7 else _noisy(ref, rng)))
    Output.objects.bulk_create(outputs)
    return ds, [strong, weak]


def _served_features(source: str, left: str, right: str) -> list[float]:
    """A rater's glance, measured independently of the platform's own features: characters, difflib."""
    def same(a: str, b: str) -> bool:
        return " ".join(a.split()) == " ".join(b.split())

    def far(a: str, b: str) -> float:
        return 1 - difflib.SequenceMatcher(None, a, b).ratio()

    n = max(1, len(source))
    return [float(same(left, source) or same(right, source)),
            *sorted((len(left) / n, len(right) / n)),
            *sorted((far(left, source), far(right, source))),
            far(left, right)]


def _auc_controls_vs_real(study) -> float:
    items = list(study.items.filter(kind__in=[Item.Kind.REAL, Item.Kind.CONTROL]).select_related("example"))
    items = [i for i in items if not i.identical]
    x = np.array([_served_features(i.example.input_text, i.text_a, i.text_b) for i in items])
    y = np.array([i.kind == Item.Kind.CONTROL for i in items])
    assert 40 <= y.sum() <= len(y) - 40, "too few of one class to judge"
    model = make_pipeline(StandardScaler(), LogisticRegression(random_state=0))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    return float(cross_val_score(model, x, y, cv=folds, scoring="roc_auc").mean())


def test_a_classifier_cannot_tell_controls_from_real_pairs(db):
    ds, systems = _realistic_study_data()
    study = study_create(name="ctl", dataset=ds, systems=systems, n_examples=70, raters_per_item=1,
                         control_rate=0.5, seed=2)
    auc = _auc_controls_vs_real(study)
    print(f"controls vs real pairs: ROC AUC {auc:.3f}")
    assert auc <= 0.65, f"controls are told from real pairs with ROC AUC {auc:.2f}"


def test_controls_never_reuse_an_input_of_the_study(db):
    ds, systems = _realistic_study_data(n_rows=120, seed=4)
    study = study_create(name="ctl-in", dataset=ds, systems=systems, n_examples=40, raters_per_item=2,
                         control_rate=0.3, practice_count=3, seed=1)
    real = set(study.items.filter(kind=Item.Kind.REAL).values_list("example_id", flat=True))
    practice = set(study.items.filter(kind=Item.Kind.PRACTICE).values_list("example_id", flat=True))
    controls = list(study.items.filter(kind=Item.Kind.CONTROL).select_related("control", "example"))
    assert len(controls) == study.summary["controls"] == study.summary["controls_wanted"] >= 10
    assert not {c.example_id for c in controls} & (real | practice)
    assert len({c.example_id for c in controls}) == len(controls)  # two systems: one pair per input, like real
    for c in controls:
        assert c.text_a != c.text_b and c.control.expected == "a"
        if c.control.kind == "gold":
            assert c.text_b == c.example.input_text


def test_controls_need_examples_outside_the_study(db):
    ds, systems = _realistic_study_data(n_rows=20, seed=5)
    with pytest.raises(AnnotationError, match="outside the study"):
        study_create(name="all-in", dataset=ds, systems=systems, n_examples=20, control_rate=0.2)
    study = study_create(name="all-in", dataset=ds, systems=systems, n_examples=20, control_rate=0.0)
    assert study.summary["controls"] == 0


def test_degradations_change_the_text_and_features_are_side_symmetric():
    rng = random.Random(0)
    text, source = "the cat sat on the mat today", "the cat sit on the mat today"
    for kind in ("drop", "swap", "repeat", "cut", "shuffle", "reverse"):
        out = degrade(text, kind, rng, source=source)
        assert out is not None and out != text, kind
    assert degrade("same", "reverse", rng, source="same") is None
    assert pair_features(source, text, source) == pair_features(source, source, text)
    assert pair_features(source, source, text)[0] == 1.0


def test_two_accounts_of_one_cheater_share_no_more_controls_than_chance(db, researcher):
    """A crowd study with a quota: a cheater with two accounts compares the pairs both got. Were every rater to
    meet every control (controls sized for one rater's quota), the shared pairs would be mostly controls; here
    controls are met by about as many raters as a real pair is (k), so shared pairs are controls about as often
    as any pair is."""
    import itertools

    from annotation.models import Slot
    from annotation.services import invite_create, invite_join, judgment_submit, slot_next
    from tests.annotation.conftest import make_study_data

    ds, systems = make_study_data(n_examples=160, n_systems=2, seed=41)
    study = study_create(name="sybil", dataset=ds, systems=systems, n_examples=60, raters_per_item=3,
                         control_rate=0.2, quota_per_rater=12, user=researcher, launch=True, seed=8)
    invite = invite_create(study=study)
    seen: dict[int, set] = {}
    for pid in range(15):
        user = invite_join(invite=invite, participant_id=f"p{pid}", may_resume=False).user
        while (slot := slot_next(study=study, user=user)) is not None:
            judgment_submit(slot=slot, user=user, answer={"preference": "left", "accurate_left": True,
                                                          "accurate_right": True}, idempotency_key=f"k{slot.pk}")
        seen[user.pk] = set(Slot.objects.filter(rater=user).values_list("item_id", "item__kind"))
    every = [pair for pairs in seen.values() for pair in pairs]
    shared = [pair for a, b in itertools.combinations(seen, 2) for pair in seen[a] & seen[b]]
    share_all = sum(kind == Item.Kind.CONTROL for _, kind in every) / len(every)
    share_shared = sum(kind == Item.Kind.CONTROL for _, kind in shared) / len(shared)
    print(f"controls: {share_all:.0%} of all slots, {share_shared:.0%} of the pairs two raters share")
    assert share_all >= 0.1 and share_shared <= share_all + 0.1
    met = Slot.objects.filter(item__study=study, item__kind=Item.Kind.CONTROL).values("item").annotate(
        n=Count("pk")).values_list("n", flat=True)
    assert max(met) <= study.raters_per_item + 1
