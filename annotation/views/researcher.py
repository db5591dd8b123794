"""Researchers' pages: study list, the design wizard with a live preview, study detail (launch / pause / close,
invites), and the unblinded export (after close, or a logged peek)."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from annotation import blinding, interchange, review_queue, selectors, services
from annotation.forms import JudgeForm, StudyForm
from annotation.judges import JudgeSpec
from annotation.models import Study
from annotation.record_files import records_csv, records_jsonl
from annotation.reports.checks import CHECKS
from annotation.views.access import managed_study
from deft_site.roles import researcher_required


@researcher_required
def study_list(request: HttpRequest) -> HttpResponse:
    studies = [(s, selectors.study_progress(s))
               for s in blinding.manageable_studies(request.user, selectors.study_list())]
    return render(request, "annotation/study_list.html", {"studies": studies})


@researcher_required
def study_wizard(request: HttpRequest) -> HttpResponse:
    form = StudyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        design = form.design()
        launch = "launch" in request.POST
        try:
            study = services.study_create(**design, user=request.user, launch=launch)
        except services.AnnotationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Study {study.name} {'launched' if launch else 'saved as a draft'}.")
            if form.cleaned_data.get("judge_spec"):
                _judge_submit(request, study, form.cleaned_data["judge_spec"])
            return redirect("annotation:study_detail", name=study.name)
    return render(request, "annotation/study_wizard.html", {"form": form})


@researcher_required
@require_POST
def study_preview(request: HttpRequest) -> HttpResponse:
    """The rater's page for a sample pair under the design being edited (HTML fragment)."""
    form = StudyForm(request.POST)
    form.is_valid()
    d = form.cleaned_data
    try:
        questions = services.questions_normalise(form.design()["questions"]) if {"q_likert", "q_error_flags"} <= d.keys() \
            else services.questions_normalise(None)
    except (services.AnnotationError, KeyError):
        questions = services.questions_normalise(None)
    payload = None
    if d.get("dataset") and d.get("systems"):
        payload = selectors.preview_payload(dataset_id=d["dataset"].pk, split=d.get("split", "test"),
                                            system_ids=[s.pk for s in d["systems"]],
                                            display_mode=d.get("display_mode") or "auto")
    study = Study(public_title=d.get("public_title") or "Text editing evaluation", guidelines=d.get("guidelines", ""))
    title, body = selectors.guidelines_parts(study)
    return render(request, "annotation/_rate_pair.html", {
        "payload": payload, "questions": questions, "preview": True, "study": study,
        "guidelines_html": body, "guidelines_title": title, "progress": {"done": 0, "total": 10, "left": 10, "percent": 0},
    })


def _check_labels(names: list[str] | None) -> list[str]:
    """The reliability checks a study names, as the wizard labels them (annotation/reports/checks.py)."""
    return [CHECKS[n].label if n in CHECKS else n for n in names or []]


@researcher_required
def study_detail(request: HttpRequest, name: str) -> HttpResponse:
    study = managed_study(request, name, request.POST.get("action", "change") if request.method == "POST" else "view")
    if request.method == "POST":
        return _study_action(request, study)
    return render(request, "annotation/study_detail.html", {
        "study": study, "progress": selectors.study_progress(study),
        "systems": selectors.study_systems(study), "events": selectors.study_events(study)[:50],
        "invites": selectors.study_invites(study), "guidelines_html": selectors.guidelines_html(study),
        "raters": selectors.study_raters(study)[:200],
        "notes": selectors.rater_notes(study)[:200],
        "gate_checks": _check_labels(study.gate_checks), "exclude_checks": _check_labels(study.exclude_checks),
        "collaborators": selectors.study_collaborators(study),
        "reviewers": selectors.study_reviewers(study), "adjudication": review_queue.queue_summary(study),
        "adjudication_modes": Study.Adjudication.choices,
        "judge_runs": selectors.judge_runs(study), "judge_form": JudgeForm(),
        "may_share": blinding.may_share(request.user, study),
    })


