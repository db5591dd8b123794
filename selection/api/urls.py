from rest_framework.routers import DefaultRouter

from selection.api import views

router = DefaultRouter()  # the API root lists every endpoint
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("jobs", views.JobViewSet, basename="job")
urlpatterns = router.urls
