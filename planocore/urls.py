"""URL conf: a landing page at /, the API under /api/v1/, the admin, documentation and webhooks."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerView

from planocore.admin_login import admin_login
from planocore.api.schema_views import SchemaView
from planocore.ops import views as ops_views

api_v1 = [
    path("", include("planocore.api.urls")),
    path("", include("glip.urls")),
    path("", include("notifications.urls")),
    path("", include("cancelations.urls")),
    path("", include("messaging.urls")),
    path("", include("inbound.urls")),
]

urlpatterns = [
    path("", ops_views.landing, name="landing"),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/schema/?$", SchemaView.as_view(), name="api-schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("documentation", RedirectView.as_view(url="/documentation/", permanent=True)),
    path("documentation/", include("planocore.routes.urls")),
    path("admin/login/", admin_login),  # before the admin's own: throttled
    path("admin/", admin.site.urls),
    path("webhooks/sunshine-conversations", include("messaging.webhook_urls")),
    path("webhooks/ringcentral", include("inbound.webhook_urls")),
    path("webhooks/", include("notifications.webhook_urls")),
    # Operations: outside /api/ (no envelope, no API token); see docs/operations.md.
    path("healthz", ops_views.healthz, name="healthz"),
    path("metrics", ops_views.metrics_view, name="metrics"),
]

# For /api/ paths these answer the JSON envelope; elsewhere Django's own pages.
handler400 = "planocore.api.handlers.bad_request"
handler403 = "planocore.api.handlers.permission_denied"
handler404 = "planocore.api.handlers.page_not_found"
handler500 = "planocore.api.handlers.server_error"
