"""Glip (RingCentral Team Messaging): the teams callers post to and the posts.

The extensions that post are the RingCentral provider's records
(planocore.providers.ringcentral.models.RingCentralExtension).
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models

from planocore.delivery import DeliveryState
from planocore.providers.ringcentral.models import RingCentralExtension


class GlipTeam(models.Model):
    """A RingCentral team; `name` is what callers pass as `team_name`."""

    name = models.CharField(max_length=255, unique=True)
    chat_id = models.CharField(max_length=64, unique=True, help_text="RingCentral's id of the team chat.")
    description = models.TextField(blank=True)
    public = models.BooleanField(default=False, help_text="Anyone in the company can join it.")
    source_extension = models.ForeignKey(
        RingCentralExtension,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imported_teams",
        help_text="The default extension whose team list it was imported from.",
    )
    active = models.BooleanField(default=True, help_text="Inactive (archived) teams take no messages.")
    last_imported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["active", "name"], name="glip_team_active_name_idx")]

    def __str__(self) -> str:
        return self.name


class GlipMessage(models.Model):
    """One post to a team. Saving a new one puts its post in the outbox (glip/receivers.py)."""

    # Its latest outgoing request's state: the one delivery vocabulary (planocore/delivery.py).
    Status = DeliveryState

    team = models.ForeignKey(GlipTeam, on_delete=models.PROTECT, related_name="messages")
    text = models.TextField()
    extension = models.ForeignKey(
        RingCentralExtension,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
        help_text="The extension that posts it; empty means the default extension.",
    )
    priority = models.PositiveSmallIntegerField(
        default=0, help_text="5 or more: retried automatically when sending fails."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    post_id = models.CharField(max_length=64, blank=True, db_index=True, help_text="RingCentral's post id.")
    last_error = models.TextField(blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    application = models.ForeignKey(
        "planocore.Application", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    external_requests = GenericRelation(
        "outbox.ExternalRequest", content_type_field="content_type", object_id_field="object_id"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["team", "-id"], name="glip_msg_team_idx")]

    def __str__(self) -> str:
        return f"Glip message #{self.pk} to {self.team.name} ({self.status})"
