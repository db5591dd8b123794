"""Site-wide pages: the home page (sends each role to its work) and the staff dashboard."""
from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from deft_site.dashboard import dashboard_context
from deft_site.roles import is_annotator, is_researcher, is_reviewer


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if is_researcher(request.user):
        return render(request, "home.html")
    if is_annotator(request.user):
        return redirect("/work/")
    if is_reviewer(request.user):
        return redirect("/review/")
    return render(request, "home.html")


@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard.html", dashboard_context())


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (no database, no session). The load benchmark's trivial endpoint too."""
    return HttpResponse("ok", content_type="text/plain")


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database answers (an outage is a 503, deft_site/outage.py)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ready", content_type="text/plain")
