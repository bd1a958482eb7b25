"""Request ids, and the API's route check that runs before any view."""

import logging
import threading
import uuid

from django.http import JsonResponse

from planocore.api import statuses
from planocore.api.envelope import envelope

logger = logging.getLogger("planocore.api")
_local = threading.local()


def current_request_id() -> str:
    return getattr(_local, "request_id", "-")


class RequestIdLogFilter(logging.Filter):
    """Put the current request id on every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class RequestIdMiddleware:
    """Give each request an id (or keep the caller's X-Request-ID) and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        request.request_id = request_id
        # Kept until the request_finished signal (forget_request_id), so Django's own
        # `django.request` log line, written after the middlewares return, carries it too.
        _local.request_id = request_id
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def forget_request_id(**kwargs) -> None:
    """request_finished receiver: later logs of this thread belong to no request."""
    _local.request_id = "-"


def api_error_response(status: statuses.Status, message: str | None = None) -> JsonResponse:
    return JsonResponse(envelope(status, message=message), status=status.code)


class ApiRouteMiddleware:
    """For /api/ paths: undeployed → route/service-not-found, before the view runs.

    Django resolves the path once; this checks the view it found (`process_view`),
    so an undeployed route's view never runs. An unknown path is Django's 404,
    answered route-non-existent by `planocore.api.handlers.page_not_found`. The
    deployment state comes from the cache (no query). An error while identifying
    the route answers identify-request-error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path_info.startswith("/api/"):
            return None
        try:
            return self.check(request, view_func)
        except Exception:
            request_id = getattr(request, "request_id", "-")
            logger.exception(
                "Could not identify the route of %s %s (request %s)", request.method, request.path, request_id
            )
            return api_error_response(
                statuses.IDENTIFY_REQUEST_ERROR,
                f"{statuses.IDENTIFY_REQUEST_ERROR.description} Request id: {request_id}.",
            )

    def check(self, request, view_func):
        from planocore.routes.registry import deployment_state

        view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
        endpoints = getattr(view_class, "endpoints", None)
        if not endpoints:
            return None
        endpoint = endpoints.get(request.method)
        if endpoint is None:
            return None  # the view answers method-not-allowed
        state = deployment_state()
        if not state["services"].get(view_class.service, True):
            return api_error_response(statuses.SERVICE_NOT_FOUND)
        if not state["routes"].get(endpoint.slug, True):
            return api_error_response(statuses.ROUTE_NOT_FOUND)
        return None
