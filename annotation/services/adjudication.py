"""Adjudication writes: assign reviewers, hand a reviewer the next queued item, store a final label (idempotent,
revisions kept), and import final labels from a file (all or nothing).

Which items queue is annotation/review.py (pure) read through annotation/review_queue.py; who may review is
``annotation.blinding.may_review``, which every entry point asks before calling these, and which the writes ask
again (a reviewer removed from a study cannot submit a label reserved before). One ``Adjudication`` per item
(a one-to-one key): two reviewers racing for one item, or a double submission, store one row.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotation.models import Adjudication, FinalLabel, Item, Study, StudyEvent, new_token
from annotation.review import LABELS, from_sides, reviewer_left_is_a
from annotation.review_queue import queue_candidates, reviewer_reservation

from .errors import AnnotationError, InvalidAnswer, NotAllowed, StudyNotLive

logger = logging.getLogger(__name__)

NOTE_MAX = 2000


def _event(study: Study, user: User | None, action: str, note: str) -> None:
    logger.info("study %s: %s by %s (%s)", study.name, action, getattr(user, "username", None) or "operator", note)
    StudyEvent.objects.create(study=study, user=user if getattr(user, "pk", None) else None, action=action,
                              note=note[:300])


def _require_review(user: User, study: Study) -> None:
    from annotation.blinding import may_review

    if not may_review(user, study):
        raise NotAllowed("You are not a reviewer of this study.")


@transaction.atomic
def reviewer_add(*, study: Study, user: User, by: User | None = None) -> None:
    """Assign a reviewer (a user with the reviewer role) to the study; the caller checked `by` may manage it."""
    from deft_site.roles import is_reviewer

    if not is_reviewer(user):
        raise AnnotationError(f"{user.username} does not have the reviewer role (ask an admin to add them to the "
                              "'reviewer' group).")
    study.reviewers.add(user)
    _event(study, by, StudyEvent.Action.REVIEWERS, f"reviewer {user.username} added")


@transaction.atomic
def reviewer_remove(*, study: Study, user: User, by: User | None = None) -> None:
    """Unassign a reviewer; their live reservation is released (labels they gave stay)."""
    study.reviewers.remove(user)
    Adjudication.objects.filter(study=study, reviewer=user, status=Adjudication.Status.RESERVED).delete()
    _event(study, by, StudyEvent.Action.REVIEWERS, f"reviewer {user.username} removed")


def adjudication_next(*, study: Study, user: User) -> Adjudication | None:
    """The reviewer's current item, or reserve the next queued one (None when nothing is left for them)."""
    _require_review(user, study)
    current = reviewer_reservation(study, user)
    if current is not None:
        return current
    for item_id in queue_candidates(study, user):
        try:
            with transaction.atomic():
                adj = _reserve(study, user, item_id)
        except IntegrityError:  # another reviewer reserved it at the same moment: try the next one
            continue
        if adj is not None:
            return adj
    return None


def _reserve(study: Study, user: User, item_id: int) -> Adjudication | None:
    until = timezone.now() + timedelta(minutes=study.reservation_minutes)
    sides = reviewer_left_is_a(study.secret, user.pk, item_id)
    existing = Adjudication.objects.select_for_update().filter(item_id=item_id).first()
    if existing is None:
        return Adjudication.objects.create(item_id=item_id, study=study, reviewer=user, left_is_a=sides,
                                           reserved_until=until)
    if existing.status == Adjudication.Status.DONE:
        return None  # decided since the queue was read
    if existing.reviewer_id == user.pk:  # the reviewer's own expired reservation: same token and sides, more time
        existing.reserved_until = until
        existing.save(update_fields=["reserved_until"])
        return existing
    if (
            existing.reviewer_id != user.pk and existing.reserved_until and existing.reserved_until > timezone.now()):
        return None  # taken since the queue was read
    # An expired reservation changes hands: a new token and the new reviewer's own sides.
    existing.reviewer, existing.token, existing.left_is_a, existing.reserved_until = user, new_token(), sides, until
    existing.save(update_fields=["reviewer", "token", "left_is_a", "reserved_until"])
    return existing


