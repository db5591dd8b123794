from django.apps import AppConfig


class SelectionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "selection"
    verbose_name = "Datasets, selection, training and metrics"

    def ready(self) -> None:
        from django.conf import settings

        from selection import handlers  # noqa: F401  (registers job handlers)
        from selection.core import tagger

        # The edit tagger caches frozen-encoder features per text here (shared by training and generation).
        tagger.CACHE_DIR = tagger.CACHE_DIR or str(settings.DEFT_DATA_DIR / "features")
