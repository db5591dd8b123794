from django.urls import path
from django.views.decorators.cache import never_cache

from annotation.views import rater, report, researcher, reviewer, study_import

app_name = "annotation"
# Nothing a rater sees is stored by browsers or proxies (shared machines, back-button history).
urlpatterns = [
    path("studies/", researcher.study_list, name="study_list"),
    path("studies/new/", researcher.study_wizard, name="study_wizard"),
    path("studies/preview/", researcher.study_preview, name="study_preview"),
    path("studies/import/", study_import.study_import, name="study_import"),
    path("studies/<slug:name>/", researcher.study_detail, name="study_detail"),
    path("studies/<slug:name>/export/", researcher.study_export, name="study_export"),
    path("studies/<slug:name>/report/", report.study_report_page, name="study_report"),
    path("studies/<slug:name>/report/live/", report.study_report_live, name="study_report_live"),
    path("work/", never_cache(rater.work_home), name="work_home"),
    path("work/<str:token>/", never_cache(rater.rate), name="rate"),
    path("work/<str:token>/guidelines/", never_cache(rater.guidelines), name="guidelines"),
    path("work/<str:token>/done/", never_cache(rater.done), name="done"),
    path("review/", never_cache(reviewer.review_home), name="review_home"),
    path("review/<str:token>/", never_cache(reviewer.review), name="review"),
    path("join/<str:token>/", never_cache(rater.join), name="join"),
]
