"""Selection run pages: list, new (form with a ?dataset= preset), detail with pictures, compare, export,
picks download. Thin: forms parse input, services and selectors do the work."""
from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from deft_site.roles import researcher_required
from selection import selectors_selection as sel
from selection.models import Dataset, SelectionRun
from selection.models.datasets import Split
from selection.services.embeddings import EMBED_TEXT_MODES
from selection.services.selection_runs import (
    DEFAULTS, STRATEGIES, SelectionError, selection_pick_records, selection_run_export, selection_run_submit,
)


class SelectionRunForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.order_by("name"), to_field_name="name")
    name = forms.SlugField(max_length=100, required=False,
                           help_text="Blank: named after the dataset, the strategy and the size, e.g. demo-ucs-975.")
    strategy = forms.ChoiceField(choices=[(s, s) for s in STRATEGIES], initial=DEFAULTS["strategy"],
                                 help_text="ucs: DEFT's clustering core-set; random / stratified: same-size baselines; "
                                           "semdedup: everything but near-duplicates inside clusters.")
    split = forms.ChoiceField(choices=Split.choices, initial=DEFAULTS["split"],
                              help_text="Which split of the dataset to select from.")
    base_fraction = forms.FloatField(initial=DEFAULTS["base_fraction"], min_value=0, max_value=1,
                                     help_text="Share of the data in D_base (stratified by task).")
    n_clusters = forms.IntegerField(initial=DEFAULTS["n_clusters"], min_value=1, label="Clusters (K)")
    per_cluster = forms.IntegerField(required=False, min_value=0, label="Per cluster (A)",
                                     help_text="Examples taken from each cluster; or give a target fraction.")
    target_fraction = forms.FloatField(required=False, min_value=0, max_value=1,
                                       help_text="Share of the data in D_base ∪ D_c (A is solved for). "
                                                 "Blank with A blank: 1/3.")
    alpha = forms.FloatField(initial=DEFAULTS["alpha"], min_value=0, max_value=1, help_text="Share of A that is easy.")
    beta = forms.FloatField(initial=DEFAULTS["beta"], min_value=0, max_value=1, help_text="Share of A that is hard.")
    eps = forms.FloatField(initial=DEFAULTS["eps"], required=False, min_value=0, max_value=1, label="SemDeDup eps",
                           help_text="semdedup only: pairs in a cluster with cosine similarity above 1 − eps are "
                                     "duplicates; the one nearest the centroid stays.")
    seed = forms.IntegerField(initial=DEFAULTS["seed"], min_value=0)
    embedder = forms.CharField(required=False, help_text="Blank: the site default (e.g. minilm), or a local model path.")
    embed_text = forms.ChoiceField(choices=[(m, m) for m in EMBED_TEXT_MODES], initial=DEFAULTS["embed_text"],
                                   help_text="src: instruction + input; input: without the instruction; "
                                             "input+target: input and reference.")

    def params(self) -> dict:
        data = self.cleaned_data
        return {key: data[key] for key in DEFAULTS if key in data and data[key] not in (None, "")}


@researcher_required
def selection_list(request: HttpRequest) -> HttpResponse:
    return render(request, "selection/selection_list.html", {"runs": sel.selection_run_list()})


@researcher_required
def selection_new(request: HttpRequest) -> HttpResponse:
    initial = {"dataset": request.GET.get("dataset")} if request.GET.get("dataset") else {}
    form = SelectionRunForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            run = selection_run_submit(dataset=form.cleaned_data["dataset"], params=form.params(),
                                       name=form.cleaned_data["name"] or None, user=request.user)
        except SelectionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            return redirect("selection:selection_detail", name=run.name)
    return render(request, "selection/selection_new.html", {"form": form})


@researcher_required
def selection_detail(request: HttpRequest, name: str) -> HttpResponse:
    run = get_object_or_404(SelectionRun.objects.select_related("dataset", "job", "exported_dataset"), name=name)
    return render(request, "selection/selection_detail.html", {"run": run, **sel.selection_run_page(run)})


@researcher_required
def selection_compare(request: HttpRequest) -> HttpResponse:
    a, b = request.GET.get("a"), request.GET.get("b")
    context: dict = {"runs": sel.selection_run_list().filter(completed_at__isnull=False), "a": a, "b": b}
    if a and b:
        run_a = get_object_or_404(SelectionRun, name=a)
        run_b = get_object_or_404(SelectionRun, name=b)
        context["comparison"] = sel.selection_runs_compare(run_a, run_b)
    return render(request, "selection/selection_compare.html", context)


@require_POST
@researcher_required
def selection_export(request: HttpRequest, name: str) -> HttpResponse:
    run = get_object_or_404(SelectionRun, name=name)
    try:
        dataset = selection_run_export(run=run, name=request.POST.get("name") or None, user=request.user)
    except SelectionError as exc:
        messages.error(request, str(exc))
        return redirect("selection:selection_detail", name=run.name)
    messages.success(request, f"Exported {dataset.row_count} examples as dataset {dataset.name}.")
    return redirect("selection:selection_detail", name=run.name)


@researcher_required
def selection_picks_download(request: HttpRequest, name: str) -> StreamingHttpResponse:
    """Every example of the split with its `chosen` flag, or with ?chosen=1 the chosen ones only."""
    chosen_only = request.GET.get("chosen") in ("1", "true", "yes")
    return picks_jsonl_response(get_object_or_404(SelectionRun, name=name), chosen_only=chosen_only)


def picks_jsonl_response(run: SelectionRun, chosen_only: bool = False) -> StreamingHttpResponse:
    lines = (json.dumps(record) + "\n" for record in selection_pick_records(run, chosen_only=chosen_only))
    response = StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")
    suffix = "chosen" if chosen_only else "all-rows"
    response["Content-Disposition"] = f'attachment; filename="{run.name}-picks-{suffix}.jsonl"'
    return response
