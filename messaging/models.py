"""Messaging clients: a PlanoCore user's channels in Sunshine Conversations, mirrored locally.

Sunshine Conversations (SC) knows each PlanoCore user as an SC user whose
`externalId` is the PlanoCore user id. A client links that user to a channel
(WhatsApp, Twilio SMS, email...) and, through a target conversation, lets
`conversation` notifications reach them. SC is the source of truth; this table is
the mirror kept by the API calls, the list sync and the webhook.
"""

from django.conf import settings
from django.db import models


class MessagingClient(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        BLOCKED = "blocked", "Blocked"

    class Type(models.TextChoices):
        # The contract's clientType values.
        APPLE = "apple", "Apple Messages for Business"
        GBM = "gbm", "Google's Business Messages"
        GOOGLERCS = "googlercs", "Google RCS"
        INSTAGRAM = "instagram", "Instagram"
        KAKAO = "kakao", "KakaoTalk"
        LINE = "line", "LINE"
        MAILGUN = "mailgun", "Email (Mailgun)"
        MESSAGEBIRD = "messagebird", "SMS (MessageBird)"
        MESSENGER = "messenger", "Facebook Messenger"
        SLACKCONNECT = "slackconnect", "Slack Connect"
        SDK = "sdk", "SDK (web, iOS, Android)"
        TELEGRAM = "telegram", "Telegram"
        TWILIO = "twilio", "SMS (Twilio)"
        TWITTER = "twitter", "X (Twitter)"
        VIBER = "viber", "Viber"
        WECHAT = "wechat", "WeChat"
        WHATSAPP = "whatsapp", "WhatsApp"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messaging_clients"
    )
    external_user_id = models.CharField(
        max_length=64, help_text="The SC user's externalId: the PlanoCore user id."
    )
    sc_user_id = models.CharField(
        "SC user id", max_length=64, blank=True, help_text="The SC user's own id, once known."
    )
    client_id = models.CharField("SC client id", max_length=64, unique=True)
    type = models.CharField(max_length=16, choices=Type.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    integration_id = models.CharField(max_length=64, blank=True)
    address = models.CharField(
        max_length=254, blank=True, help_text="The email address that matches the client (Mailgun)."
    )
    phone_number = models.CharField(
        max_length=20,
        blank=True,
        help_text="The phone number that matches the client, in E.164 form (MessageBird, Twilio, WhatsApp).",
    )
    conversation_id = models.CharField(
        max_length=64, blank=True, help_text="The conversation the client is linked to (the create target)."
    )
    primary = models.BooleanField(default=True)
    linked_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When SC last told us about this client (API answer, list or webhook).",
    )
    last_event_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the last applied webhook event was made; older events are ignored.",
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "status"], name="messaging_client_user_status"),
            models.Index(fields=["status", "-created_at"], name="messaging_client_status_new"),
            models.Index(fields=["phone_number"], name="messaging_client_phone"),
            models.Index(fields=["address"], name="messaging_client_address"),
        ]

    def __str__(self) -> str:
        target = self.phone_number or self.address or self.client_id
        return f"{self.get_type_display()} {target} ({self.status})"


class ProcessedWebhookEvent(models.Model):
    """An SC webhook event already applied: its id is inserted first, so a replay is skipped."""

    event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
