"""The one filtering of the API's lists: a FilterSet applied to the validated list params.

A list route's params serializer (it mixes in `PageParams`) is where its query params
are checked: unknown ones and invalid values answer invalid-param naming them. The
list's FilterSet then filters by those validated values alone (`filter_list`); its
filters have the params' names, one name per filter on every list: a datetime range
is `<event>_after` (at or after) and `<event>_before` (strictly before), e.g.
`created_after` / `created_before`.

Datetime filters hand the database UTC.

django-filter's IsoDateTimeFilter keeps the offset it was given, and Python
accepts offsets up to ±23:59 where PostgreSQL accepts ±15:59: a filter like
`created_before=2026-01-01T00:00-18:00` reached the database and failed there.
These fields convert every aware datetime to UTC while parsing (as the params
serializers do) and answer a value out of range as a bad param.
"""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        parsed = super().to_python(value)
        try:
            return parsed.astimezone(UTC) if parsed is not None and parsed.tzinfo is not None else parsed
        except OverflowError:
            raise ValidationError("This datetime is out of range once converted to UTC.") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO-8601 datetime, compared in UTC."""

    field_class = UtcIsoDateTimeField


def after(field_name: str) -> IsoDateTimeFilter:
    """`<event>_after`: rows whose `field_name` is at or after the datetime."""
    return IsoDateTimeFilter(field_name=field_name, lookup_expr="gte")


def before(field_name: str) -> IsoDateTimeFilter:
    """`<event>_before`: rows whose `field_name` is strictly before the datetime."""
    return IsoDateTimeFilter(field_name=field_name, lookup_expr="lt")


def filter_list(
    filterset_class: type[django_filters.FilterSet], queryset: QuerySet, params: dict
) -> QuerySet:
    """The rows of `queryset` the list's validated params keep (the params the FilterSet names).

    The params serializer has already refused unknown params and bad values; a value the
    FilterSet still refuses answers invalid-param naming it (the exception handler).
    """
    data = {
        name: value
        for name, value in params.items()
        if name in filterset_class.base_filters and value is not None and value != ""
    }
    filterset = filterset_class(data=data, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(dict(filterset.errors))
    return filterset.qs
