"""Filters of the inbound list routes (django-filter), applied through the one list path
(`planocore.api.filters.filter_list`) to the params the list's serializer validated."""

import django_filters

from inbound.models import InboundMessage, Suppression
from planocore.api.filters import after, before


class InboundMessageFilter(django_filters.FilterSet):
    channel = django_filters.CharFilter()
    from_address = django_filters.CharFilter()
    user_id = django_filters.CharFilter()
    notification_id = django_filters.NumberFilter()
    keyword = django_filters.CharFilter(method="_keyword")
    # true: nobody answered it yet.
    unanswered = django_filters.BooleanFilter(field_name="answered_at", lookup_expr="isnull")
    received_after = after("received_at")
    received_before = before("received_at")

    class Meta:
        model = InboundMessage
        fields: list[str] = []

    def _keyword(self, queryset, name, value):
        return queryset.filter(keyword=value.upper())  # stored as the provider's word, upper case


class SuppressionFilter(django_filters.FilterSet):
    kind = django_filters.CharFilter()
    address = django_filters.CharFilter()
    reason = django_filters.CharFilter()
    # true: still in force (not lifted).
    active = django_filters.BooleanFilter(field_name="lifted_at", lookup_expr="isnull")

    class Meta:
        model = Suppression
        fields: list[str] = []
