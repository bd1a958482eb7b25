"""Admin lists that work for people: long values cut to fit a 1366 px window, and counts that stay cheap."""

import json
from datetime import datetime

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html

COUNT_CAP = 10_000


def shortened(value, length: int = 16) -> str:
    """`value` cut to `length` characters with an ellipsis, the whole value shown on hover."""
    text = "" if value is None else str(value)
    if len(text) <= length:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[: length - 1])


def short_datetime(value: datetime | None) -> str:
    """A date and time in 16 characters ("2026-12-01 15:04"), the full value on hover."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        date_format(local, "DATETIME_FORMAT"),
        local.strftime("%Y-%m-%d %H:%M"),
    )


class CappedCountPaginator(Paginator):
    """Count at most COUNT_CAP + 1 rows; past that, use the planner's row estimate.

    An exact COUNT(*) reads every matching row, so on a large table it costs more
    than the page itself. Pages past the estimate simply come back empty.

    `many_rows_ordering`: the order the pages take instead of the list's own when
    more than COUNT_CAP rows match (the admin's search orders few matches by an
    expression, which sorts every match: see NotificationAdmin.get_ordering).
    """

    def __init__(self, *args, many_rows_ordering: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.many_rows_ordering = many_rows_ordering

    def page(self, number):
        if self.many_rows_ordering and self.count > COUNT_CAP:
            self.object_list = self.object_list.order_by(*self.many_rows_ordering)
        return super().page(number)

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        capped = qs.order_by()[: COUNT_CAP + 1].count()
        if capped <= COUNT_CAP:
            return capped
        connection = connections[qs.db]
        if connection.vendor != "postgresql":
            return capped
        sql, params = qs.order_by().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return max(capped, int(plan[0]["Plan"]["Plan Rows"]))


def state_badge(state: str) -> str:
    """A delivery state as its badge: the one vocabulary's name and colour (planocore/delivery.py)."""
    from planocore.delivery import COLOURS, MEANINGS, label

    if not state:
        return "—"
    return format_html(
        '<span class="state-badge state-{}" data-colour="{}" title="{}">{}</span>',
        state,
        COLOURS.get(state, ""),
        MEANINGS.get(state, "Set by the caller, not by PlanoCore."),
        label(state),
    )


class ProblemFilter(admin.SimpleListFilter):
    """Open or resolved problems (failed or abandoned sends, notices not made): `?problem=open|resolved`.

    The model says which rows are problems at all (`problem_q`, a Q object); the
    `Resolution` fields say whether someone (or a later send) resolved them.
    """

    title = "problem"
    parameter_name = "problem"
    problem_q = Q()
    # What the list shows with no `problem` param: "" (every row) or "open" (a screen of problems).
    default = ""

    def lookups(self, request, model_admin):
        return [("open", "Needs someone"), ("resolved", "Resolved"), ("any", "Open or resolved")]

    def value(self):
        return super().value() or self.default

    def choices(self, changelist):
        if not self.default:
            yield from super().choices(changelist)
            return
        for lookup, title in self.lookup_choices:  # no "All": the default stands in for it
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(self.problem_q, resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(self.problem_q, resolved_at__isnull=False)
        if self.value() == "any":
            return queryset.filter(self.problem_q)
        return queryset


def ask_for_note(modeladmin, request, queryset, *, title: str, action: str):
    """An admin action's confirmation page asking for a note; the note once confirmed, else the page.

    Returns (note, None) when staff confirmed (the form posts `apply`), or (None, response).
    """
    if request.POST.get("apply"):
        return request.POST.get("note", "").strip()[:500], None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "queryset": queryset,
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return None, TemplateResponse(request, "admin/planocore/ask_for_note.html", context)
