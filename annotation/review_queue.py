"""Reads for adjudication: the queue of items a reviewer decides, what the reviewer's page shows (blinded), and the
unblinded final labels for reports and exports. The rules themselves are pure, in annotation/review.py; the
writes are annotation/services/adjudication.py.

Two audiences, kept apart as in annotation/selectors.py: `adjudication_payload`, `reviewer_progress` and
`queue_summary` take nothing that names a system (the reviewer sees them); `adjudication_records`,
`final_labels` and `report_items` are unblinded (callers go through ``blinding.unblind`` first).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.models import User
from django.http import Http404
from django.utils import timezone

from annotation.models import Adjudication, Item, Judgment, Slot, Study
from annotation.review import canonical, needs_review, ready, sample_draw, to_reviewer_sides
from annotation.worddiff import diff_html, initial_view
from selection.core.text import split_instruction

# The columns of adjudication_records (an empty export still gets its header).
ADJUDICATION_FIELDS = ["item", "example", "task", "system_a", "system_b", "n_ratings", "votes_a", "votes_b",
                       "votes_tie", "votes_both_bad", "majority_label", "majority_system", "majority_share", "queued",
                       "status", "final_label", "final_system", "reviewer", "source", "note", "decided_at"]
ANSWER_WORDS = {"left": "A is better", "right": "B is better", "tie": "Equally good", "both_bad": "Both bad"}


def _askable(study: Study):  # noqa: ANN202 (a QuerySet of Item)
    items = Item.objects.filter(study=study, kind=Item.Kind.REAL)
    if study.identical_outputs == Study.Identical.TIE:
        items = items.filter(identical=False)
    return items


def item_rows(study: Study) -> list[dict[str, Any]]:
    """Every askable real item with its raters' canonical labels, who rated it, whether it is complete and
    queued, and its adjudication (None if none): three queries, whatever the study's size."""
    items = list(_askable(study).values_list("pk", "order_key", "system_a_id", "system_b_id", "example__ext_id",
                                             "example__task"))
    votes: dict[int, list[str]] = defaultdict(list)
    raters: dict[int, set[int]] = defaultdict(set)
    for item_id, rater_id, left_is_a, pref in (Slot.objects.filter(item__study=study, item__kind=Item.Kind.REAL)
                                               .values_list("item_id", "rater_id", "left_is_a",
                                                            "judgment__preference")):
        raters[item_id].add(rater_id)
        label = canonical(pref or "", left_is_a)
        if label:
            votes[item_id].append(label)
    adjs = {a["item_id"]: a for a in Adjudication.objects.filter(study=study).values(
        "item_id", "status", "label", "reviewer_id", "reserved_until", "source")}
    closed = study.status == Study.Status.CLOSED
    adaptive = study.allocation == Study.Allocation.ADAPTIVE
    rows = []
    for pk, order_key, sa, sb, example, task in items:
        labels = votes.get(pk, [])
        complete = ready(n_rated=len(labels), a=labels.count("a"), b=labels.count("b"), k=study.raters_per_item,
                         adaptive=adaptive, closed=closed)
        queued = complete and needs_review(labels, mode=study.adjudication, min_agreement=study.adjudication_agreement,
                                           share=study.adjudication_share, draw=sample_draw(study.seed, pk))
        rows.append({"item": pk, "order_key": order_key, "system_a": sa, "system_b": sb, "example": example,
                     "task": task, "labels": labels, "raters": raters.get(pk, set()), "ready": complete,
                     "queued": queued, "adjudication": adjs.get(pk)})
    return rows


def _decided_or_held(adj: dict | None, user: User, now: Any) -> bool:
    if adj is None or adj["status"] == Adjudication.Status.DONE:
        return adj is not None
    return adj["reviewer_id"] != user.pk and adj["reserved_until"] is not None and adj["reserved_until"] > now


def queue_candidates(study: Study, user: User) -> list[int]:
    """Items this reviewer may take next, in the study's seeded order: queued, not decided, not held by another
    reviewer's live reservation, and not rated by the reviewer themself."""
    now = timezone.now()
    rows = [r for r in item_rows(study) if r["queued"] and user.pk not in r["raters"]
            and not _decided_or_held(r["adjudication"], user, now)]
    return [r["item"] for r in sorted(rows, key=lambda r: (r["order_key"], r["item"]))]


