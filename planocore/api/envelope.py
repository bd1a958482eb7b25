"""The one JSON envelope every /api/ response is wrapped in."""

from typing import Any

from rest_framework.response import Response

from planocore.api import statuses
from planocore.api.statuses import Status


def envelope(
    status: Status = statuses.ACTION_SUCCESSFUL,
    *,
    data: Any = None,
    message: str | None = None,
    errors: dict[str, list[str]] | None = None,
    session: dict | None = None,
    links: dict | None = None,
    meta: dict | None = None,
) -> dict[str, Any]:
    """Return the envelope body: status, code, message, data and the optional keys."""
    body: dict[str, Any] = {
        "status": status.slug,
        "code": status.code,
        "message": message or status.description,
        "data": data,
    }
    if errors:
        body["errors"] = errors
    if session is not None:
        body["session"] = session
    if links is not None:
        body["links"] = links
    if meta is not None:
        body["meta"] = meta
    return body


def envelope_response(
    status: Status = statuses.ACTION_SUCCESSFUL,
    *,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> Response:
    """Return a DRF Response holding the envelope, with the status's HTTP code."""
    return Response(envelope(status, **kwargs), status=status.code, headers=headers)


def is_envelope(data: Any) -> bool:
    return isinstance(data, dict) and "status" in data and "code" in data and "message" in data
