"""API shapes. Researcher serializers may name systems; the annotator ones (Work*) never do."""
from __future__ import annotations

from rest_framework import serializers

from annotation.controls import CONTROL_KINDS
from annotation.models import EXCLUDE_CHECKS_DEFAULT, GATE_CHECKS_DEFAULT, Control, Preference, Strength, Study
from selection.models import Dataset, System


class StudySerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    systems = serializers.SerializerMethodField()
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    collaborators = serializers.SlugRelatedField(slug_field="username", read_only=True, many=True)
    reviewers = serializers.SlugRelatedField(slug_field="username", read_only=True, many=True)

    class Meta:
        model = Study
        fields = ["name", "public_title", "owner", "collaborators", "dataset", "split", "status", "n_examples", "raters_per_item", "seed",
                  "control_rate", "control_kinds", "questions", "guidelines", "practice_count", "identical_outputs",
                  "quota_per_rater", "allocation", "min_raters_per_item", "stop_alpha", "adjudication",
                  "adjudication_agreement", "adjudication_share", "reviewers", "repeat_rate", "repeat_gap",
                  "reliability_alpha", "gate_checks", "exclude_checks", "summary", "systems",
                  "created_at", "launched_at", "closed_at"]

    def get_systems(self, study: Study) -> list[str]:
        return [ss.system.name for ss in study.study_systems.select_related("system")]


class StudyCreateSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=100)
    public_title = serializers.CharField(max_length=200, default="Text editing evaluation")
    dataset = serializers.SlugRelatedField(slug_field="name", queryset=Dataset.objects.all())
    split = serializers.CharField(default="test")
    systems = serializers.ListField(child=serializers.CharField(), min_length=2)
    n_examples = serializers.IntegerField(min_value=1)
    raters_per_item = serializers.IntegerField(min_value=1, default=3)
    seed = serializers.IntegerField(default=0)
    control_rate = serializers.FloatField(min_value=0, max_value=0.95, default=0.1)
    control_kinds = serializers.ListField(child=serializers.ChoiceField(Control.Kind.values),
                                          default=list(CONTROL_KINDS))
    questions = serializers.DictField(required=False)
    guidelines = serializers.CharField(required=False, allow_blank=True, default="")
    practice_count = serializers.IntegerField(min_value=0, default=0)
    identical_outputs = serializers.ChoiceField(Study.Identical.values, default="tie")
    quota_per_rater = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    allocation = serializers.ChoiceField(Study.Allocation.values, default="fixed")
    min_raters_per_item = serializers.IntegerField(min_value=0, default=1)
    stop_alpha = serializers.FloatField(min_value=0.001, max_value=0.2, default=0.05)
    adjudication = serializers.ChoiceField(Study.Adjudication.values, default="off")
    adjudication_agreement = serializers.FloatField(min_value=0.01, max_value=1, default=1.0)
    adjudication_share = serializers.FloatField(min_value=0.01, max_value=1, default=0.1)
    reviewers = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                      help_text="Usernames of users with the reviewer role.")
    repeat_rate = serializers.FloatField(min_value=0, max_value=0.5, default=0.0,
                                         help_text="Share of each rater's real pairs shown to them again later.")
    repeat_gap = serializers.IntegerField(min_value=1, max_value=500, default=5)
    reliability_alpha = serializers.FloatField(min_value=0.001, max_value=0.2, default=0.05)
    gate_checks = serializers.ListField(child=serializers.CharField(), default=list(GATE_CHECKS_DEFAULT),
                                        help_text="Reliability checks (annotation/reports/checks.py) a valid "
                                                  "completion code needs.")
    exclude_checks = serializers.ListField(child=serializers.CharField(), default=list(EXCLUDE_CHECKS_DEFAULT),
                                           help_text="Checks whose failures 'exclude flagged raters' drops.")
    launch = serializers.BooleanField(default=False)

    def validate_reviewers(self, names: list[str]) -> list:
        from annotation.selectors import user_named
        from deft_site.roles import is_reviewer

        found = {n: u for n in names if (u := user_named(n)) is not None}
        bad = [n for n in names if n not in found or not is_reviewer(found[n])]
        if bad:
            raise serializers.ValidationError(f"Not users with the reviewer role: {bad}")
        return [found[n] for n in names]

    def validate(self, attrs: dict) -> dict:
        names = attrs["systems"]
        found = {s.name: s for s in System.objects.filter(dataset=attrs["dataset"], name__in=names)}
        missing = [n for n in names if n not in found]
        if missing:
            raise serializers.ValidationError({"systems": f"No such systems for this dataset: {missing}"})
        attrs["systems"] = [found[n] for n in names]
        return attrs


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    left = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class SideSerializer(serializers.Serializer):
    text = serializers.CharField()
    diff_html = serializers.CharField()


class WorkSlotSerializer(serializers.Serializer):
    slot = serializers.CharField(help_text="Opaque token of this pair for this rater.")
    instruction = serializers.CharField()
    input = serializers.CharField()
    left = SideSerializer()
    right = SideSerializer()
    answer = serializers.DictField(allow_null=True)


class WorkNextSerializer(serializers.Serializer):
    slot = WorkSlotSerializer(allow_null=True)
    progress = ProgressSerializer()
    finished = serializers.BooleanField()


