"""The providers' one transport: connections, timeout, logging, error classes, Retry-After, 429 penalties.

In the manner of django-anymail's `AnymailRequestsBackend` (one session, one
timeout, every failure raised as one exception type) and Zulip's
`OutgoingSession` (one factory for every outgoing call): each provider backend
keeps only what is its own (how to build the call, how to read its error body)
and asks this module the rest.

Connections, one factory for every way a provider is called:

- `session(provider)`: this thread's kept-alive `requests.Session` for a provider
  (RingCentral through its package's client, Mandrill through anymail's
  `create_session` hook);
- `pool_manager(provider)`: a urllib3 `PoolManager` (Sunshine Conversations'
  generated client, whose `rest_client.pool_manager` it replaces);
- `pinned_pool(...)`: a pool to one checked address (the fenced media fetch,
  `planocore.providers.fetch`).

All three pool connections (POOL_MAXSIZE per host, kept alive), make no retries of
their own (the outbox decides), verify TLS against certifi's roots and log every
call on the `planocore.providers.http` logger: provider, method, URL (masked by
`planocore.ops.logging.mask_secrets`: no token, password or credential), status or
the exception's class, milliseconds. `timeout()`: the seconds every call waits
(settings.PROVIDER_TIMEOUT_SECONDS; a session applies it to a call that names none).

Answers and errors:

- `read_answer(body)`: a provider's answer body as JSON, else its text.
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

import json
import logging
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any

import certifi
import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter

from planocore.ops.logging import mask_secrets
from planocore.providers import ratelimit
from planocore.providers.base import ProviderError

logger = logging.getLogger("planocore.providers.http")
_local = threading.local()

POOL_MAXSIZE = 10  # kept-alive connections per host and pool: a worker's threads at most
ANSWER_TEXT_MAX = 500  # characters of a non-JSON answer kept (in errors and proofs)


def timeout() -> float:
    """The seconds a provider call may take (settings.PROVIDER_TIMEOUT_SECONDS)."""
    return float(settings.PROVIDER_TIMEOUT_SECONDS)


# --- connections --------------------------------------------------------------------
class _LoggedPool:
    """A urllib3 connection pool that logs each call (see the module's docstring)."""

    provider = "provider"

    def urlopen(self, method, url, *args, **kwargs):
        started = time.monotonic()
        outcome: Any = "no answer"
        try:
            response = super().urlopen(method, url, *args, **kwargs)
            outcome = response.status
            return response
        except Exception as exc:
            outcome = type(exc).__name__
            raise
        finally:
            where = (
                url
                if url.startswith(("http://", "https://"))
                else f"{self.scheme}://{self.host}:{self.port}{url}"
            )
            logger.info(
                "%s %s %s: %s in %d ms",
                self.provider,
                method,
                mask_secrets(where),
                outcome,
                (time.monotonic() - started) * 1000,
            )


class _HTTPPool(_LoggedPool, urllib3.HTTPConnectionPool):
    pass


class _HTTPSPool(_LoggedPool, urllib3.HTTPSConnectionPool):
    pass


class _PoolManager(urllib3.PoolManager):
    """urllib3's PoolManager whose pools log each call under the provider's name."""

    def __init__(self, provider: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.provider = provider
        self.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def _new_pool(self, scheme, host, port, request_context=None):
        pool = super()._new_pool(scheme, host, port, request_context=request_context)
        pool.provider = self.provider
        return pool


def pool_manager(provider: str) -> urllib3.PoolManager:
    """A urllib3 PoolManager for a provider: pooled, kept alive, no retries, the timeout, logged."""
    return _PoolManager(
        provider,
        maxsize=POOL_MAXSIZE,
        retries=False,
        timeout=urllib3.Timeout(connect=timeout(), read=timeout()),
        cert_reqs="CERT_REQUIRED",
        ca_certs=certifi.where(),
    )


class _Adapter(HTTPAdapter):
    """requests' adapter on `_PoolManager`: no retries, POOL_MAXSIZE, each call logged."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        super().__init__(pool_maxsize=POOL_MAXSIZE, max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        self.poolmanager = _PoolManager(
            self.provider, num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )


class _Session(requests.Session):
    """A requests.Session that applies `timeout()` to any call that names none."""

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = timeout()
        return super().send(request, **kwargs)


def new_session(provider: str) -> requests.Session:
    """A new `requests.Session` for a provider (see the module's docstring).

    `session()` keeps one a thread; a caller that manages its own may use this.
    """
    current = _Session()
    adapter = _Adapter(provider)
    current.mount("https://", adapter)
    current.mount("http://", adapter)
    return current


def session(provider: str) -> requests.Session:
    """This thread's kept-alive session for `provider` (sessions are not shared between threads)."""
    sessions = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    current = sessions.get(provider)
    if current is None:
        current = sessions[provider] = new_session(provider)
    return current


def pinned_pool(
    provider: str, *, scheme: str, address: str, port: int, host: str, seconds: float, ca_certs: str
) -> urllib3.HTTPConnectionPool:
    """A one-connection pool to `address` (already checked), TLS verified for the name `host`.

    No retries; connect and read timeouts of `seconds` each; `ca_certs` the trust
    roots (the caller's: the fence names its own). Each call is logged (with the
    address connected to).
    """
    common = {
        "host": address,
        "port": port,
        "timeout": urllib3.Timeout(connect=seconds, read=seconds),
        "retries": False,
        "maxsize": 1,
    }
    if scheme == "https":
        pool = _HTTPSPool(
            **common,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs,
            server_hostname=host,
            assert_hostname=host,
        )
    else:
        pool = _HTTPPool(**common)
    pool.provider = provider
    return pool


# --- answers and errors -------------------------------------------------------------
def read_answer(body: str | bytes | None) -> Any:
    """A provider's answer body as JSON, else {"text": its first ANSWER_TEXT_MAX characters}.

    None when the body is empty.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return {"text": body[:ANSWER_TEXT_MAX]}


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
