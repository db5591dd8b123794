"""Job pages: list, detail with a live progress bar, JSON for polling, cancel and retry."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from deft_site.redirects import safe_next
from deft_site.roles import researcher_required
from selection import selectors
from selection.jobs import job_cancel, job_retry
from selection.models import Job


@researcher_required
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = selectors.job_list(request.GET.get("status"))[:200]
    return render(request, "selection/job_list.html", {"jobs": jobs, "counts": selectors.job_counts_by_status()})


@researcher_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "selection/job_detail.html", {"job": get_object_or_404(Job, pk=pk)})


@researcher_required
def job_json(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(selectors.job_as_dict(get_object_or_404(Job, pk=pk)))


@require_POST
@researcher_required
def job_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_cancel(get_object_or_404(Job, pk=pk))
    messages.info(request, f"Cancel requested for job #{job.pk} ({job.status}).")
    return redirect(safe_next(request, f"/jobs/{job.pk}/"))


@require_POST
@researcher_required
def job_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        job = job_retry(get_object_or_404(Job, pk=pk))
        messages.success(request, f"Job #{job.pk} queued again.")
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect(safe_next(request, f"/jobs/{pk}/"))
