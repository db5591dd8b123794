"""Serializers of the training, systems and scores API: they shape input and output; services do the work."""
from __future__ import annotations

from rest_framework import serializers

from selection.models import Dataset, Output, System, TrainingRun
from selection.models.datasets import Split

SPLIT_OR_ALL = [("", "all")] + list(Split.choices)


class TrainingRunSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    status = serializers.CharField(read_only=True, help_text="Its job's status.")
    job_status = serializers.CharField(source="job.status", read_only=True, default=None)
    percent = serializers.FloatField(source="job.percent", read_only=True, default=None)

    class Meta:
        model = TrainingRun
        fields = ["id", "name", "dataset", "split", "selection_run", "config", "status", "run_dir", "job",
                  "job_status", "percent", "metrics", "created_at", "finished_at"]
        read_only_fields = fields


class TrainingRunCreateSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=100)
    dataset = serializers.SlugRelatedField(slug_field="name", queryset=Dataset.objects.all())
    split = serializers.ChoiceField(choices=SPLIT_OR_ALL, default="train")
    config = serializers.DictField(required=False, default=dict,
                                   help_text="TrainingConfig settings, e.g. {\"epochs\": 3, \"learning_rate\": 0.001}.")
    then_generate = serializers.DictField(required=False, allow_null=True, default=None,
                                          help_text='{"dataset": NAME, "split": "test", "system": NAME}')


class GenerateSerializer(serializers.Serializer):
    system = serializers.SlugField(max_length=100)
    dataset = serializers.SlugRelatedField(slug_field="name", queryset=Dataset.objects.all())
    split = serializers.ChoiceField(choices=SPLIT_OR_ALL, default="test")
    num_beams = serializers.IntegerField(min_value=1, max_value=16, default=1)
    batch_size = serializers.IntegerField(min_value=1, default=32)
    max_new_tokens = serializers.IntegerField(min_value=1, default=64)
    add_instruction = serializers.BooleanField(
        default=False, help_text="Prepend CoEDIT's instruction for each row's task to sources that have none.")


class SystemSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    training_run = serializers.SlugRelatedField(slug_field="name", read_only=True)
    n_outputs = serializers.IntegerField(source="outputs.count", read_only=True)

    class Meta:
        model = System
        fields = ["id", "name", "dataset", "kind", "description", "model_path", "training_run", "params",
                  "n_outputs", "created_at"]
        read_only_fields = fields


class OutputSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="example.ext_id")
    src = serializers.CharField(source="example.src")
    refs = serializers.JSONField(source="example.refs")
    output = serializers.CharField(source="text")

    class Meta:
        model = Output
        fields = ["id", "src", "output", "refs"]


class OutputImportSerializer(serializers.Serializer):
    dataset = serializers.SlugRelatedField(slug_field="name", queryset=Dataset.objects.all())
    name = serializers.SlugField(max_length=100)
    split = serializers.ChoiceField(choices=SPLIT_OR_ALL, default="")
    file = serializers.FileField()
    description = serializers.CharField(required=False, allow_blank=True, default="")


class CopyBaselineSerializer(serializers.Serializer):
    dataset = serializers.SlugRelatedField(slug_field="name", queryset=Dataset.objects.all())
    split = serializers.ChoiceField(choices=SPLIT_OR_ALL, default="")
    name = serializers.SlugField(max_length=100, default="copy")


class ScoreQuerySerializer(serializers.Serializer):
    dataset = serializers.SlugRelatedField(slug_field="name", queryset=Dataset.objects.all())
    split = serializers.CharField(required=False, allow_blank=True, default="")
    system = serializers.ListField(child=serializers.SlugField(), min_length=1)
    by = serializers.ChoiceField(choices=["dataset", "task"], default="dataset")
