"""Reads of the annotation app.

Two audiences, kept apart: `slot_payload`, `rater_progress` and `rater_studies` build what annotators see and
take nothing that names a system; `judgment_records`, `study_progress*` are for researchers (unblinded).
"""
from __future__ import annotations

from typing import Any

import markdown
from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import escape

from annotation.controls import control_passed, expected_side, other_side
from annotation.models import Control, Invite, Item, Judgment, Slot, Study, StudyEvent, StudyRater, StudySystem
from annotation.queue import rater_counts, rater_may_join, slots_ahead
from annotation.worddiff import diff_html, edit_words, initial_view
from selection.core.text import split_instruction


def study_list() -> QuerySet[Study]:
    return Study.objects.select_related("dataset").annotate(n_systems=Count("study_systems", distinct=True))


def study_list_api() -> QuerySet[Study]:
    """Every study, newest first, with dataset, owner and collaborators (the API's queryset)."""
    return Study.objects.select_related("dataset", "owner").prefetch_related("collaborators").order_by("-created_at")


def study_named(name: str) -> Study | None:
    return Study.objects.filter(name=name).first()


def study_systems(study: Study) -> QuerySet[StudySystem]:
    return study.study_systems.select_related("system")


def study_invites(study: Study) -> QuerySet[Invite]:
    return study.invites.all()


def study_raters(study: Study) -> QuerySet[StudyRater]:
    """The study's raters with their accounts, in the order they joined."""
    return study.raters.select_related("user").order_by("joined_at")


def study_collaborators(study: Study) -> QuerySet[User]:
    return study.collaborators.order_by("username")


def study_reviewers(study: Study) -> QuerySet[User]:
    return study.reviewers.order_by("username")


