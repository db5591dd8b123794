"""Reviewers' pages: the studies they adjudicate and the review page, one item at a time.

A reviewer addresses a study by its public token and an item by its adjudication token, exactly like a rater;
the page shows the pair in the reviewer's own side order, with every rater's answer translated into it, and
names no system (tests/annotation/test_blinding.py::test_no_reviewer_page_or_api_response_names_a_system checks). Who may review is
``annotation.blinding.may_review``: anyone else gets 404. The page works without script (a plain form POST, then
a redirect to the next item); review.js adds the keys."""
from __future__ import annotations

import secrets

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from annotation import blinding, review_queue, services
from annotation.models import Preference
from annotation.review_queue import ANSWER_WORDS


@login_required
def review_home(request: HttpRequest) -> HttpResponse:
    studies = review_queue.reviewer_studies(blinding.reviewable_studies(request.user), request.user)
    return render(request, "annotation/review_home.html", {"studies": studies})


@login_required
def review(request: HttpRequest, token: str) -> HttpResponse:
    study = blinding.reviewable_study(request.user, token)
    error, status = "", 200
    if request.method == "POST":
        own = review_queue.own_adjudication_or_404(request.POST.get("item", ""), request.user)
        try:
            services.adjudication_submit(adjudication=own, user=request.user, answer=request.POST.get("label", ""),
                                         note=request.POST.get("note", ""),
                                         idempotency_key=request.POST.get("idempotency_key", ""))
        except services.InvalidAnswer:
            error, status = "Choose the final label: A better, B better, equally good or both bad.", 400
        except services.AnnotationError as exc:
            error, status = str(exc), 409
        else:
            return redirect("annotation:review", token=token)
    try:
        adj = services.adjudication_next(study=study, user=request.user)
    except services.AnnotationError as exc:  # unassigned since the page was opened
        return render(request, "annotation/review_home.html", {"studies": [], "error": str(exc)}, status=403)
    return render(request, "annotation/review.html", {
        "study": study, "item": review_queue.adjudication_payload(adj) if adj else None,
        "progress": review_queue.reviewer_progress(study, request.user), "error": error,
        "choices": [(value, ANSWER_WORDS[value]) for value in Preference.values],
        "idempotency_key": secrets.token_urlsafe(12),
    }, status=status)
