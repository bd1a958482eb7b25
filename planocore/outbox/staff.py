"""Staff actions on outgoing requests: retry now, abandon."""

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from planocore.outbox.enqueue import hand_off
from planocore.outbox.models import ExternalRequest
from planocore.outbox.signals import outcome_recorded

Status = ExternalRequest.Status


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
        transaction.on_commit(lambda pk=pk: hand_off(pk))
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
