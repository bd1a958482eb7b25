"""Write to the outbox and send from it.

`enqueue` is the one way to put a provider call in the outbox: it writes the row
in the caller's transaction and hands its id to the broker once that transaction
commits (planocore/outbox/handoff.py; nothing talks to a provider before the
commit). `send` is the one code path that sends a single row (the tasks use
it; `execute`-style callers claim theirs before the commit and send it with
`send_claimed`, which `send` ends in: see `send_now` at the end); `process_due` drains due rows in batches
(process_external_requests and the beat sweep use it). Both claim, call the
backend outside any lock, and record through the same functions below.

Exactly-once rests on three things:
- claiming: rows are picked with `SELECT ... FOR UPDATE SKIP LOCKED` (PostgreSQL)
  and taken with a conditional `UPDATE ... WHERE status='pending' AND due` that
  writes a fresh `lease_token`; only the rows whose token is ours after that
  UPDATE are ours, so two workers can never both take a row, on SQLite either;
- recording: an outcome is written only `WHERE lease_token = ours AND
  status = 'sending'`, so a worker whose lease ran out cannot overwrite the
  outcome of the worker that reclaimed the row;
- the lease: a row left in `sending` past `leased_until` (its worker died) is
  claimed again; a worker renews the lease of a batch it is still working on.
A crash between a provider's answer and its recording can re-send that one
request after the lease (at-least-once across crashes, never a lost request).
"""

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError, connection, models, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from planocore.crypto import decrypt_json, encrypt_json
from planocore.outbox.models import ExternalRequest, ExternalRequestAttempt
from planocore.outbox.selectors import status_condition
from planocore.outbox.signals import outcome_recorded
from planocore.providers import ratelimit, transport
from planocore.providers.base import ProviderBackend, ProviderError, ProviderResult
from planocore.providers.registry import get_backend

logger = logging.getLogger("planocore.outbox")

Status = ExternalRequest.Status

# The fields an outcome (or a release) writes.
_OUTCOME_FIELDS = [
    "status",
    "attempts",
    "next_attempt_at",
    "leased_until",
    "lease_token",
    "provider_message_id",
    "response",
    "secret_payload",
    "sent_at",
    "last_error",
    "updated_at",
]


