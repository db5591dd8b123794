"""URL map. Researchers: /datasets/, /selections/, /training/, /systems/, /results/, /studies/, /jobs/.
Annotators: /work/. Staff: /dashboard/, /admin/. API under /api/ with its OpenAPI schema at /api/schema/
(researchers only). Everyone signed in: /account/tokens/ (their API token)."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from deft_site import accounts, views
from deft_site.roles import IsResearcher

# A database outage raised outside a view is a 503 too (deft_site/outage.py); anything else is Django's 500.
handler500 = "deft_site.outage.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", views.readyz, name="readyz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("admin/", admin.site.urls),
    path("account/tokens/", accounts.api_tokens, name="api_tokens"),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsResearcher]), name="api-schema"),
    path("api/", include("selection.api.urls")),
    path("api/", include("annotation.api.urls")),
    path("", include("selection.urls")),
    path("", include("annotation.urls")),
]
