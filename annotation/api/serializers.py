"""API shapes. Researcher serializers may name systems; the annotator ones (Work*) never do."""
from __future__ import annotations

from rest_framework import serializers

from annotation.controls import CONTROL_KINDS
from annotation.models import Control, Preference, Strength, Study
from selection.models import Dataset, System


class StudySerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    systems = serializers.SerializerMethodField()
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    collaborators = serializers.SlugRelatedField(slug_field="username", read_only=True, many=True)

    class Meta:
        model = Study
        fields = ["name", "public_title", "owner", "collaborators", "dataset", "split", "status", "n_examples", "raters_per_item", "seed",
                  "control_rate", "control_kinds", "questions", "guidelines", "practice_count", "identical_outputs",
                  "quota_per_rater", "allocation", "min_raters_per_item", "stop_alpha", "summary", "systems",
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
    launch = serializers.BooleanField(default=False)

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