@dataclass
class SendOutcome:
    """What one send came to.

    `kind` is one of "sent", "failed", "retrying", "abandoned", "skipped"
    (another worker holds the row, it is not due, or the provider's budget said
    "not now": the row went back to pending without counting an attempt).
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
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.retrying + self.abandoned + self.skipped

    def add(self, kind: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)

    def __str__(self) -> str:
        return (
            f"sent={self.sent} failed={self.failed} retrying={self.retrying} "
            f"abandoned={self.abandoned} skipped={self.skipped}"
        )


# --- Enqueueing -------------------------------------------------------------------


RECIPIENT_MAX = ExternalRequest._meta.get_field("recipient").max_length


def recipient_of(payload: dict) -> str:
    """Who a payload goes to, as one line: its `to` addresses or numbers, else the chat or user."""
    to = payload.get("to")
    if to:
        return ", ".join(str(value) for value in to) if isinstance(to, list | tuple) else str(to)
    for key in ("chat_id", "user_id", "conversation_id"):
        if payload.get(key):
            return f"{key.split('_')[0]} {payload[key]}"
    return ""


def enqueue(
    *,
    channel: str,
    payload: dict,
    action: str = "send",
    priority: int = 0,
    source: models.Model | None = None,
    secrets: dict | None = None,
    dispatch: bool = True,
    recipient: str = "",
) -> ExternalRequest:
    """Write an ExternalRequest in the current transaction; dispatch it after commit.

    `secrets` (a password, say) are stored encrypted and wiped once sent.
    `recipient` names who it goes to in the admin's list and search (a Glip
    team's name, say); by default it is read from the payload (`recipient_of`).
    `dispatch=False` leaves the row for the caller to `send` or for the sweep.
    """
    request = ExternalRequest.objects.create(
        channel=channel,
        action=action,
        payload=payload,
        secret_payload=encrypt_json(secrets) if secrets else "",
        priority=priority,
        recipient=(recipient or recipient_of(payload))[:RECIPIENT_MAX],
        next_attempt_at=timezone.now(),
        content_type=ContentType.objects.get_for_model(source) if source is not None else None,
        object_id=str(source.pk) if source is not None else "",
    )
    if dispatch:
        transaction.on_commit(lambda: _dispatch(request.pk))
    return request


def _dispatch(request_id: int) -> None:
    from planocore.outbox.handoff import handoff

    try:
        handoff.add(request_id)
    except Exception:
        # Runs after the commit: an error here must not reach the caller, whose data is
        # saved. The row stays pending and the sweep sends it.
        logger.warning("Could not hand request %s to the broker; the sweep will send it.", request_id)


# --- Claiming -----------------------------------------------------------------------


def _status_is(status: str) -> RawSQL:
    return status_condition("=", status)


def _due_q(now: datetime) -> Q:
    return Q(_status_is(Status.PENDING), next_attempt_at__lte=now)


def _expired_q(now: datetime) -> Q:
    return Q(_status_is(Status.SENDING), leased_until__lt=now)


def _locks_rows() -> bool:
    return connection.features.has_select_for_update_skip_locked


def select_due(
    *,
    limit: int,
    channels: Iterable[str] | None = None,
    now: datetime | None = None,
    lock: bool = False,
) -> list[ExternalRequest]:
    """Return up to `limit` rows in the order the outbox sends them.

    1. rows left in `sending` past their lease (their worker died);
    2. anti-starvation: up to OUTBOX_AGED_SHARE of the batch (at least one row)
       goes to rows due for more than OUTBOX_STARVATION_SECONDS, longest-waiting
       first, whatever their priority;
    3. the rest: highest priority first, then longest-due first (next_attempt_at,
       then id).
    With `lock` (inside a transaction, on PostgreSQL) rows another worker has
    locked are skipped. Each step is one query on a partial index.
    """
    now = now or timezone.now()
    base = ExternalRequest.objects.all()
    if channels:
        base = base.filter(channel__in=list(channels))

    def fetch(qs, n: int) -> list[ExternalRequest]:
        if n <= 0:
            return []
        if lock and _locks_rows():
            qs = qs.select_for_update(skip_locked=True)
        return list(qs[:n])

    rows = fetch(base.filter(_expired_q(now)).order_by("leased_until", "id"), limit)
    aged_share = max(1, int(limit * settings.OUTBOX_AGED_SHARE))
    starved_since = now - timedelta(seconds=settings.OUTBOX_STARVATION_SECONDS)
    aged = base.filter(_status_is(Status.PENDING), next_attempt_at__lte=starved_since)
    rows += fetch(aged.order_by("next_attempt_at", "id"), min(aged_share, limit - len(rows)))
    by_priority = base.filter(_due_q(now)).order_by("-priority", "next_attempt_at", "id")
    if rows:
        by_priority = by_priority.exclude(pk__in=[row.pk for row in rows])
    rows += fetch(by_priority, limit - len(rows))
    return rows


def _claim(pick: Callable[[datetime], list[ExternalRequest]]) -> list[ExternalRequest]:
    """Take the rows `pick` chooses for this worker; return those that are ours.

    The conditional UPDATE is the guard: on PostgreSQL the rows are already
    locked by `pick`, on SQLite (no row locks) a second process's UPDATE finds
    them no longer due and takes none.
    """
    now = timezone.now()
    token = uuid.uuid4().hex
    leased_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    # On SQLite a read-then-write transaction fails at once when another writer
    # committed in between, so there each statement runs on its own.
    with transaction.atomic() if _locks_rows() else nullcontext():
        rows = pick(now)
        if not rows:
            return []
        taken = (
            ExternalRequest.objects.filter(pk__in=[row.pk for row in rows])
            .filter(_due_q(now) | _expired_q(now))
            .update(
                status=Status.SENDING,
                lease_token=token,
                claimed_at=now,
                leased_until=leased_until,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
        )
    if taken != len(rows):  # another process took some of them (SQLite)
        ours = ExternalRequest.objects.in_bulk([row.pk for row in rows])
        return [ours[row.pk] for row in rows if row.pk in ours and ours[row.pk].lease_token == token]
    for row in rows:
        row.status, row.lease_token = Status.SENDING, token
        row.claimed_at, row.leased_until, row.updated_at = now, leased_until, now
        row.attempts += 1
    return rows


def claim(request_id: int) -> ExternalRequest | None:
    """Take one due pending row (or one whose lease ran out) for this worker; None if not ours."""
    claimed = _claim(lambda now: _pick_one(request_id, now))
    return claimed[0] if claimed else None


def _pick_one(request_id: int, now: datetime) -> list[ExternalRequest]:
    qs = ExternalRequest.objects.filter(pk=request_id).filter(_due_q(now) | _expired_q(now))
    if _locks_rows():
        qs = qs.select_for_update(skip_locked=True)
    return list(qs)


def claim_batch(*, limit: int, channels: Iterable[str] | None = None) -> list[ExternalRequest]:
    """Take up to `limit` due rows for this worker, in sending order (see `select_due`).

    Returns [] only when nothing is due: on SQLite another process may take
    every row this one picked, and then it picks again.
    """
    picked: list[ExternalRequest] = []

    def pick(now: datetime) -> list[ExternalRequest]:
        picked[:] = select_due(limit=limit, channels=channels, now=now, lock=True)
        return list(picked)

    for _ in range(5):
        rows = _claim(pick)
        if rows or not picked:
            return rows
    return []


def _renew_lease(rows: list[ExternalRequest]) -> list[ExternalRequest]:
    """Extend the lease of rows this worker still holds; return those it still holds."""
    if not rows:
        return rows
    now = timezone.now()
    token = rows[0].lease_token
    leased_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    pks = [row.pk for row in rows]
    mine = ExternalRequest.objects.filter(pk__in=pks, lease_token=token, status=Status.SENDING)
    if mine.update(leased_until=leased_until) == len(rows):
        for row in rows:
            row.leased_until = leased_until
        return rows
    kept = set(mine.values_list("pk", flat=True))
    return [row for row in rows if row.pk in kept]


# --- One attempt ----------------------------------------------------------------------


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
class _Attempt:
    """One claimed row's attempt, waiting to be recorded."""

    request: ExternalRequest
    started: datetime | None = None
    duration_ms: int = 0
    result: ProviderResult | None = None
    error: ProviderError | None = None
    defer_seconds: float | None = None  # budget said "not now": no attempt counted
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


