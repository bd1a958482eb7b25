"""Notifications: a message to send by email, SMS, MMS, Glip or Sunshine Conversations.

Every parameter of the Notifications Create API seed is a field here, with its
type; `team_name` is PlanoCore's addition (the Glip team of a `glip` notification).
Saving a new notification dispatches it (see receivers.py and services.py).
"""

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q

from planocore.delivery import DeliveryState, Resolution


class NotificationType(models.TextChoices):
    EMAIL = "email", "Email through Mandrill"
    SMS = "sms", "SMS through RingCentral"
    MMS = "mms", "MMS (SMS with media_url attached) through RingCentral"
    GLIP = "glip", "Post to the Glip team named by team_name"
    CONVERSATION = "conversation", "Message to user_id's linked Sunshine Conversations client"


class DeliveryStatus:
    """What PlanoCore writes to `status`: the one delivery vocabulary (planocore/delivery.py).

    Callers may store their own `status` too (the seed lets them); a notification
    PlanoCore sends shows its latest outgoing request's state.
    """

    QUEUED = DeliveryState.QUEUED.value
    RETRYING = DeliveryState.RETRYING.value
    SENT = DeliveryState.SENT.value
    FAILED = DeliveryState.FAILED.value
    ABANDONED = DeliveryState.ABANDONED.value

    CHOICES = DeliveryState.choices


class Processed(models.IntegerChoices):
    NO = 0, "Not processed"
    YES = 1, "Processed"


class Notification(Resolution):
    key = models.CharField(max_length=100, blank=True, help_text="The caller's identifier, usually a slug.")
    status = models.CharField(
        max_length=50, blank=True, help_text="Where delivery stands, as PlanoCore or the provider last said."
    )
    email_from = models.CharField(max_length=254, blank=True)
    email_subject = models.CharField(max_length=998, blank=True)
    email_technician = models.CharField(max_length=254, blank=True)
    user_id = models.CharField(
        max_length=64, blank=True, help_text="Id of the user the notification is about."
    )
    olio_id = models.CharField(
        max_length=64, blank=True, help_text="Id of the order the notification is about."
    )
    tour_id = models.CharField(max_length=64, blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    email_to = models.TextField(blank=True, help_text="Comma-separated addresses.")
    email_cc = models.TextField(blank=True, help_text="Comma-separated addresses.")
    email_bcc = models.TextField(blank=True, help_text="Comma-separated addresses.")
    email_body = models.TextField(blank=True)
    notifyable_type = models.CharField(
        max_length=100, blank=True, help_text="Type (model name) of the record the notification is about."
    )
    notifyable_id = models.BigIntegerField(
        null=True, blank=True, help_text="Id of the record the notification is about."
    )
    updated_at_fm = models.DateTimeField(null=True, blank=True)
    updated_in = models.CharField(max_length=100, blank=True)
    created_at_fm = models.DateTimeField(null=True, blank=True)
    processed = models.PositiveSmallIntegerField(choices=Processed.choices, default=Processed.NO)
    processed_at = models.DateTimeField(null=True, blank=True)
    processed_at_fm = models.DateTimeField(null=True, blank=True)
    notification_type = models.CharField(max_length=20, choices=NotificationType.choices, blank=True)
    phone_from = models.CharField(max_length=20, blank=True)
    phone_to = models.CharField(max_length=255, blank=True, help_text="Comma-separated E.164 numbers.")
    media_url = models.URLField(max_length=2000, blank=True)
    extension = models.CharField(
        max_length=20, blank=True, help_text="The RingCentral extension number that sends it."
    )
    team_name = models.CharField(
        max_length=100, blank=True, help_text="The Glip team a glip notification posts to."
    )
    provider_status = models.CharField(
        max_length=30,
        blank=True,
        editable=False,
        help_text="What the provider last reported after sending (Mandrill's delivered, opened, bounced...).",
    )
    # When its send last failed for good (failed, abandoned) or bounced: a problem until
    # resolved (the Resolution fields), listed on the production notifications screen.
    provider_failed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    outgoing_requests = GenericRelation(
        "outbox.ExternalRequest", content_type_field="content_type", object_id_field="object_id"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            # One per API filter and admin search column; lists are ordered by -id, so each
            # index ends with id.
            models.Index(fields=["key", "-id"], name="notif_key_idx"),
            models.Index(fields=["status", "-id"], name="notif_status_idx"),
            models.Index(fields=["notification_type", "-id"], name="notif_type_idx"),
            models.Index(fields=["user_id", "-id"], name="notif_user_idx"),
            models.Index(fields=["olio_id", "-id"], name="notif_olio_idx"),
            models.Index(fields=["tour_id", "-id"], name="notif_tour_idx"),
            models.Index(fields=["client_id", "-id"], name="notif_client_idx"),
            models.Index(fields=["processed", "-id"], name="notif_processed_idx"),
            models.Index(fields=["phone_to", "-id"], name="notif_phone_to_idx"),
            models.Index(fields=["created_at"], name="notif_created_idx"),
            # On PostgreSQL, trigram indexes on UPPER(email_subject), UPPER(team_name) and
            # UPPER(email_to) serve the admin's substring search (migrations 0005, 0007; not in the state).
            models.Index(fields=["notifyable_type", "notifyable_id"], name="notif_notifyable_idx"),
            models.Index(
                fields=["-provider_failed_at"],
                name="notif_provider_failed_idx",
                condition=Q(provider_failed_at__isnull=False),
            ),
            # Open problems: the production notifications screen and the dashboard.
            models.Index(
                fields=["-provider_failed_at"],
                name="notif_open_problem_idx",
                condition=Q(provider_failed_at__isnull=False, resolved_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        label = self.key or self.email_subject[:40] or "notification"
        return f"#{self.pk} {self.notification_type or '-'}: {label}"

    @staticmethod
    def split(value: str) -> list[str]:
        """Split a comma-separated list of addresses or numbers."""
        return [part.strip() for part in (value or "").split(",") if part.strip()]


class ProductionNotification(Notification):
    """Email notifications refused, failed or bounced: the open problems by default, resolved ones kept."""

    class Meta:
        proxy = True
        verbose_name = "production notification"
        verbose_name_plural = "production notifications"


class MandrillEvent(models.Model):
    """A Mandrill tracking event already applied: its key is inserted first, so a replay is skipped.

    Mandrill's events carry no id of their own: the key is a digest of the message id,
    the event type, its time (`ts`) and the recipient, which together name one event.
    """

    key = models.CharField(max_length=64, unique=True, help_text="sha256 of _id, event, ts and email.")
    message_id = models.CharField(max_length=200, blank=True)
    event_type = models.CharField(max_length=30)
    occurred_at = models.DateTimeField(help_text="The event's `ts`.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"
