"""Reads of cancelations that more than one caller needs."""

from django.db.models import QuerySet
from django.urls import reverse

from cancelations.filters import CancelationFilter
from cancelations.models import Cancelation, CancelationNoticeProblem, CancelationReason
from planocore.dashboard import Failure


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


def notice_problem_failures(limit: int) -> list:
    """The latest notices that could not be made, newest first, as dashboard failures.

    One query on the primary key: problems are only ever written (never
    edited), so their ids run in the order they were recorded.
    """
    rows = (
        notice_problems_open()
        .order_by("-id")
        .only("pk", "cancelation_id", "transition", "notification_type", "problem", "created_at")[:limit]
    )
    return [
        Failure(
            label=str(row),
            when=row.created_at,
            detail=row.problem[:140],
            url=reverse("admin:cancelations_cancelation_change", args=[row.cancelation_id]),
        )
        for row in rows
    ]


def notice_problems_open() -> QuerySet[CancelationNoticeProblem]:
    """Notices not made that nobody has marked handled yet."""
    return CancelationNoticeProblem.objects.filter(resolved_at__isnull=True)


def notice_problems_url() -> str:
    return reverse("admin:cancelations_cancelationnoticeproblem_changelist") + "?problem=open"
