"""/ (the landing page), /healthz and /metrics: plain Django views outside the API (no envelope)."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from planocore.ops import metrics
from planocore.ops.health import health


@require_safe
def landing(request):
    """GET /: where to go from here (the admin's "View site" comes here too)."""
    sandbox = [
        channel
        for channel, path in settings.PROVIDER_BACKENDS.items()
        if path.startswith("planocore.providers.sandbox.")
    ]
    return render(request, "planocore/landing.html", {"sandbox": sandbox})


@never_cache
@require_safe
def healthz(request):
    """200 {"database": "ok", "broker": "ok"|"not-configured", "cache": "ok"|"degraded",
    "sweep": "ok"|"stalled"} when healthy (a degraded cache is, and so is a stalled sweep), else 503."""
    healthy, report = health()
    return JsonResponse(report, status=200 if healthy else 503)


def _authorized(request) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@never_cache
@require_safe
def metrics_view(request):
    """Prometheus text; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`."""
    if not _authorized(request):
        response = HttpResponse("Unauthorized: send Authorization: Bearer <METRICS_TOKEN>.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE)
