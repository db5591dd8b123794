"""Study design: create (sample items, build controls and practice), update while a draft, launch, pause, close,
peek (logged), and invite links."""
from __future__ import annotations

import logging
import math
import random
import re
from itertools import combinations
from typing import Any, Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from annotation.controls import CONTROL_KINDS, control_candidates, degrade_any, match_controls, pair_features
from annotation.models import (
    EXCLUDE_CHECKS_DEFAULT,
    GATE_CHECKS_DEFAULT,
    QUESTION_DEFAULTS,
    Control,
    Invite,
    Item,
    Study,
    StudyEvent,
    StudyRater,
    StudySystem,
)
from annotation.reports.checks import validate_checks
from selection.core.sampling import stratified_sample
from selection.models import Dataset, Example, Output, Split, System

from .adjudication import reviewer_add
from .errors import AnnotationError, NotAllowed, StudyFrozen

logger = logging.getLogger(__name__)

DESIGN_FIELDS = ("dataset", "split", "n_examples", "raters_per_item", "seed", "control_rate", "control_kinds",
                 "questions", "practice_count", "identical_outputs", "allocation", "min_raters_per_item",
                 "stop_alpha", "repeat_rate", "repeat_gap")


def questions_normalise(questions: dict | None) -> dict:
    """Fill defaults and validate: Likert scales need a key, a label and min < max; at least one question."""
    q = {**QUESTION_DEFAULTS, **(questions or {})}
    scales = []
    for scale in q["likert"] or []:
        if isinstance(scale, str):
            scale = {"key": scale, "label": scale.replace("_", " ").capitalize()}
        key = re.sub(r"[^a-z0-9_]", "_", str(scale.get("key", "")).strip().lower())
        lo, hi = int(scale.get("min", 1)), int(scale.get("max", 5))
        if not key or lo >= hi or hi - lo > 9:
            raise AnnotationError(f"Likert scale {scale!r}: needs a key and 1 < max-min+1 <= 10 points.")
        scales.append({"key": key, "label": str(scale.get("label") or key), "min": lo, "max": hi,
                       "low": str(scale.get("low") or "very poor"), "high": str(scale.get("high") or "excellent")})
    q["likert"] = scales
    q["error_flags"] = [str(f).strip() for f in q["error_flags"] or [] if str(f).strip()]
    q["pairwise"], q["accuracy"], q["comment"] = bool(q["pairwise"]), bool(q["accuracy"]), bool(q["comment"])
    q["graded"] = bool(q["graded"]) and q["pairwise"]
    q["criteria"] = _criteria_normalise(q["criteria"])
    if not (q["pairwise"] or q["accuracy"] or q["likert"]):
        raise AnnotationError("A study needs at least one question: pairwise, accuracy or a Likert scale.")
    return {k: q[k] for k in QUESTION_DEFAULTS}


def _criteria_normalise(criteria: Any) -> list[dict[str, str]]:
    """Criteria for per-criterion preferences (e.g. fluency, meaning, instruction fit): a key and a label each."""
    out, seen = [], set()
    for c in criteria or []:
        if isinstance(c, str):
            c = {"key": c, "label": c.replace("_", " ").capitalize()}
        if not isinstance(c, dict):
            raise AnnotationError(f"Criterion {c!r}: a name or {{key, label}}.")
        key = re.sub(r"[^a-z0-9_]", "_", str(c.get("key", "")).strip().lower())
        if not key or key in seen:
            raise AnnotationError(f"Criterion {c!r}: needs a key, different from the others.")
        seen.add(key)
        out.append({"key": key, "label": str(c.get("label") or key)})
    if len(out) > 6:
        raise AnnotationError("At most 6 criteria.")
    return out


def _event(study: Study, user: User | None, action: str, note: str = "") -> None:
    logger.info("study %s: %s by %s%s", study.name, action, getattr(user, "username", None) or "operator",
                f" ({note})" if note else "")
    StudyEvent.objects.create(study=study, user=user if getattr(user, "pk", None) else None, action=action,
                              note=note[:300])


