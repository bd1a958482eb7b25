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
from django.core.exceptions import ValidationError
from django.db.models import F, Q, URLField
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import GenericTabularInline, ModelAdmin
from unfold.decorators import action
from unfold.widgets import UnfoldAdminTextInputWidget, UnfoldAdminURLInputWidget

from notifications import services
from notifications.models import DeliveryStatus, Notification, ProductionNotification
from notifications.serializers import FIELD_PARAMS, NotificationCreateParams
from planocore.admin_display import (
    CappedCountPaginator,
    NoteDialogForm,
    ProblemFilter,
    ReadOnlyRecordMixin,
    ask_for_note,
    back_to,
    badge,
    delivery_badge,
    provider_event_badge,
    record_action,
    short_datetime,
    shortened,
)
from planocore.api.exceptions import in_admin_words
from planocore.outbox.models import ExternalRequest

# The admin's short name of each type (the model's choices explain them to API callers).
TYPE_LABELS = {
    "email": "Email",
    "sms": "SMS",
    "mms": "MMS",
    "glip": "Glip",
    "conversation": "Conversation",
}

# The fields each type uses, shown on its page (and, while adding, once the type is chosen).
TYPE_FIELDSETS = {
    "email": (
        "Email",
        (
            "email_from",
            "email_to",
            "email_cc",
            "email_bcc",
            "email_subject",
            "email_body",
            "email_technician",
        ),
    ),
    "sms": ("SMS", ("phone_from", "phone_to", "extension")),
    "mms": ("MMS", ("phone_from", "phone_to", "extension", "media_url")),
    "glip": ("Glip", ("team_name",)),
    "conversation": ("Conversation", ()),
}


def _types_using(field: str) -> list[str]:
    return [kind for kind, (_, fields) in TYPE_FIELDSETS.items() if field in fields]


