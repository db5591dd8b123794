from django.apps import AppConfig


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "deft_site.jobs"
    label = "jobs"
    verbose_name = "Background jobs and workers"

    def ready(self) -> None:
        from deft_site.jobs import signals  # noqa: F401  (an owned upload leaves with its job)
