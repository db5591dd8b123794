"""Annotation API. A SimpleRouter (no root view): selection.api already serves the /api/ root."""
from django.urls import path
from django.views.decorators.cache import never_cache
from rest_framework.routers import SimpleRouter

from annotation.api import views
from annotation.api.import_views import StudyImportView
from annotation.api.report_views import StudyReportView

router = SimpleRouter()
router.register("studies", views.StudyViewSet, basename="study")

urlpatterns = [
    path("studies/import/", StudyImportView.as_view(), name="study-import"),
    path("studies/<str:ref>/report/", StudyReportView.as_view(), name="study-report"),
    *router.urls,
    path("work/", never_cache(views.WorkListView.as_view()), name="work-list"),
    path("work/slots/<str:slot>/", never_cache(views.SlotView.as_view()), name="work-slot"),
    path("work/slots/<str:slot>/judgment/", never_cache(views.SlotJudgmentView.as_view()), name="work-judgment"),
    path("work/slots/<str:slot>/skip/", never_cache(views.SlotSkipView.as_view()), name="work-skip"),
    path("work/slots/<str:slot>/flag/", never_cache(views.SlotFlagView.as_view()), name="work-flag"),
    path("work/<str:token>/next/", never_cache(views.WorkNextView.as_view()), name="work-next"),
    path("work/<str:token>/previous/", never_cache(views.WorkPreviousView.as_view()), name="work-previous"),
    path("work/<str:token>/finish/", never_cache(views.WorkFinishView.as_view()), name="work-finish"),
    path("review/", never_cache(views.ReviewListView.as_view()), name="review-list"),
    path("review/items/<str:item>/", never_cache(views.ReviewItemView.as_view()), name="review-item"),
    path("review/items/<str:item>/label/", never_cache(views.ReviewLabelView.as_view()), name="review-label"),
    path("review/<str:token>/next/", never_cache(views.ReviewNextView.as_view()), name="review-next"),
    path("work/<str:token>/practice-done/", never_cache(views.WorkPracticeDoneView.as_view()), name="work-practice-done"),
]
