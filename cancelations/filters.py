"""Filters of GET /api/v1/cancelations."""

import django_filters
from django.db.models import Q

from cancelations.models import Cancelation
from planocore.api.filters import after, before


class CancelationFilter(django_filters.FilterSet):
    cancelable_type = django_filters.CharFilter()
    cancelable_id = django_filters.NumberFilter()
    active = django_filters.BooleanFilter()
    reason = django_filters.CharFilter(method="filter_reason", help_text="A reason's id or slug.")
    canceled_after = after("canceled_at")
    canceled_before = before("canceled_at")
    reinstated_after = after("reinstated_at")
    reinstated_before = before("reinstated_at")

    class Meta:
        model = Cancelation
        fields = ["cancelable_type", "cancelable_id", "active", "reason"]

    def filter_reason(self, queryset, name, value):
        if value.isascii() and value.isdigit() and len(value) <= 18:  # an id (a bigint)
            return queryset.filter(Q(reason_id=int(value)) | Q(reason__slug=value))
        return queryset.filter(reason__slug=value)
