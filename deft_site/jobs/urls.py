from django.urls import path

from deft_site.jobs import views

app_name = "jobs"
urlpatterns = [
    path("jobs/", views.job_list, name="list"),
    path("jobs/<int:pk>/", views.job_detail, name="detail"),
    path("jobs/<int:pk>.json", views.job_json, name="json"),
    path("jobs/<int:pk>/cancel/", views.job_cancel_view, name="cancel"),
    path("jobs/<int:pk>/retry/", views.job_retry_view, name="retry"),
]