@transaction.atomic
def study_create(*, name: str, dataset: Dataset, systems: Iterable[System], n_examples: int,
                 raters_per_item: int = 3, split: str = "test", seed: int = 0, control_rate: float = 0.1,
                 control_kinds: Iterable[str] = CONTROL_KINDS, questions: dict | None = None,
                 guidelines: str = "", practice_count: int = 0, identical_outputs: str = "tie",
                 quota_per_rater: int | None = None, reservation_minutes: int = 30,
                 public_title: str = "Text editing evaluation", open_to_annotators: bool = True,
                 display_mode: str = "auto", allocation: str = "fixed", min_raters_per_item: int = 1,
                 stop_alpha: float = 0.05, adjudication: str = "off", adjudication_agreement: float = 1.0,
                 adjudication_share: float = 0.1, reviewers: Iterable[User] = (), repeat_rate: float = 0.0,
                 repeat_gap: int = 5, reliability_alpha: float = 0.05, gate_checks: Iterable[str] | None = None,
                 exclude_checks: Iterable[str] | None = None, user: User | None = None,
                 owner: User | None = None,
                 launch: bool = False) -> Study:
    """Create a draft study and build its items; `launch=True` launches it at once. Its owner is `owner`,
    else the user who creates it (see annotation.blinding for what owning a study means)."""
    systems = list(systems)
    if Study.objects.filter(name=name).exists():
        raise AnnotationError(f"A study named {name!r} already exists.")
    study = Study(name=name, public_title=public_title, dataset=dataset, split=split, n_examples=n_examples,
                  raters_per_item=raters_per_item, seed=seed, control_rate=control_rate,
                  control_kinds=list(control_kinds), questions=questions_normalise(questions),
                  guidelines=guidelines, practice_count=practice_count, identical_outputs=identical_outputs,
                  quota_per_rater=quota_per_rater, reservation_minutes=reservation_minutes,
                  open_to_annotators=open_to_annotators, display_mode=display_mode, allocation=allocation,
                  min_raters_per_item=min_raters_per_item, stop_alpha=stop_alpha, adjudication=adjudication,
                  adjudication_agreement=adjudication_agreement, adjudication_share=adjudication_share,
                  repeat_rate=repeat_rate, repeat_gap=repeat_gap, reliability_alpha=reliability_alpha,
                  gate_checks=list(GATE_CHECKS_DEFAULT if gate_checks is None else gate_checks),
                  exclude_checks=list(EXCLUDE_CHECKS_DEFAULT if exclude_checks is None else exclude_checks),
                  created_by=user if getattr(user, "pk", None) else None)
    study.owner = owner if getattr(owner, "pk", None) else study.created_by
    _validate_design(study, systems)
    study.save()
    StudySystem.objects.bulk_create(StudySystem(study=study, system=s, position=i) for i, s in enumerate(systems))
    _items_build(study)
    _event(study, user, StudyEvent.Action.CREATE)
    for reviewer in reviewers:
        reviewer_add(study=study, user=reviewer, by=user)
    if launch:
        study = study_launch(study=study, user=user)  # the launched copy: its status is "live"
    return study


