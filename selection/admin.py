"""Admin for the selection app: search, filters, and read-only views of records immutable once created."""
from django.contrib import admin

from selection.models import (
    Dataset,
    Embedding,
    Example,
    Output,
    ScoreReport,
    SelectionPick,
    SelectionRun,
    System,
    TrainingRun,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For immutable records: view and delete, never edit."""

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(Dataset)
class DatasetAdmin(ReadOnlyAdmin):
    list_display = ["name", "row_count", "origin", "parent", "created_at"]
    list_filter = ["origin"]
    search_fields = ["name", "description"]


@admin.register(Example)
class ExampleAdmin(ReadOnlyAdmin):
    list_display = ["ext_id", "dataset", "task", "split", "src"]
    list_filter = ["task", "split", "dataset"]
    search_fields = ["ext_id", "src"]
    list_select_related = ["dataset"]


@admin.register(SelectionRun)
class SelectionRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "dataset", "strategy", "created_at"]
    list_filter = ["strategy"]
    search_fields = ["name"]


@admin.register(SelectionPick)
class SelectionPickAdmin(ReadOnlyAdmin):
    list_display = ["run", "example", "chosen", "reason", "cluster", "distance"]
    list_filter = ["chosen", "reason"]
    search_fields = ["example__ext_id"]


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "dataset", "created_at"]
    search_fields = ["name"]


@admin.register(System)
class SystemAdmin(ReadOnlyAdmin):
    list_display = ["name", "dataset", "kind", "training_run", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "model_path"]


@admin.register(Output)
class OutputAdmin(ReadOnlyAdmin):
    list_display = ["system", "example", "text"]
    search_fields = ["text", "example__ext_id"]
    list_filter = ["system"]


@admin.register(Embedding)
class EmbeddingAdmin(ReadOnlyAdmin):
    list_display = ["embedder", "text_sha256", "dim", "created_at"]
    list_filter = ["embedder"]
    search_fields = ["text_sha256"]
    exclude = ["vector"]


@admin.register(ScoreReport)
class ScoreReportAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "split", "systems", "group_by", "created_at"]
    list_filter = ["group_by", "split"]
    search_fields = ["dataset__name"]
