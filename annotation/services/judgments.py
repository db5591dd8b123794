"""Storing answers: idempotent submission, revisions kept as history, control scoring, completion codes."""
from __future__ import annotations

import copy
import hashlib
import hmac
import logging
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotation import hot_sql
from annotation.controls import control_passed
from annotation.models import Item, Judgment, JudgmentRevision, Preference, Slot, Strength, Study, StudyRater
from annotation.queue import repeat_counts, repeat_draw, slots_ahead
from annotation.reports.checks import run_checks
from annotation.reports.records import as_records
from annotation.selectors import gate_records

from . import tallies
from .assignment import study_accepts_writes
from .errors import InvalidAnswer, NotAllowed, WorkLeft

logger = logging.getLogger("deft.security")

PREFERENCES = tuple(Preference.values)
ANSWER_FIELDS = ("preference", "strength", "criteria", "accurate_left", "accurate_right", "likert", "error_flags",
                 "comment", "seconds")
STRENGTHS = tuple(Strength.values)
CRITERION_ANSWERS = ("left", "right", "tie")


def _clean(study: Study, answer: dict[str, Any]) -> dict[str, Any]:
    """Validate an answer against the study's questions; returns the fields to store."""
    q = study.questions
    pref = answer.get("preference") or ""
    if pref and pref not in PREFERENCES:
        raise InvalidAnswer(f"preference must be one of {PREFERENCES}.")
    if q.get("pairwise") and not pref:
        raise InvalidAnswer("Choose which output is better (or tie / both bad).")
    strength, criteria = _graded(q, pref, answer)
    acc = {}
    for side in ("left", "right"):
        value = answer.get(f"accurate_{side}")
        if q.get("accuracy") and value is None:
            raise InvalidAnswer(f"Say whether the {side} output is an accurate edit.")
        acc[f"accurate_{side}"] = None if value is None else bool(value)
    likert: dict[str, dict[str, int]] = {}
    given = answer.get("likert") or {}
    if not isinstance(given, dict):
        raise InvalidAnswer("likert must be an object: {scale: {\"left\": n, \"right\": n}}.")
    for scale in q.get("likert", []):
        likert[scale["key"]] = {}
        for side in ("left", "right"):
            try:
                value = int((given.get(scale["key"]) or {})[side])
            except (KeyError, TypeError, ValueError, OverflowError):
                raise InvalidAnswer(f"Rate {scale['label']} of the {side} output.") from None
            if not scale["min"] <= value <= scale["max"]:
                raise InvalidAnswer(f"{scale['label']} is rated {scale['min']}-{scale['max']}.")
            likert[scale["key"]][side] = value
    flags = _error_flags(answer.get("error_flags"), set(q.get("error_flags", [])))
    try:
        seconds = max(0.0, min(float(answer.get("seconds") or 0), 24 * 3600.0))
    except (TypeError, ValueError):
        raise InvalidAnswer("seconds must be a number.") from None
    comment = str(answer.get("comment") or "")[:2000] if q.get("comment") else ""
    return {"preference": pref, "strength": strength, "criteria": criteria, **acc, "likert": likert,
            "error_flags": flags, "comment": comment, "seconds": seconds}


