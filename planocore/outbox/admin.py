"""Admin of the outbox: outgoing requests, their attempts and proof, retry/abandon, a dashboard;
the sandbox's failure switches.

The change list shows, above the list, the work waiting and failing and each provider
account's budget per API group (planocore.providers.ratelimit.budgets()).
"""

import json

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from planocore.admin_display import (
    CappedCountPaginator,
    NoteDialogForm,
    ProblemFilter,
    ReadOnlyRecordMixin,
    ask_for_note,
    back_to,
    delivery_badge,
    provider_event_badge,
    record_action,
    short_datetime,
    shortened,
)
from planocore.delivery import NEEDS_SOMEONE, states_q
from planocore.outbox import services
from planocore.outbox.models import ExternalRequest, ExternalRequestAttempt, SandboxFailure
from planocore.outbox.selectors import due_q, open_request_counts
from planocore.providers import ratelimit


class AttemptInline(TabularInline):
    model = ExternalRequestAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "duration_ms", "outcome", "http_status", "retry_after_seconds", "error")
    readonly_fields = fields
    ordering = ("number",)
    tab = True  # a tab of the request's page (django-unfold)
    verbose_name_plural = "attempts"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PriorityFilter(admin.SimpleListFilter):
    """Fixed choices (Django's own filter reads SELECT DISTINCT priority over the whole table)."""

    title = "priority"
    parameter_name = "priority"

    def lookups(self, request, model_admin):
        return [("low", "Below 5 (not retried by itself)"), ("high", "5 or more (retried by itself)")]

    def queryset(self, request, queryset):
        if self.value() == "low":
            return queryset.filter(priority__lt=5)
        if self.value() == "high":
            return queryset.filter(priority__gte=5)
        return queryset


class RequestProblemFilter(ProblemFilter):
    problem_q = states_q(NEEDS_SOMEONE)


class DueFilter(admin.SimpleListFilter):
    """`?due=now`: what a worker would take now (waiting and due, or sending past its lease)."""

    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("now", "Due now")]

    def queryset(self, request, queryset):
        return queryset.filter(due_q(timezone.now())) if self.value() == "now" else queryset


