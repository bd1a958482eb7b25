"""API errors and the DRF exception handler that turns every error into the envelope."""

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.fields import get_error_detail
from rest_framework.response import Response

from planocore.api import statuses
from planocore.api.envelope import envelope
from planocore.api.statuses import Status
from planocore.errors import ServiceUnavailable

logger = logging.getLogger("planocore.api")


class ApiError(drf.APIException):
    """An error answered with one of the API's status slugs.

    `param` names the parameter at fault; `errors` maps parameters to messages.
    """

    def __init__(
        self,
        status: Status,
        message: str | None = None,
        *,
        param: str | None = None,
        errors: dict[str, list[str]] | None = None,
        data: Any = None,
        session: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.api_status = status
        self.status_code = status.code
        self.message = message or status.description
        self.errors = errors or ({param: [self.message]} if param else None)
        self.data = data
        self.session = session
        self.headers = headers or {}
        super().__init__(detail=self.message, code=status.slug)


def too_many_requests(message: str, retry_after: int) -> ApiError:
    """too-many-requests with its Retry-After: the answer of every caller limit (planocore/budgets.py)."""
    return ApiError(
        statuses.TOO_MANY_REQUESTS,
        f"{message}; try again in {retry_after} seconds.",
        headers={"Retry-After": str(retry_after)},
    )


# The database could not be reached or dropped the connection (a restart, an outage, a
# lock wait given up): the request may succeed a few seconds later.
DATABASE_DOWN = (OperationalError, InterfaceError)
DATABASE_RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: Exception) -> ApiError:
    """database-unavailable with Retry-After; logs one WARNING line per request, no traceback."""
    first_line = next(iter(str(exc).splitlines()), "")
    logger.warning("The database is unavailable: %s: %s", type(exc).__name__, first_line)
    return ApiError(
        statuses.DATABASE_UNAVAILABLE,
        f"The database cannot be reached just now; nothing was stored. Try again in "
        f"{DATABASE_RETRY_AFTER_SECONDS} seconds.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def invalid_param(param: str, message: str) -> ApiError:
    return ApiError(statuses.INVALID_PARAM, f"`{param}`: {message}", param=param)


_PARAM = re.compile(r"(?:\b[Tt]he param )?`(\w+)`")


def in_admin_words(message: str, labels: Mapping[str, str]) -> str:
    """An API message in the admin's words: each `param` named by its form label.

    Messages are written once, for the API ("The param `email_to` is required for
    email notifications."); a form shows them as "Email to is required for email
    notifications." `labels` maps params to labels ("Email to"); a param without
    one is named by its words ("reason id").
    """

    def label(match: re.Match) -> str:
        name = match.group(1)
        text = str(labels.get(name) or name.replace("_", " "))
        at_start = match.start() == 0
        if at_start:
            return text[:1].upper() + text[1:]
        # Mid-sentence in lower case, unless the label starts with an acronym ("SC client id").
        return text if text[1:2].isupper() else text[:1].lower() + text[1:]

    worded = _PARAM.sub(label, message)
    return worded[:1].upper() + worded[1:]


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {msg}" for key, value in detail.items() for msg in _flatten(value)]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]


def _codes(detail: Any) -> set[str]:
    if isinstance(detail, dict):
        return {code for value in detail.values() for code in _codes(value)}
    if isinstance(detail, list):
        return {code for item in detail for code in _codes(item)}
    return {getattr(detail, "code", "invalid")}


def validation_error(exc: drf.ValidationError | DjangoValidationError) -> ApiError:
    """Turn a serializer's or a service's errors into missing-param or invalid-param naming the field.

    Services raise Django's ValidationError keyed by param ({"team_name": [...]}); this is
    the one place it becomes an API status.
    """
    raw = get_error_detail(exc) if isinstance(exc, DjangoValidationError) else exc.detail
    detail = raw if isinstance(raw, dict) else {"params": raw}
    errors = {field: _flatten(value) for field, value in detail.items()}
    missing = [field for field, value in detail.items() if "required" in _codes(value)]
    if missing:
        field = missing[0]
        return ApiError(
            statuses.MISSING_PARAM,
            f"The param `{field}` is required.",
            errors=errors,
        )
    field = next(iter(errors))
    return ApiError(statuses.INVALID_PARAM, f"`{field}`: {errors[field][0]}", errors=errors)


def as_api_error(exc: Exception) -> ApiError | None:
    """Map any exception DRF or Django may raise to an ApiError; None for a crash."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, (drf.ValidationError, DjangoValidationError)):
        return validation_error(exc)
    if isinstance(exc, DATABASE_DOWN):
        return database_unavailable(exc)
    if isinstance(exc, ServiceUnavailable):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return ApiError(statuses.PROVIDER_UNAVAILABLE, exc.message, headers=headers)
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return ApiError(statuses.INVALID_TOKEN, str(exc.detail))
    if isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        return ApiError(statuses.PERMISSION_DENIED)
    if isinstance(exc, drf.MethodNotAllowed):
        return ApiError(statuses.METHOD_NOT_ALLOWED, str(exc.detail))
    if isinstance(exc, drf.UnsupportedMediaType):
        return ApiError(
            statuses.INVALID_CONTENT_TYPE,
            f"{exc.detail} Send application/json, application/x-www-form-urlencoded or multipart/form-data.",
        )
    if isinstance(exc, drf.ParseError):
        return ApiError(
            statuses.INVALID_ENCODED_PARAMS, f"The request body could not be decoded: {exc.detail}"
        )
    if isinstance(exc, drf.Throttled):
        return too_many_requests("Too many attempts", max(1, round(exc.wait or 1)))
    if isinstance(exc, (drf.NotFound, Http404, ObjectDoesNotExist)):
        # The one answer to a missing record (the seeds have no not-found status); views and
        # selectors let DoesNotExist / Http404 through. A record a client may not see is missing.
        return ApiError(statuses.INVALID_PARAM, "`id`: no record has this id.", param="id")
    if isinstance(exc, SuspiciousOperation):
        # Django refused the body itself: too big, too many fields, malformed multipart.
        return ApiError(statuses.INVALID_ENCODED_PARAMS, f"The request body could not be read: {exc}")
    if isinstance(exc, drf.NotAcceptable):
        return ApiError(statuses.INVALID_CONTENT_TYPE, str(exc.detail))
    return None


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every error, expected or not, in the envelope."""
    error = as_api_error(exc)
    if error is None:
        request = context.get("request")
        request_id = getattr(request, "request_id", "-")  # RequestIdMiddleware's
        # Method and path only: never the params (a sensitive route's body holds a password).
        logger.exception(
            "Unhandled error in %s %s (request %s)",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            request_id,
        )
        error = ApiError(
            statuses.APPLICATION_CRASH,
            f"{statuses.APPLICATION_CRASH.description} Request id: {request_id}.",
        )
    body = envelope(
        error.api_status,
        data=error.data,
        message=error.message,
        errors=error.errors,
        session=error.session,
    )
    response = Response(body, status=error.status_code, headers=error.headers)
    if error.api_status in (statuses.APPLICATION_CRASH, statuses.DATABASE_UNAVAILABLE):
        response._has_been_logged = True  # logged above (once); no second line from django.request
    return response
