"""Annotators' pages: their studies, the rating page, guidelines, the completion page, and invite links.

Everything here addresses a study by its opaque public token and a pair by its slot token; nothing rendered
names a system (tests/annotation/test_blinding.py checks every page)."""
from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from annotation import selectors, services, throttles
from annotation.models import SIDES, Invite, Preference, Study


def _member_study(request: HttpRequest, token: str) -> Study:
    """The study, if the user may rate it; 404 otherwise (a non-member learns nothing about it)."""
    study = selectors.rateable_study_or_404(token)
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
    member = selectors.rater_membership(study, request.user)
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
        "vocabulary": {"sides": list(SIDES), "preferences": list(Preference.values)},
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
    member, refused = None, ""
    if progress["left"] == 0 or study.status == Study.Status.CLOSED:
        try:
            member = services.rater_finish(study=study, user=request.user)
        except services.AnnotationError as exc:
            refused = str(exc)
    crowd = selectors.rater_came_by_invite(study, request.user)
    return render(request, "annotation/done.html", {"study": study, "member": member, "progress": progress,
                                                    "refused": refused, "crowd": crowd})


JOIN_SALT = "annotation.join"
JOIN_COOKIE_AGE = 90 * 24 * 3600  # a crowd study's participant may come back to it for weeks


def _join_cookie(invite: Invite) -> str:
    return f"deft-join-{invite.pk}"


def join(request: HttpRequest, token: str) -> HttpResponse:
    """Crowd-platform entry: /join/<invite>/?pid=PARTICIPANT (PROLIFIC_PID also accepted).

    GET shows the welcome / consent page and changes nothing (a crafted link cannot sign anybody in or out);
    joining is the page's POST (CSRF-protected), and only that makes an account, within rate limits."""
    invite = selectors.invite_or_404(token)
    study = invite.study
    if study.status == Study.Status.DRAFT:
        raise Http404("No such invitation.")
    source = request.POST if request.method == "POST" else request.GET
    pid = services.participant_id_clean(source.get("pid") or source.get("PROLIFIC_PID") or "")
    resume_pid = request.get_signed_cookie(_join_cookie(invite), default=None, salt=JOIN_SALT)
    existing = selectors.invite_participant(invite, pid) if pid else None
    if existing and request.user.is_authenticated and request.user.pk == existing.user_id:
        return redirect("annotation:rate", token=study.public_token)
    context = {"invite": invite, "study": study, "pid": pid, "returning": bool(existing and resume_pid == pid),
               **selectors.invite_welcome(invite)}
    if request.method != "POST":
        if not (context["open"] or context["returning"] or context["paused"]):
            return render(request, "annotation/join.html", context, status=410)  # closed or full: for good
        return render(request, "annotation/join.html", context)
    if not pid:
        return render(request, "annotation/join.html", {**context, "error": "Please enter your participant id."},
                      status=400)
    if not request.POST.get("consent"):
        return render(request, "annotation/join.html",
                      {**context, "error": "Please tick the box to say you agree to take part."}, status=400)
    if existing is None and context["open"]:
        wait = throttles.new_participant_wait(request, invite)
        if wait is not None:
            minutes = max(1, round(wait / 60))
            return render(request, "annotation/join.html", {**context, "error": (
                f"Too many people joined from your network or through this link just now. Please try again in "
                f"about {minutes} minute{'s' if minutes != 1 else ''}.")}, status=429)
    try:
        member = services.invite_join(invite=invite, participant_id=pid, may_resume=resume_pid == pid)
    except services.AnnotationError as exc:
        return render(request, "annotation/join.html", {**context, "error": str(exc)}, status=403)
    login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
    response = redirect("annotation:rate", token=study.public_token)
    response.set_signed_cookie(_join_cookie(invite), member.participant_id, salt=JOIN_SALT, max_age=JOIN_COOKIE_AGE,
                               httponly=True, samesite="Lax", secure=request.is_secure())
    return response