def user_named(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def first_admin() -> User | None:
    """The first superuser, else the first staff account, else None (a command's default owner)."""
    return (User.objects.filter(is_superuser=True).order_by("pk").first()
            or User.objects.filter(is_staff=True).order_by("pk").first())


# ---------------------------------------------------------------- what an annotator may reach


def rateable_study_or_404(token: str) -> Study:
    """The live, paused or closed study with this public token; Http404 otherwise (drafts do not exist here)."""
    return get_object_or_404(Study, public_token=token, status__in=[Study.Status.LIVE, Study.Status.PAUSED,
                                                                    Study.Status.CLOSED])


def non_draft_study_or_404(token: str) -> Study:
    return get_object_or_404(Study.objects.exclude(status=Study.Status.DRAFT), public_token=token)


def rater_membership(study: Study, user: User) -> StudyRater:
    """The user's membership of the study (it must exist: StudyRater.DoesNotExist otherwise)."""
    return StudyRater.objects.get(study=study, user=user)


def rater_membership_by_token(token: str, user: User) -> StudyRater | None:
    """The user's membership of the non-draft study with this public token, with the study, in one query."""
    return (StudyRater.objects.select_related("study").exclude(study__status=Study.Status.DRAFT)
            .filter(study__public_token=token, user=user).first())


def rater_came_by_invite(study: Study, user: User) -> bool:
    """Whether the user joined the study through an invite link (a crowd participant)."""
    return StudyRater.objects.filter(study=study, user=user).exclude(invite=None).exists()


def invite_or_404(token: str) -> Invite:
    return get_object_or_404(Invite.objects.select_related("study"), token=token)


def invite_participant(invite: Invite, participant_id: str) -> StudyRater | None:
    """The membership this invite made for ``participant_id``, with its account, or None."""
    return StudyRater.objects.filter(invite=invite, participant_id=participant_id).select_related("user").first()


def own_slot_or_404(token: str, user: User, *, with_example: bool = True) -> Slot:
    """The user's own slot with this token, with its item, study and (unless the caller shows no text) example;
    Http404 for anyone else."""
    related = ("item__study", "item__example") if with_example else ("item__study",)
    return get_object_or_404(Slot.objects.select_related(*related), token=token, rater=user)


def guidelines_html(study: Study) -> str:
    """Markdown with every raw HTML tag escaped first (annotators see it)."""
    return markdown.markdown(escape(study.guidelines), extensions=["sane_lists"])


def guidelines_parts(study: Study) -> tuple[str, str]:
    """(title, body HTML) for the guidelines dialog: a leading Markdown heading becomes the dialog's title
    instead of repeating under a generic "Guidelines" heading."""
    text = study.guidelines.lstrip()
    first, _, rest = text.partition("\n")
    if first.startswith("#"):
        title = first.lstrip("#").strip()
        if title:
            return title, markdown.markdown(escape(rest), extensions=["sane_lists"])
    return "Guidelines", guidelines_html(study)


def study_progress(study: Study) -> dict[str, Any]:
    """Real judgments done against items × k (tie-counted identical items need no rater)."""
    askable = study.items.filter(kind=Item.Kind.REAL)
    if study.identical_outputs == Study.Identical.TIE:
        askable = askable.filter(identical=False)
    total = askable.count() * study.raters_per_item
    done = Judgment.objects.filter(slot__item__study=study, slot__item__kind=Item.Kind.REAL,
                                   slot__item__in=askable).count()
    active = (Slot.objects.filter(item__study=study, status=Slot.Status.RESERVED)
              .values("rater").distinct().count())
    return {"name": study.name, "url": reverse("annotation:study_detail", args=[study.name]),
            "status": study.status, "done": done, "total": total,
            "percent": round(100 * done / total, 1) if total else 0.0, "active_raters": active,
            "raters": study.raters.count()}


def study_progress_all() -> list[dict]:
    """For the staff dashboard: every study that is not a draft, newest first."""
    return [study_progress(s) for s in Study.objects.exclude(status=Study.Status.DRAFT).order_by("-created_at")]


def judgment_records(study: Study, include_auto_ties: bool = False, include_skipped: bool = False) -> list[dict]:
    """One flat, unblinded record per judgment: for export and for the study report. `flag` is the rater's flag
    on the pair; `include_skipped` adds a row (status "skipped", no answer) per skipped pair, for exports. Each
    real item's final label (adjudication: `final_label` a/b/tie/both_bad, `final_system`, `adjudicated_by`)
    rides beside the raw answer, "" where none was given."""
    from annotation.review_queue import final_labels

    names = {ss.pk: ss.system.name for ss in study.study_systems.select_related("system")}
    finals = final_labels(study)
    no_final = {"final_label": "", "final_system": "", "adjudicated_by": ""}
    rows = []
    qs = (Judgment.objects.filter(slot__item__study=study)
          .select_related("slot__item__example", "slot__item__control", "slot__rater").order_by("submitted_at", "pk"))
    for j in qs:
        slot, item = j.slot, j.slot.item
        a = names.get(item.system_a_id, "reference" if item.kind != Item.Kind.REAL else "")
        b = names.get(item.system_b_id, "degraded" if hasattr(item, "control") and item.control.kind == Control.Kind.DEGRADED
                      else "input" if item.kind != Item.Kind.REAL else "")
        if item.kind != Item.Kind.REAL and hasattr(item, "control") and item.control.kind == Control.Kind.GOLD:
            a, b = "reference", "input"
        left, right = (a, b) if slot.left_is_a else (b, a)
        control = getattr(item, "control", None) if item.kind != Item.Kind.REAL else None
        preferred = {"left": left, "right": right}.get(j.preference, "")
        source = split_instruction(item.example.src, (item.example.extra or {}).get("instruction"))[1]
        left_text, right_text = (item.text_a, item.text_b) if slot.left_is_a else (item.text_b, item.text_a)
        rows.append({
            "item": item.pk, "example": item.example.ext_id, "task": item.example.task,
            "rater": slot.rater.username, "slot": slot.token,
            "left_system": left, "right_system": right, "system_a": a, "system_b": b,
            "answer": j.preference, "preferred_system": preferred,
            "strength": j.strength, "criteria": {k: {"answer": v, "preferred_system": {"left": left, "right": right}
                                                     .get(v, "tie")} for k, v in (j.criteria or {}).items()},
            "left_edit": edit_words(source, left_text), "right_edit": edit_words(source, right_text),
            "accurate_left": j.accurate_left, "accurate_right": j.accurate_right,
            "accurate_a": j.accurate_left if slot.left_is_a else j.accurate_right,
            "accurate_b": j.accurate_right if slot.left_is_a else j.accurate_left,
            "likert": {k: {"left": v["left"], "right": v["right"], "a": v["left" if slot.left_is_a else "right"],
                           "b": v["right" if slot.left_is_a else "left"]} for k, v in j.likert.items()},
            "error_flags": j.error_flags, "comment": j.comment, "seconds": j.seconds,
            "identical": item.identical, "is_control": control is not None,
            "control_kind": control.kind if control else "", "control_expected": control.expected if control else "",
            "control_passed": control_passed(control, slot, j) if control else None,
            "repeat_of": item.repeat_of_id,  # a repeated pair: self-consistency only, never counted in the results
            "flag": slot.flag_reason, "status": "judged", "skip_reason": "", "revisions": j.revision_count,
            "submitted_at": j.submitted_at.isoformat(), **finals.get(item.pk, no_final),
        })
    if include_skipped:
        rows.extend(_skipped_records(study, names))
    if include_auto_ties and study.identical_outputs == Study.Identical.TIE:
        for item in study.items.filter(kind=Item.Kind.REAL, identical=True).select_related("example"):
            a, b = names[item.system_a_id], names[item.system_b_id]
            rows.append({"item": item.pk, "example": item.example.ext_id, "task": item.example.task, "rater": "",
                         "left_system": a, "right_system": b, "system_a": a, "system_b": b, "answer": "tie",
                         "preferred_system": "", "identical": True, "is_control": False, "auto": True})
    return rows


def gate_records(study: Study) -> list[dict]:
    """The judgment rows the completion gate's reliability checks read (annotation/services/judgments.py). They
    are unblinded, but the gate only turns them into a valid or invalid code, which shows no system to anyone:
    the rater cannot tell either way, and a researcher reads results through blinding.unblind as ever."""
    return judgment_records(study)


def rater_notes(study: Study) -> list[dict[str, Any]]:
    """Raters' flags and skip reasons, newest first: for the study page, the report and the export. Names no
    system, so it can be shown while the study is still sealed."""
    slots = (Slot.objects.filter(item__study=study).filter(~Q(flag_reason="") | Q(status=Slot.Status.SKIPPED))
             .select_related("rater", "item__example").order_by("-reserved_at", "-pk"))
    return [{"rater": s.rater.username, "example": s.item.example.ext_id, "task": s.item.example.task,
             "item": s.item_id, "kind": s.item.kind, "skipped": s.status == Slot.Status.SKIPPED,
             "skip_reason": s.skip_reason, "flag": s.flag_reason, "slot": s.token} for s in slots]


def _skipped_records(study: Study, names: dict[int, str]) -> list[dict]:
    rows = []
    for slot in (Slot.objects.filter(item__study=study, status=Slot.Status.SKIPPED)
                 .select_related("item__example", "rater").order_by("reserved_at", "pk")):
        item = slot.item
        a, b = names.get(item.system_a_id, ""), names.get(item.system_b_id, "")
        left, right = (a, b) if slot.left_is_a else (b, a)
        rows.append({"item": item.pk, "example": item.example.ext_id, "task": item.example.task,
                     "rater": slot.rater.username, "slot": slot.token, "left_system": left, "right_system": right,
                     "system_a": a, "system_b": b, "answer": "", "is_control": item.kind == Item.Kind.CONTROL,
                     "repeat_of": item.repeat_of_id,
                     "flag": slot.flag_reason, "status": "skipped", "skip_reason": slot.skip_reason})
    return rows

def invite_welcome(invite: Invite) -> dict[str, Any]:
    """What the welcome / consent page of an invite link tells a participant (nothing about systems)."""
    study = invite.study
    askable = study.items.filter(kind=Item.Kind.REAL)
    if study.identical_outputs == Study.Identical.TIE:
        askable = askable.filter(identical=False)
    pairs = askable.count()
    if study.quota_per_rater is not None:
        pairs = min(pairs, study.quota_per_rater)
    if pairs and study.control_rate:
        pairs = round(pairs / (1 - study.control_rate))  # checks are pairs like any other
    full = invite.max_participants is not None and invite.raters.count() >= invite.max_participants
    return {"open": invite.active and study.status == Study.Status.LIVE and not full,
            "paused": study.status == Study.Status.PAUSED, "closed": study.status == Study.Status.CLOSED or not invite.active,
            "full": full, "pairs": pairs, "practice": study.practice_count,
            "questions": study.questions, "guidelines_html": guidelines_html(study)}


def study_events(study: Study) -> QuerySet[StudyEvent]:
    return study.events.select_related("user")


def rater_studies(user: User) -> list[dict]:
    """The live studies a user may rate, with their own progress (no system information)."""
    out = []
    member_of = set(StudyRater.objects.filter(user=user).values_list("study_id", flat=True))
    for study in Study.objects.filter(status__in=[Study.Status.LIVE, Study.Status.PAUSED]):
        if study.pk in member_of or rater_may_join(study, user):
            out.append({"token": study.public_token, "title": study.public_title, "status": study.status,
                        **rater_progress(study, user)})
    return out


def rater_progress(study: Study, user: User, counts: dict[str, int] | None = None) -> dict[str, int]:
    """Done and left for this rater, controls counted like real pairs (slots_ahead) so that neither number
    singles a control out. `counts`: rater_counts as slot_next_counted left them, for a caller that has them."""
    mine = counts if counts is not None else rater_counts(study, user)
    done = mine["done"]
    left = mine["reserved"] + slots_ahead(study, user, counts=mine)
    total = done + left
    return {"done": done, "left": left, "total": total, "percent": round(100 * done / total) if total else 100}


def slot_payload(slot: Slot, display_mode: str | None = None) -> dict[str, Any]:
    """What the annotator's page shows for a slot: texts and diffs by side, never a system, id or kind; `view`
    says whether the word diff or the plain texts come first (the study's display mode)."""
    item = slot.item
    if display_mode is None:
        display_mode = item.study.display_mode if item.study_id else Study.Display.AUTO
    instruction, source = split_instruction(item.example.src, (item.example.extra or {}).get("instruction"))
    left, right = (item.text_a, item.text_b) if slot.left_is_a else (item.text_b, item.text_a)
    answer = None
    # A reserved slot has no answer yet (answering marks it done): no query for the pair just handed out.
    judgment = Judgment.objects.filter(slot=slot).first() if slot.pk and slot.status != Slot.Status.RESERVED else None
    if judgment:
        answer = {"preference": judgment.preference, "strength": judgment.strength, "criteria": judgment.criteria,
                  "accurate_left": judgment.accurate_left,
                  "accurate_right": judgment.accurate_right, "likert": judgment.likert,
                  "error_flags": judgment.error_flags, "comment": judgment.comment}
    return {
        "slot": slot.token, "instruction": instruction, "input": source,
        "left": {"text": left, "diff_html": diff_html(source, left)},
        "right": {"text": right, "diff_html": diff_html(source, right)},
        "view": initial_view(display_mode, source, (left, right)),
        "answer": answer,
    }


def practice_payloads(study: Study) -> list[dict[str, Any]]:
    """Practice pairs with the expected answer, for feedback before real work (sides alternate)."""
    out = []
    for i, item in enumerate(study.items.filter(kind=Item.Kind.PRACTICE).order_by("order_key")):
        fake = Slot(item=item, left_is_a=bool(i % 2), token=f"practice-{i + 1}")
        payload = slot_payload(fake)
        payload["expected"] = expected_side("a", fake.left_is_a)  # practice pairs: a is the better output
        payload["worse"] = other_side(payload["expected"])
        out.append(payload)
    return out


def rater_last_judged(study: Study, user: User) -> Slot | None:
    """The rater's most recently answered slot: the target of 'go back'."""
    j = (Judgment.objects.filter(slot__item__study=study, slot__rater=user).order_by("-updated_at", "-pk")
         .select_related("slot__item__example").first())
    return j.slot if j else None


def preview_payload(*, dataset_id: int, split: str, system_ids: list[int],
                    display_mode: str = "auto") -> dict[str, Any] | None:
    """A sample pair, laid out as a rater would see it, for the wizard's live preview."""
    from selection.models import Output

    if len(system_ids) < 2:
        return None
    first = (Output.objects.filter(system_id=system_ids[0], example__dataset_id=dataset_id, example__split=split)
             .select_related("example").order_by("example_id").first())
    other = first and Output.objects.filter(system_id=system_ids[1], example=first.example).first()
    if not first or not other:
        return None
    item = Item(example=first.example, text_a=first.text, text_b=other.text)
    return slot_payload(Slot(item=item, left_is_a=True, token="preview"), display_mode=display_mode)


def study_lookup(ref: str) -> Study:
    """A study by its name (the lookup the rest of the API uses), or by its numeric id."""
    study = Study.objects.filter(name=ref).first()
    if study is None and ref.isdigit():
        study = Study.objects.filter(pk=int(ref)).first()
    if study is None:
        raise Http404(f"No study {ref!r}.")
    return study



def pair_judgments(study: Study) -> list:
    """The study's judgments on real pairs as typed ``interchange.PairJudgment`` records (unblinded: callers go
    through ``blinding.unblind`` first). Controls and practice stay behind: they are this platform's checks."""
    from annotation.interchange import PairJudgment
    from annotation.review_queue import final_labels

    names = {ss.pk: ss.system.name for ss in study.study_systems.select_related("system")}
    finals = final_labels(study)
    qs = (Judgment.objects.filter(slot__item__study=study, slot__item__kind=Item.Kind.REAL)
          .exclude(preference="").select_related("slot__item__example", "slot__rater").order_by("submitted_at", "pk"))
    out = []
    for j in qs:
        slot, item = j.slot, j.slot.item
        a, b = names[item.system_a_id], names[item.system_b_id]
        left, right = (a, b) if slot.left_is_a else (b, a)
        lt, rt = (item.text_a, item.text_b) if slot.left_is_a else (item.text_b, item.text_a)
        out.append(PairJudgment(example=item.example.ext_id, task=item.example.task, prompt=item.example.src,
                                rater=slot.rater.username, left_system=left, right_system=right, left_text=lt,
                                right_text=rt, answer=j.preference, strength=j.strength, comment=j.comment,
                                seconds=j.seconds, submitted_at=j.submitted_at.isoformat(),
                                final_system=finals.get(item.pk, {}).get("final_system", "")))
    return out


# ---------------------------------------------------------------- automatic judges (researchers; unblinded rows)


def judge_runs(study: Study) -> QuerySet:
    """The study's judge runs with their jobs and answer counts, oldest first (names no system)."""
    from annotation.models import JudgeRun

    return (JudgeRun.objects.filter(study=study).select_related("job")
            .annotate(n_answers=Count("answers"), n_unusable=Count("answers", filter=Q(answers__preference="")))
            .order_by("created_at", "pk"))


def judge_run_named(study: Study, name: str):  # noqa: ANN201 (a JudgeRun or None)
    """One of the study's judge runs by name, with its counts (as judge_runs), or None."""
    return judge_runs(study).filter(name=name.strip()[:100]).first()


def judge_answer_rows(study: Study) -> list[dict[str, Any]]:
    """Every judge answer on the study as {run, item, left, right, answer, p_left, task}, system names as shown
    (unblinded: the report's gather reads it after ``blinding.unblind``)."""
    from annotation.models import JudgeAnswer

    names = {ss.pk: ss.system.name for ss in study.study_systems.select_related("system")}
    rows = []
    for a in (JudgeAnswer.objects.filter(run__study=study).select_related("item__example")
              .order_by("run_id", "item_id", "-left_is_a")):
        sa, sb = names.get(a.item.system_a_id, ""), names.get(a.item.system_b_id, "")
        left, right = (sa, sb) if a.left_is_a else (sb, sa)
        rows.append({"run": a.run_id, "item": a.item_id, "left": left, "right": right, "answer": a.preference,
                     "p_left": a.p_left, "task": a.item.example.task})
    return rows
