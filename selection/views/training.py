"""Training pages: list, new run (form), run detail (live progress, loss curve, manifest, generate form)."""
from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from deft_site.roles import researcher_required
from selection import selectors
from selection.core.training import PRECISIONS, SCHEDULES, TrainingConfig
from selection.models.datasets import Split
from selection.plots import loss_curve_svg
from selection.services.systems import SystemCreateError, system_generate_submit
from selection.services.training import TrainingRunError, training_loss_log, training_manifest, training_run_create

_DEFAULTS = TrainingConfig()
SPLIT_CHOICES = [("", "all splits")] + list(Split.choices)


class TrainingRunForm(forms.Form):
    name = forms.SlugField(max_length=100)
    dataset = forms.ModelChoiceField(queryset=selectors.dataset_choices(), to_field_name="name")
    split = forms.ChoiceField(choices=SPLIT_CHOICES, initial="train", required=False,
                              help_text="Trains on this split of the dataset (train by default).")
    base_model = forms.CharField(max_length=500, required=False,
                                 help_text="A Hugging Face id or local path; blank: the platform default.")
    epochs = forms.FloatField(required=False, min_value=0.01, initial=_DEFAULTS.epochs)
    max_steps = forms.IntegerField(required=False, min_value=1, help_text="Overrides epochs when set.")
    learning_rate = forms.FloatField(min_value=1e-8, initial=_DEFAULTS.learning_rate)
    lr_scheduler = forms.ChoiceField(choices=[(s, s) for s in SCHEDULES], initial=_DEFAULTS.lr_scheduler)
    warmup_ratio = forms.FloatField(min_value=0, max_value=0.99, initial=_DEFAULTS.warmup_ratio)
    batch_size = forms.IntegerField(min_value=1, initial=_DEFAULTS.batch_size)
    grad_accumulation = forms.IntegerField(min_value=1, initial=_DEFAULTS.grad_accumulation)
    max_source_length = forms.IntegerField(min_value=1, initial=_DEFAULTS.max_source_length)
    max_target_length = forms.IntegerField(min_value=1, initial=_DEFAULTS.max_target_length)
    seed = forms.IntegerField(initial=_DEFAULTS.seed)
    precision = forms.ChoiceField(choices=[(p, p) for p in PRECISIONS], initial=_DEFAULTS.precision)
    num_layers = forms.IntegerField(min_value=1, initial=_DEFAULTS.num_layers, help_text="tiny-t5 only.")
    d_model = forms.IntegerField(min_value=8, initial=_DEFAULTS.d_model, help_text="tiny-t5 only.")
    generate_split = forms.ChoiceField(choices=[("", "don't generate")] + list(Split.choices), required=False,
                                       initial="test", help_text="Generate outputs for this split when done.")

    def clean(self) -> dict:
        """Refuse a split the dataset lacks here, by field, rather than as a failed job later."""
        data = super().clean()
        dataset = data.get("dataset")
        if dataset is not None:
            have = set(selectors.dataset_splits(dataset))
            listed = ", ".join(sorted(have)) or "none"
            for field in ("split", "generate_split"):
                if data.get(field) and data[field] not in have:
                    self.add_error(field, f"Dataset {dataset.name} has no {data[field]} split (it has: {listed}).")
        return data

    CONFIG_FIELDS = ("epochs", "max_steps", "learning_rate", "lr_scheduler", "warmup_ratio", "batch_size",
                     "grad_accumulation", "max_source_length", "max_target_length", "seed", "precision",
                     "num_layers", "d_model")

    def config(self) -> dict:
        data = self.cleaned_data
        config = {k: data[k] for k in self.CONFIG_FIELDS if data.get(k) is not None}
        if data.get("max_steps"):
            config["epochs"] = None
        if data.get("base_model"):
            config["base_model"] = data["base_model"].strip()
        return config


class GenerateForm(forms.Form):
    system = forms.SlugField(max_length=100)
    dataset = forms.ModelChoiceField(queryset=selectors.dataset_choices(), to_field_name="name")
    split = forms.ChoiceField(choices=SPLIT_CHOICES, initial="test", required=False)
    num_beams = forms.IntegerField(min_value=1, max_value=16, initial=1, help_text="1 = greedy decoding.")
    batch_size = forms.IntegerField(min_value=1, initial=32)


@researcher_required
def training_list(request: HttpRequest) -> HttpResponse:
    runs = selectors.training_run_list()
    return render(request, "selection/training_list.html", {"runs": runs})


@researcher_required
def training_new(request: HttpRequest) -> HttpResponse:
    initial = {"base_model": settings.DEFT_BASE_MODEL}
    if request.GET.get("dataset"):
        initial["dataset"] = request.GET["dataset"]
        initial["name"] = f"{request.GET['dataset']}-run"
    form = TrainingRunForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        then = None
        if data["generate_split"]:
            then = {"dataset": data["dataset"].name, "split": data["generate_split"], "system": data["name"]}
        try:
            run = training_run_create(name=data["name"], dataset=data["dataset"], config=form.config(),
                                      user=request.user, split=data["split"] or "", then_generate=then)
        except TrainingRunError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Training run {run.name} queued.")
            return redirect("selection:training_detail", name=run.name)
    return render(request, "selection/training_new.html", {"form": form})


@researcher_required
def training_detail(request: HttpRequest, name: str) -> HttpResponse:
    run = selectors.training_run_or_404(name, with_related=True)
    gen_form = GenerateForm(initial={"system": run.name, "dataset": run.dataset.name, "split": "test"})
    manifest = training_manifest(run)
    return render(request, "selection/training_detail.html", {
        "run": run, "job": run.job, "gen_form": gen_form, "systems": selectors.training_run_systems(run),
        "loss_svg": mark_safe(loss_curve_svg(training_loss_log(run))),
        "manifest_json": json.dumps(manifest, indent=2, default=str), "config_json": json.dumps(run.config, indent=2),
    })


@researcher_required
def training_loss_svg(request: HttpRequest, name: str) -> HttpResponse:
    """The loss curve alone, for the detail page to refresh while the run trains."""
    run = selectors.training_run_or_404(name)
    return HttpResponse(loss_curve_svg(training_loss_log(run)), content_type="image/svg+xml")


@require_POST
@researcher_required
def training_generate(request: HttpRequest, name: str) -> HttpResponse:
    run = selectors.training_run_or_404(name)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Generation not started: {form.errors.as_text()}")
        return redirect("selection:training_detail", name=name)
    data = form.cleaned_data
    try:
        job = system_generate_submit(name=data["system"], dataset=data["dataset"], split=data["split"] or None,
                                     training_run=run, num_beams=data["num_beams"], batch_size=data["batch_size"],
                                     user=request.user)
    except SystemCreateError as exc:
        messages.error(request, str(exc))
        return redirect("selection:training_detail", name=name)
    return redirect("jobs:detail", pk=job.pk)
