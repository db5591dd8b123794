from django.apps import AppConfig


class AnnotationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "annotation"
    verbose_name = "Blinded human evaluation"

    def ready(self) -> None:
        from deft_site.jobs.queues import Queue
        from deft_site.jobs.registry import register

        register("demo_pipeline", "annotation.demo:run_demo_pipeline_job", Queue.LONG)
        register("judge", "annotation.services.judges:run_judge_job", Queue.LONG)
