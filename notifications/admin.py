"""Admin of notifications, and the production notifications screen (Mandrill failures).

Built to open fast with millions of rows: ordering by the primary key, no full
count, a count capped at COUNT_CAP rows (PostgreSQL's estimate beyond it), filters
with fixed choices (no SELECT DISTINCT over the table), and a date drill-down
whose links come from indexed MIN/MAX and EXISTS probes (planocore/templatetags/planocore_admin.py).
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import ValidationError
from django.db.models import F, Q, URLField
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from notifications import services
from notifications.models import DeliveryStatus, Notification, ProductionNotification
from notifications.serializers import FIELD_PARAMS, NotificationCreateParams
from planocore.admin_display import (
    CappedCountPaginator,
    ProblemFilter,
    ask_for_note,
    short_datetime,
    shortened,
    state_badge,
)
from planocore.api.exceptions import in_admin_words
from planocore.outbox.models import ExternalRequest


class NotificationProblemFilter(ProblemFilter):
    """Open or resolved problems: a send that failed for good, or a bounce (`provider_failed_at`)."""

    problem_q = Q(provider_failed_at__isnull=False)


class OpenProblemsFirst(NotificationProblemFilter):
    default = "open"  # the production notifications screen opens on what still needs someone


class StatusFilter(admin.SimpleListFilter):
    """The delivery states (planocore/delivery.py), as fixed choices (no DISTINCT over the table)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return DeliveryStatus.CHOICES

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


def _json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def request_admin_link(request: ExternalRequest) -> str:
    try:
        url = reverse("admin:outbox_externalrequest_change", args=[request.pk])
    except NoReverseMatch:
        return f"#{request.pk}"
    return format_html('<a href="{}">#{}</a>', url, request.pk)


class OutgoingRequestInline(GenericTabularInline):
    """The notification's outgoing requests, with their proof (read-only)."""

    model = ExternalRequest
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 0
    can_delete = False
    verbose_name = "outgoing request"
    verbose_name_plural = "outgoing requests (proof)"
    # Channel and action stand in each row's heading ("email/send #5 (succeeded)"),
    # so the proof column fits a laptop's screen.
    fields = (
        "link",
        "state",
        "attempts",
        "provider_message_id",
        "delivery_status",
        "sent_at",
        "next_attempt_at",
        "last_error",
        "proof",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="request")
    def link(self, obj):
        return request_admin_link(obj)

    @admin.display(description="status")
    def state(self, obj):
        replaced = f" (replaced by #{obj.superseded_by_id})" if obj.superseded_by_id else ""
        resolved = f" — resolved: {obj.resolution}" if obj.resolved_at else ""
        return format_html("{}{}{}", state_badge(obj.status), replaced, resolved)

    @admin.display(description="provider response (no secrets)")
    def proof(self, obj):
        return format_html("<pre style='white-space:pre-wrap;margin:0'>{}</pre>", _json(obj.response))


class NotificationAdminForm(forms.ModelForm):
    """The admin form checks what the API checks (addresses, numbers, what each type needs)."""

    media_url = forms.URLField(required=False, max_length=2000, assume_scheme="https")

    class Meta:
        model = Notification
        fields = FIELD_PARAMS
        widgets = {
            "email_to": forms.TextInput(attrs={"size": 80}),
            "email_cc": forms.TextInput(attrs={"size": 80}),
            "email_bcc": forms.TextInput(attrs={"size": 80}),
        }

    def clean(self):
        cleaned = super().clean()
        data = {
            name: value for name, value in cleaned.items() if name in FIELD_PARAMS and value not in (None, "")
        }
        params = NotificationCreateParams(data=data)
        if params.is_valid():
            self.service_data = params.validated_data  # what the admin saves through the service
        else:
            labels = {name: field.label for name, field in self.fields.items()}
            for field, errors in params.errors.items():
                target = field if field in self.fields else None
                for error in errors:
                    self.add_error(target, in_admin_words(str(error), labels))
        return cleaned


