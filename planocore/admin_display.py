"""Admin lists that work for people: state as badges, long values cut to fit a 1366 px window,
times to the second in one format, and counts that stay cheap.
"""

import json
from datetime import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from unfold.decorators import action
from unfold.enums import ActionVariant
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminTextareaWidget

from planocore.delivery import COLOURS, MEANINGS, PROVIDER_EVENT_COLOURS, ProviderEvent, label

COUNT_CAP = 10_000


def shortened(value, length: int = 16) -> str:
    """`value` cut to `length` characters with an ellipsis, the whole value shown on hover."""
    text = "" if value is None else str(value)
    if len(text) <= length:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[: length - 1])


def short_datetime(value: datetime | None) -> str:
    """A date and time to the second ("2026-12-01 15:04:05"), the admin's one format; its zone on hover."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        local.strftime("%Y-%m-%d %H:%M:%S %Z"),
        local.strftime("%Y-%m-%d %H:%M:%S"),
    )


def badge(text: str, colour: str = "", title: str = "") -> str:
    """`text` as django-unfold's label: colour "success", "info", "warning", "danger", or "" (grey)."""
    html = render_to_string("unfold/helpers/label.html", {"text": text, "type": colour, "label_title": title})
    return mark_safe(f'<span class="state-badge">{html.strip()}</span>')  # noqa: S308 (escaped by the template)


def delivery_badge(state: str) -> str:
    """A delivery state as its badge: the one vocabulary's name, colour and meaning (on hover),
    planocore/delivery.py; a value PlanoCore does not write shows grey, as given."""
    if not state:
        return "—"
    colour = COLOURS.get(state, "")
    html = render_to_string(
        "unfold/helpers/label.html",
        {
            "text": label(state),
            "type": colour,
            "label_title": MEANINGS.get(state, "Set by the caller, not by PlanoCore."),
        },
    )
    return format_html(
        '<span class="state-badge state-{}" data-colour="{}">{}</span>',
        state,
        colour,
        mark_safe(html.strip()),  # noqa: S308
    )


def provider_event_badge(event: str) -> str:
    """What the provider reported after it took the message (Mandrill's bounced...) as a badge, short
    ("Rejected"); its meaning ("Rejected by the provider") on hover."""
    if not event:
        return "—"
    try:
        meaning = ProviderEvent(event).label
    except ValueError:
        meaning = ""
    return badge(event.capitalize(), PROVIDER_EVENT_COLOURS.get(event, ""), meaning)


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


def back_to(request, fallback: str) -> HttpResponse:
    """After an action: back to the page it came from (htmx's current URL, on this site), else `fallback`.

    From unfold's confirmation dialog (an htmx request) the answer is an `HX-Redirect`,
    so the whole page loads with the action's messages.
    """
    current = request.headers.get("HX-Current-URL", "")
    url = (
        current
        if current and url_has_allowed_host_and_scheme(current, {request.get_host()}, request.is_secure())
        else fallback
    )
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


def record_action(
    list_action: str,
    *,
    description: str,
    confirm: str,
    icon: str | None = None,
    permissions: tuple[str, ...] = (),
    variant: ActionVariant = ActionVariant.DEFAULT,
):
    """The list action `list_action` as a django-unfold action for one record: on its page and its row.

    Put the returned action in the ModelAdmin's class body and name it in
    `actions_detail` / `actions_row`. Unfold's dialog asks `confirm` first; then the
    list action runs on that one record (so both say the same about how it ended,
    and what it skipped), and the page the action came from reloads with its messages.
    """

    def run(model_admin, request, form, object_id):
        queryset = model_admin.get_queryset(request).filter(pk=object_id)
        response = getattr(model_admin, list_action)(request, queryset)
        if response is not None:  # an action that asks more (a page of its own)
            return response
        opts = model_admin.model._meta
        return back_to(request, reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))

    run.__name__ = f"{list_action}_one"
    return action(
        run,
        description=description,
        url_path=f"{list_action.replace('_', '-')}-one",
        icon=icon,
        permissions=list(permissions) or None,
        variant=variant,
        dialog={"title": f"{description}?", "description": confirm, "form_submit_text": description},
    )


class NoteDialogForm(BaseDialogForm):
    """The note a record action asks in django-unfold's dialog ("how it was handled")."""

    note = forms.CharField(
        label="Note", widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}), required=False, max_length=500
    )


class ReadOnlyRecordMixin:
    """A record that is history (an outgoing request, a webhook event, a problem): its page shows it.

    No adding, no deleting, no Save buttons: staff act on it through its actions
    (retry, abandon...), which keep the history; a POST to its page is refused.
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("This record cannot be edited; use its actions.")
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)


def status_badge(value: str) -> str:
    """A record's `status` as its badge: a delivery state, else a provider's event (a notification
    whose email Mandrill reported on), else the caller's own value in grey."""
    if value in COLOURS:
        return delivery_badge(value)
    if value in PROVIDER_EVENT_COLOURS:
        return provider_event_badge(value)
    return badge(value, "") if value else "—"


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