@transaction.atomic
def study_update(*, study: Study, systems: Iterable[System] | None = None, user: User | None = None,
                 **fields: Any) -> Study:
    """Change a draft; design changes rebuild its items. A launched study is frozen."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    if study.is_frozen:
        raise StudyFrozen(f"Study {study.name!r} is {study.status}: its design is frozen.")
    if "questions" in fields:
        fields["questions"] = questions_normalise(fields["questions"])
    for key, value in fields.items():
        if not hasattr(study, key) or key in ("status", "public_token", "secret", "id", "pk"):
            raise AnnotationError(f"Unknown or protected study field {key!r}.")
        setattr(study, key, value)
    systems = list(systems) if systems is not None else [ss.system for ss in study.study_systems.all()]
    _validate_design(study, systems)
    study.save()
    study.items.all().delete()
    study.study_systems.all().delete()
    StudySystem.objects.bulk_create(StudySystem(study=study, system=s, position=i) for i, s in enumerate(systems))
    _items_build(study)
    _event(study, user, StudyEvent.Action.UPDATE)
    return study


def _validate_design(study: Study, systems: list[System]) -> None:
    if len(systems) < 2 or len({s.pk for s in systems}) != len(systems):
        raise AnnotationError("A study compares two or more distinct systems.")
    wrong = [s.name for s in systems if s.dataset_id != study.dataset_id]
    if wrong:
        raise AnnotationError(f"Systems {wrong} have no outputs for dataset {study.dataset.name!r}.")
    if study.n_examples < 1 or study.raters_per_item < 1:
        raise AnnotationError("Items and raters per item must be at least 1.")
    if not 0 <= study.control_rate < 1:
        raise AnnotationError("The control rate is a share in [0, 1).")
    if study.split not in Split.values:
        raise AnnotationError(f"split must be one of {', '.join(Split.values)}, not {study.split!r}.")
    if set(study.control_kinds) - set(Control.Kind.values):
        raise AnnotationError("Control kinds are 'degraded' and 'gold'.")
    if study.identical_outputs not in Study.Identical.values:
        raise AnnotationError(f"identical_outputs must be one of {Study.Identical.values}.")
    if study.display_mode not in Study.Display.values:
        raise AnnotationError(f"display_mode must be one of {Study.Display.values}.")
    _validate_allocation(study)
    _validate_adjudication(study)
    _validate_reliability(study)


def _validate_adjudication(study: Study) -> None:
    if study.adjudication not in Study.Adjudication.values:
        raise AnnotationError(f"adjudication must be one of {', '.join(Study.Adjudication.values)}.")
    if study.adjudication != Study.Adjudication.OFF and not (study.questions or {}).get("pairwise"):
        raise AnnotationError("Adjudication needs the pairwise question: reviewers decide which output is better.")
    if not 0 < study.adjudication_agreement <= 1:
        raise AnnotationError("The agreement an item needs to skip adjudication is a share in (0, 1], e.g. 1.0 "
                              "(any disagreement queues) or 0.6.")
    if not 0 < study.adjudication_share <= 1:
        raise AnnotationError("The adjudicated sample is a share of the rated items in (0, 1], e.g. 0.1.")


@transaction.atomic
def study_adjudication_set(*, study: Study, adjudication: str, adjudication_agreement: float | None = None,
                           adjudication_share: float | None = None, user: User | None = None) -> Study:
    """Change a study's adjudication setting, in any status: it changes nothing raters see, so a launched (or
    closed) study may start, widen or stop adjudicating. Final labels already given stay."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    study.adjudication = adjudication
    if adjudication_agreement is not None:
        study.adjudication_agreement = adjudication_agreement
    if adjudication_share is not None:
        study.adjudication_share = adjudication_share
    _validate_adjudication(study)
    study.save(update_fields=["adjudication", "adjudication_agreement", "adjudication_share"])
    _event(study, user, StudyEvent.Action.UPDATE, f"adjudication: {study.adjudication} (agreement "
           f"{study.adjudication_agreement:g}, sample {study.adjudication_share:g})")
    return study


def _validate_reliability(study: Study) -> None:
    """Repeats, the per-rater tests' alpha, and the checks the gate and the exclusion use (checks.py)."""
    try:
        study.repeat_rate = float(study.repeat_rate or 0)
        study.repeat_gap = int(study.repeat_gap)
        study.reliability_alpha = float(study.reliability_alpha)
    except (TypeError, ValueError) as e:
        raise AnnotationError(f"Repeat rate, repeat gap and reliability alpha are numbers ({e}).") from e
    if not 0 <= study.repeat_rate <= 0.5:
        raise AnnotationError("The repeat rate is a share of each rater's real pairs in [0, 0.5].")
    if not 1 <= study.repeat_gap <= 500:
        raise AnnotationError("The repeat gap (slots between a pair and its repeat) is between 1 and 500.")
    if not 0 < study.reliability_alpha < 0.5:
        raise AnnotationError("The per-rater tests' error level is in (0, 0.5), e.g. 0.05.")
    for field in ("gate_checks", "exclude_checks"):
        try:
            setattr(study, field, validate_checks(getattr(study, field) or [], field.replace("_", " ")))
        except ValueError as e:
            raise AnnotationError(str(e)) from e
    used = set(study.gate_checks) | set(study.exclude_checks)
    if "self_consistency" in used and not study.repeat_rate:
        raise AnnotationError("The self-consistency check needs repeated pairs: set a repeat rate above 0.")
    if "degraded_test" in used and not (study.control_rate and Control.Kind.DEGRADED in study.control_kinds):
        raise AnnotationError("The degraded-copy test needs degraded controls: a control rate above 0 with the "
                              "'degraded' control kind.")


def _validate_allocation(study: Study) -> None:
    if study.allocation not in Study.Allocation.values:
        raise AnnotationError(f"allocation must be one of {Study.Allocation.values}.")
    if study.allocation != Study.Allocation.ADAPTIVE:
        return
    if not (study.questions or {}).get("pairwise"):
        raise AnnotationError("Adaptive allocation needs the pairwise question: it spends ratings on the open "
                              "preference questions.")
    if not 0 <= study.min_raters_per_item <= study.raters_per_item:
        raise AnnotationError("The floor of raters per item is between 0 and the ceiling k (raters per item).")
    if not 0 < study.stop_alpha < 0.5:
        raise AnnotationError("The stopping rule's error level is in (0, 0.5), e.g. 0.05.")