def _study_action(request: HttpRequest, study: Study) -> HttpResponse:
    actions = {"launch": services.study_launch, "pause": services.study_pause, "resume": services.study_resume,
               "close": services.study_close}
    action = request.POST.get("action", "")
    try:
        if action in actions:
            actions[action](study=study, user=request.user)
            messages.success(request, f"Study {action}ed." if not action.endswith("e") else f"Study {action}d.")
        elif action in ("add_collaborator", "remove_collaborator"):
            _collaborator_action(request, study, action)
        elif action in ("add_reviewer", "remove_reviewer"):
            _reviewer_action(request, study, action)
        elif action == "adjudication":
            _adjudication_setting(request, study)
        elif action == "judge":
            form = JudgeForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                _judge_submit(request, study, d["spec"], name=d.get("judge_name") or "", truth=d["truth"],
                              gpu=d["gpu"])
            else:
                messages.error(request, "Judge not started: " + " ".join(e for es in form.errors.values() for e in es))
        elif action == "invite":
            invite = services.invite_create(study=study, label=request.POST.get("label", ""))
            messages.success(request, f"Invite link created: /join/{invite.token}/?pid=PARTICIPANT_ID")
        else:
            messages.error(request, "Unknown action.")
    except services.AnnotationError as exc:
        messages.error(request, str(exc))
    return redirect("annotation:study_detail", name=study.name)


def _judge_submit(request: HttpRequest, study: Study, spec: JudgeSpec, **kw: Any) -> None:
    """Start an automatic judge on the study as a background job; what happened as a message."""
    try:
        run = services.judge_run_submit(study=study, spec=spec, user=request.user, **kw)
    except services.AnnotationError as exc:
        messages.error(request, f"Judge not started: {exc}")
    else:
        messages.success(request, f"Judge {run.name} queued (job #{run.job_id}): it rates every pair in both orders.")


def _posted_user(request: HttpRequest) -> User:
    """The user the form's `username` names; a domain error (shown as a message) when there is none."""
    username = request.POST.get("username", "").strip()
    user = selectors.user_named(username)
    if user is None:
        raise services.AnnotationError(f"No user {username!r}.")
    return user


def _collaborator_action(request: HttpRequest, study: Study, action: str) -> None:
    """Owner and admins share a study with another researcher, or stop sharing it."""
    if not blinding.may_share(request.user, study):
        raise services.NotAllowed("Only the study's owner or an admin can change who shares it.")
    user = _posted_user(request)
    if action == "add_collaborator":
        services.study_share(study=study, user=user, by=request.user)
        messages.success(request, f"{user.username} can now manage this study.")
    else:
        services.study_unshare(study=study, user=user, by=request.user)
        messages.success(request, f"{user.username} no longer shares this study.")


def _reviewer_action(request: HttpRequest, study: Study, action: str) -> None:
    """A manager of the study assigns a reviewer (a user with the reviewer role) or unassigns one."""
    user = _posted_user(request)
    if action == "add_reviewer":
        services.reviewer_add(study=study, user=user, by=request.user)
        messages.success(request, f"{user.username} can now review this study.")
    else:
        services.reviewer_remove(study=study, user=user, by=request.user)
        messages.success(request, f"{user.username} no longer reviews this study.")


def _adjudication_setting(request: HttpRequest, study: Study) -> None:
    def share(name: str) -> float | None:
        try:
            return float(request.POST.get(name, ""))
        except ValueError:
            return None

    services.study_adjudication_set(study=study, adjudication=request.POST.get("adjudication", ""),
                                    adjudication_agreement=share("adjudication_agreement"),
                                    adjudication_share=share("adjudication_share"), user=request.user)
    messages.success(request, "Adjudication setting saved.")


@researcher_required
def study_export(request: HttpRequest, name: str) -> HttpResponse:
    """Unblinded judgments, one row each; before close only with ?peek=1, which is logged."""
    study = managed_study(request, name, "export")
    try:
        blinding.unblind(study=study, user=request.user, peek=request.GET.get("peek"), channel="export page")
    except blinding.Blinded as exc:
        return HttpResponse(str(exc), status=403, content_type="text/plain")
    fmt = request.GET.get("format", "csv")
    if fmt in interchange.FORMATS:  # the research formats: judgments on real pairs (annotation.interchange)
        body, ctype, suffix = interchange.export_file(fmt, selectors.pair_judgments(study))
        response = HttpResponse(body, content_type=ctype)
        response["Content-Disposition"] = f'attachment; filename="{study.name}-{fmt}{suffix}"'
        return response
    if fmt == "adjudications":  # one row per queued or adjudicated item: votes, majority, final label
        body = records_csv(review_queue.adjudication_records(study), review_queue.ADJUDICATION_FIELDS)
        response = HttpResponse(body, content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{study.name}-adjudications.csv"'
        return response
    records = selectors.judgment_records(study, include_skipped=True)
    body, ctype = (records_jsonl(records), "application/jsonl") if fmt == "jsonl" else (records_csv(records), "text/csv")
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{study.name}-judgments.{"jsonl" if fmt == "jsonl" else "csv"}"'
    return response

