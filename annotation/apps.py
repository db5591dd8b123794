from django.apps import AppConfig


class AnnotationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "annotation"
    verbose_name = "Blinded human evaluation"

    def ready(self) -> None:
        from annotation import handlers  # noqa: F401  (registers job handlers)
