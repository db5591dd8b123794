"""Dataset pages: list, upload (a background import with progress), detail, download."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render

from deft_site.roles import researcher_required
from selection import selectors
from selection.downloads import jsonl_download
from selection.forms import DatasetUploadForm
from selection.services.datasets import DatasetImportError, dataset_import_submit, dataset_name_validate


@researcher_required
def dataset_list(request: HttpRequest) -> HttpResponse:
    return render(request, "selection/dataset_list.html", {"datasets": selectors.dataset_list()})


@researcher_required
def dataset_upload(request: HttpRequest) -> HttpResponse:
    form = DatasetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            dataset_name_validate(form.cleaned_data["name"])
        except DatasetImportError as exc:
            form.add_error("name", str(exc))
        else:
            upload = form.cleaned_data["file"]
            job = dataset_import_submit(
                chunks=upload.chunks(), name=form.cleaned_data["name"], filename=upload.name,
                split=form.cleaned_data["split"], description=form.cleaned_data["description"], user=request.user,
                skip_invalid=form.cleaned_data["skip_invalid"],
            )
            return redirect("jobs:detail", pk=job.pk)
    return render(request, "selection/dataset_upload.html", {"form": form})


@researcher_required
def dataset_detail(request: HttpRequest, name: str) -> HttpResponse:
    dataset = selectors.dataset_or_404(name)
    examples = selectors.dataset_examples(dataset, request.GET)
    page = Paginator(examples, 50).get_page(request.GET.get("page"))
    return render(request, "selection/dataset_detail.html", {"dataset": dataset, "page": page})


@researcher_required
def dataset_download(request: HttpRequest, name: str) -> StreamingHttpResponse:
    dataset = selectors.dataset_or_404(name)
    return jsonl_download(selectors.dataset_example_stream(dataset), f"{dataset.name}.jsonl")

