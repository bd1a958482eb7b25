"""Admin of the messaging clients: mirrored from Sunshine Conversations, so read-only here.

Staff can find a user's clients (by user, address or phone), filter by status and
remove clients (which removes them in Sunshine Conversations too).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin

from messaging.models import MessagingClient, ProcessedWebhookEvent
from messaging.services import messaging_client_remove
from planocore.admin_display import ReadOnlyRecordMixin, short_datetime, shortened
from planocore.errors import ServiceUnavailable


@admin.register(MessagingClient)
class MessagingClientAdmin(ModelAdmin):
    # Fits a 1366 px window: ids cut (whole on hover); when a client was removed is a filter.
    list_display = (
        "client",
        "user",
        "type",
        "status",
        "match",
        "conversation",
        "primary",
        "linked",
        "synced",
    )
    list_display_links = ("client",)
    list_filter = ("status", "type", "primary", ("removed_at", admin.EmptyFieldListFilter))
    search_fields = ("=user__id", "user__username", "user__email", "address", "phone_number", "=client_id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # no COUNT(*) over millions of rows on every search
    raw_id_fields = ("user",)
    actions = ("remove_clients",)
    fieldsets = (
        (None, {"fields": ("user", "type", "status", "primary", "address", "phone_number")}),
        (
            "Sunshine Conversations",
            {
                "fields": (
                    "client_id",
                    "external_user_id",
                    "sc_user_id",
                    "integration_id",
                    "conversation_id",
                )
            },
        ),
        (
            "Sync",
            {
                "fields": (
                    "linked_at",
                    "last_synced_at",
                    "last_event_at",
                    "removed_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )
    readonly_fields = flatten_fieldsets(fieldsets)  # a mirror of Sunshine Conversations: read-only

    @admin.display(description="Address / phone")
    def match(self, obj: MessagingClient) -> str:
        return shortened(obj.phone_number or obj.address, 16) or "—"

    @admin.display(description="SC client id", ordering="client_id")
    def client(self, obj: MessagingClient) -> str:
        return shortened(obj.client_id, 10)

    @admin.display(description="conversation", ordering="conversation_id")
    def conversation(self, obj: MessagingClient) -> str:
        return shortened(obj.conversation_id, 10) or "—"

    @admin.display(description="linked", ordering="linked_at")
    def linked(self, obj: MessagingClient) -> str:
        return short_datetime(obj.linked_at)

    @admin.display(description="last synced", ordering="last_synced_at")
    def synced(self, obj: MessagingClient) -> str:
        return short_datetime(obj.last_synced_at)

    def has_add_permission(self, request) -> bool:
        return False  # clients are created through the API (Sunshine Conversations first)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # Sunshine Conversations is the source of truth; the webhook and sync update rows

    def has_delete_permission(self, request, obj=None) -> bool:
        # Only through the remove action, which removes the client in Sunshine Conversations too;
        # a plain delete would leave it linked there.
        return obj is None and super().has_delete_permission(request)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(
        description="Remove the selected clients (in Sunshine Conversations too)", permissions=["delete"]
    )
    def remove_clients(self, request, queryset):
        removed, failed = 0, []
        for client in queryset.filter(removed_at__isnull=True).select_related("user"):
            try:
                messaging_client_remove(user=client.user, client_id=client.client_id)
            except ServiceUnavailable as exc:
                failed.append(f"{client.client_id}: {exc.message}")
            except ValidationError as exc:
                failed.append(f"{client.client_id}: {' '.join(exc.messages)}")
            else:
                removed += 1
        if removed:
            self.message_user(
                request,
                ngettext("%d client removed.", "%d clients removed.", removed) % removed,
                messages.SUCCESS,
            )
        for failure in failed:
            self.message_user(request, f"Not removed: {failure}", messages.ERROR)


@admin.register(ProcessedWebhookEvent)
class ProcessedWebhookEventAdmin(ReadOnlyRecordMixin, ModelAdmin):
    list_display = ("event_id", "event_type", "received_at")
    list_filter = ("event_type",)
    search_fields = ("=event_id",)
    date_hierarchy = "received_at"
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
