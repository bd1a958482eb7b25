"""The project's URL conf plus probe routes that let tests reach every status.

Used with `pytest.mark.urls("tests.platform.urls")`: requests still go through
the whole middleware stack and ApiView, only the handlers are test ones.
"""

from django.urls import include, path, re_path
from rest_framework import serializers

from planocore.api.endpoints import Endpoint, order
from planocore.api.views import ApiView
from planocore.urls import handler400, handler403, handler404, handler500  # noqa: F401
from planocore.urls import urlpatterns as project


class ProbeParams(serializers.Serializer):
    name = serializers.CharField(max_length=20, style=order(2), help_text="A name.")
    count = serializers.IntegerField(required=False, min_value=1, style=order(3), help_text="A count.")
    colour = serializers.ChoiceField(
        choices=["red", "blue"], required=False, style=order(4), help_text="A colour."
    )


class ProbeView(ApiView):
    """POST echoes its params (no auth); GET crashes."""

    service = "probe"
    service_name = "Probe"
    calls = 0
    endpoints = {
        "POST": Endpoint(
            slug="probe-create", title="Probe", purpose="Echo params.", params=ProbeParams, auth=False
        ),
        "GET": Endpoint(slug="probe-crash", title="Probe crash", purpose="Crash.", auth=False),
    }

    def post(self, request):
        type(self).calls += 1
        return self.respond(dict(request.params))

    def get(self, request):
        type(self).calls += 1
        raise RuntimeError("probe crash with secret-detail")


def plain_crash(request):
    raise RuntimeError("plain view crash with secret-detail")


probe = [
    re_path(r"^probe/?$", ProbeView.as_view()),
    re_path(r"^plain-crash/?$", plain_crash),
]

urlpatterns = [path("api/v1/", include(probe)), *project]