# Django 6 reads a URL typed without a scheme as https; say so now (no deprecation warning).
URL_FIELDS_ASSUME_HTTPS = {URLField: {"assume_scheme": "https"}}


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    form = NotificationAdminForm
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    # Fits a 1366 px window; user and olio ids are searchable and on each notification's page.
    list_display = (
        "id",
        "created",
        "notification_type",
        "key_short",
        "status_badge",
        "processed",
        "recipients",
        "subject",
    )
    list_display_links = ("id", "created")
    list_filter = ("notification_type", StatusFilter, NotificationProblemFilter, "processed", "created_at")
    # The search box shows when search_fields is set; get_search_results does the matching.
    search_fields = ("key", "email_to")
    search_help_text = (
        "An id, key, user/olio/tour/client id or phone number (exact), part of a subject or Glip team "
        "name, or part of an email address (anything with @)."
    )
    date_hierarchy = "created_at"
    ordering = ("-id",)
    sortable_by = ("id", "created_at")
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    inlines = (OutgoingRequestInline,)

    def get_ordering(self, request):
        """Newest first; while searching by anything but an address, by `id + 0`.

        A search ORs exact columns and substrings; the planner, guessing how
        many rows match, may walk the primary key backwards to find 50 of them
        and read the whole table when one row matches (0.7 s at 1,000,000 rows).
        Ordering by an expression makes it fetch the few matches through their
        indexes and sort them (2 ms). A word most rows hold ("ready") would then
        sort every match (0.5 s): when the capped count says more than COUNT_CAP
        rows match, the pages walk the primary key after all (`get_paginator`).
        An address search (with @) reads the table either way.
        """
        if self._searching_by_expression(request):
            return [(F("id") + 0).desc()]
        return super().get_ordering(request)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        many_rows_ordering = ("-id",) if self._searching_by_expression(request) else ()
        return self.paginator(
            queryset, per_page, orphans, allow_empty_first_page, many_rows_ordering=many_rows_ordering
        )

    @staticmethod
    def _searching_by_expression(request) -> bool:
        term = request.GET.get(SEARCH_VAR, "").strip()
        return bool(term) and "@" not in term and ORDER_VAR not in request.GET

    def get_search_results(self, request, queryset, search_term):
        """Exact matches on indexed columns; subjects, team names and addresses (with @) by substring.

        Django's default ORs icontains over every field, which reads the whole
        table for every search; ids and keys do not need that. On PostgreSQL the
        subject and team name have trigram indexes (migration 0002), so their
        substring search is indexed too.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            query = (
                Q(email_to__icontains=term)
                | Q(email_from__icontains=term)
                | Q(email_cc__icontains=term)
                | Q(email_bcc__icontains=term)
            )
        else:
            query = (
                Q(key=term)
                | Q(user_id=term)
                | Q(olio_id=term)
                | Q(tour_id=term)
                | Q(client_id=term)
                | Q(phone_to=term)
                | Q(email_subject__icontains=term)
                | Q(team_name__icontains=term)
            )
            if term.isdigit():
                query |= Q(pk=int(term))
        return queryset.filter(query), False

    actions = ("resend", "mark_handled", "mark_processed")
    readonly_fields = (
        "status",
        "provider_status",
        "processed",
        "processed_at",
        "provider_failed_at",
        "resolved_at",
        "resolved_by",
        "resolution",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "notification_type",
                    "key",
                    "status",
                    "provider_status",
                    "processed",
                    "processed_at",
                )
            },
        ),
        ("Problem", {"fields": ("provider_failed_at", "resolved_at", "resolved_by", "resolution")}),
        (
            "Email",
            {
                "fields": (
                    "email_from",
                    "email_to",
                    "email_cc",
                    "email_bcc",
                    "email_subject",
                    "email_body",
                    "email_technician",
                )
            },
        ),
        ("SMS / MMS", {"fields": ("phone_from", "phone_to", "extension", "media_url")}),
        ("Glip", {"fields": ("team_name",)}),
        (
            "Links",
            {"fields": ("user_id", "olio_id", "tour_id", "client_id", "notifyable_type", "notifyable_id")},
        ),
        (
            "Internal apps (FileMaker)",
            {"fields": ("created_at_fm", "updated_at_fm", "processed_at_fm", "updated_in")},
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def save_model(self, request, obj, form, change):
        """Save through the services: a new notification is dispatched as one from the API is."""
        if change:
            services.notification_update(
                notification=obj, fields=[name for name in form.changed_data if name in FIELD_PARAMS]
            )
            return
        saved = services.notification_create(data=form.service_data, validated=True)
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.display(description="to")
    def recipients(self, obj):
        return shortened(obj.email_to or obj.phone_to or obj.team_name or obj.user_id, 28)

    @admin.display(description="key")
    def key_short(self, obj):
        return shortened(obj.key, 24)

    @admin.display(description="subject")
    def subject(self, obj):
        return shortened(obj.email_subject, 32)

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return short_datetime(obj.created_at)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return state_badge(obj.status)

    @admin.action(description="Resend the selected notifications")
    def resend(self, request, queryset):
        sent = 0
        for notification in queryset.order_by("pk"):
            try:
                if services.notification_resend(notification=notification) is not None:
                    sent += 1
            except ValidationError as exc:  # a team or client that is gone
                self.message_user(request, f"#{notification.pk}: {'; '.join(exc.messages)}", messages.ERROR)
        self.message_user(request, f"{sent} notification(s) queued again.", messages.SUCCESS)

    @admin.action(description="Mark the problem handled (with a note)", permissions=["view"])
    def mark_handled(self, request, queryset):
        note, page = ask_for_note(
            self, request, queryset, title="Mark these notifications' problems handled", action="mark_handled"
        )
        if page is not None:
            return page
        done, skipped = 0, []
        for notification in queryset.order_by("pk"):
            if services.notification_mark_handled(notification=notification, user=request.user, note=note):
                done += 1
            else:
                skipped.append(f"#{notification.pk}")
        self.message_user(request, f"{done} problem(s) marked handled.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"Left alone (no open problem): {', '.join(skipped[:20])}.", messages.WARNING
            )
        return None

    @admin.action(description="Mark the selected notifications processed")
    def mark_processed(self, request, queryset):
        done = sum(services.notification_mark_processed(notification=n) for n in queryset.filter(processed=0))
        self.message_user(request, f"{done} notification(s) marked processed.", messages.SUCCESS)


@admin.register(ProductionNotification)
class ProductionNotificationAdmin(admin.ModelAdmin):
    """Email notifications whose send failed for good or bounced, newest problem first.

    Open problems by default; resolved ones (sent later, or marked handled) under
    the problem filter's "Resolved".
    """

    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    # Fits a 1366 px window: long values cut (whole on hover), the provider's word beside the state.
    list_display = (
        "id",
        "problem_since",
        "status_badge",
        "subject",
        "to",
        "notification_link",
        "requests",
        "resolved",
    )
    list_filter = (OpenProblemsFirst, StatusFilter, "provider_failed_at")
    search_fields = ("=id", "=key", "email_to")
    ordering = ("-provider_failed_at",)
    show_full_result_count = False
    paginator = CappedCountPaginator
    actions = ("resend", "mark_handled")

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        said = f" ({obj.provider_status})" if obj.provider_status else ""
        return format_html("{}{}", state_badge(obj.status), said)

    @admin.display(description="problem since", ordering="provider_failed_at")
    def problem_since(self, obj):
        return short_datetime(obj.provider_failed_at)

    @admin.display(description="subject")
    def subject(self, obj):
        return shortened(obj.email_subject, 32)

    @admin.display(description="to")
    def to(self, obj):
        return shortened(obj.email_to, 28)

    @admin.display(description="resolved")
    def resolved(self, obj):
        if obj.resolved_at is None:
            return "—"
        return format_html('<span title="{}">{}</span>', obj.resolution, short_datetime(obj.resolved_at))

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(notification_type="email", provider_failed_at__isnull=False)
            .prefetch_related("outgoing_requests")
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("notifications.view_notification") or super().has_view_permission(
            request, obj
        )

    @admin.display(description="notification")
    def notification_link(self, obj):
        url = reverse("admin:notifications_notification_change", args=[obj.pk])
        return format_html('<a href="{}">notification #{}</a>', url, obj.pk)

    @admin.display(description="outgoing requests")
    def requests(self, obj):
        rows = sorted(obj.outgoing_requests.all(), key=lambda r: r.pk)
        return format_html_join(
            ", ",
            "{} {} ({})",
            (
                (request_admin_link(r), r.status, shortened(r.last_error or r.delivery_status, 40))
                for r in rows
            ),
        )

    @admin.action(description="Resend the selected emails")
    def resend(self, request, queryset):
        NotificationAdmin.resend(self, request, queryset)

    @admin.action(description="Mark the problem handled (with a note)", permissions=["view"])
    def mark_handled(self, request, queryset):
        return NotificationAdmin.mark_handled(self, request, queryset)
