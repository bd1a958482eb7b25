"""Reads of the inbound app: lists for the API and the admin, the notification a message answers."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from inbound.filters import InboundMessageFilter, SuppressionFilter
from inbound.models import InboundChannel, InboundMessage, SuppressedKind, Suppression
from notifications.models import Notification, NotificationType
from planocore.api.filters import filter_list


def inbound_message_list(*, filters: dict | None = None) -> QuerySet[InboundMessage]:
    """Inbound messages the list route's validated params keep (the one list path)."""
    return filter_list(InboundMessageFilter, InboundMessage.objects.all(), filters or {})


def suppression_list(*, filters: dict | None = None) -> QuerySet[Suppression]:
    """Suppressions with their history, those the list route's validated params keep."""
    return filter_list(SuppressionFilter, Suppression.objects.prefetch_related("history"), filters or {})


def active_suppressions(wanted: set[tuple[str, str]]) -> list[Suppression]:
    """The active suppressions among (kind, address) pairs: one query on the active-address index."""
    if not wanted:
        return []
    by_kind: dict[str, set[str]] = {}
    for kind, address in wanted:
        by_kind.setdefault(kind, set()).add(address)
    match = Q()
    for kind, addresses in by_kind.items():
        match |= Q(kind=kind, address__in=sorted(addresses))
    return list(
        Suppression.objects.filter(match, lifted_at__isnull=True).only("kind", "address", "reason", "since")
    )


def notification_answered(
    *, channel: str, from_address: str, to_address: str, conversation_id: str, received_at: datetime
) -> Notification | None:
    """The outbound notification a message most likely answers: the same pair of addresses (or the
    same conversation), the most recent one sent within INBOUND_REPLY_WINDOW_HOURS before it."""
    since = received_at - timedelta(hours=settings.INBOUND_REPLY_WINDOW_HOURS)
    # A minute's slack after: providers give times to the second, and clocks differ.
    recent = Notification.objects.filter(
        created_at__gte=since, created_at__lte=received_at + timedelta(minutes=1)
    )
    if channel == InboundChannel.SMS:
        # phone_to holds one number for a one-to-one text (the index notif_phone_to_idx);
        # phone_from is empty when the default extension sent it.
        found = recent.filter(
            notification_type__in=[NotificationType.SMS, NotificationType.MMS], phone_to=from_address
        )
        if to_address:  # unknown for a simulated message: any of our numbers
            found = found.filter(Q(phone_from=to_address) | Q(phone_from=""))
    elif channel == InboundChannel.EMAIL:
        found = recent.filter(notification_type=NotificationType.EMAIL, email_to__iexact=from_address)
    else:
        found = recent.filter(notification_type=NotificationType.CONVERSATION, user_id=from_address)
    return found.order_by("-id").first()


def suppressed_kind_of_channel(channel: str) -> str | None:
    """The family of addresses a send on `channel` goes to (None: not a channel consent applies to)."""
    return {
        "sms": SuppressedKind.PHONE,
        "mms": SuppressedKind.PHONE,
        "email": SuppressedKind.EMAIL,
        "conversation": SuppressedKind.CONVERSATION,
    }.get(channel)
