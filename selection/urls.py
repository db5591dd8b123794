from django.urls import path

from selection.views import datasets

app_name = "selection"
urlpatterns = [
    path("datasets/", datasets.dataset_list, name="dataset_list"),
    path("datasets/upload/", datasets.dataset_upload, name="dataset_upload"),
    path("datasets/<slug:name>/", datasets.dataset_detail, name="dataset_detail"),
    path("datasets/<slug:name>/download/", datasets.dataset_download, name="dataset_download"),
]

# Training runs, systems and results (issue #4).
from selection.views import results, systems, training  # noqa: E402

urlpatterns += [
    path("training/", training.training_list, name="training_list"),
    path("training/new/", training.training_new, name="training_new"),
    path("training/<slug:name>/", training.training_detail, name="training_detail"),
    path("training/<slug:name>/loss.svg", training.training_loss_svg, name="training_loss_svg"),
    path("training/<slug:name>/generate/", training.training_generate, name="training_generate"),
    path("systems/", systems.system_list, name="system_list"),
    path("systems/import/", systems.system_import_view, name="system_import"),
    path("systems/copy-baseline/", systems.system_copy_baseline_view, name="system_copy_baseline"),
    path("systems/<int:pk>/", systems.system_detail, name="system_detail"),
    path("results/", results.results, name="results"),
    path("results/score/", results.results_score, name="results_score"),
]

# Selection runs (issue #3).
from selection.views import selection_runs  # noqa: E402

urlpatterns += [
    path("selections/", selection_runs.selection_list, name="selection_list"),
    path("selections/new/", selection_runs.selection_new, name="selection_new"),
    path("selections/compare/", selection_runs.selection_compare, name="selection_compare"),
    path("selections/<slug:name>/", selection_runs.selection_detail, name="selection_detail"),
    path("selections/<slug:name>/export/", selection_runs.selection_export, name="selection_export"),
    path("selections/<slug:name>/picks.jsonl", selection_runs.selection_picks_download, name="selection_picks"),
]
