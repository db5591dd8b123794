"""Forms of the study wizard: one form for the whole design, questions included."""
from __future__ import annotations

from django import forms

from annotation.controls import CONTROL_KINDS
from annotation.judges import JudgeError, JudgeSpec, parse_spec
from annotation.judges.simulated import parse_prefer
from annotation.models import EXCLUDE_CHECKS_DEFAULT, GATE_CHECKS_DEFAULT, Control, Study
from annotation.reports.checks import CHECKS
from selection.models import Dataset, System


def _check_choices() -> list[tuple[str, str]]:
    """Every registered reliability check (annotation/reports/checks.py), read when the form is built."""
    return [(c.name, c.label) for c in CHECKS.values()]


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
    repeat_rate = forms.FloatField(min_value=0, max_value=0.5, initial=0, required=False, label="Repeated pairs",
                                   help_text="Share of each rater's pairs shown to them again later, for "
                                             "self-consistency (e.g. 0.1); repeats are never counted in the results.")
    repeat_gap = forms.IntegerField(min_value=1, max_value=500, initial=5, required=False,
                                    label="Repeat at least this many pairs later")
    reliability_alpha = forms.FloatField(min_value=0.001, max_value=0.2, initial=0.05, required=False,
                                         label="Error level of the per-rater tests")
    gate_checks = forms.MultipleChoiceField(choices=_check_choices, initial=list(GATE_CHECKS_DEFAULT), required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            label="Checks a valid completion code needs")
    exclude_checks = forms.MultipleChoiceField(choices=_check_choices, initial=list(EXCLUDE_CHECKS_DEFAULT),
                                               required=False, widget=forms.CheckboxSelectMultiple,
                                               label="Checks whose failures \"exclude flagged raters\" drops")
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
    judge = forms.CharField(required=False, max_length=1000, label="Automatic judge",
                            help_text="hf:PATH (a local Hugging Face model) or openai:BASE_URL (an OpenAI-compatible "
                                      "endpoint, e.g. http://127.0.0.1:8000/v1). It rates the same blinded pairs in "
                                      "both orders, apart from the raters; the report compares it with them.")
    judge_model = forms.CharField(required=False, max_length=200, label="Judge's model name",
                                  help_text="openai: the model the endpoint serves.")
    judge_api_key_env = forms.CharField(required=False, max_length=100, label="Judge's API key variable",
                                        help_text="openai: the environment variable of the worker that holds the key "
                                                  "(default OPENAI_API_KEY; the key itself is never stored).")

    def clean(self) -> dict:
        d = super().clean()
        d["judge_spec"] = judge_spec_clean(self, d.get("judge"), d.get("judge_model"), d.get("judge_api_key_env"),
                                           allow_sim=False)
        return d

    adjudication = forms.ChoiceField(choices=Study.Adjudication.choices, initial="off", label="Adjudication",
                                     required=False,
                                     help_text="A reviewer decides a final label for items whose raters disagreed, "
                                               "or for a random sample; it is stored and exported beside the raw "
                                               "judgments.")
    adjudication_agreement = forms.FloatField(min_value=0.01, max_value=1, initial=1.0, required=False,
                                              label="Disagreements: agreement that settles an item",
                                              help_text="1.0: any disagreement queues; 0.6: only items whose most "
                                                        "common answer has under 60% of the votes.")
    adjudication_share = forms.FloatField(min_value=0.01, max_value=1, initial=0.1, required=False,
                                          label="Sample: share of rated items adjudicated")
    reviewers = forms.CharField(required=False, label="Reviewers",
                                help_text="Usernames, comma-separated, of users with the reviewer role. You can add "
                                          "more on the study's page.")

    def clean_reviewers(self) -> list:
        from annotation.selectors import user_named
        from deft_site.roles import is_reviewer

        users, bad = [], []
        for name in [x.strip() for x in (self.cleaned_data.get("reviewers") or "").split(",") if x.strip()]:
            user = user_named(name)
            (users if user is not None and is_reviewer(user) else bad).append(user or name)
        if bad:
            raise forms.ValidationError(f"Not users with the reviewer role: {', '.join(map(str, bad))}.")
        return users

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
            # .get: the live preview builds a design from a form that may not validate yet
            "adjudication": d.get("adjudication") or "off",
            "adjudication_agreement": d.get("adjudication_agreement") or 1.0,
            "adjudication_share": d.get("adjudication_share") or 0.1,
            "reviewers": d.get("reviewers") or [],
            "repeat_rate": d["repeat_rate"] or 0.0, "repeat_gap": d["repeat_gap"] or 5,
            "reliability_alpha": d["reliability_alpha"] if d["reliability_alpha"] is not None else 0.05,
            "gate_checks": list(d["gate_checks"]), "exclude_checks": list(d["exclude_checks"]),
        }


def judge_spec_clean(form: forms.Form, text: str | None, model: str | None, key_env: str | None, *,
                     allow_sim: bool) -> JudgeSpec | None:
    """The judge a form names (None when it names none); the problem as an error on the judge field."""
    if not (text or "").strip():
        return None
    kind = text.strip().partition(":")[0].lower()
    if kind == "sim" and not allow_sim:
        form.add_error("judge", "A simulated judge needs a simulated study's truth: add it from the study page "
                                "or with simulate_raters --judge once raters are simulated.")
        return None
    try:
        return parse_spec(text, model=model or "", **({"api_key_env": key_env.strip()}
                                                       if kind == "openai" and (key_env or "").strip() else {}))
    except JudgeError as exc:
        form.add_error("judge", str(exc))
        return None


class JudgeForm(forms.Form):
    """The study page's "add an automatic judge" form."""

    judge = forms.CharField(max_length=1000, label="Judge",
                            help_text="hf:PATH, openai:BASE_URL, or sim:accuracy=A,left_bias=B for a simulated study")
    judge_model = forms.CharField(required=False, max_length=200, label="Model name (openai)")
    judge_api_key_env = forms.CharField(required=False, max_length=100, label="API key variable (openai)")
    judge_name = forms.CharField(required=False, max_length=100, label="Run name",
                                 help_text="Default: from the judge. A failed or cancelled run of that name resumes.")
    prefer = forms.CharField(required=False, max_length=500, label="Simulated truth (sim)",
                             help_text="SYSTEM:P, ... as given to simulate_raters --prefer")
    truth_seed = forms.IntegerField(required=False, initial=0, label="Simulation seed (sim)")
    gpu = forms.BooleanField(required=False, label="Run on the gpu queue")

    def clean(self) -> dict:
        d = super().clean()
        d["spec"] = judge_spec_clean(self, d.get("judge"), d.get("judge_model"), d.get("judge_api_key_env"),
                                     allow_sim=True)
        d["truth"] = None
        if d["spec"] is not None and d["spec"].kind == "sim":
            try:
                prefer = parse_prefer(filter(None, (p.strip() for p in (d.get("prefer") or "").split(","))))
            except JudgeError as exc:
                self.add_error("prefer", str(exc))
            else:
                d["truth"] = {"prefer": prefer, "seed": d.get("truth_seed") or 0}
        return d


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
