"""GET /api/v1/applications: the applications that call the API (the `application` param's values)."""

from rest_framework import serializers

from planocore.accounts.models import Application
from planocore.api.endpoints import CLIENTS_OPEN, Endpoint
from planocore.api.pagination import Keyset, PageParams
from planocore.api.views import ApiView

BY_SLUG = Keyset("slug")


class ApplicationOut(serializers.ModelSerializer):
    class Meta:
        model = Application
        fields = ["slug", "name", "role"]


class ApplicationListParams(PageParams):
    page_order = 10


class ApplicationsView(ApiView):
    service = "applications"
    service_name = "Applications"
    endpoints = {
        "GET": Endpoint(
            slug="applications-list",
            title="Applications List API",
            purpose="List the applications that call the API, with the role each one selects "
            "for a user's session (the values of the `application` param).",
            params=ApplicationListParams,
            permission="planocore.view_application",
            clients=CLIENTS_OPEN,
        ),
    }

    def get(self, request):
        page = BY_SLUG.page(Application.objects.all(), request.params)
        return self.respond_page(page, ApplicationOut(page.items, many=True).data)
