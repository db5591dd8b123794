"""The study report page (researchers only): live while the study runs, unblinded after close or a logged peek.

GET /studies/<name>/report/            the page (?exclude_flagged=1 drops flagged raters; ?peek=1 before close)
GET /studies/<name>/report/?format=html|csv|json   downloads (the HTML file is self-contained)
GET /studies/<name>/report/live/       JSON for the page's 10-second poll: {"changed", "version", "html"}
"""
from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET

from annotation import blinding, reports, selectors, services
from annotation.models import Study
from annotation.views.access import managed_study
from deft_site.roles import researcher_required


def _plain(o: object) -> object:
    """numpy scalars to Python numbers for json.dumps."""
    return o.item() if hasattr(o, "item") else str(o)


def _flag(request: HttpRequest) -> bool:
    return request.GET.get("exclude_flagged") in ("1", "true", "yes")


@researcher_required
@require_GET
def study_report_page(request: HttpRequest, name: str) -> HttpResponse:
    study = managed_study(request, name, "report")
    exclude = _flag(request)
    fmt = request.GET.get("format", "")
    try:
        peeking = blinding.unblind(study=study, user=request.user, peek=request.GET.get("peek"),
                                   channel=f"report {fmt or 'page'}")
    except blinding.Blinded:
        return render(request, "annotation/report_gate.html",
                      {"study": study, "progress": selectors.study_progress(study), "exclude_flagged": exclude},
                      status=403)
    if peeking:
        blinding.remember_peek(request.session, study)
    report = reports.study_report(study, exclude_flagged=exclude)
    suffix = "-without-flagged" if exclude else ""
    if fmt in ("html", "csv", "json"):
        body, ctype = {
            "html": lambda: (reports.report_html(report), "text/html; charset=utf-8"),
            "csv": lambda: (reports.report_csv(report), "text/csv; charset=utf-8"),
            "json": lambda: (json.dumps(report, indent=1, default=_plain), "application/json"),
        }[fmt]()
        response = HttpResponse(body, content_type=ctype)
        response["Content-Disposition"] = f'attachment; filename="{study.name}-report{suffix}.{fmt}"'
        return response
    live = study.status in (Study.Status.LIVE, Study.Status.PAUSED)
    live_url = reverse("annotation:study_report_live", args=[study.name]) + f"?exclude_flagged={int(exclude)}"
    return render(request, "annotation/report.html", {
        **reports.report_display(report), "study": study, "peeking": peeking, "live": live,
        "live_url": live_url, "peek_q": "peek=1" if peeking else "",
    })


@researcher_required
@require_GET
def study_report_live(request: HttpRequest, name: str) -> JsonResponse:
    """The poll behind the live page: new HTML only when a judgment (or the status) changed."""
    study = managed_study(request, name, "report poll")
    try:
        blinding.unblind_live_poll(study=study, user=request.user, session=request.session)
    except services.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    report = reports.study_report(study, exclude_flagged=_flag(request))
    changed = request.GET.get("version") != report["version"]
    html = render_to_string("annotation/report_body.html", reports.report_display(report), request) if changed else ""
    return JsonResponse({"changed": changed, "version": report["version"], "status": study.status, "html": html})
