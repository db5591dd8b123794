"""Annotators' pages: their studies, the rating page, guidelines, the completion page, and invite links.

Everything here addresses a study by its opaque public token and a pair by its slot token; nothing rendered
names a system (tests/annotation/test_blinding.py checks every page)."""
from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from annotation import selectors, services
from annotation.models import Invite, Study, StudyRater


def _member_study(request: HttpRequest, token: str) -> Study:
    """The study, if the user may rate it; 404 otherwise (a non-member learns nothing about it)."""
    study = get_object_or_404(Study, public_token=token, status__in=[Study.Status.LIVE, Study.Status.PAUSED,
                                                                     Study.Status.CLOSED])
    try:
        services.rater_join(study=study, user=request.user)
    except services.NotAllowed:
        raise Http404("No such study.") from None
    return study


@login_required
def work_home(request: HttpRequest) -> HttpResponse:
    return render(request, "annotation/work_home.html", {"studies": selectors.rater_studies(request.user)})


@login_required
def rate(request: HttpRequest, token: str) -> HttpResponse:
    study = _member_study(request, token)
    member = StudyRater.objects.get(study=study, user=request.user)
    payload = None
    if study.status == Study.Status.LIVE:
        slot = services.slot_next(study=study, user=request.user)
        if slot is None:
            return redirect("annotation:done", token=token)
        payload = selectors.slot_payload(slot)
    practice = selectors.practice_payloads(study) if not member.practice_done else []
    title, body = selectors.guidelines_parts(study)
    return render(request, "annotation/rate.html", {
        "study": study, "payload": payload, "questions": study.questions, "practice": practice,
        "progress": selectors.rater_progress(study, request.user),
        "guidelines_html": body, "guidelines_title": title,
    })


@login_required
def guidelines(request: HttpRequest, token: str) -> HttpResponse:
    study = _member_study(request, token)
    title, body = selectors.guidelines_parts(study)
    return render(request, "annotation/guidelines.html", {"study": study, "guidelines_html": body,
                                                          "guidelines_title": title})


@login_required
def done(request: HttpRequest, token: str) -> HttpResponse:
    study = _member_study(request, token)
    progress = selectors.rater_progress(study, request.user)
    member = None
    if progress["left"] == 0 or study.status == Study.Status.CLOSED:
        member = services.rater_finish(study=study, user=request.user)
    crowd = StudyRater.objects.filter(study=study, user=request.user).exclude(invite=None).exists()
    return render(request, "annotation/done.html", {"study": study, "member": member, "progress": progress,
                                                    "crowd": crowd})


JOIN_SALT = "annotation.join"
JOIN_COOKIE_AGE = 90 * 24 * 3600  # a crowd study's participant may come back to it for weeks


def join(request: HttpRequest, token: str) -> HttpResponse:
    """Crowd-platform entry: /join/<invite>/?pid=PARTICIPANT (PROLIFIC_PID also accepted)."""
    invite = get_object_or_404(Invite, token=token)
    pid = request.GET.get("pid") or request.GET.get("PROLIFIC_PID") or request.POST.get("pid") or ""
    if not pid:
        return render(request, "annotation/join.html", {"invite": invite})
    cookie = f"deft-join-{invite.pk}"
    resume_pid = request.get_signed_cookie(cookie, default=None, salt=JOIN_SALT)
    try:
        member = services.invite_join(invite=invite, participant_id=pid, may_resume=resume_pid == pid)
    except services.AnnotationError as exc:
        return render(request, "annotation/join.html", {"invite": invite, "error": str(exc)}, status=403)
    login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
    response = redirect("annotation:rate", token=invite.study.public_token)
    response.set_signed_cookie(cookie, member.participant_id, salt=JOIN_SALT, max_age=JOIN_COOKIE_AGE,
                               httponly=True, samesite="Lax", secure=request.is_secure())
    return response