def _attempt(request: ExternalRequest, waits: dict[str, float]) -> _Attempt:
    """Call the request's backend (no lock held, no transaction open) and keep what came of it."""
    attempt = _Attempt(request=request)
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


def _apply(attempt: _Attempt, now: datetime) -> None:
    """Set the row's new state in memory from its attempt (written by `_record`)."""
    request = attempt.request
    request.leased_until = None
    request.lease_token = ""
    request.updated_at = now
    if attempt.defer_seconds is not None:
        # Not an attempt: give the claim's count back and wait for the budget.
        request.status = Status.PENDING
        request.attempts -= 1
        request.next_attempt_at = now + timedelta(seconds=attempt.defer_seconds)
        attempt.kind = "skipped"
        return
    number = request.attempts
    if attempt.result is not None:
        request.status = Status.SUCCEEDED
        request.provider_message_id = attempt.result.message_id[:200]
        request.response = attempt.result.response
        request.secret_payload = ""
        request.sent_at = now
        request.next_attempt_at = None
        request.last_error = ""
        attempt.kind = "sent"
        outcome = ExternalRequestAttempt.Outcome.SUCCEEDED
    else:
        exc = attempt.error
        series_start = request.staff_retried_at or request.created_at
        series_attempts = request.attempts - request.attempts_before_staff_retry
        too_old = now - series_start > timedelta(hours=settings.OUTBOX_MAX_AGE_HOURS)
        if not (exc.retryable and request.priority >= settings.OUTBOX_RETRY_PRIORITY):
            request.status, request.next_attempt_at, attempt.kind = Status.FAILED, None, "failed"
        elif series_attempts >= settings.OUTBOX_MAX_ATTEMPTS or too_old:
            request.status, request.next_attempt_at, attempt.kind = Status.ABANDONED, None, "abandoned"
        else:
            delay = backoff_seconds(series_attempts, exc.retry_after)
            request.status, attempt.kind = Status.PENDING, "retrying"
            request.next_attempt_at = now + timedelta(seconds=delay)
        request.last_error = exc.message[:2000]
        if exc.response:
            request.response = exc.response
        outcome = (
            ExternalRequestAttempt.Outcome.RETRYABLE
            if exc.retryable
            else ExternalRequestAttempt.Outcome.PERMANENT
        )
    attempt.attempt_row = ExternalRequestAttempt(
        request=request,
        number=number,
        started_at=attempt.started,
        duration_ms=attempt.duration_ms,
        outcome=outcome,
        error=request.last_error if attempt.result is None else "",
        http_status=attempt.error.http_status if attempt.error else None,
        retry_after_seconds=attempt.error.retry_after if attempt.error else None,
    )


