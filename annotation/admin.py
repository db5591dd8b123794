"""Admin for studies: browse everything; once a study is launched its design, items, systems and controls are
read-only here too (the services refuse the same changes)."""
from django.contrib import admin

from annotation.models import (
    Control,
    Invite,
    Item,
    Judgment,
    JudgmentRevision,
    Slot,
    Study,
    StudyEvent,
    StudyRater,
    StudySystem,
)

FROZEN_STUDY_FIELDS = ["dataset", "split", "n_examples", "raters_per_item", "seed", "control_rate", "control_kinds",
                       "questions", "practice_count", "identical_outputs"]


def _frozen(obj) -> bool:  # noqa: ANN001
    study = obj if isinstance(obj, Study) else getattr(obj, "study", None) or getattr(getattr(obj, "item", None), "study", None)
    return bool(study and study.is_frozen)


class StudySystemInline(admin.TabularInline):
    model = StudySystem
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return not (obj and obj.is_frozen)

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return not (obj and obj.is_frozen)

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return not (obj and obj.is_frozen)


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["name", "dataset", "status", "raters_per_item", "n_examples", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "public_title"]
    inlines = [StudySystemInline]
    readonly_fields = ["status", "public_token", "summary", "launched_at", "closed_at"]

    def get_readonly_fields(self, request, obj=None):  # noqa: ANN001
        fields = list(super().get_readonly_fields(request, obj))
        return fields + FROZEN_STUDY_FIELDS if obj and obj.is_frozen else fields

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False  # studies are made by the wizard, the API or create_study, which build their items

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return not (obj and obj.is_frozen)


class FrozenWithStudy(admin.ModelAdmin):
    """Rows of a study's design: editable only while the study is a draft."""

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return obj is None or not _frozen(obj)

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return obj is not None and not _frozen(obj)


@admin.register(Item)
class ItemAdmin(FrozenWithStudy):
    list_display = ["id", "study", "kind", "example", "system_a", "system_b", "identical"]
    list_filter = ["kind", "study"]


@admin.register(Control)
class ControlAdmin(FrozenWithStudy):
    list_display = ["item", "kind", "degradation", "expected"]
    list_filter = ["kind"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(Slot)
class SlotAdmin(ReadOnly):
    list_display = ["token", "item", "rater", "status", "seat", "left_is_a", "reserved_until", "flag_reason"]
    list_filter = ["status"]


class SealedUntilClose(ReadOnly):
    """Answers of a study that is not closed are not browsable here: with the slot's sides and the item's
    systems they unblind it, and the admin would be a peek that nobody logs. Before close, admins peek like
    everyone else, through annotation.blinding (the report or export with ?peek=1, logged)."""

    study_path = ""

    def get_queryset(self, request):  # noqa: ANN001, ANN201
        return super().get_queryset(request).filter(**{f"{self.study_path}__status": Study.Status.CLOSED})


@admin.register(Judgment)
class JudgmentAdmin(SealedUntilClose):
    study_path = "slot__item__study"
    list_display = ["slot", "preference", "accurate_left", "accurate_right", "seconds", "revision_count", "submitted_at"]


@admin.register(JudgmentRevision)
class JudgmentRevisionAdmin(SealedUntilClose):
    study_path = "judgment__slot__item__study"
    list_display = ["judgment", "changed_at"]


@admin.register(StudyEvent)
class StudyEventAdmin(ReadOnly):
    list_display = ["study", "action", "user", "note", "at"]
    list_filter = ["action"]


@admin.register(StudyRater)
class StudyRaterAdmin(admin.ModelAdmin):
    list_display = ["study", "user", "participant_id", "qc_passed", "completion_code", "finished_at"]


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["study", "label", "token", "active", "max_participants"]