class TypeFilter(admin.SimpleListFilter):
    title = "type"
    parameter_name = "notification_type__exact"

    def lookups(self, request, model_admin):
        return list(TYPE_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(notification_type=self.value()) if self.value() else queryset


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
        "delivery_status_badge",
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
        return format_html("{}{}{}", delivery_badge(obj.status), replaced, resolved)

    @admin.display(description="provider reported")
    def delivery_status_badge(self, obj):
        return provider_event_badge(obj.delivery_status)

    @admin.display(description="provider response (no secrets)")
    def proof(self, obj):
        return format_html("<pre style='white-space:pre-wrap;margin:0'>{}</pre>", _json(obj.response))


class NotificationAdminForm(forms.ModelForm):
    """The admin form checks what the API checks (addresses, numbers, what each type needs)."""

    media_url = forms.URLField(
        required=False, max_length=2000, assume_scheme="https", widget=UnfoldAdminURLInputWidget
    )

    class Meta:
        model = Notification
        fields = FIELD_PARAMS
        # One-line inputs for the address lists (TextFields, which would be text areas).
        widgets = {
            "email_to": UnfoldAdminTextInputWidget,
            "email_cc": UnfoldAdminTextInputWidget,
            "email_bcc": UnfoldAdminTextInputWidget,
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


def replies_html(replies) -> str:
    """Replies to a notification (the inbound app's messages), one line each, in the order given.

    When, who, the text (cut, whole on hover), the consent keyword (STOP...) and
    whether staff answered; each links to its page in the inbox. The notification's
    page and the inbox's thread both show replies this way.
    """
    rows = format_html_join(
        "",
        '<li class="mb-1">{} {} <a class="font-semibold" href="{}">{}</a> {} {}</li>',
        (
            (
                short_datetime(reply.received_at),
                reply.from_address,
                reverse("admin:inbound_inboundmessage_change", args=[reply.pk]),
                shortened(reply.subject or reply.text or "(no text)", 80),
                badge(reply.keyword, "warning") if reply.keyword else "",
                badge("answered", "success") if reply.answered_at else badge("unanswered", "info"),
            )
            for reply in replies
        ),
    )
    return format_html("<ul>{}</ul>", rows)


@admin.register(Notification)
class NotificationAdmin(ModelAdmin):
    form = NotificationAdminForm
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    # Fits a 1366 px window; user and olio ids are searchable and on each notification's page.
    list_display = (
        "id",
        "created",
        "type_badge",
        "key_short",
        "status_badge",
        "processed_icon",
        "recipients",
        "subject",
    )
    list_display_links = ("id", "created")
    list_filter = (TypeFilter, StatusFilter, NotificationProblemFilter, "processed", "created_at")
    # The search box shows when search_fields is set; get_search_results does the matching.
    search_fields = ("key", "email_to")
    search_help_text = (
        "An id, key, user/olio/tour/client id or phone number (exact), part of a subject, Glip team "
        "name or email address (agent13, realty-example.com)."
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
        subject, team name and recipients have trigram indexes (migrations 0005,
        0007), so their substring search is indexed too; a term of three
        characters or more also matches part of an address.
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
            if len(term) >= 3:  # part of an address ("agent13"): the recipients' trigram index (0007)
                query |= Q(email_to__icontains=term)
            if term.isdigit():
                query |= Q(pk=int(term))
        return queryset.filter(query), False

    actions = ("resend", "mark_handled", "mark_processed")
    actions_detail = ("resend_one", "mark_handled_one", "mark_processed_one")
    actions_row = ("resend_one", "mark_handled_one")
    readonly_fields = (
        "status_badge",
        "delivery",
        "replies_list",
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
    # While adding: a field shows once the chosen type uses it (django-unfold, Alpine.js).
    conditional_fields = {
        name: " || ".join(f"notification_type == '{kind}'" for kind in _types_using(name))
        for name in {field for _, fields in TYPE_FIELDSETS.values() for field in fields}
    }
    LINKS = (
        "Links",
        {"fields": ("user_id", "olio_id", "tour_id", "client_id", "notifyable_type", "notifyable_id")},
    )
    FILEMAKER = (
        "Internal apps (FileMaker)",
        {"fields": ("created_at_fm", "updated_at_fm", "processed_at_fm", "updated_in"), "classes": ("tab",)},
    )

    def get_fieldsets(self, request, obj=None):
        """A notification shows the fields its type uses: the failure and the proof first, the rest in tabs.

        While adding, every type's fields are there, each shown once its type is chosen.
        """
        if obj is None:
            every = [name for _, fields in TYPE_FIELDSETS.values() for name in fields]
            return (
                (None, {"fields": ("notification_type", "key")}),
                ("Message", {"fields": tuple(dict.fromkeys(every))}),
                self.LINKS,
                self.FILEMAKER,
            )
        title, fields = TYPE_FIELDSETS.get(obj.notification_type, ("Message", ()))
        first = (
            None,
            {
                "fields": (
                    "status_badge",
                    "delivery",
                    "provider_status",
                    "notification_type",
                    "key",
                    "processed",
                )
            },
        )
        # A failure for good or a bounce, and whether someone resolved it (planocore/delivery.py).
        problem = ("Problem", {"fields": ("provider_failed_at", "resolved_at", "resolved_by", "resolution")})
        sections = [first, problem]
        if fields:
            sections.append((title, {"fields": fields}))
        # What people sent back (the inbound app), right under the message; "No reply yet." when
        # none. Always there: Django asks for the fieldsets several times a page, and a section
        # shown only with replies cost a query each time.
        sections.append(("Replies", {"fields": ("replies_list",)}))
        links_title, links = self.LINKS
        return (
            *sections,
            (links_title, {**links, "classes": ("tab",)}),
            self.FILEMAKER,
            ("Record", {"fields": ("processed_at", "created_at", "updated_at"), "classes": ("tab",)}),
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

    @admin.display(description="type", ordering="notification_type")
    def type_badge(self, obj):
        return TYPE_LABELS.get(obj.notification_type, obj.notification_type or "—")

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        """The delivery state's badge, and what the provider reported after (a bounce...) beside it."""
        if obj.provider_status:
            return format_html("{} {}", delivery_badge(obj.status), provider_event_badge(obj.provider_status))
        return delivery_badge(obj.status)

    @admin.display(description="delivery (latest outgoing request)")
    def delivery(self, obj):
        """The latest outgoing request: its state, failure, provider id and a link to its proof."""
        latest = obj.outgoing_requests.order_by("-pk").first() if obj.pk else None
        if latest is None:
            return "No outgoing request yet."
        parts = [delivery_badge(latest.status), request_admin_link(latest)]
        if latest.provider_message_id:
            parts.append(
                format_html("provider id <code>{}</code>", shortened(latest.provider_message_id, 40))
            )
        if latest.last_error:
            parts.append(badge(latest.last_error[:300], "danger"))
        return format_html_join(" ", "{}", ((part,) for part in parts))

    @admin.display(description="replies, newest first")
    def replies_list(self, obj):
        """What people sent back to this notification (`replies_html`); past REPLIES_SHOWN, a link to all."""
        replies = list(obj.replies.order_by("-id")[: self.REPLIES_SHOWN + 1]) if obj.pk else []
        if not replies:
            return "No reply yet."
        more = ""
        if len(replies) > self.REPLIES_SHOWN:
            url = reverse("admin:inbound_inboundmessage_changelist") + f"?notification__id__exact={obj.pk}"
            more = format_html('<a href="{}">Every reply to this notification, in the inbox</a>', url)
        return format_html("{}{}", replies_html(replies[: self.REPLIES_SHOWN]), more)

    REPLIES_SHOWN = 10

    @admin.display(description="to")
    def recipients(self, obj):
        return shortened(obj.email_to or obj.phone_to or obj.team_name or obj.user_id, 18)

    @admin.display(description="key")
    def key_short(self, obj):
        return shortened(obj.key, 16)

    @admin.display(description="subject")
    def subject(self, obj):
        return shortened(obj.email_subject, 20)

    @admin.display(description="processed", boolean=True)
    def processed_icon(self, obj):
        return bool(obj.processed)

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return short_datetime(obj.created_at)

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
        skipped = list(queryset.exclude(processed=0).order_by("pk").values_list("pk", flat=True)[:20])
        done = sum(services.notification_mark_processed(notification=n) for n in queryset.filter(processed=0))
        self.message_user(request, f"{done} notification(s) marked processed.", messages.SUCCESS)
        if skipped:
            which = ", ".join(f"#{pk}" for pk in skipped)
            self.message_user(request, f"Skipped, already processed: {which}.", messages.WARNING)

    resend_one = record_action(
        "resend",
        description="Resend",
        confirm="Queue this notification again: a new outgoing request, sent as the first was.",
        icon="send",
    )

    @action(
        description="Mark handled",
        url_path="mark-handled-one",
        icon="task_alt",
        permissions=["view"],
        dialog={
            "title": "Mark this notification's problem handled?",
            "description": "It stops counting as a failure that needs someone; the note says how.",
            "form_class": NoteDialogForm,
            "form_submit_text": "Mark handled",
        },
    )
    def mark_handled_one(self, request, form, object_id):
        notification = self.get_object(request, object_id)
        if notification is not None and services.notification_mark_handled(
            notification=notification, user=request.user, note=form.cleaned_data["note"]
        ):
            self.message_user(request, "1 problem(s) marked handled.", messages.SUCCESS)
        else:
            self.message_user(request, f"Left alone (no open problem): #{object_id}.", messages.WARNING)
        return back_to(request, reverse("admin:notifications_notification_change", args=[object_id]))

    mark_processed_one = record_action(
        "mark_processed",
        description="Mark processed",
        confirm="Mark this notification processed (for the internal apps that read it).",
        icon="task_alt",
    )


@admin.register(ProductionNotification)
class ProductionNotificationAdmin(ReadOnlyRecordMixin, ModelAdmin):
    """Email notifications whose send failed for good or bounced, newest problem first.

    Open problems by default; resolved ones (sent later, or marked handled) under
    the problem filter's "Resolved".
    """

    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    # Fits a 1366 px window: long values cut (whole on hover), the provider's word beside the state.
    list_display = (
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
        return NotificationAdmin.status_badge(self, obj)

    @admin.display(description="problem since", ordering="provider_failed_at")
    def problem_since(self, obj):
        return short_datetime(obj.provider_failed_at)

    @admin.display(description="subject")
    def subject(self, obj):
        return shortened(obj.email_subject, 18)

    @admin.display(description="to")
    def to(self, obj):
        return shortened(obj.email_to, 16)

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

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("notifications.view_notification") or super().has_view_permission(
            request, obj
        )

    @admin.display(description="notification")
    def notification_link(self, obj):
        url = reverse("admin:notifications_notification_change", args=[obj.pk])
        return format_html('<a href="{}">#{}</a>', url, obj.pk)

    @admin.display(description="outgoing requests")
    def requests(self, obj):
        rows = sorted(obj.outgoing_requests.all(), key=lambda r: r.pk)
        return format_html_join(
            ", ",
            "{} {} {}",
            (
                (
                    request_admin_link(r),
                    delivery_badge(r.status),
                    shortened(r.last_error or r.delivery_status, 16),
                )
                for r in rows
            ),
        )

    @admin.action(description="Resend the selected emails")
    def resend(self, request, queryset):
        NotificationAdmin.resend(self, request, queryset)

    @admin.action(description="Mark the problem handled (with a note)", permissions=["view"])
    def mark_handled(self, request, queryset):
        return NotificationAdmin.mark_handled(self, request, queryset)
