"""Admin of the glip app: teams (with the import) and messages.

The extensions' admin is planocore.providers.ringcentral.admin.
"""

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import GenericTabularInline, ModelAdmin

from glip.models import GlipMessage, GlipTeam
from glip.services import glip_message_create, glip_message_retry
from glip.tasks import import_default_extensions_glip_teams
from planocore.admin_display import delivery_badge, record_action, short_datetime, shortened, status_badge
from planocore.outbox.models import ExternalRequest


def run_team_import(request) -> None:
    """Run the import task (in-process without a broker) and tell the user what it did."""
    result = import_default_extensions_glip_teams.delay()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        if result.failed():
            messages.error(request, f"The Glip team import failed: {result.result}")
            return
        counts = ", ".join(f"{value} {name}" for name, value in result.result.items())
        sandbox = settings.PROVIDER_BACKENDS.get("glip_teams", "").startswith("planocore.providers.sandbox.")
        where = (
            " (the sandbox's teams: no RingCentral credentials are set; see docs/glip.md)" if sandbox else ""
        )
        messages.success(request, f"Glip teams imported: {counts}{where}.")
    else:
        messages.info(request, "The Glip team import is queued; reload this page in a minute.")


@admin.register(GlipTeam)
class GlipTeamAdmin(ModelAdmin):
    change_list_template = "admin/glip/glipteam/change_list.html"
    list_display = ["name", "chat_id", "active", "public", "source", "imported"]
    list_filter = ["active", "public", "source_extension"]
    search_fields = ["name", "chat_id", "description"]
    readonly_fields = ["last_imported_at", "created_at", "updated_at"]
    list_select_related = ["source_extension"]
    actions = ["import_teams", "deactivate"]

    # Short headings and a shortened extension: at 1366 px the list had no room to spare, and a
    # time with wide digits pushed it 2 px past its box (tests/browser/test_changelists.py).
    @admin.display(description="Source extension", ordering="source_extension__extension_number")
    def source(self, obj):
        return shortened(obj.source_extension, 24) if obj.source_extension_id else "—"

    @admin.display(description="Imported", ordering="last_imported_at")
    def imported(self, obj):
        return short_datetime(obj.last_imported_at)

    @admin.action(description="Import teams from RingCentral now (all default extensions)")
    def import_teams(self, request, queryset):
        run_team_import(request)

    @admin.action(description="Deactivate the selected teams")
    def deactivate(self, request, queryset):
        count = queryset.update(active=False)
        messages.success(request, f"{count} team(s) deactivated.")

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="glip_glipteam_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """The changelist's "Import from RingCentral" button (works with no team selected or none yet)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            messages.error(request, "You may not import teams.")
        else:
            run_team_import(request)
        return HttpResponseRedirect(reverse("admin:glip_glipteam_changelist"))


class OutgoingRequestInline(GenericTabularInline):
    """The message's outgoing request(s) with their proof (read-only)."""

    model = ExternalRequest
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = "outgoing request"
    fields = [
        "link",
        "status_badge",
        "attempts",
        "provider_message_id",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "proof",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Request")
    def link(self, obj):
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:outbox_externalrequest_change", args=[obj.pk]), obj.pk
        )

    @admin.display(description="Status")
    def status_badge(self, obj):
        return delivery_badge(obj.status)

    @admin.display(description="Proof (provider's answer, no secrets)")
    def proof(self, obj):
        return format_html(
            "<pre style='white-space:pre-wrap;margin:0'>{}</pre>",
            json.dumps(obj.response, indent=2, sort_keys=True),
        )


class GlipMessageForm(forms.ModelForm):
    rc_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Only with an extension: post with this password (kept encrypted until sent, then wiped).",
    )

    class Meta:
        model = GlipMessage
        fields = ["team", "text", "extension", "priority"]

    def clean(self):
        data = super().clean()
        if data.get("rc_password") and not data.get("extension"):
            self.add_error("rc_password", "Choose the extension this password belongs to.")
        return data


@admin.register(GlipMessage)
class GlipMessageAdmin(ModelAdmin):
    # Fits a 1366 px window; the extension is on each message's page, the priority a filter.
    list_display = ["id", "team_short", "short_text", "status_badge", "post", "created"]
    list_filter = ["status", "priority", "team"]
    search_fields = ["text", "post_id"]
    date_hierarchy = "created_at"
    list_select_related = ["team", "extension"]
    show_full_result_count = False  # no COUNT(*) over millions of rows
    inlines = [OutgoingRequestInline]
    actions = ["retry"]
    actions_detail = ["retry_one"]
    actions_row = ["retry_one"]
    readonly_fields = [
        "status_badge",
        "post_id",
        "last_error",
        "sent_by",
        "application",
        "created_at",
        "updated_at",
        "sent_at",
    ]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = GlipMessageForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["team", "text", "extension", "priority", "rc_password"]
        return ["team", "text", "extension", "priority", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["team", "text", "extension", "priority", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:  # a message is history once saved: nothing to edit
            return
        # Through the service, as the API does: the one-time password goes to the outbox encrypted.
        saved = glip_message_create(
            team=obj.team,
            text=obj.text,
            extension=obj.extension,
            rc_password=form.cleaned_data.get("rc_password") or "",
            priority=obj.priority,
            sent_by=request.user,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.display(description="Team", ordering="team__name")
    def team_short(self, obj):
        return shortened(obj.team.name, 22)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status)

    @admin.display(description="Message")
    def short_text(self, obj):
        return shortened(obj.text, 36)

    @admin.display(description="Post id", ordering="post_id")
    def post(self, obj):
        return shortened(obj.post_id, 14) or "—"

    @admin.display(description="Created", ordering="created_at")
    def created(self, obj):
        return short_datetime(obj.created_at)

    @admin.action(description="Retry sending the selected failed messages")
    def retry(self, request, queryset):
        skipped = []
        retried = 0
        for message in queryset.order_by("pk"):
            if glip_message_retry(message=message):
                retried += 1
            else:
                skipped.append(f"#{message.pk} ({message.status})")
        messages.success(request, f"{retried} message(s) put back in line.")
        if skipped:
            messages.warning(
                request,
                f"{len(skipped)} skipped, not failed or abandoned: {', '.join(skipped[:20])}.",
            )

    retry_one = record_action(
        "retry",
        description="Retry",
        confirm="Put this message's failed post back in line to be sent now.",
        icon="refresh",
    )
