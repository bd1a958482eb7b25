"""Write to the outbox and send from it.

`enqueue` is the one way to put a provider call in the outbox: it writes the row
in the caller's transaction and hands its id to the Celery task once that
transaction commits (nothing talks to a provider before the commit). `send` is
the one code path that sends a row, used by the task, by
process_external_requests and by `execute`-style callers that need the outcome.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from planocore.crypto import decrypt_json, encrypt_json
from planocore.outbox.models import ExternalRequest, ExternalRequestAttempt
from planocore.outbox.signals import outcome_recorded
from planocore.providers.base import ProviderError
from planocore.providers.registry import get_backend

logger = logging.getLogger("planocore.outbox")


@dataclass
class SendOutcome:
    """What one send attempt came to."""

    request: ExternalRequest
    succeeded: bool
    provider_message_id: str = ""
    error: str = ""
    retryable: bool = False
    skipped: bool = False  # another worker holds the row, or it is not due


def enqueue(
    *,
    channel: str,
    payload: dict,
    action: str = "send",
    priority: int = 0,
    source: models.Model | None = None,
    secrets: dict | None = None,
    dispatch: bool = True,
) -> ExternalRequest:
    """Write an ExternalRequest in the current transaction; dispatch it after commit.

    `secrets` (a password, say) are stored encrypted and wiped once sent.
    `dispatch=False` leaves the row for the caller to `send` (the `execute` path)
    or for the sweep.
    """
    request = ExternalRequest.objects.create(
        channel=channel,
        action=action,
        payload=payload,
        secret_payload=encrypt_json(secrets) if secrets else "",
        priority=priority,
        next_attempt_at=timezone.now(),
        content_type=ContentType.objects.get_for_model(source) if source is not None else None,
        object_id=str(source.pk) if source is not None else "",
    )
    if dispatch:
        transaction.on_commit(lambda: _dispatch(request.pk))
    return request


def _dispatch(request_id: int) -> None:
    from planocore.outbox.tasks import send_external_request

    try:
        send_external_request.delay(request_id)
    except Exception:
        # The broker is down: the row stays pending and the sweep sends it.
        logger.warning("Could not hand request %s to the broker; the sweep will send it.", request_id)


def claim(request_id: int) -> ExternalRequest | None:
    """Take a due pending row (or one whose lease ran out) for this worker; None if not ours."""
    now = timezone.now()
    with transaction.atomic():
        qs = ExternalRequest.objects.select_for_update(skip_locked=True).filter(pk=request_id)
        request = qs.filter(
            models.Q(status=ExternalRequest.Status.PENDING, next_attempt_at__lte=now)
            | models.Q(status=ExternalRequest.Status.SENDING, leased_until__lt=now)
        ).first()
        if request is None:
            return None
        request.status = ExternalRequest.Status.SENDING
        request.claimed_at = now
        request.leased_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        request.attempts += 1
        request.save(update_fields=["status", "claimed_at", "leased_until", "attempts", "updated_at"])
    return request


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, never sooner than the provider's Retry-After."""
    delay = random.uniform(0, min(3600, 30 * 2 ** (attempt - 1)))
    return max(delay, retry_after or 0)


def send(request_id: int) -> SendOutcome:
    """Claim the row, call its backend outside any lock, and record the outcome."""
    request = claim(request_id)
    if request is None:
        return SendOutcome(request=ExternalRequest.objects.get(pk=request_id), succeeded=False, skipped=True)
    backend = get_backend(request.channel)
    started = timezone.now()
    clock = time.monotonic()
    try:
        result = backend.send(
            channel=request.channel,
            action=request.action,
            payload=request.payload,
            secrets=decrypt_json(request.secret_payload),
        )
    except ProviderError as exc:
        return _record_failure(request, exc, started, clock)
    except Exception as exc:  # a bug in a backend must not lose the row
        logger.exception("Backend %s crashed on request %s", backend.name, request.pk)
        error = ProviderError(f"{type(exc).__name__} in backend", retryable=True)
        return _record_failure(request, error, started, clock)
    duration = int((time.monotonic() - clock) * 1000)
    with transaction.atomic():
        request.status = ExternalRequest.Status.SUCCEEDED
        request.provider_message_id = result.message_id
        request.response = result.response
        request.secret_payload = ""
        request.sent_at = timezone.now()
        request.leased_until = None
        request.next_attempt_at = None
        request.last_error = ""
        request.save()
        ExternalRequestAttempt.objects.create(
            request=request,
            number=request.attempts,
            started_at=started,
            duration_ms=duration,
            outcome=ExternalRequestAttempt.Outcome.SUCCEEDED,
        )
        outcome_recorded.send(sender=ExternalRequest, request=request)
    return SendOutcome(request=request, succeeded=True, provider_message_id=result.message_id)


def _record_failure(request, exc: ProviderError, started, clock) -> SendOutcome:
    duration = int((time.monotonic() - clock) * 1000)
    now = timezone.now()
    retry = exc.retryable and request.priority >= settings.OUTBOX_RETRY_PRIORITY
    too_old = now - request.created_at > timedelta(hours=settings.OUTBOX_MAX_AGE_HOURS)
    with transaction.atomic():
        if retry and (request.attempts >= settings.OUTBOX_MAX_ATTEMPTS or too_old):
            request.status = ExternalRequest.Status.ABANDONED
            request.next_attempt_at = None
        elif retry:
            request.status = ExternalRequest.Status.PENDING
            request.next_attempt_at = now + timedelta(
                seconds=backoff_seconds(request.attempts, exc.retry_after)
            )
        else:
            request.status = ExternalRequest.Status.FAILED
            request.next_attempt_at = None
        request.last_error = exc.message[:2000]
        if exc.response:
            request.response = exc.response
        request.leased_until = None
        request.save()
        ExternalRequestAttempt.objects.create(
            request=request,
            number=request.attempts,
            started_at=started,
            duration_ms=duration,
            outcome=(
                ExternalRequestAttempt.Outcome.RETRYABLE
                if exc.retryable
                else ExternalRequestAttempt.Outcome.PERMANENT
            ),
            error=exc.message[:2000],
            http_status=exc.http_status,
            retry_after_seconds=exc.retry_after,
        )
        outcome_recorded.send(sender=ExternalRequest, request=request)
    return SendOutcome(request=request, succeeded=False, error=exc.message, retryable=exc.retryable)


def retry_now(request: ExternalRequest) -> None:
    """Put a failed or abandoned request back in line (staff action)."""
    ExternalRequest.objects.filter(pk=request.pk).exclude(
        status__in=[ExternalRequest.Status.SUCCEEDED, ExternalRequest.Status.SENDING]
    ).update(status=ExternalRequest.Status.PENDING, next_attempt_at=timezone.now())
    transaction.on_commit(lambda: _dispatch(request.pk))