def _eligible_examples(study: Study, systems: list[System]) -> list[Example]:
    """Examples of the split that every system has an output for."""
    ids = (Output.objects.filter(system__in=systems, example__dataset=study.dataset, example__split=study.split)
           .values("example_id").annotate(n=Count("system", distinct=True)).filter(n=len(systems))
           .values_list("example_id", flat=True))
    return list(Example.objects.filter(pk__in=list(ids)).order_by("pk"))


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _items_build(study: Study) -> None:
    """Real items (every system pair of every sampled example), controls and practice, in a shuffled order
    so that database ids say nothing about systems or kinds."""
    rng = random.Random(study.seed)
    sss = list(study.study_systems.select_related("system").order_by("position"))
    systems = [ss.system for ss in sss]
    eligible = _eligible_examples(study, systems)
    if not eligible:
        raise AnnotationError(f"No {study.split!r} example of {study.dataset.name!r} has outputs from every system.")
    picked = stratified_sample([ex.task for ex in eligible], min(study.n_examples, len(eligible)),
                               random_state=rng.getrandbits(64))
    sample = [eligible[i] for i in picked]
    texts = {(o.system_id, o.example_id): o.text
             for o in Output.objects.filter(system__in=systems, example__in=sample)}
    items: list[Item] = []
    excluded = 0
    for ex in sample:
        for ssa, ssb in combinations(sss, 2):
            a, b = texts[(ssa.system_id, ex.pk)], texts[(ssb.system_id, ex.pk)]
            identical = _same(a, b)
            if identical and study.identical_outputs == Study.Identical.EXCLUDE:
                excluded += 1
                continue
            items.append(Item(study=study, example=ex, kind=Item.Kind.REAL, system_a=ssa, system_b=ssb,
                              text_a=a, text_b=b, identical=identical))
    practice = _practice_plan(study, eligible, sample, sss, texts, rng)
    outside = {e.pk for e in sample} | {item.example_id for item, _ in practice}
    controls, wanted = _controls_plan(study, items, [e for e in eligible if e.pk not in outside], sss, rng)
    repeats = _repeats_plan(study, items)
    everything = items + [c[0] for c in controls] + [p[0] for p in practice] + [r for r, _ in repeats]
    rng.shuffle(everything)
    for item in everything:
        item.order_key = rng.getrandbits(62)
    Item.objects.bulk_create(everything)
    Control.objects.bulk_create(Control(item=item, **spec) for item, spec in controls + practice)
    for repeat, original in repeats:
        repeat.repeat_of_id = original.pk
    Item.objects.bulk_update([r for r, _ in repeats], ["repeat_of"])
    study.summary = {"examples": len(sample), "eligible_examples": len(eligible), "real_items": len(items),
                     "identical": sum(i.identical for i in items), "identical_excluded": excluded,
                     "controls": len(controls), "controls_wanted": wanted, "practice": len(practice),
                     "pairs_per_example": len(sss) * (len(sss) - 1) // 2, "repeat_items": len(repeats)}
    study.save(update_fields=["summary"])


def _repeats_plan(study: Study, items: list[Item]) -> list[tuple[Item, Item]]:
    """With a repeat rate, one repeat copy of every askable real item (a rater who judged the original may be
    given it later, annotation/queue.py). They are shuffled in with every other item, so that, like controls,
    nothing in their ids or order sets them apart."""
    if not study.repeat_rate:
        return []
    askable = [i for i in items if not (i.identical and study.identical_outputs == Study.Identical.TIE)]
    return [(Item(study=study, example=i.example, kind=Item.Kind.REPEAT, system_a=i.system_a, system_b=i.system_b,
                  text_a=i.text_a, text_b=i.text_b, identical=i.identical), i) for i in askable]


CONTROL_POOL_PER_CONTROL = 4  # examples drawn per wanted control, to match features from


def _controls_plan(study: Study, items: list[Item], pool: list[Example], sss: list[StudySystem],
                   rng: random.Random) -> tuple[list[tuple[Item, dict]], int]:
    """Enough controls that every rater can get `control_rate` of their slots as controls, and how many that is.

    Built only from `pool`, examples outside the study's real items and practice, so no rater meets a control's
    input as a real pair; chosen to look like the real pairs (annotation/controls.py): for each of a random
    sample of real pairs, the candidate control whose simple features are nearest. An example gives at most as
    many controls as an example gives real pairs, and `_control_slot` serves them together, so a control input
    comes back no more often than a real one."""
    askable = [i for i in items if not (i.identical and study.identical_outputs == Study.Identical.TIE)]
    if study.control_rate <= 0 or not askable or not study.control_kinds:
        return [], 0
    # As many controls, against the real items, as a rater's slots hold against their real pairs: then a control
    # is met by about as many raters (k) as a real pair is. Sized for one rater's quota instead, every rater met
    # every control, so the pairs two accounts of one cheater both got were mostly controls.
    n = max(1, math.ceil(study.control_rate / (1 - study.control_rate) * len(askable)))
    if not pool:
        raise AnnotationError(
            f"Controls need examples outside the study, and every eligible example of the "
            f"{study.split!r} split is a real item. Sample fewer examples or set the control rate to 0.")
    per_example = max(1, len(sss) * (len(sss) - 1) // 2)
    pool = rng.sample(pool, min(len(pool), CONTROL_POOL_PER_CONTROL * n))
    texts = {(o.system_id, o.example_id): o.text
             for o in Output.objects.filter(system__in=[ss.system for ss in sss], example__in=pool)}
    candidates = []
    for ex in sorted(pool, key=lambda e: e.pk):
        outputs = {ss.pk: texts[(ss.system_id, ex.pk)] for ss in sss if (ss.system_id, ex.pk) in texts}
        candidates += control_candidates(ex.pk, ex.input_text, outputs, ex.refs or [], rng, study.control_kinds)
    targets = [pair_features(item.example.input_text, item.text_a, item.text_b)
               for item in (rng.choice(askable) for _ in range(n))]
    by_pk = {ex.pk: ex for ex in pool}
    by_ss = {ss.pk: ss for ss in sss}
    out: list[tuple[Item, dict]] = []
    for cand in match_controls(targets, candidates, rng, per_group=per_example):
        ss = by_ss.get(cand.source_key)
        item = Item(study=study, example=by_pk[cand.group], kind=Item.Kind.CONTROL, system_a=ss, system_b=None,
                    text_a=cand.good, text_b=cand.bad)
        out.append((item, {"kind": cand.kind, "degradation": cand.degradation, "expected": "a",
                           "source_system": ss}))
    return out, n


def _degraded(study: Study, real: Item, rng: random.Random,
              kind: Item.Kind = Item.Kind.CONTROL) -> tuple[Item, dict] | None:
    use_a = rng.random() < 0.5
    good, ss = (real.text_a, real.system_a) if use_a else (real.text_b, real.system_b)
    made = degrade_any(good, rng, source=real.example.input_text)
    if made is None:
        return None
    how, bad = made
    item = Item(study=study, example=real.example, kind=kind, system_a=ss, system_b=None, text_a=good, text_b=bad)
    return item, {"kind": Control.Kind.DEGRADED, "degradation": how, "expected": "a", "source_system": ss}


def _practice_plan(study: Study, eligible: list[Example], sample: list[Example], sss: list[StudySystem],
                   texts: dict, rng: random.Random) -> list[tuple[Item, dict]]:
    """Practice pairs (a real output against a degraded copy) from examples outside the sample when possible."""
    if not study.practice_count:
        return []
    chosen = {e.pk for e in sample}
    pool = [e for e in eligible if e.pk not in chosen] or sample
    if len(pool) > study.practice_count * 5:
        pool = rng.sample(pool, study.practice_count * 5)
    extra = {(o.system_id, o.example_id): o.text for o in Output.objects.filter(
        system__in=[s.system for s in sss], example__in=pool)}
    out: list[tuple[Item, dict]] = []
    for ex in pool:
        if len(out) >= study.practice_count:
            break
        ss = rng.choice(sss)
        text = extra.get((ss.system_id, ex.pk)) or texts.get((ss.system_id, ex.pk))
        real = Item(study=study, example=ex, system_a=ss, system_b=ss, text_a=text, text_b=text)
        made = _degraded(study, real, rng, kind=Item.Kind.PRACTICE)
        if made:
            out.append(made)
    return out


def _transition(study: Study, allowed_from: tuple[str, ...], to: str, user: User | None) -> Study:
    study = Study.objects.select_for_update().get(pk=study.pk)
    if study.status not in allowed_from:
        raise AnnotationError(f"Study {study.name!r} is {study.status}; cannot become {to}.")
    study.status = to
    now = timezone.now()
    if to == Study.Status.LIVE and not study.launched_at:
        study.launched_at = now
    if to == Study.Status.CLOSED:
        study.closed_at = now
    study.save(update_fields=["status", "launched_at", "closed_at"])
    _event(study, user, StudyEvent.Action(to))  # a transition is logged under the status it reaches
    return study


@transaction.atomic
def study_launch(*, study: Study, user: User | None = None) -> Study:
    """Freeze the design and start handing out work."""
    if not study.items.filter(kind=Item.Kind.REAL).exists():
        raise AnnotationError("A study without items cannot launch.")
    return _transition(study, (Study.Status.DRAFT,), Study.Status.LIVE, user)


@transaction.atomic
def study_pause(*, study: Study, user: User | None = None) -> Study:
    return _transition(study, (Study.Status.LIVE,), Study.Status.PAUSED, user)


@transaction.atomic
def study_resume(*, study: Study, user: User | None = None) -> Study:
    return _transition(study, (Study.Status.PAUSED,), Study.Status.LIVE, user)


@transaction.atomic
def study_close(*, study: Study, user: User | None = None) -> Study:
    """No more work; unblinded results become visible to researchers."""
    return _transition(study, (Study.Status.LIVE, Study.Status.PAUSED, Study.Status.DRAFT),
                       Study.Status.CLOSED, user)


@transaction.atomic
def study_peek(*, study: Study, user: User, note: str = "") -> None:
    """Log an unblinded look at a study's results before it closed (closed studies need no log)."""
    if study.status != Study.Status.CLOSED:
        _event(study, user, StudyEvent.Action.PEEK, note or "unblinded results viewed before close")


@transaction.atomic
def study_share(*, study: Study, user: User, by: User | None = None) -> None:
    """Make a researcher a collaborator: they may then manage, peek at and export the study."""
    from deft_site.roles import is_researcher

    if not is_researcher(user):
        raise AnnotationError(f"{user.username} is not a researcher: only researchers can share a study.")
    if user.pk == study.owner_id:
        raise AnnotationError(f"{user.username} owns this study already.")
    study.collaborators.add(user)
    _event(study, by, StudyEvent.Action.SHARE, f"collaborator {user.username} added")


@transaction.atomic
def study_unshare(*, study: Study, user: User, by: User | None = None) -> None:
    study.collaborators.remove(user)
    _event(study, by, StudyEvent.Action.UNSHARE, f"collaborator {user.username} removed")


@transaction.atomic
def invite_create(*, study: Study, label: str = "", max_participants: int | None = None) -> Invite:
    return Invite.objects.create(study=study, label=label, max_participants=max_participants)


def participant_id_clean(participant_id: str | None) -> str:
    """The participant id as stored: letters, digits, '-', '_' and '.', at most 100 characters."""
    return re.sub(r"[^A-Za-z0-9_.-]", "", participant_id or "")[:100]


@transaction.atomic
def invite_join(*, invite: Invite, participant_id: str, may_resume: bool) -> StudyRater:
    """The account of an external rater for this study: created on first arrival; the same one after, but
    only where `may_resume` (the browser that joined first proves it, see `views.rater.join`). Participant
    ids are often easy to learn, so an id alone must not open somebody else's answers."""
    pid = participant_id_clean(participant_id)
    if not pid:
        raise AnnotationError("A participant id is needed (letters, digits, '-', '_', '.').")
    invite = Invite.objects.select_for_update().get(pk=invite.pk)
    existing = StudyRater.objects.filter(invite=invite, participant_id=pid).select_related("user").first()
    if existing:
        if not may_resume:
            raise NotAllowed("This participant id has already started in another browser. "
                             "Continue there, or ask the researcher to help.")
        return existing
    if not invite.active or invite.study.status in (Study.Status.CLOSED, Study.Status.DRAFT):
        raise NotAllowed("This invitation is not open.")
    if invite.study.status != Study.Status.LIVE:
        raise NotAllowed("This study is paused for now: please come back to this link later.")
    if invite.max_participants is not None and invite.raters.count() >= invite.max_participants:
        raise NotAllowed("This invitation is full.")
    username = f"p-{invite.pk}-{pid}"[:150]
    user = User.objects.create_user(username=username)
    user.set_unusable_password()
    user.save()
    return StudyRater.objects.create(study=invite.study, user=user, invite=invite, participant_id=pid)
