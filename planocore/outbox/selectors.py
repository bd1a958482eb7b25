"""Reads of the outbox that more than one caller needs."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from planocore.delivery import NEEDS_SOMEONE, OPEN, WAITING, DeliveryState, states_q
from planocore.outbox.models import ExternalRequest, SweepHeartbeat


def due_q(now: datetime) -> Q:
    """Requests a worker would take now: waiting and due, or `sending` past their lease."""
    return Q(status__in=WAITING, next_attempt_at__lte=now) | Q(
        status=DeliveryState.SENDING, leased_until__lt=now
    )


def count_due(*, channels=None, now=None) -> int:
    """How many requests a worker would take now (`due_q`).

    Two counts on the partial status indexes (the same conditions `select_due` uses).
    """
    now = now or timezone.now()
    base = ExternalRequest.objects.all()
    if channels:
        base = base.filter(channel__in=list(channels))
    due = base.filter(status__in=WAITING, next_attempt_at__lte=now)
    expired = base.filter(status=DeliveryState.SENDING, leased_until__lt=now)
    return due.count() + expired.count()


def open_request_counts() -> dict[str, int]:
    """Requests by state: the open ones (queued, sending, retrying), then the open problems.

    `failed` and `abandoned` count only the problems nobody has resolved yet. Two
    GROUP BYs on partial indexes of unfinished rows and of open problems, so it
    never counts the millions of sent (or long-resolved) rows.
    """
    counts = dict.fromkeys([*OPEN, *NEEDS_SOMEONE], 0)
    in_flight = ExternalRequest.objects.exclude(status=DeliveryState.SENT).filter(status__in=OPEN)
    problems = ExternalRequest.objects.filter(states_q(NEEDS_SOMEONE), resolved_at__isnull=True)
    for queryset in (in_flight, problems):
        counts.update(
            {row["status"]: row["n"] for row in queryset.order_by().values("status").annotate(n=Count("pk"))}
        )
    return counts


def sweep_state(*, now: datetime, due: int | None = None) -> dict:
    """When the sweep last ran and what it did, and whether it has stopped.

    `stalled`: work is due and no sweep has finished for OUTBOX_SWEEP_STALE_SECONDS.
    """
    beat = SweepHeartbeat.objects.filter(name="outbox").first()
    due = count_due(now=now) if due is None else due
    stale_after = timedelta(seconds=settings.OUTBOX_SWEEP_STALE_SECONDS)
    stalled = due > 0 and (beat is None or now - beat.ran_at > stale_after)
    return {"heartbeat": beat, "ran_at": beat.ran_at if beat else None, "due": due, "stalled": stalled}


def outbox_now(*, now: datetime) -> dict:
    """The outbox at a glance: counts by state, due now, the oldest due time, the sweep.

    A few queries, each on a partial index of unfinished rows or open problems
    (never the sent ones, however many millions the table keeps).
    """
    counts = open_request_counts()
    waiting = ExternalRequest.objects.filter(status__in=WAITING, next_attempt_at__lte=now).aggregate(
        due=Count("pk"), oldest_due=Min("next_attempt_at")
    )
    expired = ExternalRequest.objects.filter(status=DeliveryState.SENDING, leased_until__lt=now).count()
    due = waiting["due"] + expired
    oldest = waiting["oldest_due"]
    return {
        **counts,
        "due": due,
        "oldest_due_at": oldest,
        "oldest_due_age": (now - oldest) if oldest else None,
        "sweep": sweep_state(now=now, due=due),
    }
