from django.urls import path

from selection.views import datasets, jobs

app_name = "selection"
urlpatterns = [
    path("datasets/", datasets.dataset_list, name="dataset_list"),
    path("datasets/upload/", datasets.dataset_upload, name="dataset_upload"),
    path("datasets/<slug:name>/", datasets.dataset_detail, name="dataset_detail"),
    path("datasets/<slug:name>/download/", datasets.dataset_download, name="dataset_download"),
    path("jobs/", jobs.job_list, name="job_list"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:pk>.json", jobs.job_json, name="job_json"),
    path("jobs/<int:pk>/cancel/", jobs.job_cancel_view, name="job_cancel"),
    path("jobs/<int:pk>/retry/", jobs.job_retry_view, name="job_retry"),
]