class _SlowPath(Exception):
    """The fast write of a group cannot stand: write it again row by row."""


@lru_cache(maxsize=4)
def _update_sql(vendor: str) -> str:
    meta = ExternalRequest._meta
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in _OUTCOME_FIELDS)
    # Only our own table and column names go into the string; values are bound.
    return (
        f"UPDATE {quote(meta.db_table)} SET {sets} "  # noqa: S608
        f"WHERE {quote(meta.pk.column)} = %s AND {quote('lease_token')} = %s AND {quote('status')} = %s"
    )


def _update_params(request: ExternalRequest, token: str) -> list:
    values = [
        field.get_db_prep_save(getattr(request, field.attname), connection)
        for field in map(ExternalRequest._meta.get_field, _OUTCOME_FIELDS)
    ]
    return [*values, request.pk, token, Status.SENDING]


_ATTEMPT_FIELDS = [
    "request",
    "number",
    "started_at",
    "duration_ms",
    "outcome",
    "error",
    "http_status",
    "retry_after_seconds",
]


@lru_cache(maxsize=4)
def _insert_attempt_sql(vendor: str) -> str:
    meta = ExternalRequestAttempt._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in _ATTEMPT_FIELDS)
    marks = ", ".join(["%s"] * len(_ATTEMPT_FIELDS))
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608


def _insert_attempt_params(row: ExternalRequestAttempt) -> list:
    return [
        field.get_db_prep_save(getattr(row, field.attname), connection)
        for field in map(ExternalRequestAttempt._meta.get_field, _ATTEMPT_FIELDS)
    ]


def _write(attempts: list[_Attempt], token: str, *, robust: bool) -> list[_Attempt]:
    """Write the outcomes that are still ours; return them. Runs inside a transaction.

    The fenced UPDATE (`WHERE id AND lease_token AND status='sending'`) is one
    statement sent with executemany for the whole group: one round trip, where
    Django's bulk_update would build a CASE per field and row (much slower);
    the attempts go in with one executemany INSERT.
    """
    sql = _update_sql(connection.vendor)
    with connection.cursor() as cursor:
        if not robust:
            cursor.executemany(sql, [_update_params(a.request, token) for a in attempts])
            if cursor.rowcount != len(attempts):  # a lease ran out and another worker holds some row
                raise _SlowPath("lease lost")
            kept = attempts
        else:
            kept = []
            for a in attempts:
                cursor.execute(sql, _update_params(a.request, token))
                if cursor.rowcount == 1:
                    kept.append(a)
        # One INSERT sent with executemany: bulk_create's per-value compiling
        # costs more than the database does here.
        rows = [_insert_attempt_params(a.attempt_row) for a in kept if a.attempt_row]
        if rows:
            cursor.executemany(_insert_attempt_sql(connection.vendor), rows)
    for a in kept:
        if a.attempt_row is None:
            continue
        if not robust:
            try:
                outcome_recorded.send(sender=ExternalRequest, request=a.request)
            except Exception as exc:
                raise _SlowPath("receiver failed") from exc
            continue
        # A receiver's failure must not undo the outcome (the row would be
        # sent again): run each in a savepoint and log its error.
        try:
            with transaction.atomic():
                outcome_recorded.send(sender=ExternalRequest, request=a.request)
        except Exception:
            logger.exception("An outcome_recorded receiver failed for request %s", a.request.pk)
    return kept


