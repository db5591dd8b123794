"""The researcher's upload page: a new study from a Potato or Label Studio file (all or nothing)."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from annotation.forms import StudyImportForm
from annotation.services.interchange import ImportRejected, interchange_read, study_import_create
from deft_site.roles import researcher_required


@researcher_required
def study_import(request: HttpRequest) -> HttpResponse:
    form = StudyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        upload = d["file"]
        try:
            records = interchange_read(upload.read(), d["format"])
            done = study_import_create(name=d["name"], records=records, dataset=d["dataset"],
                                       dataset_name=d["dataset_name"] or "", split=d["split"], status=d["status"],
                                       source=f"{d['format']} file {upload.name}", user=request.user)
        except ImportRejected as exc:
            form.add_error(None, f"{upload.name}: {exc} Nothing was imported.")
        else:
            j = done.judgments
            messages.success(request, f"Study {done.study.name} created from {upload.name}: {done.examples} examples, "
                                      f"{done.pairs} pairs, {j.judgments} judgments by {j.raters} raters.")
            return redirect("annotation:study_detail", name=done.study.name)
    return render(request, "annotation/study_import.html", {"form": form})
