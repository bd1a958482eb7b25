"""One attempt: call a claimed request's backend, with no lock held and no transaction open.

`call_backend` first asks the consent registry (planocore/consent.py) whether the
recipient withdrew consent: then no provider is called and the request ends
`suppressed`. It consults the provider's shared budget next (a budget that says "not now"
makes no attempt: the row goes back to pending uncounted), then calls the
backend and keeps what came of it in an `Attempt`, which `outcome.record` writes.
A 429 penalizes the account (and API group) in the shared budget: the outbox is
the one place that applies it.
"""

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from planocore.consent import Suppressed, suppressions_for
from planocore.crypto import decrypt_json
from planocore.outbox.models import ExternalRequest, ExternalRequestAttempt
from planocore.providers import ratelimit, transport
from planocore.providers.base import ProviderBackend, ProviderError, ProviderResult
from planocore.providers.registry import get_backend

logger = logging.getLogger("planocore.outbox")


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Return the delay before retry number `attempt`: exponential, jittered, never before Retry-After.

    Equal jitter: half the exponential step is fixed, half random, so retries of
    many requests failing together spread out but never come back at once.
    """
    step = min(
        settings.OUTBOX_RETRY_MAX_SECONDS,
        settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0),
    )
    delay = step / 2 + random.uniform(0, step / 2)
    return max(delay, retry_after or 0)


@dataclass
class Attempt:
    """One claimed row's attempt, waiting to be recorded."""

    request: ExternalRequest
    started: datetime | None = None
    duration_ms: int = 0
    result: ProviderResult | None = None
    error: ProviderError | None = None
    defer_seconds: float | None = None  # budget said "not now": no attempt counted
    suppressed: Suppressed | None = None  # the recipient withdrew consent: no provider called
    kind: str = ""
    recorded: bool = False
    attempt_row: ExternalRequestAttempt | None = field(default=None, repr=False)


def _budget_wait(backend: ProviderBackend, key: str | None, waits: dict[str, float]) -> float:
    """Return 0 when this call may go now, else seconds to wait (consulting the shared budget)."""
    if key is None:
        return 0.0
    until = waits.get(key)
    if until is not None and until > time.monotonic():
        return until - time.monotonic()
    per_minute = backend.requests_per_minute
    wait = ratelimit.acquire(key, limit=per_minute) if per_minute else ratelimit.penalty_remaining(key)
    if wait:
        waits[key] = time.monotonic() + wait
    return wait


def call_backend(
    request: ExternalRequest, waits: dict[str, float], held: dict[int, Suppressed] | None = None
) -> Attempt:
    """Call the request's backend (no lock held, no transaction open) and keep what came of it.

    `held` is `planocore.consent.suppressions_for` of the batch the request is in
    (asked here when None): a suppressed request makes no provider call.
    """
    attempt = Attempt(request=request)
    if held is None:
        held = suppressions_for([request])
    attempt.suppressed = held.get(request.pk)
    if attempt.suppressed is not None:
        attempt.started = timezone.now()
        return attempt
    try:
        backend = get_backend(request.channel)
    except ImproperlyConfigured as exc:
        attempt.started = timezone.now()
        attempt.error = ProviderError(str(exc), retryable=False)
        return attempt
    key = backend.rate_limit_key(payload=request.payload)
    wait = _budget_wait(backend, key, waits)
    if wait:
        attempt.defer_seconds = wait
        return attempt
    attempt.started = timezone.now()
    clock = time.monotonic()
    try:
        attempt.result = backend.send(
            channel=request.channel,
            action=request.action,
            payload=request.payload,
            secrets=decrypt_json(request.secret_payload),
        )
    except ratelimit.BudgetExhausted as exc:
        # The backend's own budget (per API group) said "not now": nothing was
        # sent, so this is no attempt; the row waits in pending.
        attempt.defer_seconds = exc.retry_after
        if key is not None:
            waits[key] = time.monotonic() + exc.retry_after
        return attempt
    except ProviderError as exc:
        attempt.error = exc
        # After a 429 nobody calls this account (and API group) before Retry-After
        # (RingCentral restarts its penalty on any call made during it).
        seconds = transport.penalize(exc, key=key)
        if seconds and key is not None:
            waits[key] = time.monotonic() + seconds
    except Exception as exc:  # a bug in a backend must not lose the row
        logger.exception("Backend %s crashed on request %s", backend.name, request.pk)
        attempt.error = ProviderError(f"{type(exc).__name__} in backend {backend.name}", retryable=True)
    attempt.duration_ms = int((time.monotonic() - clock) * 1000)
    return attempt
