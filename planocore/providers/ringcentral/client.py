"""The `ringcentral` package's HTTP client on our transport and budgets, and its errors.

The package sets no timeout and its `ApiException` text holds the request's
headers, Authorization included: so every call goes through `TimeoutClient`
(the transport's session and timeout, the user's budget per API group) and
errors are rebuilt from the HTTP status and the JSON error body
(`provider_error`), never from `str(exc)`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from ringcentral.http.api_exception import ApiException
from ringcentral.http.api_response import ApiResponse
from ringcentral.http.client import Client

from planocore.providers import ratelimit, transport
from planocore.providers.base import ProviderError


def api_group(path: str) -> str:
    """RingCentral's throttling group of a call (the contract's x-throttling-group).

    The token endpoint is "Auth"; every other call we make (SMS, MMS, Glip
    posts, the team list) is "Medium".
    """
    return "Auth" if path.startswith("/restapi/oauth/") else "Medium"


def _header_int(headers, name: str) -> int | None:
    try:
        return int(headers.get(name, ""))
    except ValueError:
        return None


class TimeoutClient(Client):
    """The package's HTTP client: a timeout on every call, a kept-alive session per thread, the user's budget.

    Each call is first taken from `account`'s budget for its API group (none
    made when it is spent or a penalty runs: `ratelimit.BudgetExhausted`), then
    settled with the time its answer came and RingCentral's X-Rate-Limit-*
    headers.
    """

    def __init__(self, account: str = "ringcentral:default") -> None:
        super().__init__()
        self.account = account

    def load_response(self, request):
        group = api_group(urlsplit(request.url).path)
        wait, reserved = ratelimit.take(
            self.account,
            group,
            limit=settings.RINGCENTRAL_BUDGETS.get(group),
            hold=settings.PROVIDER_TIMEOUT_SECONDS,
        )
        if wait:
            raise ratelimit.BudgetExhausted(self.account, group, wait)
        response = None
        try:
            response = transport.session("RingCentral").send(request, timeout=transport.timeout())
        finally:
            self._settle(group, reserved, response)
        answer = ApiResponse(request, response)
        answer.budget = (self.account, group)
        return answer

    def _settle(self, group: str, reserved: float | None, response: requests.Response | None) -> None:
        finished = ratelimit.clock()
        headers = response.headers if response is not None else {}
        reported = (headers.get("X-Rate-Limit-Group") or "").strip().capitalize()
        figures = {
            "reported_limit": _header_int(headers, "X-Rate-Limit-Limit"),
            "reported_remaining": _header_int(headers, "X-Rate-Limit-Remaining"),
            "reported_window": _header_int(headers, "X-Rate-Limit-Window"),
        }
        if reported and reported != group:
            ratelimit.settle(self.account, reported, reserved=None, finished=finished, **figures)
            figures = {}
        ratelimit.settle(self.account, group, reserved=reserved, finished=finished, **figures)


def _error_detail(body: Any) -> str:
    """A short description from RingCentral's error body (its several shapes)."""
    if not isinstance(body, dict):
        return ""
    parts = []
    if body.get("errorCode") or body.get("message"):
        parts.append(" ".join(str(body[k]) for k in ("errorCode", "message") if body.get(k)))
    elif body.get("error"):  # OAuth errors
        parts.append(" ".join(str(body[k]) for k in ("error", "error_description") if body.get(k)))
    for item in body.get("errors") or []:
        if isinstance(item, dict):
            text = " ".join(str(item[k]) for k in ("errorCode", "message") if item.get(k))
            if text and text not in parts:
                parts.append(text)
    return "; ".join(parts)[:500]


def provider_error(exc: Exception, *, doing: str) -> ProviderError:
    """Turn what the package raised into a ProviderError that holds no secret.

    `doing` names the call ("the post in chat 123") for the message.

    Never uses str(exc): the package's ApiException text carries the request's
    Authorization header.
    """
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, ApiException) and isinstance(exc.__context__, ratelimit.BudgetExhausted):
        return exc.__context__  # no call was made
    api_response = exc.api_response() if isinstance(exc, ApiException) else None
    response = api_response.response() if api_response is not None else None
    if response is None:
        cause = exc.__context__ if isinstance(exc, ApiException) else exc
        return transport.no_answer(cause, provider="RingCentral", doing=doing) or ProviderError(
            f"RingCentral call for {doing} failed ({type(cause or exc).__name__}).", retryable=True
        )
    status = response.status_code
    body = transport.read_answer(response.text)
    detail = _error_detail(body)
    error = transport.http_error(
        status,
        f"RingCentral answered HTTP {status} to {doing}" + (f": {detail}" if detail else "."),
        headers=response.headers,
        response={
            "http_status": status,
            "error": body,
            "request_id": response.headers.get("RCRequestId", ""),
        },
    )
    error.budget = getattr(api_response, "budget", None)
    return error
