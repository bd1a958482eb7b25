"""Request ids, and the API's route check that runs before any view (and before any body is read)."""

import io
import logging
import threading
import uuid

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse, JsonResponse

from planocore.api import statuses
from planocore.api.endpoints import endpoint_for
from planocore.api.envelope import envelope
from planocore.api.exceptions import DATABASE_DOWN, database_unavailable

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


def method_not_allowed_message(request, endpoints: dict) -> str:
    allowed = ", ".join(sorted(endpoints))
    return f"{request.method} is not allowed on this route; use {allowed}."


def body_within(request, limit: int) -> bool:
    """Whether the request's body fits in `limit` bytes, deciding before any of it is read.

    A declared Content-Length is compared, nothing read. A chunked body (no
    Content-Length; Django would read it as empty) is read up to `limit` + 1
    bytes: past the limit it is refused, else it becomes the request's body.
    """
    declared = request.META.get("CONTENT_LENGTH")
    if declared:
        try:
            return int(declared) <= limit
        except ValueError:
            return True  # Django reads an unreadable length as an empty body
    if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    data = request.META["wsgi.input"].read(limit + 1)
    if len(data) > limit:
        return False
    request.META["CONTENT_LENGTH"] = str(len(data))
    request._stream = LimitedStream(io.BytesIO(data), len(data))
    return True


def api_error_response(
    status: statuses.Status, message: str | None = None, *, headers: dict[str, str] | None = None
) -> JsonResponse:
    return JsonResponse(envelope(status, message=message), status=status.code, headers=headers)


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
        if not request.path_info.startswith("/api/"):
            # Django reads form bodies (the admin's CSRF check too) before any view: bound them first.
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and not body_within(request, limit):
                return HttpResponse(f"Request body too large (limit {limit} bytes).", status=413)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path_info.startswith("/api/"):
            return None
        try:
            return self.check(request, view_func)
        except DATABASE_DOWN as exc:
            error = database_unavailable(exc)
            response = api_error_response(error.api_status, error.message, headers=error.headers)
            response._has_been_logged = True  # the warning above is its one line
            return response
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
        endpoint = endpoint_for(endpoints, request.method)
        if endpoint is None:
            # Answered here, before anything (authentication included) reads the body.
            return api_error_response(
                statuses.METHOD_NOT_ALLOWED, method_not_allowed_message(request, endpoints)
            )
        limit = endpoint.max_body_bytes or settings.API_MAX_BODY_BYTES
        if not body_within(request, limit):
            return api_error_response(
                statuses.REQUEST_TOO_LARGE,
                f"The request body is larger than this route takes ({limit} bytes); send less.",
            )
        state = deployment_state()
        if not state["services"].get(view_class.service, True):
            return api_error_response(statuses.SERVICE_NOT_FOUND)
        if not state["routes"].get(endpoint.slug, True):
            return api_error_response(statuses.ROUTE_NOT_FOUND)
        return None
