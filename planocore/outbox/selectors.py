"""Reads of the outbox that more than one caller needs."""

from django.db import connection
from django.db.models import BooleanField, Q
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