def _write_outcomes(attempts: list[_Attempt], token: str) -> list[_Attempt]:
    """Write a group (fast path, else row by row); return the outcomes written.

    The provider has already answered: if the database connection is lost (a
    restart, a failover), the write is tried again on a new connection for up to
    half a lease rather than dropping the outcomes, which would send them again
    once the lease ran out. The lease-token fence keeps a late write harmless.
    """
    deadline = time.monotonic() + settings.OUTBOX_LEASE_SECONDS / 2
    while True:
        try:
            try:
                with transaction.atomic():
                    return _write(attempts, token, robust=False)
            except _SlowPath:
                with transaction.atomic():
                    return _write(attempts, token, robust=True)
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or time.monotonic() >= deadline:
                raise
            logger.warning("Database unavailable while recording %s outcome(s); trying again.", len(attempts))
            connection.close()
            time.sleep(0.5)


def _record(attempts: list[_Attempt]) -> list[_Attempt]:
    """Record the attempts of one batch (one transaction); return those recorded.

    Fast path: one bulk UPDATE and one INSERT for the whole group. When a lease
    was lost or a receiver raised, the group is written again row by row, each
    receiver in its own savepoint.
    """
    if not attempts:
        return []
    now = timezone.now()
    token = attempts[0].request.lease_token
    for attempt in attempts:
        _apply(attempt, now)
    kept = _write_outcomes(attempts, token)
    for attempt in kept:
        attempt.recorded = True
    lost = len(attempts) - len(kept)
    if lost:
        logger.warning(
            "%s outcome(s) not recorded: their lease had run out and another worker holds them.", lost
        )
    return kept


# --- Sending ----------------------------------------------------------------------------


def send(request_id: int) -> SendOutcome:
    """Claim the row, call its backend outside any lock, and record the outcome.

    Returns `skipped` when the row is not due, another worker holds it, or the
    provider's budget says "not now" (the row then waits in `pending` and the
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


def _outcome(attempt: _Attempt) -> SendOutcome:
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
    request; the rest of the batch then goes back to pending untouched.
    """
    batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
    channels = list(channels) if channels else None
    counts = ProcessCounts()
    while not should_stop():
        want = batch_size if limit is None else min(batch_size, limit - counts.total)
        if want <= 0:
            break
        batch = claim_batch(limit=want, channels=channels)
        if not batch:
            break
        _run_batch(batch, counts, should_stop, on_outcome)
    return counts


def _run_batch(batch, counts: ProcessCounts, should_stop, on_outcome) -> None:
    waits: dict[str, float] = {}
    pending: list[_Attempt] = []
    oldest = 0.0
    renew_at = time.monotonic() + settings.OUTBOX_LEASE_SECONDS / 3

    def flush() -> None:
        recorded = _record(pending)
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
            remaining = _renew_lease(remaining)
            renew_at = time.monotonic() + settings.OUTBOX_LEASE_SECONDS / 3
            if not remaining:
                break
        request = remaining.pop(0)
        if not pending:
            oldest = time.monotonic()
        pending.append(_attempt(request, waits))
        if (
            len(pending) >= settings.OUTBOX_RECORD_EVERY
            or time.monotonic() - oldest >= settings.OUTBOX_RECORD_SECONDS
        ):
            flush()
    flush()


def release(rows: list[ExternalRequest]) -> None:
    """Give claimed rows back untouched: pending again, in their place in line, the claim not counted."""
    if not rows:
        return
    now = timezone.now()
    token = rows[0].lease_token
    attempts = []
    for row in rows:
        due = row.next_attempt_at if row.next_attempt_at and row.next_attempt_at <= now else now
        attempt = _Attempt(request=row, defer_seconds=0.0)
        _apply(attempt, now)
        row.next_attempt_at = due
        attempts.append(attempt)
    with transaction.atomic():
        _write(attempts, token, robust=True)


