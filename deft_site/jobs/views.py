"""Job pages: list, detail with live progress and what a queued job waits for, JSON for polling, cancel, retry."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from deft_site.jobs import selectors
from deft_site.jobs.models import Job
from deft_site.jobs.services import JobRetryRefused, job_cancel, job_retry
from deft_site.redirects import safe_next
from deft_site.roles import researcher_required


@researcher_required
def job_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status")
    jobs = selectors.job_list(status if status in Job.Status.values else None)[:200]
    return render(request, "jobs/job_list.html", {"jobs": jobs, "counts": selectors.job_counts_by_status()})


@researcher_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_or_404(pk)
    return render(request, "jobs/job_detail.html", {
        "job": job, "params": selectors.job_params_display(job), "queue_info": selectors.job_queue_info(job)})


@researcher_required
def job_json(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(selectors.job_as_dict(selectors.job_or_404(pk), staff=request.user.is_staff))


@require_POST
@researcher_required
def job_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_cancel(selectors.job_or_404(pk))
    if job.status == Job.Status.CANCELLED:
        messages.info(request, f"Job #{job.pk} is cancelled.")
    else:
        messages.info(request, f"Cancel requested: job #{job.pk} stops at its next progress report.")
    return _back(request, f"/jobs/{job.pk}/")


@require_POST
@researcher_required
def job_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        job = job_retry(selectors.job_or_404(pk))
        messages.success(request, f"Job #{job.pk} queued again; it resumes where it can.")
    except JobRetryRefused as exc:
        messages.error(request, str(exc))
    return _back(request, f"/jobs/{pk}/")


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to ``next`` only when it is a path on this site (never an open redirect)."""
    return redirect(safe_next(request, default))
