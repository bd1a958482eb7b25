"""Django's error handlers (handler400/403/404/500): the envelope for /api/ paths.

Errors inside an ApiView are answered by DRF's exception handler. These cover
what happens outside one: a plain Django view, a middleware, a request Django
itself refuses (too big, too many fields). Other paths get Django's own pages.
"""

import logging

from django.views import defaults

from planocore.api import statuses
from planocore.api.middleware import api_error_response

logger = logging.getLogger("planocore.api")


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request, exception):
    if _is_api(request):
        return api_error_response(
            statuses.INVALID_ENCODED_PARAMS, "The request could not be read; check its body and headers."
        )
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return api_error_response(statuses.PERMISSION_DENIED, "This request is not allowed.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        response = api_error_response(
            statuses.ROUTE_NON_EXISTENT, f"No route {request.path_info}; see /documentation/ for the routes."
        )
        # The seeds make this a 500, but it is the caller's mistake: no error log line.
        logger.info("No route %s %s", request.method, request.path_info)
        response._has_been_logged = True
        return response
    return defaults.page_not_found(request, exception)


def server_error(request):
    # Django's `django.request` logger has already logged the exception with the request id.
    if _is_api(request):
        request_id = getattr(request, "request_id", "-")
        return api_error_response(
            statuses.APPLICATION_CRASH, f"{statuses.APPLICATION_CRASH.description} Request id: {request_id}."
        )
    return defaults.server_error(request)
