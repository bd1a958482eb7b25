"""ISO-8601 datetime filters that hand the database UTC.

django-filter's IsoDateTimeFilter keeps the offset it was given, and Python
accepts offsets up to ±23:59 where PostgreSQL accepts ±15:59: a filter like
`created_before=2026-01-01T00:00-18:00` reached the database and failed there.
These fields convert every aware datetime to UTC while parsing (as the params
serializers do) and answer a value out of range as a bad param.
"""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField, RangeField
from django_filters.widgets import DateRangeWidget


class UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        parsed = super().to_python(value)
        try:
            return parsed.astimezone(UTC) if parsed is not None and parsed.tzinfo is not None else parsed
        except OverflowError:
            raise ValidationError("This datetime is out of range once converted to UTC.") from None


class UtcIsoDateTimeRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((UtcIsoDateTimeField(), UtcIsoDateTimeField()), *args, **kwargs)


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO-8601 datetime, compared in UTC."""

    field_class = UtcIsoDateTimeField


class IsoDateTimeFromToRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """`<name>_after` / `<name>_before` ISO-8601 datetimes, compared in UTC."""

    field_class = UtcIsoDateTimeRangeField
