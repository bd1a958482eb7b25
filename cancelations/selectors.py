"""Reads of cancelations that more than one caller needs."""

from django.db.models import QuerySet

from cancelations.filters import CancelationFilter
from cancelations.models import Cancelation, CancelationReason


def cancelation_list(*, filters: dict | None = None) -> QuerySet[Cancelation]:
    """Cancelations matching the filters (see CancelationFilter), newest first, with their reason."""
    queryset = Cancelation.objects.select_related("reason").order_by("-id")
    if not filters:
        return queryset
    filterset = CancelationFilter(data=filters, queryset=queryset)
    if not filterset.is_valid():
        # The routes validate their params first; this guards other callers.
        raise ValueError(filterset.errors.as_json())
    return filterset.qs


def cancelation_reason_list(*, include_inactive: bool = False) -> QuerySet[CancelationReason]:
    queryset = CancelationReason.objects.order_by("order", "slug")
    return queryset if include_inactive else queryset.filter(active=True)
