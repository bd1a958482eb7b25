"""The filters of GET /api/v1/notifications (each served by an index, see models.py)."""

import django_filters

from notifications.models import Notification, NotificationType, Processed
from planocore.api.filters import after, before


class NotificationFilter(django_filters.FilterSet):
    key = django_filters.CharFilter()
    status = django_filters.CharFilter()  # the params allow the delivery vocabulary's names only
    notification_type = django_filters.ChoiceFilter(choices=NotificationType.choices)
    user_id = django_filters.CharFilter()
    olio_id = django_filters.CharFilter()
    tour_id = django_filters.CharFilter()
    client_id = django_filters.CharFilter()
    processed = django_filters.TypedChoiceFilter(choices=Processed.choices, coerce=int)
    created_after = after("created_at")
    created_before = before("created_at")

    class Meta:
        model = Notification
        fields = [
            "key",
            "status",
            "notification_type",
            "user_id",
            "olio_id",
            "tour_id",
            "client_id",
            "processed",
        ]
