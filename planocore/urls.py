"""URL conf: the API under /api/v1/, the admin, documentation and webhooks."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1 = [
    path("", include("planocore.api.urls")),
    path("", include("glip.urls")),
    path("", include("notifications.urls")),
    path("", include("cancelations.urls")),
    path("", include("messaging.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("documentation/", include("planocore.routes.urls")),
    path("admin/", admin.site.urls),
]
