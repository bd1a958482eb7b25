"""Read paths of notifications."""

from django.db.models import QuerySet
from django.urls import reverse

from notifications.filters import NotificationFilter
from notifications.models import Notification
from notifications.serializers import PROOF_VIEW
from planocore.dashboard import Failure

FILTER_PARAMS = tuple(NotificationFilter.base_filters)


def notification_queryset(*, view: str) -> QuerySet[Notification]:
    """Notifications, with their outgoing requests prefetched when the view shows proof."""
    qs = Notification.objects.all()
    if view == PROOF_VIEW:
        qs = qs.prefetch_related("outgoing_requests")
    return qs


def notification_get(
    *, notification_id: int, view: str, queryset: QuerySet[Notification] | None = None
) -> Notification:
    """The notification with this id among `queryset` (Notification.DoesNotExist otherwise)."""
    qs = notification_queryset(view=view) if queryset is None else queryset
    return qs.get(pk=notification_id)


def notification_list(
    *, filters: dict, view: str, queryset: QuerySet[Notification] | None = None
) -> QuerySet[Notification]:
    """The notifications (of `queryset`, all by default) the filters keep; the API pages them by id."""
    return NotificationFilter(
        data={k: v for k, v in filters.items() if k in FILTER_PARAMS and v not in (None, "")},
        queryset=notification_queryset(view=view) if queryset is None else queryset,
    ).qs


def production_problems() -> QuerySet[Notification]:
    """Emails whose send failed for good or bounced, not resolved yet (index notif_open_problem_idx)."""
    return Notification.objects.filter(
        notification_type="email", provider_failed_at__isnull=False, resolved_at__isnull=True
    )


def production_failures(limit: int) -> list:
    """The latest open problems of the production notifications screen, newest first."""
    rows = (
        production_problems()
        .order_by("-provider_failed_at")
        .only("pk", "email_subject", "email_to", "status", "provider_status", "provider_failed_at")[:limit]
    )
    return [
        Failure(
            label=f"#{row.pk} {row.email_subject[:60] or 'email'}",
            when=row.provider_failed_at,
            detail=f"{row.provider_status or row.status}: to {row.email_to[:80]}",
            url=reverse("admin:notifications_notification_change", args=[row.pk]),
        )
        for row in rows
    ]


def production_failures_url() -> str:
    return reverse("admin:notifications_productionnotification_changelist") + "?problem=open"
