from django.urls import path
from rest_framework.routers import DefaultRouter

from deft_site.jobs.api import JobViewSet
from selection.api import selection_views, training_views, views

router = DefaultRouter()  # the API root lists every endpoint
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("jobs", JobViewSet, basename="job")
router.register("selections", selection_views.SelectionRunViewSet, basename="selection")
router.register("training-runs", training_views.TrainingRunViewSet, basename="training-run")
router.register("systems", training_views.SystemViewSet, basename="system")
urlpatterns = router.urls
urlpatterns += [path("scores/", training_views.ScoreView.as_view(), name="scores")]
