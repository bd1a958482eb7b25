"""Every admin list's date drill-down, cheap on tables of millions of rows.

templates/admin/change_list.html puts it in place of Django's for every
changelist with a `date_hierarchy` (notifications, outgoing requests,
cancelations, Glip messages...).


Django's `date_hierarchy` takes MIN/MAX of the filtered list and asks for the
distinct years, months or days of every matching row. On PostgreSQL the first
turns, with a selective filter or search, into a walk along the created_at
index until a matching row turns up (the whole table when one row matches),
and the second reads every matching row. Here:

- when the whole list is on the page, the periods come from the page's rows
  (no second read of the list: with a substring search that is a second
  trigram index scan);
- otherwise, when the list holds few rows (the count the page already made),
  their dates are read once, with the plan that suits the filter, and the
  periods come from them;
- otherwise the candidate periods come from the whole table's MIN/MAX (two
  index probes) and each is kept only if an EXISTS on the filtered list finds a
  row in it (a match turns up fast, since many rows match): a dozen small
  indexed queries at most.
"""

import datetime

from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy as django_date_hierarchy
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.utils import timezone

from planocore.admin_display import delivery_badge

register = template.Library()


def _truncate(value: datetime.datetime, kind: str) -> datetime.datetime:
    value = value.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind in ("year", "month"):
        value = value.replace(day=1)
    if kind == "year":
        value = value.replace(month=1)
    return value


def _next(start: datetime.datetime, kind: str) -> datetime.datetime:
    naive = start.replace(tzinfo=None)
    if kind == "year":
        naive = naive.replace(year=naive.year + 1)
    elif kind == "month":
        naive = (naive.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    else:
        naive = naive + datetime.timedelta(days=1)
    return timezone.make_aware(naive, start.tzinfo)


SMALL_LIST = 1000


class _Periods:
    """Stands in for the changelist's queryset inside Django's date_hierarchy."""

    def __init__(self, queryset, field_name: str, bounds: dict, dates: list | None) -> None:
        self.queryset, self.field_name, self.bounds, self.dates = queryset, field_name, bounds, dates

    def aggregate(self, **kwargs):
        if self.dates is not None:
            return {"first": min(self.dates, default=None), "last": max(self.dates, default=None)}
        return dict(self.bounds)

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        tz = tzinfo or timezone.get_current_timezone()
        if self.dates is not None:
            found = sorted({_truncate(timezone.localtime(d, tz), kind) for d in self.dates})
            return found if order == "ASC" else found[::-1]
        first, last = (self.bounds[k] for k in ("first", "last"))
        if first is None:
            return []
        first, last = timezone.localtime(first, tz), timezone.localtime(last, tz)
        found, start = [], _truncate(first, kind)
        while start <= last:
            end = _next(start, kind)
            period = {f"{field_name}__gte": start, f"{field_name}__lt": end}
            if self.queryset.filter(**period).exists():
                found.append(start)
            start = end
        return found if order == "ASC" else found[::-1]


class _ChangeList:
    """The changelist with its queryset replaced by _Periods (everything else passes through)."""

    def __init__(self, cl, periods: _Periods) -> None:
        self._cl, self.queryset = cl, periods

    def __getattr__(self, name):
        return getattr(self._cl, name)


def fast_date_hierarchy(cl):
    field_name = cl.date_hierarchy
    dates = None
    if not cl.multi_page and LOOKUP_SEP not in field_name:
        # The page shows the whole list: its rows' dates. Iterating cl.result_list fills the
        # queryset's cache, and the rows below come from it: the list is read once, not twice.
        dates = [getattr(row, field_name) for row in cl.result_list]
    elif cl.result_count <= SMALL_LIST:
        # No LIMIT: the planner takes the filter's own indexes.
        dates = list(cl.queryset.order_by().values_list(field_name, flat=True))
    bounds = cl.model._default_manager.aggregate(first=models.Min(field_name), last=models.Max(field_name))
    year = cl.params.get(f"{field_name}__year")
    month = cl.params.get(f"{field_name}__month")
    if year:  # only the periods inside the selected year (and month)
        tz = timezone.get_current_timezone()
        start = datetime.datetime(int(year), int(month or 1), 1, tzinfo=tz)
        end = _next(start, "month" if month else "year")
        bounds = {
            "first": max(bounds["first"], start) if bounds["first"] else None,
            "last": min(bounds["last"], end - datetime.timedelta(microseconds=1)) if bounds["last"] else None,
        }
    return django_date_hierarchy(_ChangeList(cl, _Periods(cl.queryset, field_name, bounds, dates)))


@register.tag(name="fast_date_hierarchy")
def fast_date_hierarchy_tag(parser, token):
    return InclusionAdminNode(
        parser, token, func=fast_date_hierarchy, template_name="date_hierarchy.html", takes_context=False
    )


@register.filter(name="delivery_badge")
def delivery_badge_filter(state: str) -> str:
    """`{{ state|delivery_badge }}`: a delivery state as its badge (admin_display.delivery_badge)."""
    return delivery_badge(state)
