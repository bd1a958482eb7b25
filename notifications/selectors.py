"""Read paths of notifications."""

import base64
import binascii
from dataclasses import dataclass

from django.db.models import QuerySet

from notifications.filters import NotificationFilter
from notifications.models import Notification
from notifications.serializers import PROOF_VIEW

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


def encode_cursor(notification_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{notification_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    """The id in a cursor made by encode_cursor, or None when it is not one."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, value = text.partition(":")
    return int(value) if prefix == "id" and value.isascii() and value.isdigit() else None


@dataclass
class Page:
    items: list[Notification]
    next_cursor: str | None
    prev_cursor: str | None


def notification_page(
    *,
    filters: dict,
    view: str,
    size: int,
    after: int | None = None,
    before: int | None = None,
    queryset: QuerySet[Notification] | None = None,
) -> Page:
    """One page of filtered notifications (of `queryset`, all by default), newest first, by keyset on id.

    Costs one query (two with proof) however deep the page: no OFFSET, no COUNT.
    """
    qs = NotificationFilter(
        data={k: v for k, v in filters.items() if k in FILTER_PARAMS and v not in (None, "")},
        queryset=notification_queryset(view=view) if queryset is None else queryset,
    ).qs
    if before is not None:
        rows = list(qs.filter(pk__gt=before).order_by("id")[: size + 1])
        has_more = len(rows) > size
        rows = list(reversed(rows[:size]))
        return Page(
            items=rows,
            next_cursor=encode_cursor(rows[-1].pk) if rows else None,
            prev_cursor=encode_cursor(rows[0].pk) if rows and has_more else None,
        )
    if after is not None:
        qs = qs.filter(pk__lt=after)
    rows = list(qs.order_by("-id")[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return Page(
        items=rows,
        next_cursor=encode_cursor(rows[-1].pk) if rows and has_more else None,
        prev_cursor=encode_cursor(rows[0].pk) if rows and after is not None else None,
    )


def production_failures(limit: int) -> list:
    """The latest emails Mandrill refused or failed (the production notifications screen), newest first."""
    from django.urls import reverse

    from planocore.dashboard import Failure

    rows = (
        Notification.objects.filter(notification_type="email", provider_failed_at__isnull=False)
        .order_by("-provider_failed_at")
        .only("pk", "email_subject", "email_to", "status", "provider_failed_at")[:limit]
    )
    return [
        Failure(
            label=f"#{row.pk} {row.email_subject[:60] or 'email'}",
            when=row.provider_failed_at,
            detail=f"{row.status or 'failed'}: to {row.email_to[:80]}",
            url=reverse("admin:notifications_notification_change", args=[row.pk]),
        )
        for row in rows
    ]


def production_failures_url() -> str:
    from django.urls import reverse

    return reverse("admin:notifications_productionnotification_changelist")
