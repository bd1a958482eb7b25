"""Admin of inbound: the inbox (unanswered first) and the suppressions, lifted with a note.

On django-unfold like every admin: the records are written by the webhooks and the services, so
the pages are read-only except for marking a message answered and lifting a suppression.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from inbound.models import ApplicationCallback, InboundMessage, Suppression, SuppressionChange
from inbound.services import (
    application_callback_set,
    callbacks_changed,
    inbound_message_reply,
    simulate_inbound,
    suppression_lift,
)
from notifications.admin import replies_html
from planocore.admin_display import short_datetime, shortened


class InboundMessageForm(forms.ModelForm):
    reply = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent as a new notification to the sender on the same channel; marks the message answered.",
    )

    class Meta:
        model = InboundMessage
        fields: list[str] = []


@admin.register(InboundMessage)
class InboundMessageAdmin(ModelAdmin):
    form = InboundMessageForm
    list_before_template = "admin/inbound/inboundmessage/list_before.html"  # the sandbox's button
    list_display = (
        "id",
        "channel",
        "from_address",
        "short_text",
        "keyword",
        "notification",
        "received_at",
        "answered_at",
    )
    list_filter = ("channel", "keyword", ("answered_at", admin.EmptyFieldListFilter))
    search_fields = ("=from_address", "=user_id", "=notification__id")
    list_select_related = ("notification",)
    show_full_result_count = False
    actions = ("mark_answered",)
    readonly_fields = ["thread", *[f.name for f in InboundMessage._meta.fields]]
    fields = ("thread", "reply", *[f.name for f in InboundMessage._meta.fields])

    def get_ordering(self, request):
        return [F("answered_at").asc(nulls_first=True), "-id"]  # the inbox: unanswered first

    def get_urls(self):
        simulate = self.admin_site.admin_view(self.simulate_view)
        return [path("simulate/", simulate, name="inbound_inboundmessage_simulate"), *super().get_urls()]

    def simulate_view(self, request):
        """The sandbox's button (a form on the changelist): make an inbound SMS, bounce or message."""
        if request.method == "POST" and self.has_view_permission(request):
            data = request.POST
            try:
                said = simulate_inbound(
                    kind=data.get("kind", ""),
                    text=data.get("text", "")[:2000],
                    address=data.get("address", "")[:254],
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, said, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:inbound_inboundmessage_changelist"))

    def has_add_permission(self, request):
        return False

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text[:60] or obj.subject[:60]

    @admin.display(description="thread")
    def thread(self, obj):
        """The notification it answers, then every reply to it, oldest first."""
        if obj.notification is None:
            return "(not linked to a notification)"
        notification = obj.notification
        return format_html(
            '<p class="mb-1">{} PlanoCore <a class="font-semibold" href="{}">{}</a></p>{}',
            short_datetime(notification.created_at),
            reverse("admin:notifications_notification_change", args=[notification.pk]),
            shortened(notification.email_subject or notification.email_body, 200),
            replies_html(notification.replies.order_by("received_at", "id")),
        )

    def save_model(self, request, obj, form, change):
        text = form.cleaned_data.get("reply", "").strip()
        if not text:
            return
        try:
            reply = inbound_message_reply(message=obj, text=text)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, f"The reply was sent as notification #{reply.pk}.", messages.SUCCESS)

    @admin.action(description="Mark answered", permissions=["change"])
    def mark_answered(self, request, queryset):
        count = queryset.filter(answered_at__isnull=True).update(answered_at=timezone.now())
        self.message_user(request, f"{count} message(s) marked answered.", messages.SUCCESS)


class SuppressionChangeInline(TabularInline):
    model = SuppressionChange
    fields = ("at", "action", "note", "by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class SuppressionForm(forms.ModelForm):
    lift_with_note = forms.CharField(
        required=False, max_length=500, help_text="Lift the suppression: say why (kept in its history)."
    )

    class Meta:
        model = Suppression
        fields: list[str] = []


@admin.register(Suppression)
class SuppressionAdmin(ModelAdmin):
    form = SuppressionForm
    list_display = ("id", "kind", "address", "reason", "since", "lifted_at")
    list_filter = ("kind", "reason", ("lifted_at", admin.EmptyFieldListFilter))
    search_fields = ("=address",)
    show_full_result_count = False
    inlines = (SuppressionChangeInline,)
    readonly_fields = (
        "kind",
        "address",
        "reason",
        "detail",
        "since",
        "inbound_message",
        "lifted_at",
        "lifted_by",
        "lift_note",
    )
    fields = (*readonly_fields, "lift_with_note")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # kept for its history: lift it instead

    def save_model(self, request, obj, form, change):
        note = form.cleaned_data.get("lift_with_note", "").strip()
        if not note:
            return
        try:
            suppression_lift(suppression=obj, note=note, by=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)


class ApplicationCallbackForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500, assume_scheme="https", help_text="https URL the events are POSTed to."
    )

    class Meta:
        model = ApplicationCallback
        fields = ["application", "url", "active"]


@admin.register(ApplicationCallback)
class ApplicationCallbackAdmin(ModelAdmin):
    """Setting a URL makes a new signing secret, shown once in the page's message (never stored in clear)."""

    form = ApplicationCallbackForm
    list_display = ("application", "url", "active", "updated_at")

    def save_model(self, request, obj, form, change):
        if change and "url" not in form.changed_data:
            obj.save(update_fields=["active", "updated_at"])
            callbacks_changed()
            return
        try:
            callback, secret = application_callback_set(application=obj.application, url=obj.url)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        obj.pk, obj.secret = callback.pk, callback.secret
        self.message_user(
            request,
            f"The signing secret of {callback.application.slug}'s callbacks (shown once): {secret}",
            messages.WARNING,
        )
