"""Claiming outbox rows: each request is sent by one worker at a time.

A worker takes rows in two statements: it picks them (`select_due`, or one row
by id), with `SELECT ... FOR UPDATE SKIP LOCKED` where the database has row
locks (PostgreSQL), then takes them with a conditional UPDATE (`take`) that
writes a fresh `lease_token` only where the row is still waiting (queued or retrying) and due, or
left in `sending` past its lease. Only the rows carrying this worker's token
afterwards are its own, so two workers never both take a row, on SQLite either
(no row locks: a second process's UPDATE finds the row no longer due).
A worker still busy with a batch renews its lease (`renew_lease`).
"""

import uuid
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from planocore.delivery import WAITING
from planocore.outbox.models import ExternalRequest

Status = ExternalRequest.Status


def _due_q(now: datetime) -> Q:
    return Q(status__in=WAITING, next_attempt_at__lte=now)


def _expired_q(now: datetime) -> Q:
    return Q(status=Status.SENDING, leased_until__lt=now)


def locks_rows() -> bool:
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
        if lock and locks_rows():
            qs = qs.select_for_update(skip_locked=True)
        return list(qs[:n])

    rows = fetch(base.filter(_expired_q(now)).order_by("leased_until", "id"), limit)
    aged_share = max(1, int(limit * settings.OUTBOX_AGED_SHARE))
    starved_since = now - timedelta(seconds=settings.OUTBOX_STARVATION_SECONDS)
    aged = base.filter(status__in=WAITING, next_attempt_at__lte=starved_since)
    rows += fetch(aged.order_by("next_attempt_at", "id"), min(aged_share, limit - len(rows)))
    by_priority = base.filter(_due_q(now)).order_by("-priority", "next_attempt_at", "id")
    if rows:
        by_priority = by_priority.exclude(pk__in=[row.pk for row in rows])
    rows += fetch(by_priority, limit - len(rows))
    return rows


def take(pick: Callable[[datetime], list[ExternalRequest]]) -> list[ExternalRequest]:
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
    with transaction.atomic() if locks_rows() else nullcontext():
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
    """Take one due waiting row (or one whose lease ran out) for this worker; None if not ours."""
    claimed = take(lambda now: _pick_one(request_id, now))
    return claimed[0] if claimed else None


def _pick_one(request_id: int, now: datetime) -> list[ExternalRequest]:
    qs = ExternalRequest.objects.filter(pk=request_id).filter(_due_q(now) | _expired_q(now))
    if locks_rows():
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
        rows = take(pick)
        if rows or not picked:
            return rows
    return []


def renew_lease(rows: list[ExternalRequest]) -> list[ExternalRequest]:
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


def requests_of(source: models.Model) -> models.QuerySet:
    """The requests `source` enqueued that nobody has taken yet."""
    content_type = ContentType.objects.get_for_model(source)
    mine = ExternalRequest.objects.filter(content_type=content_type, object_id=str(source.pk))
    return mine.filter(status__in=WAITING)


def claim_for_caller(*, source: models.Model) -> ExternalRequest | None:
    """Claim the newest request `source` enqueued, for the caller to send itself (`send_claimed`).

    The `execute` path: called in the transaction that wrote the request, so once
    it commits the hand-off and the sweep find the row leased and leave it alone;
    the caller sends it right after the commit. Should the caller die first, the
    lease runs out and the sweep sends it. None when there is nothing to send.
    """

    def pick(now: datetime) -> list[ExternalRequest]:
        rows = requests_of(source).filter(_due_q(now)).order_by("-id")
        if locks_rows():
            rows = rows.select_for_update(skip_locked=True)
        return list(rows[:1])

    claimed = take(pick)
    return claimed[0] if claimed else None