def reviewer_reservation(study: Study, user: User) -> Adjudication | None:
    """The reviewer's current reservation in this study (the item they are looking at), if it is still live."""
    return (Adjudication.objects.filter(study=study, reviewer=user, status=Adjudication.Status.RESERVED,
                                        reserved_until__gt=timezone.now())
            .select_related("item__example", "study").order_by("created_at").first())


def reviewer_progress(study: Study, user: User) -> dict[str, int]:
    """Decided by this reviewer and left for them (no system information)."""
    done = Adjudication.objects.filter(study=study, reviewer=user, status=Adjudication.Status.DONE).count()
    left = len(queue_candidates(study, user))
    total = done + left
    return {"done": done, "left": left, "total": total, "percent": round(100 * done / total) if total else 100}


def reviewer_studies(studies: Any, user: User) -> list[dict[str, Any]]:
    """The studies a reviewer may review (``blinding.reviewable_studies``) by public token and title, with their
    own progress; no study name (names are for researchers and may say what is compared)."""
    return [{"token": s.public_token, "title": s.public_title, "status": s.status, **reviewer_progress(s, user)}
            for s in studies]


def queue_summary(study: Study) -> dict[str, int]:
    """Counts for the study page: items complete, queued, decided, reserved now, still open (no names)."""
    now = timezone.now()
    rows = item_rows(study)
    queued = [r for r in rows if r["queued"]]
    decided = [r for r in rows if r["adjudication"] and r["adjudication"]["status"] == Adjudication.Status.DONE]
    reserved = [r for r in queued if r["adjudication"] and r["adjudication"]["status"] == Adjudication.Status.RESERVED
                and r["adjudication"]["reserved_until"] and r["adjudication"]["reserved_until"] > now]
    return {"items": len(rows), "complete": sum(r["ready"] for r in rows), "queued": len(queued),
            "decided": len(decided), "decided_in_queue": sum(1 for r in decided if r["queued"]),
            "reserved": len(reserved), "open": len([r for r in queued if not (r["adjudication"] and
                                                     r["adjudication"]["status"] == Adjudication.Status.DONE)])}


def own_adjudication_or_404(token: str, user: User) -> Adjudication:
    """The reviewer's own adjudication with this token; Http404 for anyone else."""
    adj = (Adjudication.objects.select_related("item__example", "study").filter(token=token, reviewer=user)
           .first())
    if adj is None:
        raise Http404("No such item to review.")
    return adj


def _rater_answers(adj: Adjudication) -> list[dict[str, Any]]:
    """Every rater's answer on the item, translated into the reviewer's sides, with their comment. Raters are
    numbered in the order of their slots' random tokens (not by time, not by name)."""
    out = []
    judgments = (Judgment.objects.filter(slot__item_id=adj.item_id).select_related("slot")
                 .order_by("slot__token"))
    for i, j in enumerate(judgments, start=1):
        same = j.slot.left_is_a == adj.left_is_a  # the rater saw the pair in the reviewer's order

        def side(value: str) -> str:
            return to_reviewer_sides(canonical(value, j.slot.left_is_a), adj.left_is_a) if value else ""

        answer = side(j.preference)
        acc_left, acc_right = (j.accurate_left, j.accurate_right) if same else (j.accurate_right, j.accurate_left)
        out.append({"rater": f"Rater {i}", "answer": answer, "answer_text": ANSWER_WORDS.get(answer, "no answer"),
                    "strength": j.strength if answer in ("left", "right") else "",
                    "criteria": {k: side(v) if v in ("left", "right") else v for k, v in (j.criteria or {}).items()},
                    "accurate_left": acc_left, "accurate_right": acc_right, "comment": j.comment})
    return out


