"""Serializers of the selection API: they shape input and output; services do the work."""
from rest_framework import serializers

from selection.models import Dataset, Example
from selection.models.datasets import Split


class DatasetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dataset
        fields = ["id", "name", "description", "origin", "source_name", "parent", "row_count", "summary", "created_at"]
        read_only_fields = fields


class DatasetImportSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=100)
    file = serializers.FileField()
    split = serializers.ChoiceField(choices=Split.choices, default=Split.TRAIN)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    skip_invalid = serializers.BooleanField(
        default=False, help_text="Leave out well-formed rows that cannot be scored (listed in summary.skipped).")


class ExampleSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="ext_id")

    class Meta:
        model = Example
        fields = ["id", "task", "src", "refs", "split", "extra"]
