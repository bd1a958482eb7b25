"""Inbound: what people send back (replies, STOP, bounces) and the consent it withdraws.

An `InboundMessage` is written once per provider event (the provider's event id is
unique per provider). A `Suppression` is an address (an E.164 number or an email
address) PlanoCore must not send to on a channel family; it is never deleted:
lifting it sets `lifted_at`, and every change is a `SuppressionChange` (its history).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from planocore.crypto import EncryptedTextField


class InboundChannel(models.TextChoices):
    SMS = "sms", "SMS or MMS through RingCentral"
    EMAIL = "email", "Email through Mandrill inbound"
    CONVERSATION = "conversation", "Sunshine Conversations message"


class InboundMessage(models.Model):
    channel = models.CharField(max_length=20, choices=InboundChannel.choices)
    from_address = models.CharField(
        max_length=254, help_text="Who sent it: an E.164 number, an address, a user."
    )
    to_address = models.CharField(
        max_length=254, blank=True, help_text="Where it was sent: our number or address."
    )
    text = models.TextField(blank=True)
    subject = models.CharField(max_length=998, blank=True)
    media = models.JSONField(
        default=list, blank=True, help_text="Attachments as the provider described them (id, type, uri)."
    )
    received_at = models.DateTimeField(help_text="When the provider received it.")
    provider = models.CharField(max_length=20, help_text="ringcentral, mandrill or sunshine.")
    provider_event_id = models.CharField(
        max_length=200, help_text="The provider's event id: duplicates skipped."
    )
    provider_message_id = models.CharField(max_length=200, blank=True)
    conversation_id = models.CharField(max_length=64, blank=True)
    user_id = models.CharField(
        max_length=64, blank=True, help_text="The user it belongs to (a notification's user_id)."
    )
    notification = models.ForeignKey(
        "notifications.Notification",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        help_text="The notification it most likely answers.",
    )
    keyword = models.CharField(
        max_length=20,
        blank=True,
        help_text="The consent keyword it carried (STOP, START, HELP...), upper case.",
    )
    answered_at = models.DateTimeField(
        null=True, blank=True, help_text="When staff replied or marked it handled."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_event_id"], name="inbound_event_unique"),
        ]
        indexes = [
            models.Index(fields=["channel", "-id"], name="inbound_channel_idx"),
            models.Index(fields=["user_id", "-id"], name="inbound_user_idx"),
            models.Index(fields=["from_address", "-id"], name="inbound_from_idx"),
            models.Index(fields=["answered_at", "-id"], name="inbound_answered_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} from {self.from_address}: {self.text[:40]}"


class SuppressedKind(models.TextChoices):
    """The family of channels a suppression stops (one STOP stops SMS and MMS)."""

    PHONE = "phone", "SMS and MMS to this number"
    EMAIL = "email", "Email to this address"
    CONVERSATION = "conversation", "Conversation messages to this user"


class SuppressionReason(models.TextChoices):
    STOP = "stop", "The recipient replied STOP (or another stop word)"
    HARD_BOUNCE = "hard_bounce", "Hard bounce"
    COMPLAINT = "complaint", "Marked as spam"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribed"
    REJECT = "reject", "Rejected by the provider"
    CLIENT_REMOVED = "client_removed", "The messaging client was removed"


class Suppression(models.Model):
    """An address PlanoCore does not send to while `lifted_at` is empty."""

    kind = models.CharField(max_length=20, choices=SuppressedKind.choices)
    address = models.CharField(max_length=254, help_text="E.164 number, lower-case email address or user id.")
    reason = models.CharField(max_length=20, choices=SuppressionReason.choices)
    detail = models.CharField(
        max_length=500, blank=True, help_text="What the provider or the recipient said."
    )
    since = models.DateTimeField(help_text="Since when sends are suppressed.")
    inbound_message = models.ForeignKey(
        InboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # At most one active suppression per address: the send path's one indexed lookup.
            models.UniqueConstraint(
                fields=["kind", "address"],
                condition=Q(lifted_at__isnull=True),
                name="suppression_active_unique",
            ),
        ]
        indexes = [models.Index(fields=["address", "-id"], name="suppression_address_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.address} ({self.reason})"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class SuppressionChange(models.Model):
    """One line of a suppression's history: suppressed, lifted (with a note), resumed by the recipient."""

    class Action(models.TextChoices):
        SUPPRESSED = "suppressed", "Suppressed"
        LIFTED = "lifted", "Lifted by staff"
        RESUMED = "resumed", "Resumed by the recipient (START)"

    suppression = models.ForeignKey(Suppression, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(max_length=20, choices=Action.choices)
    note = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"


class WebhookSubscription(models.Model):
    """A RingCentral message-store subscription PlanoCore made (one per extension; null: the default)."""

    extension = models.OneToOneField(
        "ringcentral.RingCentralExtension", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subscription_id = models.CharField(max_length=64, unique=True)
    address = models.URLField(max_length=500)
    status = models.CharField(max_length=20, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    renewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["extension"], condition=Q(extension__isnull=True), name="subscription_default_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"RingCentral subscription {self.subscription_id}"


class ApplicationCallback(models.Model):
    """Where PlanoCore POSTs an application's events (replies, delivery states), signed with its secret."""

    application = models.OneToOneField(
        "planocore.Application", on_delete=models.CASCADE, related_name="callback"
    )
    url = models.URLField(max_length=500, help_text="https URL the events are POSTed to (fenced).")
    secret = EncryptedTextField(
        editable=False, help_text="HMAC-SHA256 signing secret (stored encrypted, shown once)."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.application}: {self.url}"