def adjudication_submit(*, adjudication: Adjudication, user: User, answer: str, note: str = "",
                        idempotency_key: str) -> tuple[Adjudication, bool]:
    """Store the reviewer's final label, given in the sides they saw (left/right/tie/both_bad), in canonical
    terms. The same idempotency key again returns what was stored (created=False); a new key on a decided item
    changes the label and keeps the previous one in `history`."""
    key = (idempotency_key or "").strip()[:64]
    if not key:
        raise InvalidAnswer("An idempotency key is required.")
    with transaction.atomic():
        adj = Adjudication.objects.select_for_update().select_related("study").get(pk=adjudication.pk)
        if adj.reviewer_id != user.pk:
            raise NotAllowed("This item is not reserved for you.")
        if adj.idempotency_key == key or any(h.get("key") == key for h in adj.history):
            return adj, False
        _require_review(user, adj.study)
        if adj.study.status == Study.Status.DRAFT:
            raise StudyNotLive("This study has not started yet: final labels are not accepted.")
        try:
            label = from_sides(str(answer or ""), adj.left_is_a)
        except ValueError as exc:
            raise InvalidAnswer(str(exc)) from None
        note = str(note or "")[:NOTE_MAX]
        created = adj.status != Adjudication.Status.DONE
        if not created:
            adj.history = [*adj.history, {"label": adj.label, "note": adj.note, "key": adj.idempotency_key,
                                          "at": adj.decided_at.isoformat() if adj.decided_at else None}]
        adj.label, adj.note, adj.idempotency_key = label, note, key
        adj.status, adj.source, adj.decided_at = Adjudication.Status.DONE, Adjudication.Source.REVIEW, timezone.now()
        adj.save()
        return adj, created


def _clean_import_row(row: Mapping[str, Any], where: str, items: dict[int, Item], names: dict[int, str]) -> tuple:
    raw = row.get("item")
    try:
        item_id = int(str(raw).strip())
    except (TypeError, ValueError):
        raise AnnotationError(f"{where}, field item: {raw!r} is not an item id of this study.") from None
    item = items.get(item_id)
    if item is None:
        raise AnnotationError(f"{where}, field item: {item_id} is not a real item of this study.")
    label = str(row.get("final_label") or "").strip()
    system = str(row.get("final_system") or "").strip()
    if label and label not in LABELS:
        raise AnnotationError(f"{where}, field final_label: {label!r} is not one of {', '.join(LABELS)}.")
    if not label:
        a, b = names.get(item.system_a_id), names.get(item.system_b_id)
        by_name = {a: "a", b: "b", "tie": "tie", "both_bad": "both_bad"}
        if system not in by_name:
            raise AnnotationError(f"{where}, field final_system: {system!r} is neither {a!r}, {b!r}, 'tie' nor "
                                  "'both_bad' (or give final_label: a, b, tie or both_bad).")
        label = by_name[system]
    return item, label, str(row.get("note") or "")[:NOTE_MAX]


@transaction.atomic
def adjudications_import(*, study: Study, rows: Iterable[Mapping[str, Any]], user: User | None = None,
                         reviewer: User | None = None) -> dict[str, int]:
    """Store final labels from a file: rows with ``item`` (the export's item id) and ``final_label`` (a, b, tie,
    both_bad) or ``final_system`` (a system name of that item, tie or both_bad), and an optional ``note``. Any
    real item may be given, queued or not. Everything is validated first (AnnotationError naming the row and
    field) and nothing is stored unless every row is good; an item's earlier label is kept in its history."""
    if study.status == Study.Status.DRAFT:
        raise StudyNotLive("This study has not started yet: final labels are not accepted.")
    items = {i.pk: i for i in Item.objects.filter(study=study, kind=Item.Kind.REAL)}
    names = {ss.pk: ss.system.name for ss in study.study_systems.select_related("system")}
    cleaned, seen = [], set()
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise AnnotationError(f"row {n}: not a record with fields item and final_label / final_system.")
        item, label, note = _clean_import_row(row, f"row {n}", items, names)
        if item.pk in seen:
            raise AnnotationError(f"row {n}, field item: item {item.pk} appears twice.")
        seen.add(item.pk)
        cleaned.append((item, label, note))
    now = timezone.now()
    existing = {a.item_id: a for a in Adjudication.objects.select_for_update().filter(item_id__in=seen)}
    created = changed = 0
    for item, label, note in cleaned:
        adj = existing.get(item.pk) or Adjudication(item=item, study=study)
        if adj.pk and adj.status == Adjudication.Status.DONE:
            adj.history = [*adj.history, {"label": adj.label, "note": adj.note, "key": adj.idempotency_key,
                                          "at": adj.decided_at.isoformat() if adj.decided_at else None}]
            changed += 1
        else:
            created += 1
        adj.label, adj.note, adj.status = FinalLabel(label), note, Adjudication.Status.DONE
        adj.source, adj.reviewer, adj.decided_at, adj.reserved_until = Adjudication.Source.IMPORT, reviewer, now, None
        adj.idempotency_key = f"import-{now.isoformat()}"[:64]
        adj.save()
    _event(study, user, StudyEvent.Action.ADJUDICATED, f"{len(cleaned)} final labels imported")
    return {"rows": len(cleaned), "created": created, "changed": changed}
