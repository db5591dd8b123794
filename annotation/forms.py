"""Forms of the study wizard: one form for the whole design, questions included."""
from __future__ import annotations

from django import forms

from annotation.controls import CONTROL_KINDS
from annotation.models import Control, Study
from selection.models import Dataset, System


class StudyForm(forms.Form):
    name = forms.SlugField(max_length=100, help_text="Researchers see it; annotators never do.")
    public_title = forms.CharField(max_length=200, initial="Text editing evaluation",
                                   help_text="What annotators see. Do not name a system.")
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.order_by("name"), to_field_name="name")
    split = forms.ChoiceField(choices=[("test", "test"), ("validation", "validation"), ("train", "train")])
    systems = forms.ModelMultipleChoiceField(queryset=System.objects.select_related("dataset").order_by("name"),
                                             widget=forms.CheckboxSelectMultiple,
                                             help_text="Two or more systems with outputs for the dataset.")
    n_examples = forms.IntegerField(min_value=1, initial=50, label="Examples",
                                    help_text="Sampled at random, stratified by task; each gives one item per system pair.")
    raters_per_item = forms.IntegerField(min_value=1, max_value=50, initial=3, label="Raters per item (k)",
                                         help_text="Adaptive allocation: the most raters an item gets.")
    allocation = forms.ChoiceField(choices=Study.Allocation.choices, initial="fixed", label="Allocation",
                                   help_text="Adaptive: each next pair is the one whose rating most reduces the "
                                             "uncertainty of the comparison; the report says when to stop.")
    min_raters_per_item = forms.IntegerField(min_value=0, max_value=50, initial=1, required=False,
                                             label="Adaptive: floor of raters per item")
    stop_alpha = forms.FloatField(min_value=0.001, max_value=0.2, initial=0.05, required=False,
                                  label="Adaptive: error level of the stopping rule")
    seed = forms.IntegerField(initial=0)
    control_rate = forms.FloatField(min_value=0, max_value=0.9, initial=0.1,
                                    help_text="Share of each rater's work that is a control item.")
    control_kinds = forms.MultipleChoiceField(choices=[(Control.Kind.DEGRADED, "degraded outputs"),
                                                       (Control.Kind.GOLD, "gold (reference vs. input)")],
                                              initial=list(CONTROL_KINDS), required=False,
                                              widget=forms.CheckboxSelectMultiple)
    q_pairwise = forms.BooleanField(required=False, initial=True, label="Pairwise preference (A / B / tie / both bad)")
    q_graded = forms.BooleanField(required=False, initial=False,
                                  label="Graded preference (much / slightly better, tie)")
    q_criteria = forms.CharField(required=False, label="Criteria (a preference for each)",
                                 help_text="Comma-separated, e.g. fluency, meaning, instruction fit")
    q_accuracy = forms.BooleanField(required=False, initial=True, label="Is each output an accurate edit? (yes / no)")
    q_likert = forms.CharField(required=False, label="Likert scales (1-5)",
                               help_text="Comma-separated, e.g. fluency, meaning preservation")
    q_error_flags = forms.CharField(required=False, label="Error flags",
                                    help_text="Comma-separated, e.g. grammar error, meaning changed")
    q_comment = forms.BooleanField(required=False, initial=True, label="Free comment")
    guidelines = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}),
                                 help_text="Markdown. Raw HTML is shown as text.")
    practice_count = forms.IntegerField(min_value=0, max_value=20, initial=2, label="Practice items")
    identical_outputs = forms.ChoiceField(choices=Study.Identical.choices, initial="tie")
    quota_per_rater = forms.IntegerField(min_value=1, required=False)
    display_mode = forms.ChoiceField(choices=Study.Display.choices, initial="auto", label="How outputs are shown",
                                     help_text="Raters can always switch between the word diff and the plain text.")

    def design(self) -> dict:
        """The cleaned form as keyword arguments of study_create."""
        d = self.cleaned_data
        split = lambda s: [x.strip() for x in (s or "").split(",") if x.strip()]  # noqa: E731
        return {
            "name": d["name"], "public_title": d["public_title"], "dataset": d["dataset"], "split": d["split"],
            "systems": list(d["systems"]), "n_examples": d["n_examples"], "raters_per_item": d["raters_per_item"],
            "seed": d["seed"], "control_rate": d["control_rate"], "control_kinds": d["control_kinds"],
            "questions": {"pairwise": d["q_pairwise"], "accuracy": d["q_accuracy"], "graded": d["q_graded"],
                          "criteria": split(d["q_criteria"]),
                          "likert": [{"key": s.lower().replace(" ", "_"), "label": s.capitalize()} for s in split(d["q_likert"])],
                          "error_flags": split(d["q_error_flags"]), "comment": d["q_comment"]},
            "guidelines": d["guidelines"], "practice_count": d["practice_count"],
            "identical_outputs": d["identical_outputs"], "quota_per_rater": d["quota_per_rater"],
            "display_mode": d["display_mode"], "allocation": d["allocation"],
            "min_raters_per_item": d["min_raters_per_item"] if d["min_raters_per_item"] is not None else 1,
            "stop_alpha": d["stop_alpha"] if d["stop_alpha"] is not None else 0.05,
        }


class StudyImportForm(forms.Form):
    """A new study from another tool's file (annotation.services.interchange.study_import_create)."""

    name = forms.SlugField(max_length=100, label="Study name", help_text="The new study's name.")
    file = forms.FileField(help_text="Potato's annotation output (JSON lines) or a Label Studio JSON export.")
    format = forms.ChoiceField(choices=[("potato", "Potato (annotated_instances.jsonl)"),
                                        ("label-studio", "Label Studio (JSON export)")])
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.order_by("name"), to_field_name="name", required=False,
                                     empty_label="a new dataset made from the file",
                                     help_text="An existing dataset only when the file's example ids are its own; "
                                               "its systems with the file's names must hold the same texts.")
    dataset_name = forms.SlugField(max_length=100, required=False, label="New dataset name",
                                   help_text="Default: the study's name.")
    split = forms.ChoiceField(choices=[("test", "test"), ("validation", "validation"), ("train", "train")],
                              initial="test", help_text="New dataset: the split its examples go in.")
    status = forms.ChoiceField(choices=[("closed", "closed (rated elsewhere)"),
                                        ("paused", "paused (collect more here)")],
                               initial="closed", label="After import",
                               help_text="Paused: resume it to collect more ratings here, up to the file's most raters on one pair.")
