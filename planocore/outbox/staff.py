"""Staff actions on outgoing requests: retry now, abandon (mark handled: problems.py).

A resend supersedes the older requests of its record (problems.py): acting on
them afterwards never changes the record, and retrying them is refused.
"""

from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from planocore.delivery import WAITING
from planocore.outbox.enqueue import hand_off
from planocore.outbox.models import ExternalRequest
from planocore.outbox.signals import outcome_recorded

Status = ExternalRequest.Status

RETRYABLE = (Status.FAILED, Status.ABANDONED, *WAITING)
ABANDONABLE = (*WAITING, Status.FAILED)


@dataclass
class Refusals:
    """What a staff action left alone and why, by request id (the admin says so row by row)."""

    superseded: dict[int, int] = field(default_factory=dict)  # request id -> the request that replaced it
    finished: list[int] = field(default_factory=list)  # sent, suppressed or being sent

    def messages(self) -> list[str]:
        said = [
            f"#{pk} was replaced by request #{by}: act on #{by} instead"
            for pk, by in sorted(self.superseded.items())
        ]
        if self.finished:
            said.append(
                "#" + ", #".join(map(str, self.finished)) + ": already sent, suppressed or being sent"
            )
        return said


def _refusals(queryset: models.QuerySet, allowed) -> Refusals:
    refusals = Refusals()
    for pk, status, by in queryset.values_list("pk", "status", "superseded_by"):
        if by is not None:
            refusals.superseded[pk] = by
        elif status not in allowed:
            refusals.finished.append(pk)
    return refusals


def retry_now(request: ExternalRequest) -> int:
    """Put a failed, abandoned or waiting request back in line (staff action); 0 when refused."""
    return retry_requests(queryset=ExternalRequest.objects.filter(pk=request.pk))[0]


@transaction.atomic
def retry_requests(*, queryset: models.QuerySet) -> tuple[int, Refusals]:
    """Put failed, abandoned or waiting requests back in line now, `queued`, with a fresh retry series.

    Returns how many were put back, and what was refused: superseded requests (a
    resend replaced them: retry that one) and finished or in-flight ones.
    """
    now = timezone.now()
    refusals = _refusals(queryset, RETRYABLE)
    rows = queryset.filter(status__in=RETRYABLE, superseded_by__isnull=True)
    ids = list(rows.values_list("pk", flat=True))
    count = ExternalRequest.objects.filter(pk__in=ids, status__in=RETRYABLE).update(
        status=Status.QUEUED,
        next_attempt_at=now,
        staff_retried_at=now,
        attempts_before_staff_retry=F("attempts"),
        updated_at=now,
    )
    # The record that caused each follows its request (queued again).
    for row in ExternalRequest.objects.filter(pk__in=ids):
        outcome_recorded.send(sender=ExternalRequest, request=row)
    for pk in ids:
        transaction.on_commit(lambda pk=pk: hand_off(pk))
    return count, refusals


@transaction.atomic
def abandon_requests(*, queryset: models.QuerySet) -> tuple[int, Refusals]:
    """Give up on waiting or failed requests (staff action); how many, and what was left alone.

    `outcome_recorded` is sent for each, so the record that caused it learns; a
    superseded request is abandoned too, but its record (whose state is its later
    request's) does not change.
    """
    now = timezone.now()
    refusals = _refusals(queryset, ABANDONABLE)
    refusals.superseded.clear()  # abandoning an old request is allowed: it leaves its record alone
    rows = list(queryset.filter(status__in=ABANDONABLE).select_for_update())
    for row in rows:
        row.status, row.next_attempt_at, row.updated_at = Status.ABANDONED, None, now
        row.last_error = row.last_error or "Abandoned by staff."
    ExternalRequest.objects.bulk_update(rows, ["status", "next_attempt_at", "updated_at", "last_error"])
    for row in rows:
        outcome_recorded.send(sender=ExternalRequest, request=row)
    return len(rows), refusals
