"""System pages: list (per dataset), detail (outputs beside input and references), import, copy baseline."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from deft_site.roles import researcher_required
from selection import selectors
from selection.models import System
from selection.models.datasets import Split
from selection.services.systems import OutputImportError, SystemCreateError, system_copy_baseline, system_import

SPLIT_CHOICES = [("", "all examples of the dataset")] + list(Split.choices)


class OutputImportForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=selectors.dataset_choices(), to_field_name="name")
    name = forms.SlugField(max_length=100, label="System name")
    split = forms.ChoiceField(choices=SPLIT_CHOICES, required=False, initial="test",
                              help_text="The file must hold exactly one output per example of this split.")
    file = forms.FileField(help_text="JSONL with `id` and `output` on each line, or CSV with header id,output.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CopyBaselineForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=selectors.dataset_choices(), to_field_name="name")
    split = forms.ChoiceField(choices=SPLIT_CHOICES, required=False, initial="test")


@researcher_required
def system_list(request: HttpRequest) -> HttpResponse:
    systems = selectors.system_list(request.GET.get("dataset"))
    by_dataset: dict[str, list[System]] = {}
    for system in systems:
        by_dataset.setdefault(system.dataset.name, []).append(system)
    return render(request, "selection/system_list.html",
                  {"by_dataset": by_dataset, "copy_form": CopyBaselineForm(initial={"dataset": request.GET.get("dataset")})})


@researcher_required
def system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    system = selectors.system_or_404(pk)
    outputs = selectors.system_outputs(system)
    page = Paginator(outputs, 50).get_page(request.GET.get("page"))
    return render(request, "selection/system_detail.html",
                  {"system": system, "page": page, "n_outputs": selectors.system_output_count(system)})


@researcher_required
def system_import_view(request: HttpRequest) -> HttpResponse:
    form = OutputImportForm(request.POST or None, request.FILES or None,
                            initial={"dataset": request.GET.get("dataset")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            system = system_import(stream=data["file"].open("rb"), filename=data["file"].name,
                                   dataset=data["dataset"], name=data["name"], split=data["split"] or None,
                                   description=data["description"], user=request.user)
        except (OutputImportError, SystemCreateError) as exc:
            form.add_error("file" if isinstance(exc, OutputImportError) else "name", f"{exc}. Nothing was stored.")
        else:
            messages.success(request, f"Imported {selectors.system_output_count(system)} outputs as system {system.name}.")
            return redirect("selection:system_detail", pk=system.pk)
    return render(request, "selection/system_import.html", {"form": form})


@require_POST
@researcher_required
def system_copy_baseline_view(request: HttpRequest) -> HttpResponse:
    form = CopyBaselineForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("selection:system_list")
    try:
        system = system_copy_baseline(dataset=form.cleaned_data["dataset"], split=form.cleaned_data["split"] or None)
    except SystemCreateError as exc:
        messages.error(request, str(exc))
        return redirect("selection:system_list")
    return redirect("selection:system_detail", pk=system.pk)
