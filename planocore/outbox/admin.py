"""Admin of the outbox: outgoing requests, their attempts and proof, retry/abandon, a dashboard.

The change list shows, above the list, the work waiting and failing and each provider
account's budget per API group (planocore.providers.ratelimit.budgets()).
"""

import json

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html

from planocore.outbox import services
from planocore.outbox.models import ExternalRequest, ExternalRequestAttempt
from planocore.outbox.selectors import open_requests_condition
from planocore.providers import ratelimit


class AttemptInline(admin.TabularInline):
    model = ExternalRequestAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "duration_ms", "outcome", "http_status", "retry_after_seconds", "error")
    readonly_fields = fields
    ordering = ("number",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def dashboard_counts() -> dict[str, int]:
    """Count the work staff should watch: pending, sending, failed, abandoned.

    One GROUP BY over the partial (status, channel) index of unfinished rows,
    so it never counts the millions of succeeded rows.
    """
    watched = [
        ExternalRequest.Status.PENDING,
        ExternalRequest.Status.SENDING,
        ExternalRequest.Status.FAILED,
        ExternalRequest.Status.ABANDONED,
    ]
    rows = (
        # The literal `status <> 'succeeded'` lets the database use the partial
        # outbox_open_status_idx (SQLite needs it word for word).
        ExternalRequest.objects.filter(open_requests_condition(), status__in=watched)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(watched, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


@admin.register(ExternalRequest)
class ExternalRequestAdmin(admin.ModelAdmin):
    change_list_template = "admin/outbox/externalrequest/change_list.html"
    list_display = (
        "id",
        "channel",
        "action",
        "priority",
        "status",
        "attempts",
        "next_attempt_at",
        "provider_message_id",
        "created_at",
    )
    list_filter = ("channel", "status", "priority", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("provider_message_id",)
    search_help_text = "Exact provider message id, or a request number."
    ordering = ("-id",)
    list_per_page = 50
    # No COUNT(*) over the whole table on each page (millions of rows).
    show_full_result_count = False
    inlines = [AttemptInline]
    actions = ["retry_now", "abandon"]
    exclude = ("secret_payload", "payload", "response")  # shown read-only below; secrets never
    readonly_fields = (
        "channel",
        "action",
        "priority",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "leased_until",
        "staff_retried_at",
        "last_error",
        "provider_message_id",
        "delivery_status",
        "source_link",
        "has_secrets",
        "payload_pretty",
        "proof",
        "created_at",
        "updated_at",
        "sent_at",
    )
    fieldsets = (
        (None, {"fields": ("channel", "action", "priority", "status", "source_link")}),
        (
            "Sending",
            {
                "fields": (
                    "attempts",
                    "next_attempt_at",
                    "claimed_at",
                    "leased_until",
                    "staff_retried_at",
                    "last_error",
                )
            },
        ),
        ("What was asked", {"fields": ("payload_pretty", "has_secrets")}),
        ("Proof", {"fields": ("provider_message_id", "delivery_status", "sent_at", "proof")}),
        ("Timestamps", {"fields": ("created_at", "updated_at")}),
    )

    def get_search_results(self, request, queryset, search_term):
        # Exact matches only: they use the provider_message_id and primary-key
        # indexes, where icontains would scan millions of rows.
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.lstrip("#").isdigit():
            return queryset.filter(pk=int(term.lstrip("#"))) | queryset.filter(
                provider_message_id=term
            ), False
        return queryset.filter(provider_message_id=term), False

    def has_add_permission(self, request):
        return False  # requests are written by the services, never by hand

    @admin.display(description="Caused by")
    def source_link(self, obj):
        if not obj.content_type_id:
            return "—"
        return f"{obj.content_type.app_label}.{obj.content_type.model} #{obj.object_id}"

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

    @admin.action(description="Retry now", permissions=["change"])
    def retry_now(self, request, queryset):
        selected = queryset.count()
        count = services.retry_requests(queryset=queryset)
        skipped = selected - count
        self.message_user(request, f"{count} request(s) put back in line to be sent now.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} request(s) left alone: already sent or being sent.", messages.WARNING
            )

    @admin.action(description="Abandon", permissions=["change"])
    def abandon(self, request, queryset):
        count = services.abandon_requests(queryset=queryset)
        self.message_user(request, f"{count} request(s) abandoned.", messages.SUCCESS)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "outbox_dashboard": dashboard_counts(),
            "provider_budgets": ratelimit.budgets(),
        }
        return super().changelist_view(request, extra_context=extra_context)
