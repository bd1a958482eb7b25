"""The providers' one transport base: session, timeout, error classes, Retry-After, 429 penalties.

In the manner of django-anymail's `AnymailRequestsBackend` (one session, one
timeout, every failure raised as one exception type): each provider backend
keeps only what is its own (how to build the call, how to read its error
body) and asks this module the rest.

- `session()`: a kept-alive `requests.Session` per thread; `timeout()`: the
  seconds every call waits (settings.PROVIDER_TIMEOUT_SECONDS).
- `http_error(...)`: a ProviderError for an HTTP error answer. Retryable: 429
  and 5xx; permanent: any other status. A 429's or 503's Retry-After is parsed
  once, by `retry_after` (seconds or an HTTP date).
- `no_answer(...)`: a retryable ProviderError for a call that got no answer
  (timeout, refused or reset connection), or None when the exception is
  something else (a bug or a bad payload: the backend decides).
- `penalize(...)`: after a 429, keep every worker off the account (and API
  group) until Retry-After has passed (settings.OUTBOX_DEFAULT_PENALTY_SECONDS
  when the provider named no time). The outbox calls it for its sends; the only
  other callers are the ones that are no outbox job (the Glip team import, the
  messaging app's in-request Sunshine calls). Backends never penalize.

No message built here holds a secret: only the provider's name, what was being
done, the status and the exception's class name.
"""

from __future__ import annotations

import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3
from django.conf import settings

from planocore.providers import ratelimit
from planocore.providers.base import ProviderError

_local = threading.local()


def timeout() -> float:
    """The seconds a provider call may take (settings.PROVIDER_TIMEOUT_SECONDS)."""
    return float(settings.PROVIDER_TIMEOUT_SECONDS)


def session() -> requests.Session:
    """This thread's kept-alive `requests.Session` (sessions are not shared between threads)."""
    current = getattr(_local, "session", None)
    if current is None:
        current = _local.session = requests.Session()
    return current


def retryable_status(status: int) -> bool:
    """Whether trying again may help an HTTP error answer: 429 and 5xx."""
    return status == 429 or status >= 500


def retry_after(value: str | None) -> float | None:
    """Parse a Retry-After header: delay-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; an obsolete form may come naive
        return None
    return max(0.0, when.timestamp() - time.time())


def http_error(
    status: int,
    message: str,
    *,
    headers: Any = None,
    response: dict[str, Any] | None = None,
    retryable: bool | None = None,
) -> ProviderError:
    """A ProviderError for an HTTP error answer (`retryable` overrides the status's class).

    `headers` is any mapping with `.get` (requests' and urllib3's are case-insensitive).
    """
    if retryable is None:
        retryable = retryable_status(status)
    wait = None
    if status in (429, 503) and headers is not None:
        wait = retry_after(headers.get("Retry-After"))
    return ProviderError(
        message, retryable=retryable, retry_after=wait, http_status=status, response=response
    )


TIMEOUTS = (requests.Timeout, urllib3.exceptions.TimeoutError)
NO_CONNECTION = (requests.RequestException, urllib3.exceptions.HTTPError)


def no_answer(exc: BaseException | None, *, provider: str, doing: str = "") -> ProviderError | None:
    """A retryable ProviderError when `exc` is a timeout or a connection failure, else None."""
    what = f" {doing}" if doing else ""
    if isinstance(exc, TIMEOUTS):
        return ProviderError(
            f"{provider} did not answer{what} within {timeout():g} seconds ({type(exc).__name__}).",
            retryable=True,
        )
    if isinstance(exc, NO_CONNECTION):
        about = f" for {doing}" if doing else ""
        return ProviderError(f"Could not reach {provider}{about} ({type(exc).__name__}).", retryable=True)
    return None


def penalize(error: ProviderError, *, key: str | None) -> float | None:
    """After a 429, stop every worker from calling the error's budget (else `key`) until Retry-After.

    Returns the penalty's seconds, or None when `error` is no 429 (or names no
    account): nothing is recorded then. A `BudgetExhausted` is no answer of the
    provider and is never penalized.
    """
    if error.http_status != 429 or isinstance(error, ratelimit.BudgetExhausted):
        return None
    account, group = error.budget or (key, "")
    if account is None:
        return None
    seconds = penalty_seconds(error)
    ratelimit.penalize(account, seconds, group)
    return seconds


def penalty_seconds(error: ProviderError) -> float:
    """How long a 429 keeps callers away: its Retry-After, else settings.OUTBOX_DEFAULT_PENALTY_SECONDS."""
    return error.retry_after or float(settings.OUTBOX_DEFAULT_PENALTY_SECONDS)
