from django.apps import AppConfig


class SelectionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "selection"
    verbose_name = "Datasets, selection, training and metrics"

    def ready(self) -> None:
        from selection import handlers  # noqa: F401  (registers job handlers)