def adjudication_payload(adj: Adjudication) -> dict[str, Any]:
    """What the reviewer's page and API show: the pair in the reviewer's own side order, every rater's answer in
    those sides and their comments; never a system, an item id or a rater's name."""
    item = adj.item
    instruction, source = split_instruction(item.example.src, (item.example.extra or {}).get("instruction"))
    left, right = (item.text_a, item.text_b) if adj.left_is_a else (item.text_b, item.text_a)
    answer = None
    if adj.status == Adjudication.Status.DONE:
        answer = {"label": to_reviewer_sides(adj.label, adj.left_is_a), "note": adj.note}
    return {"token": adj.token, "instruction": instruction, "input": source,
            "left": {"text": left, "diff_html": diff_html(source, left)},
            "right": {"text": right, "diff_html": diff_html(source, right)},
            "view": initial_view(adj.study.display_mode, source, (left, right)),
            "raters": _rater_answers(adj), "answer": answer}


# ---------------------------------------------------------------- unblinded: reports and exports


def _names(study: Study) -> dict[int, str]:
    return {ss.pk: ss.system.name for ss in study.study_systems.select_related("system")}


def _system(label: str, a: str, b: str) -> str:
    return {"a": a, "b": b}.get(label, label)


def final_labels(study: Study) -> dict[int, dict[str, str]]:
    """item id -> {"final_label", "final_system", "adjudicated_by"} for every decided item (unblinded)."""
    names = _names(study)
    out = {}
    for adj in (Adjudication.objects.filter(study=study, status=Adjudication.Status.DONE)
                .select_related("item", "reviewer")):
        a, b = names.get(adj.item.system_a_id, ""), names.get(adj.item.system_b_id, "")
        out[adj.item_id] = {"final_label": adj.label, "final_system": _system(adj.label, a, b),
                            "adjudicated_by": adj.reviewer.username if adj.reviewer else f"({adj.source})"}
    return out


def report_items(study: Study) -> list[dict[str, Any]]:
    """One row per askable real item for ``review.adjudicated_section``: systems by name, labels, final, queued."""
    names = _names(study)
    return [{"item": r["item"], "system_a": names.get(r["system_a"], ""), "system_b": names.get(r["system_b"], ""),
             "labels": r["labels"], "task": r["task"], "queued": r["queued"],
             "final": r["adjudication"]["label"] if r["adjudication"] and r["adjudication"]["status"] == "done" else ""}
            for r in item_rows(study)]


def adjudication_records(study: Study) -> list[dict[str, Any]]:
    """One unblinded row per item that is queued or has a final label: the raters' votes, their majority and the
    final label, in canonical terms and by system name (the adjudication export, CLI and API)."""
    from annotation.stats.preferences import majority

    names = _names(study)
    finals = {a.item_id: a for a in Adjudication.objects.filter(study=study).select_related("reviewer")}
    rows = []
    for r in item_rows(study):
        adj = finals.get(r["item"])
        if not r["queued"] and not (adj and adj.status == Adjudication.Status.DONE):
            continue
        a, b = names.get(r["system_a"], ""), names.get(r["system_b"], "")
        top, share = majority(r["labels"])
        done = adj is not None and adj.status == Adjudication.Status.DONE
        rows.append({"item": r["item"], "example": r["example"], "task": r["task"], "system_a": a, "system_b": b,
                     "n_ratings": len(r["labels"]), **{f"votes_{x}": r["labels"].count(x) for x in
                                                        ("a", "b", "tie", "both_bad")},
                     "majority_label": top, "majority_system": _system(top, a, b), "majority_share": round(share, 4),
                     "queued": r["queued"], "status": "done" if done else "reserved" if adj else "waiting",
                     "final_label": adj.label if done else "", "final_system": _system(adj.label, a, b) if done else "",
                     "reviewer": (adj.reviewer.username if adj.reviewer else "") if done else "",
                     "source": adj.source if done else "", "note": adj.note if done else "",
                     "decided_at": adj.decided_at.isoformat() if done and adj.decided_at else ""})
    return rows


def queue_listing(study: Study) -> list[dict[str, Any]]:
    """The queue without system names (the CLI's `queue`): example, task, votes in canonical terms, status."""
    keep = ("item", "example", "task", "n_ratings", "votes_a", "votes_b", "votes_tie", "votes_both_bad",
            "majority_label", "majority_share", "status", "final_label")
    return [{k: r[k] for k in keep} for r in adjudication_records(study) if r["queued"]]
