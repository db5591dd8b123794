"""Selection run pages: list, new (form with a ?dataset= preset), detail with pictures, compare, export,
picks download. Thin: forms parse input, services and selectors do the work."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from deft_site.roles import researcher_required
from selection import params as selection_params
from selection import selectors as sel
from selection.downloads import picks_jsonl_response
from selection.services.selection_runs import (
    SelectionError,
    selection_run_export,
    selection_run_submit,
)


def _param_field(p: selection_params.Param) -> forms.Field:
    """A form field for one parameter of `selection.params.PARAMS`. It only carries the text and the browser's
    hints (min / max / step); the value is checked by `SelectionParams.parse` in `clean`, so the form says what
    the API and the CLI say about the same value."""
    label = p.label or p.name.replace("_", " ").capitalize()
    initial = p.default
    if p.kind is bool:
        return forms.BooleanField(required=False, initial=initial, label=label, help_text=p.help)
    if p.choices is not None:
        return forms.CharField(required=False, initial=initial, label=label, help_text=p.help,
                               widget=forms.Select(choices=[(c, c) for c in p.choices]))
    if p.kind is str:
        return forms.CharField(required=False, initial=initial, label=label, help_text=p.help)
    attrs = {"step": "1" if p.kind is int else "any"}
    if p.low is not None:
        attrs["min"] = p.low
    if p.high is not None and p.high < selection_params.MAX_SEED:
        attrs["max"] = p.high
    return forms.CharField(required=False, initial=initial, label=label, help_text=p.help,
                           widget=forms.NumberInput(attrs=attrs))


class SelectionRunForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=sel.dataset_choices(), to_field_name="name")
    name = forms.SlugField(max_length=100, required=False,
                           help_text="Blank: named after the dataset, the strategy and the size, e.g. demo-ucs-975.")

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields.update({p.name: _param_field(p) for p in selection_params.PARAMS})

    def clean(self) -> dict:
        data = super().clean()
        raw = {p.name: data.get(p.name) for p in selection_params.PARAMS}
        try:
            selection_params.SelectionParams.parse(raw)
        except selection_params.SelectionParamsError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, str(exc))
        return data

    def params(self) -> dict:
        """The raw parameter values, blanks left out (the service fills the defaults)."""
        data = self.cleaned_data
        return {p.name: data[p.name] for p in selection_params.PARAMS if data.get(p.name) not in (None, "")}


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
    run = sel.selection_run_or_404(name, with_related=True)
    return render(request, "selection/selection_detail.html", {"run": run, **sel.selection_run_page(run)})


@researcher_required
def selection_compare(request: HttpRequest) -> HttpResponse:
    a, b = request.GET.get("a"), request.GET.get("b")
    context: dict = {"runs": sel.selection_run_list_completed(), "a": a, "b": b}
    if a and b:
        run_a = sel.selection_run_or_404(a)
        run_b = sel.selection_run_or_404(b)
        context["comparison"] = sel.selection_runs_compare(run_a, run_b)
    return render(request, "selection/selection_compare.html", context)


@require_POST
@researcher_required
def selection_export(request: HttpRequest, name: str) -> HttpResponse:
    run = sel.selection_run_or_404(name)
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
    return picks_jsonl_response(sel.selection_run_or_404(name), chosen_only=chosen_only)