# --- Staff actions ------------------------------------------------------------------------


def retry_now(request: ExternalRequest) -> None:
    """Put a failed or abandoned request back in line (staff action)."""
    retry_requests(queryset=ExternalRequest.objects.filter(pk=request.pk))


@transaction.atomic
def retry_requests(*, queryset: models.QuerySet) -> int:
    """Put failed, abandoned or waiting requests back in line now, with a fresh retry series.

    Returns how many were put back; succeeded and in-flight ones are left alone.
    """
    now = timezone.now()
    rows = queryset.filter(status__in=[Status.FAILED, Status.ABANDONED, Status.PENDING])
    ids = list(rows.values_list("pk", flat=True))
    count = ExternalRequest.objects.filter(
        pk__in=ids, status__in=[Status.FAILED, Status.ABANDONED, Status.PENDING]
    ).update(
        status=Status.PENDING,
        next_attempt_at=now,
        staff_retried_at=now,
        attempts_before_staff_retry=F("attempts"),
        updated_at=now,
    )
    for pk in ids:
        transaction.on_commit(lambda pk=pk: _dispatch(pk))
    return count


@transaction.atomic
def abandon_requests(*, queryset: models.QuerySet) -> int:
    """Give up on pending or failed requests (staff action); returns how many.

    `outcome_recorded` is sent for each, so the record that caused it learns.
    """
    now = timezone.now()
    rows = list(queryset.filter(status__in=[Status.PENDING, Status.FAILED]).select_for_update())
    for row in rows:
        row.status, row.next_attempt_at, row.updated_at = Status.ABANDONED, None, now
        row.last_error = row.last_error or "Abandoned by staff."
    ExternalRequest.objects.bulk_update(rows, ["status", "next_attempt_at", "updated_at", "last_error"])
    for row in rows:
        outcome_recorded.send(sender=ExternalRequest, request=row)
    return len(rows)


# --- What a record's service adds to the request its receiver enqueued -------------------


def _requests_of(source: models.Model) -> models.QuerySet:
    """The requests `source` enqueued that nobody has taken yet."""
    content_type = ContentType.objects.get_for_model(source)
    mine = ExternalRequest.objects.filter(content_type=content_type, object_id=str(source.pk))
    return mine.filter(status=Status.PENDING)


def add_secrets(*, source: models.Model, secrets: dict) -> int:
    """Store `secrets` encrypted on the requests `source` has not sent yet; returns how many.

    For what a send needs and the record must not hold (a one-time password): the
    service that saved the record writes it here, in the transaction in which the
    record's post_save receiver enqueued the request, so the sender finds it at
    the first attempt and wipes it once sent.
    """
    return _requests_of(source).update(secret_payload=encrypt_json(secrets))


def claim_for_caller(*, source: models.Model) -> ExternalRequest | None:
    """Claim the newest request `source` enqueued, for the caller to send itself (`send_claimed`).

    The `execute` path: called in the transaction that wrote the request, so once
    it commits the hand-off and the sweep find the row leased and leave it alone;
    the caller sends it right after the commit. Should the caller die first, the
    lease runs out and the sweep sends it. None when there is nothing to send.
    """

    def pick(now: datetime) -> list[ExternalRequest]:
        rows = _requests_of(source).filter(_due_q(now)).order_by("-id")
        if _locks_rows():
            rows = rows.select_for_update(skip_locked=True)
        return list(rows[:1])

    claimed = _claim(pick)
    return claimed[0] if claimed else None


_Source = TypeVar("_Source", bound=models.Model)


def send_claimed(request: ExternalRequest) -> SendOutcome:
    """Call the backend for a row this worker claimed, outside any lock, and record the outcome."""
    attempt = _attempt(request, {})
    if not _record([attempt]):
        return SendOutcome(request=request, succeeded=False, skipped=True, kind="skipped")
    return _outcome(attempt)


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