class AnswerSerializer(serializers.Serializer):
    idempotency_key = serializers.CharField(max_length=64)
    preference = serializers.ChoiceField([*Preference.values, ""], required=False, default="")
    strength = serializers.ChoiceField([*Strength.values, ""], required=False, default="",
                                       help_text="Graded studies: how much better the chosen output is.")
    criteria = serializers.DictField(child=serializers.CharField(), required=False, default=dict,
                                     help_text="Studies with criteria: {criterion: left | right | tie}.")
    accurate_left = serializers.BooleanField(required=False, allow_null=True, default=None)
    accurate_right = serializers.BooleanField(required=False, allow_null=True, default=None)
    likert = serializers.DictField(required=False, default=dict)
    error_flags = serializers.DictField(required=False, default=dict)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    seconds = serializers.FloatField(min_value=0, required=False, default=0)


class StoredSerializer(serializers.Serializer):
    stored = serializers.BooleanField()
    created = serializers.BooleanField()
    progress = ProgressSerializer()
    next = WorkNextSerializer(required=False, allow_null=True, help_text="Only with ?next=1.")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                   help_text="Kept to its first 200 characters.")


class WorkStudySerializer(ProgressSerializer):
    token = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()


class CompletionSerializer(serializers.Serializer):
    completion_code = serializers.CharField()
    finished = serializers.BooleanField()


class ReviewerRaterSerializer(serializers.Serializer):
    rater = serializers.CharField(help_text="Rater 1, 2, ...: numbered per item, no name.")
    answer = serializers.CharField(help_text="In the reviewer's sides: left, right, tie, both_bad (or blank).")
    answer_text = serializers.CharField()
    strength = serializers.CharField()
    criteria = serializers.DictField()
    accurate_left = serializers.BooleanField(allow_null=True)
    accurate_right = serializers.BooleanField(allow_null=True)
    comment = serializers.CharField()


class ReviewItemSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Opaque token of this item for this reviewer.")
    instruction = serializers.CharField()
    input = serializers.CharField()
    left = SideSerializer()
    right = SideSerializer()
    raters = ReviewerRaterSerializer(many=True)
    answer = serializers.DictField(allow_null=True)


class ReviewNextSerializer(serializers.Serializer):
    item = ReviewItemSerializer(allow_null=True)
    progress = ProgressSerializer()
    finished = serializers.BooleanField()


class FinalLabelSerializer(serializers.Serializer):
    idempotency_key = serializers.CharField(max_length=64)
    label = serializers.ChoiceField(Preference.values, help_text="In the sides the reviewer saw.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class FinalStoredSerializer(serializers.Serializer):
    stored = serializers.BooleanField()
    created = serializers.BooleanField()
    progress = ProgressSerializer()


class AdjudicationImportSerializer(serializers.Serializer):
    rows = serializers.ListField(child=serializers.DictField(), allow_empty=False,
                                 help_text="[{item, final_label (a|b|tie|both_bad) or final_system, note}]")


class ReviewerChangeSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    remove = serializers.BooleanField(default=False)


class JudgeTruthSerializer(serializers.Serializer):
    """A simulated judge's truth: the --prefer and --seed the study was simulated with."""

    prefer = serializers.DictField(child=serializers.FloatField(min_value=0, max_value=1), default=dict)
    seed = serializers.IntegerField(default=0)


class JudgeRunCreateSerializer(serializers.Serializer):
    judge = serializers.CharField(max_length=1000, help_text="hf:PATH, openai:BASE_URL or sim:accuracy=A,left_bias=B")
    model = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                  help_text="The model name an openai endpoint serves.")
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    options = serializers.DictField(required=False, default=dict,
                                    help_text="hf: tie_margin, max_length, device; openai: api_key_env, timeout, "
                                              "retries, logprobs; sim: accuracy, left_bias, seed.")
    truth = JudgeTruthSerializer(required=False, help_text="Simulated judges only.")
    gpu = serializers.BooleanField(default=False)

    def validate(self, attrs: dict) -> dict:
        from annotation.judges import JudgeError, parse_spec

        try:
            attrs["spec"] = parse_spec(attrs["judge"], model=attrs["model"], **attrs["options"])
        except JudgeError as exc:
            raise serializers.ValidationError({"judge": str(exc)}) from None
        return attrs


class JudgeRunSerializer(serializers.Serializer):
    """A judge run as researchers see it: what it is and how far its job got (no result: that is the report)."""

    name = serializers.CharField()
    kind = serializers.CharField()
    description = serializers.CharField()
    target = serializers.SerializerMethodField()
    model = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()
    job = serializers.SerializerMethodField()
    n_answers = serializers.IntegerField()
    n_unusable = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    def get_target(self, run) -> str:  # noqa: ANN001
        return run.spec.get("target", "")

    def get_model(self, run) -> str:  # noqa: ANN001
        return run.spec.get("model", "")

    def get_options(self, run) -> dict:  # noqa: ANN001
        return run.spec.get("options", {})

    def get_job(self, run) -> dict | None:  # noqa: ANN001
        job = run.job
        if job is None:
            return None
        return {"id": job.pk, "status": job.status, "percent": job.percent, "stage": job.stage,
                "error": job.error_headline, "progress_done": job.progress_done, "progress_total": job.progress_total}
