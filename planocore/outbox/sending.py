"""Sending from the outbox: one request by id (`send`), or every due one in batches (`process_due`).

Both claim (planocore/outbox/claim.py), call the backend outside any lock
(planocore/outbox/attempt.py) and record the outcome
(planocore/outbox/outcome.py). The Celery tasks and `execute`-style callers use
`send`; the sweep and `process_external_requests` use `process_due`.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from planocore.consent import suppressions_for
from planocore.outbox.attempt import Attempt, call_backend
from planocore.outbox.claim import claim, claim_batch, claim_for_caller, renew_lease
from planocore.outbox.models import ExternalRequest, SweepHeartbeat
from planocore.outbox.outcome import record, release


@dataclass
class SendOutcome:
    """What one send came to.

    `kind` is one of "sent", "failed", "retrying", "abandoned", "suppressed" (the
    recipient withdrew consent: no provider was called), "skipped"
    (another worker holds the row, it is not due, or the provider's budget said
    "not now": the row waits, `queued` or `retrying`, without counting an attempt).
    """

    request: ExternalRequest
    succeeded: bool
    provider_message_id: str = ""
    error: str = ""
    retryable: bool = False
    skipped: bool = False
    kind: str = ""


@dataclass
class ProcessCounts:
    """What a `process_due` run did, by kind."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    abandoned: int = 0
    suppressed: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.retrying + self.abandoned + self.suppressed + self.skipped

    def add(self, kind: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)

    def __add__(self, other: "ProcessCounts") -> "ProcessCounts":
        """Both runs' counts, kind by kind (every kind: a new one cannot be left out)."""
        return ProcessCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def __str__(self) -> str:
        # `suppressed` shows only when some were (sends to recipients who withdrew consent).
        held = f"suppressed={self.suppressed} " if self.suppressed else ""
        return (
            f"sent={self.sent} failed={self.failed} retrying={self.retrying} "
            f"abandoned={self.abandoned} {held}skipped={self.skipped}"
        )


def send(request_id: int) -> SendOutcome:
    """Claim the row, call its backend outside any lock, and record the outcome.

    Returns `skipped` when the row is not due, another worker holds it, or the
    provider's budget says "not now" (the row then waits, `queued` or `retrying`, and the
    sweep sends it when the budget allows). Raises ExternalRequest.DoesNotExist
    for an unknown id.
    """
    request = claim(request_id)
    if request is None:
        # Raises ExternalRequest.DoesNotExist for an unknown id.
        return SendOutcome(
            request=ExternalRequest.objects.get(pk=request_id), succeeded=False, skipped=True, kind="skipped"
        )
    return send_claimed(request)


def send_claimed(request: ExternalRequest) -> SendOutcome:
    """Call the backend for a row this worker claimed, outside any lock, and record the outcome."""
    attempt = call_backend(request, {})
    if not record([attempt]):
        return SendOutcome(request=request, succeeded=False, skipped=True, kind="skipped")
    return _outcome(attempt)


_Source = TypeVar("_Source", bound=models.Model)


def send_now(write: Callable[[], _Source]) -> tuple[_Source, SendOutcome | None]:
    """Save a record with `write` and send what it enqueued inside this call (the `execute` path).

    `write` (a service that saves the record, e.g. `glip_message_create`) runs
    in a durable transaction (so not inside a caller's transaction: the row must
    be committed before any provider is called), and the request the record's
    receiver enqueued is claimed in it (`claim_for_caller`). After the commit
    the backend is called here and the outcome recorded (`send_claimed`); the
    record, refreshed, shows it. The outcome is None when the record enqueued
    nothing (a notification stored only, say).
    """
    with transaction.atomic(durable=True):
        source = write()
        request = claim_for_caller(source=source)
    if request is None:
        return source, None
    outcome = send_claimed(request)
    source.refresh_from_db()
    return source, outcome


def _outcome(attempt: Attempt) -> SendOutcome:
    error = attempt.error
    return SendOutcome(
        request=attempt.request,
        succeeded=attempt.kind == "sent",
        provider_message_id=attempt.result.message_id if attempt.result else "",
        error=error.message if error else "",
        retryable=bool(error and error.retryable),
        skipped=attempt.kind == "skipped",
        kind=attempt.kind,
    )


def process_due(
    *,
    limit: int | None = None,
    channels: Iterable[str] | None = None,
    batch_size: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_outcome: Callable[[ProcessCounts], None] | None = None,
) -> ProcessCounts:
    """Send due requests in batches until none is due, `limit` rows were taken, or `should_stop()`.

    Each batch is claimed at once (a few queries), sent one request at a time
    with no lock held, and recorded in groups: a group is written when it holds
    OUTBOX_RECORD_EVERY outcomes or its oldest outcome is OUTBOX_RECORD_SECONDS
    old, so a slow provider gets each outcome written right away while a fast
    one costs two queries per group. `should_stop` is checked before each
    request; the rest of the batch then goes back in line untouched. Each run
    ends with the sweep's heartbeat (`SweepHeartbeat`).
    """
    batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
    channels = list(channels) if channels else None
    counts = ProcessCounts()
    started = time.monotonic()
    while not should_stop():
        want = batch_size if limit is None else min(batch_size, limit - counts.total)
        if want <= 0:
            break
        batch = claim_batch(limit=want, channels=channels)
        if not batch:
            break
        _run_batch(batch, counts, should_stop, on_outcome)
    _heartbeat(counts, took_ms=int((time.monotonic() - started) * 1000))
    return counts


def _heartbeat(counts: ProcessCounts, *, took_ms: int) -> None:
    """Say that a sweep ran, and what it did (one UPDATE; the first sweep makes the row)."""
    beat = {
        "ran_at": timezone.now(),
        "took_ms": took_ms,
        **{kind: getattr(counts, kind) for kind in ("sent", "failed", "retrying", "abandoned", "skipped")},
    }
    if not SweepHeartbeat.objects.filter(name="outbox").update(**beat):
        SweepHeartbeat.objects.get_or_create(name="outbox", defaults=beat)


def _run_batch(batch, counts: ProcessCounts, should_stop, on_outcome) -> None:
    waits: dict[str, float] = {}
    held = suppressions_for(batch)  # the recipients who withdrew consent: one lookup a batch
    pending: list[Attempt] = []
    oldest = 0.0
    renew_at = time.monotonic() + settings.OUTBOX_LEASE_SECONDS / 3

    def flush() -> None:
        recorded = record(pending)
        for attempt in recorded:
            counts.add(attempt.kind)
        counts.skipped += len(pending) - len(recorded)
        pending.clear()
        if on_outcome:
            on_outcome(counts)

    remaining = list(batch)
    while remaining:
        if should_stop():
            flush()
            release(remaining)
            counts.skipped += len(remaining)
            break
        if time.monotonic() >= renew_at:
            flush()
            remaining = renew_lease(remaining)
            renew_at = time.monotonic() + settings.OUTBOX_LEASE_SECONDS / 3
            if not remaining:
                break
        request = remaining.pop(0)
        if not pending:
            oldest = time.monotonic()
        pending.append(call_backend(request, waits, held))
        if (
            len(pending) >= settings.OUTBOX_RECORD_EVERY
            or time.monotonic() - oldest >= settings.OUTBOX_RECORD_SECONDS
        ):
            flush()
    flush()
