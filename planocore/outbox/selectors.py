"""Reads of the outbox that more than one caller needs."""

from datetime import datetime

from django.db import connection
from django.db.models import BooleanField, Count, Min, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from planocore.outbox.models import ExternalRequest


def status_condition(operator: str, status: str) -> RawSQL:
    """`status <operator> '<status>'` with the value written into the SQL, not bound.

    SQLite uses a partial index (`WHERE status = 'pending'`) only when the query
    holds that same condition as a literal; with a bound parameter it falls back
    to another index and sorts every pending row on each claim. `status` is one
    of the model's own choices, never user input.
    """
    if status not in ExternalRequest.Status.values or operator not in ("=", "<>"):
        raise ValueError(f"Not a status condition: {operator} {status!r}")
    sql = f"{connection.ops.quote_name('status')} {operator} '{status}'"
    return RawSQL(sql, (), output_field=BooleanField())  # noqa: S611 (checked constants only)


def open_requests_condition() -> RawSQL:
    """The condition of unfinished requests (the partial outbox_open_status_idx)."""
    return status_condition("<>", ExternalRequest.Status.SUCCEEDED)


def count_due(*, channels=None, now=None) -> int:
    """How many requests a worker would take now: pending and due, or `sending` past their lease.

    Two counts on the partial status indexes (the same conditions `select_due` uses).
    """
    now = now or timezone.now()
    base = ExternalRequest.objects.all()
    if channels:
        base = base.filter(channel__in=list(channels))
    due = base.filter(Q(status_condition("=", ExternalRequest.Status.PENDING), next_attempt_at__lte=now))
    expired = base.filter(Q(status_condition("=", ExternalRequest.Status.SENDING), leased_until__lt=now))
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
        # The literal `status <> 'succeeded'` lets the database use the partial
        # outbox_open_status_idx (SQLite needs it word for word).
        ExternalRequest.objects.filter(open_requests_condition(), status__in=WATCHED_STATUSES)
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
    pending = ExternalRequest.objects.filter(status_condition("=", ExternalRequest.Status.PENDING)).aggregate(
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
