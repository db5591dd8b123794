"""Serializers of the selection-run API: input parameters and the run as it reads back."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from selection.models import SelectionRun
from selection.params import PARAMS


@extend_schema_field(OpenApiTypes.ANY)
class SelectionParamField(serializers.Field):
    """A selection parameter passed through as sent: `selection.params.SelectionParams.parse` coerces and checks it
    (in the service), so the API says what the form and the CLI say about the same value."""

    def to_internal_value(self, data):  # noqa: ANN001, ANN201
        return data

    def to_representation(self, value):  # noqa: ANN001, ANN201
        return value


class SelectionRunCreateSerializer(serializers.Serializer):
    dataset = serializers.SlugField(max_length=100)
    name = serializers.SlugField(max_length=100, required=False)

    def get_fields(self) -> dict:
        fields = super().get_fields()
        for p in PARAMS:
            fields[p.name] = SelectionParamField(required=False, allow_null=True, help_text=p.help)
        return fields


class SelectionRunSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    exported_dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    status = serializers.CharField(read_only=True)
    sizes = serializers.SerializerMethodField()

    class Meta:
        model = SelectionRun
        fields = ["id", "name", "dataset", "strategy", "params", "seed", "embedder", "embed_text", "status", "job",
                  "sizes", "exported_dataset", "created_at", "completed_at"]
        read_only_fields = fields

    def get_sizes(self, run: SelectionRun) -> dict:
        return run.summary.get("sizes", {})


class SelectionRunDetailSerializer(SelectionRunSerializer):
    class Meta(SelectionRunSerializer.Meta):
        fields = SelectionRunSerializer.Meta.fields + ["summary"]
        read_only_fields = fields


class SelectionExportSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=100, required=False)