@admin.register(ExternalRequest)
class ExternalRequestAdmin(ReadOnlyRecordMixin, ModelAdmin):
    """Outgoing requests are history: no Save, no Delete; staff retry or abandon them (page, row or list)."""

    list_before_template = "admin/outbox/externalrequest/list_before.html"
    # Fits a 1366 px window: long values are cut, whole on hover; the rest is on the request's page.
    list_display = (
        "id",
        "channel",
        "status_tries",
        "recipient_short",
        "source_list_link",
        "error",
        "created",
    )
    list_filter = ("channel", "status", RequestProblemFilter, DueFilter, PriorityFilter, "created_at")
    date_hierarchy = "created_at"
    search_fields = ("provider_message_id", "recipient")
    search_help_text = (
        "Part of a recipient (email address, phone number, Glip team), the start of a provider message id, "
        "or a request number."
    )
    ordering = ("-id",)
    list_per_page = 50
    # No COUNT(*) over the whole table on each page (millions of rows).
    show_full_result_count = False
    paginator = CappedCountPaginator
    inlines = [AttemptInline]
    actions = ["retry_now", "abandon", "mark_handled"]
    actions_detail = ["retry_now_one", "abandon_one", "mark_handled_one"]
    actions_row = ["retry_now_one", "abandon_one", "mark_handled_one"]
    exclude = ("secret_payload", "payload", "response")  # shown read-only below; secrets never
    readonly_fields = (
        "channel",
        "action",
        "priority",
        "status",
        "status_badge",
        "delivery_status_badge",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "leased_until",
        "staff_retried_at",
        "last_error",
        "superseded_by",
        "resolved_at",
        "resolved_by",
        "resolution",
        "provider_message_id",
        "delivery_status",
        "delivery_status_at",
        "source_link",
        "has_secrets",
        "payload_pretty",
        "proof",
        "created_at",
        "updated_at",
        "sent_at",
    )
    # The state and the failure first, then the proof; the rest in tabs (django-unfold).
    fieldsets = (
        (None, {"fields": ("status_badge", "last_error", "channel", "action", "priority", "source_link")}),
        ("Problem", {"fields": ("resolved_at", "resolved_by", "resolution", "superseded_by")}),
        (
            "Proof",
            {
                "fields": (
                    "provider_message_id",
                    "delivery_status_badge",
                    "delivery_status_at",
                    "sent_at",
                    "proof",
                )
            },
        ),
        (
            "Sending",
            {
                "fields": (
                    "attempts",
                    "next_attempt_at",
                    "claimed_at",
                    "leased_until",
                    "staff_retried_at",
                ),
                "classes": ("tab",),
            },
        ),
        ("What was asked", {"fields": ("payload_pretty", "has_secrets"), "classes": ("tab",)}),
        ("Timestamps", {"fields": ("created_at", "updated_at"), "classes": ("tab",)}),
    )

    def get_search_results(self, request, queryset, search_term):
        # Each part has an index: the provider message id by its start, the primary key exactly,
        # the recipient by substring (a trigram index on PostgreSQL, migration 0005).
        term = search_term.strip()
        if not term:
            return queryset, False
        # A provider id by its start: a prefix range on the id's pattern index (migration 0011).
        # `<> ''` repeats the partial index's condition, so the planner may use it.
        by_id = Q(provider_message_id__startswith=term) & ~Q(provider_message_id="")
        query = by_id | Q(recipient__icontains=term)
        if term.lstrip("#").isdigit():
            query |= Q(pk=int(term.lstrip("#")))
        return queryset.filter(query), False

    @admin.display(description="Status", ordering="status")
    def status_tries(self, obj):
        tries = (
            format_html(' <span class="text-xs">({} tries)</span>', obj.attempts) if obj.attempts > 1 else ""
        )
        handled = mark_safe(' <span class="text-xs">(resolved)</span>') if obj.resolved_at else ""
        return format_html("{}{}{}", delivery_badge(obj.status), tries, handled)

    @admin.display(description="Status")
    def status_badge(self, obj):
        return delivery_badge(obj.status)

    @admin.display(description="Provider reported")
    def delivery_status_badge(self, obj):
        return provider_event_badge(obj.delivery_status)

    @admin.display(description="Recipient", ordering="recipient")
    def recipient_short(self, obj):
        return shortened(obj.recipient, 22) or "—"

    @admin.display(description="Last error")
    def error(self, obj):
        return shortened(obj.last_error, 24) or "—"

    @admin.display(description="Made", ordering="created_at")
    def created(self, obj):
        return short_datetime(obj.created_at)

    def _source(self, obj) -> tuple[str, str | None]:
        """The record that caused the request ("notification #12") and its admin page, if it has one."""
        if not obj.content_type_id:
            return "—", None
        content_type = ContentType.objects.get_for_id(obj.content_type_id)  # cached: no query per row
        model = content_type.model_class()
        name = capfirst(model._meta.verbose_name if model is not None else content_type.model)
        try:
            url = reverse(f"admin:{content_type.app_label}_{content_type.model}_change", args=[obj.object_id])
        except NoReverseMatch:
            url = None
        return f"{name} #{obj.object_id}", url

    @admin.display(description="Source")
    def source_list_link(self, obj):
        label, url = self._source(obj)
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    @admin.display(description="Caused by")
    def source_link(self, obj):
        return self.source_list_link(obj)

    @admin.display(description="Secrets", boolean=True)
    def has_secrets(self, obj):
        # Whether encrypted secrets are held (until sent); never their value.
        return bool(obj.secret_payload)

    @admin.display(description="Payload")
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True))

    @admin.display(description="Provider response")
    def proof(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.response, indent=2, sort_keys=True))

    def _say_refusals(self, request, refusals: services.Refusals) -> None:
        for said in refusals.messages():
            self.message_user(request, f"Left alone: {said}.", messages.WARNING)

    @admin.action(description="Retry now", permissions=["change"])
    def retry_now(self, request, queryset):
        # The ids now: the queryset may be filtered by status, which the retry changes.
        selected = list(queryset.values_list("pk", flat=True))
        started = timezone.now()
        count, refusals = services.retry_requests(queryset=queryset)
        self.message_user(request, f"{count} request(s) put back in line to be sent now.", messages.SUCCESS)
        if count:
            self._say_how_the_retry_ended(request, selected, started)
        self._say_refusals(request, refusals)

    def _say_how_the_retry_ended(self, request, selected: list[int], started) -> None:
        """When the send ran inside this request (no broker: tasks run in-process), say how it ended.

        With a broker the retried requests are still waiting for a worker, and the banner says so.
        """
        retried = ExternalRequest.objects.filter(pk__in=selected, staff_retried_at__gte=started).order_by(
            "pk"
        )
        rows = list(retried.values_list("pk", "status", "last_error"))
        by_status: dict[str, list] = {}
        for pk, status, error in rows:
            by_status.setdefault(status, []).append((pk, error))
        Status = ExternalRequest.Status
        parts, level = [], messages.SUCCESS
        if sent := by_status.get(Status.SENT):
            parts.append(f"{len(sent)} sent")
        for status in NEEDS_SOMEONE:
            if failed := by_status.get(status):
                pk, error = failed[0]
                parts.append(f"{len(failed)} {status} (#{pk}: {error[:200] or 'no error given'})")
                level = messages.ERROR
        if retrying := by_status.get(Status.RETRYING):
            pk, error = retrying[0]
            parts.append(
                f"{len(retrying)} retrying (#{pk} failed again and waits for its next try: {error[:200]})"
            )
            level = messages.WARNING if level == messages.SUCCESS else level
        waiting = by_status.get(Status.QUEUED, []) + by_status.get(Status.SENDING, [])
        if waiting:
            parts.append(f"{len(waiting)} queued or sending")
        if parts:
            self.message_user(request, "How the retry ended: " + ", ".join(parts) + ".", level)

    @admin.action(description="Abandon", permissions=["change"])
    def abandon(self, request, queryset):
        count, refusals = services.abandon_requests(queryset=queryset)
        self.message_user(request, f"{count} request(s) abandoned.", messages.SUCCESS)
        self._say_refusals(request, refusals)

    @admin.action(description="Mark handled (with a note)", permissions=["change"])
    def mark_handled(self, request, queryset):
        note, page = ask_for_note(
            self, request, queryset, title="Mark these problems handled", action="mark_handled"
        )
        if page is not None:
            return page
        count = services.mark_handled(queryset=queryset, user=request.user, note=note)
        left = queryset.count() - count
        self.message_user(request, f"{count} problem(s) marked handled.", messages.SUCCESS)
        if left:
            self.message_user(
                request,
                f"Left alone: {left} request(s) not failed or abandoned, or already resolved.",
                messages.WARNING,
            )
        return None

    retry_now_one = record_action(
        "retry_now",
        description="Retry now",
        confirm="Send this request again now; the page then says how the try ended.",
        icon="refresh",
        permissions=("change",),
    )

    @action(
        description="Mark handled",
        url_path="mark-handled-one",
        icon="task_alt",
        permissions=["change"],
        dialog={
            "title": "Mark this problem handled?",
            "description": "It stops counting as a failure that needs someone; the note says how.",
            "form_class": NoteDialogForm,
            "form_submit_text": "Mark handled",
        },
    )
    def mark_handled_one(self, request, form, object_id):
        queryset = self.get_queryset(request).filter(pk=object_id)
        count = services.mark_handled(queryset=queryset, user=request.user, note=form.cleaned_data["note"])
        if count:
            self.message_user(request, "1 problem(s) marked handled.", messages.SUCCESS)
        else:
            self.message_user(
                request,
                f"Left alone: #{object_id} is not failed or abandoned, or already resolved.",
                messages.WARNING,
            )
        return back_to(request, reverse("admin:outbox_externalrequest_change", args=[object_id]))

    abandon_one = record_action(
        "abandon",
        description="Abandon",
        confirm="Give this request up: the outbox stops trying it until someone retries it.",
        icon="block",
        permissions=("change",),
    )

    def changelist_view(self, request, extra_context=None):
        SandboxFailure.ensure_all()
        extra_context = {
            **(extra_context or {}),
            "outbox_dashboard": open_request_counts(),
            "provider_budgets": ratelimit.budgets(),
        }
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(SandboxFailure)
class SandboxFailureAdmin(ModelAdmin):
    """One switch per channel (made by the list when missing), edited in the list: no adding or deleting."""

    list_display = ("channel", "mode", "retry_after_seconds", "served_by", "updated_at")
    list_editable = ("mode", "retry_after_seconds")
    list_display_links = None
    fields = ("channel", "mode", "retry_after_seconds")
    readonly_fields = ("channel",)

    @admin.display(description="served by")
    def served_by(self, obj: SandboxFailure) -> str:
        from planocore.providers.registry import get_backend

        try:
            name = get_backend(obj.channel).name
        except Exception:
            return "unknown"
        return name if name == "sandbox" else f"{name} (a real provider: this switch does nothing)"

    def changelist_view(self, request, extra_context=None):
        SandboxFailure.ensure_all()
        extra_context = {
            **(extra_context or {}),
            "title": "Sandbox failures: make a channel's sandbox sends fail on purpose",
        }
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
