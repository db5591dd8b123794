"""URL map. Researchers: /datasets/, /selections/, /training/, /systems/, /results/, /studies/, /jobs/.
Annotators: /work/. Staff: /dashboard/, /admin/. API under /api/ with its OpenAPI schema at /api/schema/."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from deft_site import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/", include("selection.api.urls")),
    path("api/", include("annotation.api.urls")),
    path("", include("deft_site.jobs.urls")),
    path("", include("selection.urls")),
    path("", include("annotation.urls")),
]
