"""Reads of the outbox that more than one caller needs."""

from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone

from planocore.outbox.models import ExternalRequest


def count_due(*, channels=None, now=None) -> int:
    """How many requests a worker would take now: pending and due, or `sending` past their lease.

    Two counts on the partial status indexes (the same conditions `select_due` uses).
    """
    now = now or timezone.now()
    base = ExternalRequest.objects.all()
    if channels:
        base = base.filter(channel__in=list(channels))
    due = base.filter(status=ExternalRequest.Status.PENDING, next_attempt_at__lte=now)
    expired = base.filter(status=ExternalRequest.Status.SENDING, leased_until__lt=now)
    return due.count() + expired.count()


WATCHED_STATUSES = (
    ExternalRequest.Status.PENDING,
    ExternalRequest.Status.SENDING,
    ExternalRequest.Status.FAILED,
    ExternalRequest.Status.ABANDONED,
)


def open_request_counts() -> dict[str, int]:
    """Count the work staff should watch: pending, sending, failed, abandoned.

    One GROUP BY over the partial (status, channel) index of unfinished rows,
    so it never counts the millions of succeeded rows.
    """
    rows = (
        # `NOT (status = 'succeeded')` is the partial index's own condition.
        ExternalRequest.objects.exclude(status=ExternalRequest.Status.SUCCEEDED)
        .filter(status__in=WATCHED_STATUSES)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(WATCHED_STATUSES, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def outbox_now(*, now: datetime) -> dict:
    """The outbox at a glance: the open counts, plus due, retrying and the oldest due time.

    Two queries, both on partial indexes of unfinished rows (never the
    succeeded ones, however many millions the table keeps).
    """
    counts = open_request_counts()
    pending = ExternalRequest.objects.filter(status=ExternalRequest.Status.PENDING).aggregate(
        due=Count("pk", filter=Q(next_attempt_at__lte=now)),
        retrying=Count("pk", filter=Q(attempts__gt=0)),
        oldest_due=Min("next_attempt_at", filter=Q(next_attempt_at__lte=now)),
    )
    oldest = pending["oldest_due"]
    return {
        **counts,
        "due": pending["due"],
        "retrying": pending["retrying"],
        "oldest_due_at": oldest,
        "oldest_due_age": (now - oldest) if oldest else None,
    }
