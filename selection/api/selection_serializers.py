"""Serializers of the selection-run API: input parameters and the run as it reads back."""
from rest_framework import serializers

from selection.models import SelectionRun
from selection.services.embeddings import EMBED_TEXT_MODES


class SelectionRunCreateSerializer(serializers.Serializer):
    dataset = serializers.SlugField(max_length=100)
    name = serializers.SlugField(max_length=100, required=False)
    strategy = serializers.ChoiceField(choices=SelectionRun.Strategy.choices, required=False)
    split = serializers.CharField(required=False)
    base_fraction = serializers.FloatField(required=False)
    n_clusters = serializers.IntegerField(required=False)
    per_cluster = serializers.IntegerField(required=False, allow_null=True)
    target_fraction = serializers.FloatField(required=False, allow_null=True)
    alpha = serializers.FloatField(required=False)
    beta = serializers.FloatField(required=False)
    seed = serializers.IntegerField(required=False)
    embedder = serializers.CharField(required=False)
    embed_text = serializers.ChoiceField(choices=EMBED_TEXT_MODES, required=False)
    batch_size = serializers.IntegerField(required=False)
    eps = serializers.FloatField(required=False)


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
