"""Problems: failed or abandoned requests that need someone, until resolved; and superseding.

A failed or abandoned request is a problem until it is resolved (planocore/delivery.py):
by a later request of the same record that was sent (`resolve_replaced`, in the
outcome's transaction), or by staff (`mark_handled`: who, when, a note). A resend
supersedes the older requests of its record (`supersede`). Resolved problems are
kept: the admin's filters and the record's page still show them.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from planocore.delivery import NEEDS_SOMEONE, states_q
from planocore.outbox.models import ExternalRequest
from planocore.outbox.signals import outcome_recorded


def open_problems() -> models.QuerySet:
    """Failed or abandoned requests nobody has resolved (the partial index outbox_problem_idx)."""
    return ExternalRequest.objects.filter(states_q(NEEDS_SOMEONE), resolved_at__isnull=True)


@transaction.atomic
def mark_handled(*, queryset: models.QuerySet, user, note: str) -> int:
    """Resolve open problems (failed or abandoned, unresolved) by hand: who, when and `note`; how many.

    The request's state does not change (it was not sent); it stops counting as a
    problem, stays findable (resolved), and its record learns through `outcome_recorded`.
    """
    now = timezone.now()
    rows = list(queryset.filter(states_q(NEEDS_SOMEONE), resolved_at__isnull=True).select_for_update())
    for row in rows:
        row.resolved_at, row.resolved_by, row.updated_at = now, user, now
        row.resolution = (note.strip() or "Marked handled.")[:500]
    ExternalRequest.objects.bulk_update(rows, ["resolved_at", "resolved_by", "resolution", "updated_at"])
    for row in rows:
        outcome_recorded.send(sender=ExternalRequest, request=row)
    return len(rows)


def supersede(*, source: models.Model, by: ExternalRequest) -> int:
    """Mark every older request of `source` replaced by `by` (a resend), in the current transaction.

    Each then names the newest request of its record, the one staff should act on.
    """
    count = _older(source.pk, ContentType.objects.get_for_model(source).pk, by.pk).update(
        superseded_by=by, updated_at=timezone.now()
    )
    if count:
        ExternalRequest.objects.filter(pk=by.pk).update(supersedes=True)
        by.supersedes = True
    return count


def _older(object_id, content_type_id: int, pk: int) -> models.QuerySet:
    return ExternalRequest.objects.filter(
        content_type_id=content_type_id, object_id=str(object_id), pk__lt=pk
    )


def resolve_replaced(request: ExternalRequest) -> int:
    """A resend was sent: resolve the open problems of the older requests of its record; how many."""
    return (
        _older(request.object_id, request.content_type_id, request.pk)
        .filter(states_q(NEEDS_SOMEONE), resolved_at__isnull=True)
        .update(resolved_at=request.sent_at or timezone.now(), resolution=f"Sent by request #{request.pk}.")
    )
