from django.apps import AppConfig


class SelectionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "selection"
    verbose_name = "Datasets, selection, training and metrics"

    def ready(self) -> None:
        # Job kinds by dotted path: a handler's module (numpy, scikit-learn, torch) loads when its job runs.
        from django.conf import settings

        from deft_site.jobs.queues import Queue
        from deft_site.jobs.registry import register

        register("dataset_import", "selection.services.datasets:run_dataset_import_job", Queue.INTERACTIVE)
        register("scoring", "selection.services.scoring:run_scoring_job", Queue.INTERACTIVE)
        register("selection", "selection.services.selection_runs:run_selection_job", Queue.LONG)
        register("generation", "selection.services.systems:run_generation_job", Queue.LONG)
        register("training", "selection.services.training:run_training_job",
                 getattr(settings, "DEFT_TRAINING_QUEUE", Queue.LONG))
        from selection.core import tagger

        # The edit tagger caches frozen-encoder features per text here (shared by training and generation).
        tagger.CACHE_DIR = tagger.CACHE_DIR or str(settings.DEFT_DATA_DIR / "features")