def _graded(q: dict[str, Any], pref: str, answer: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The strength of a graded preference ("much"/"slightly", only for left/right) and the per-criterion
    preferences the study asks; what it does not ask is dropped."""
    strength = str(answer.get("strength") or "") if q.get("graded") and pref in ("left", "right") else ""
    if q.get("graded") and pref in ("left", "right") and strength not in STRENGTHS:
        raise InvalidAnswer(f"Say how much better the chosen output is: one of {STRENGTHS}.")
    given = answer.get("criteria") or {}
    if not isinstance(given, dict):
        raise InvalidAnswer("criteria must be an object: {criterion: \"left\" | \"right\" | \"tie\"}.")
    criteria = {}
    for c in q.get("criteria", []):
        value = given.get(c["key"])
        if value not in CRITERION_ANSWERS:
            raise InvalidAnswer(f"Say which output is better for {c['label']} (left, right or tie).")
        criteria[c["key"]] = value
    return strength, criteria


def _error_flags(given: Any, allowed: set[str]) -> dict[str, list[str]]:
    """{"left": [...], "right": [...]}: lists of flag names per side; names the study does not ask are dropped."""
    given = given or {}
    if not isinstance(given, dict):
        raise InvalidAnswer("error_flags must be an object: {\"left\": [flag, ...], \"right\": [flag, ...]}.")
    unknown = sorted(set(given) - {"left", "right"}, key=str)
    if unknown:
        raise InvalidAnswer(f"error_flags has sides {unknown}: only 'left' and 'right'.")
    flags = {}
    for side in ("left", "right"):
        names = given.get(side) or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InvalidAnswer(f"error_flags.{side} must be a list of flag names (strings).")
        flags[side] = sorted(set(names) & allowed)
    return flags


def judgment_submit(*, slot: Slot, user: User, answer: dict[str, Any], idempotency_key: str) -> tuple[Judgment, bool]:
    """Store an answer once. The same idempotency key again returns what was stored (created=False); a new key
    on an answered slot changes the answer and keeps the previous one as a JudgmentRevision."""
    key = (idempotency_key or "").strip()[:64]
    if not key:
        raise InvalidAnswer("An idempotency key is required.")
    try:
        with transaction.atomic():
            return _submit(slot, user, answer, key)
    except IntegrityError:  # the same first submission raced itself: the other copy was stored
        return Judgment.objects.get(slot_id=slot.pk), False


def _submit(slot: Slot, user: User, answer: dict[str, Any], key: str) -> tuple[Judgment, bool]:
    # The slot locked and read fresh, with its study's status (one written-out statement, annotation/hot_sql.py);
    # the item, study questions and texts the caller loaded do not change once a study is launched.
    status, seat, rater_id, study_status = hot_sql.lock_slot(slot.pk)
    if rater_id != user.pk:
        raise NotAllowed("Not your slot.")
    slot = copy.copy(slot)
    slot.status, slot.seat, slot.rater_id = status, seat, rater_id
    study = slot.item.study
    study.status = study_status
    # A reserved slot has no answer yet (answering marks it done): no query for the first answer to a pair.
    existing = None if slot.status == Slot.Status.RESERVED else Judgment.objects.filter(slot=slot).first()
    if existing and (existing.idempotency_key == key or existing.revisions.filter(idempotency_key=key).exists()):
        return existing, False
    study_accepts_writes(study, "answers are")
    fields = _clean(study, answer)
    if existing:
        previous = {f: getattr(existing, f) for f in ANSWER_FIELDS}
        JudgmentRevision.objects.create(judgment=existing, previous=previous, idempotency_key=existing.idempotency_key)
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.idempotency_key, existing.revision_count = key, existing.revision_count + 1
        existing.save()
        return existing, False
    if slot.status == Slot.Status.SKIPPED:
        raise NotAllowed("This pair was skipped.")
    if slot.status == Slot.Status.EXPIRED:
        _reseat(slot)
        tallies.slot_sides_changed(slot, slot.item, study.pk, 1)  # judged again: its sides count again
    judgment = Judgment.objects.create(slot=slot, idempotency_key=key, **fields)
    slot.status = Slot.Status.DONE
    slot.repeat_due = _repeat_due(study, slot, user)
    hot_sql.set_slot_status(slot.pk, slot.status, slot.seat, slot.repeat_due)
    return judgment, True


def _repeat_due(study: Study, slot: Slot, user: User) -> int | None:
    """In a study with repeats, whether this first answer to a real pair brings the pair back, and from which
    slot count (annotation/queue.py: repeat_draw). The counts are read for every kind of pair alike."""
    if not study.repeat_rate:
        return None
    done_real, taken, _, _ = repeat_counts(study, user)
    delay = repeat_draw(study, user, done_real) if slot.item.kind == Item.Kind.REAL else None
    return None if delay is None else taken + delay


def _reseat(slot: Slot) -> None:
    """A late answer to an expired reservation counts only if the item still has a free seat."""
    item = Item.objects.select_for_update().get(pk=slot.item_id)
    if item.kind != Item.Kind.REAL:
        return
    taken = set(item.slots.filter(seat__isnull=False).values_list("seat", flat=True))
    free = [s for s in range(item.study.raters_per_item) if s not in taken]
    if not free:
        raise NotAllowed("This reservation expired and the pair went to another rater.")
    slot.seat = free[0]
    tallies.seats_changed(item.pk, 1)


def rater_controls(study: Study, user: User) -> tuple[int, int]:
    """(passed, scored) over the rater's judged controls."""
    passed = scored = 0
    for j in Judgment.objects.filter(slot__rater=user, slot__item__study=study,
                                     slot__item__kind=Item.Kind.CONTROL).select_related("slot__item__control"):
        ok = control_passed(j.slot.item.control, j.slot, j)
        if ok is not None:
            scored += 1
            passed += ok
    return passed, scored


def _qc_passed(study: Study, user: User) -> bool:
    """Is this rater's completion code valid for payment? Only with at least one judged real pair (skipping
    every pair is no work), and passing every check of the study's `gate_checks` (annotation/reports/checks.py;
    by default "controls" alone). A check that cannot decide on the data so far does not fail the rater."""
    mine = Slot.objects.filter(item__study=study, rater=user)
    if not mine.filter(item__kind=Item.Kind.REAL, status=Slot.Status.DONE).exists():
        return False
    checks = list(study.gate_checks or [])
    if "controls" in checks and not _controls_passed(study, user, mine):
        return False
    others = [c for c in checks if c != "controls"]
    if not others:
        return True
    results = run_checks(as_records(gate_records(study)), gate_design(study), others)
    return not any((res.get(user.username) and res[user.username].failed) for res in results.values())


def _controls_passed(study: Study, user: User, mine: Any) -> bool:
    """`qc_min_pass` of their controls passed, where a skipped control counts as failed: otherwise skipping a
    pair would be a free way out of every check, and skipping all of them earned a valid code (the rater cannot
    tell a control before skipping it, so this costs an honest rater little)."""
    passed, scored = rater_controls(study, user)
    scored += mine.filter(item__kind=Item.Kind.CONTROL, status=Slot.Status.SKIPPED).count()
    return scored == 0 or passed / scored >= study.qc_min_pass


def gate_design(study: Study) -> dict[str, Any]:
    """The study facts a reliability check reads (the report passes its meta dict, a superset)."""
    return {"questions": study.questions, "qc_min_pass": study.qc_min_pass,
            "reliability_alpha": study.reliability_alpha, "repeat_rate": study.repeat_rate}


def _code(study: Study, member: StudyRater, passed: bool) -> str:
    who = member.participant_id or f"user{member.user_id}"
    msg = f"{study.pk}:{who}:{'ok' if passed else 'qc'}".encode()
    return hmac.new(study.secret.encode(), msg, hashlib.sha256).hexdigest()[:10].upper()


@transaction.atomic
def rater_finish(*, study: Study, user: User) -> StudyRater:
    """Score the rater's controls and issue a completion code. The code is valid (completion_code_valid) only
    when the rater judged real pairs and passed at least `qc_min_pass` of their controls (_qc_passed); the rater
    cannot tell either way.

    Only once nothing is left for the rater (WorkLeft otherwise) and only while the study is live or paused
    (StudyNotLive otherwise). A code issued before close stays readable: asking again returns it unchanged."""
    member = StudyRater.objects.select_for_update().get(study=study, user=user)
    study.refresh_from_db(fields=["status"])
    if member.completion_code and study.status == Study.Status.CLOSED:
        return member
    study_accepts_writes(study, "completions are")
    left = (Slot.objects.filter(item__study=study, rater=user, status=Slot.Status.RESERVED).count()
            + slots_ahead(study, user))
    if left:
        raise WorkLeft(f"{left} pairs are still waiting for you: finish them first.")
    member.qc_passed = _qc_passed(study, user)
    member.completion_code = _code(study, member, member.qc_passed)
    member.finished_at = member.finished_at or timezone.now()
    member.save(update_fields=["qc_passed", "completion_code", "finished_at"])
    return member


def rater_practice_done(*, study: Study, user: User) -> None:
    """The rater finished the practice pairs: like every annotator write, only while live or paused."""
    study_accepts_writes(study, "practice is")
    StudyRater.objects.filter(study=study, user=user).update(practice_done=True)


def completion_code_valid(*, study: Study, participant_id: str, code: str) -> bool:
    """What a researcher checks before paying a crowd worker."""
    member = StudyRater.objects.filter(study=study, participant_id=participant_id).first()
    valid = bool(member and member.completion_code and hmac.compare_digest(
        _code(study, member, True), (code or "").strip().upper()))
    if not valid:
        logger.warning("completion code for participant %r of study %s does not check out", participant_id,
                       study.name)
    return valid
