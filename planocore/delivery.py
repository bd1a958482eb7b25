"""The one delivery vocabulary: every state of a send, with its one name, meaning and colour.

An outgoing request (`planocore.outbox.models.ExternalRequest.status`) is always in
one of these states, and so is every record that sends through the outbox (a
Notification, a GlipMessage, a cancelation's notices, which are notifications):
a record's state is its latest outgoing request's. The API, the admin (badges in
`COLOURS`), the dashboard, `/metrics` and docs/outbox.md all use these names and
nothing else.

    queued ──► sending ──► sent
      ▲           │
      │           ├──► retrying ──► sending ...   (a failure that may heal, priority >= 5)
      │           ├──► failed                     (refused, or priority < 5)
      │           └──► abandoned                  (retried until the bounds ran out)
      └─ staff retry (failed, abandoned, retrying)
    suppressed: never sent, the recipient withdrew consent (no provider call)

What a provider reports after it took a message (Mandrill's delivered, opened,
bounced...) is another layer, `ProviderEvent`: it never replaces the delivery state.

A failed or abandoned request is a problem that needs someone until it is resolved:
a later request of the same record was sent, or staff marked it handled (who,
when, a note). Resolved problems are kept (`Resolution` fields) and stay findable.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class DeliveryState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Abandoned"
    SUPPRESSED = "suppressed", "Suppressed"


MEANINGS: dict[str, str] = {
    DeliveryState.QUEUED: "Waiting in the outbox for its first try (or for the try staff asked for).",
    DeliveryState.SENDING: "A worker holds it and is calling the provider now.",
    DeliveryState.RETRYING: "A try failed for a reason that may heal; the outbox tries again "
    "at its next attempt time, by itself.",
    DeliveryState.SENT: "The provider accepted it.",
    DeliveryState.FAILED: "The provider refused it, or it failed with a priority below 5; "
    "nothing more happens until a person retries or resends it.",
    DeliveryState.ABANDONED: "The outbox retried it until its attempt or age bound ran out "
    "(or staff gave it up); nothing more happens until a person acts.",
    DeliveryState.SUPPRESSED: "Not sent and never will be: the recipient withdrew consent "
    "(STOP, a hard bounce); no provider was called.",
}

# The admin's badge colour of each state (django-unfold's label colours; "" is its grey).
COLOURS: dict[str, str] = {
    DeliveryState.QUEUED: "info",
    DeliveryState.SENDING: "info",
    DeliveryState.RETRYING: "warning",
    DeliveryState.SENT: "success",
    DeliveryState.FAILED: "danger",
    DeliveryState.ABANDONED: "danger",
    DeliveryState.SUPPRESSED: "",
}

# Waiting for a worker: what the sweep and the hand-off take when due.
WAITING = (DeliveryState.QUEUED, DeliveryState.RETRYING)
# Not finished yet.
OPEN = (DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.RETRYING)
# Finished without being sent: a problem until resolved (`Resolution`).
NEEDS_SOMEONE = (DeliveryState.FAILED, DeliveryState.ABANDONED)
# Nothing more happens to it by itself.
FINAL = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.ABANDONED, DeliveryState.SUPPRESSED)


def states_q(states, *, field: str = "status") -> Q:
    """`field` is one of `states`, as `status = a OR status = b`: the shape of the outbox's partial
    index conditions, so that SQLite, which plans with the bound values, can use those indexes
    (it cannot match `IN (?, ?)` to them)."""
    query = Q()
    for state in states:
        query |= Q(**{field: str(state)})
    return query


def label(state: str) -> str:
    """The state's name for people ("Retrying"); an unknown value (a caller's own) as given."""
    try:
        return DeliveryState(state).label
    except ValueError:
        return state


class ProviderEvent(models.TextChoices):
    """What a provider reported after it took the message: a layer on top of `sent`.

    Today Mandrill's tracking webhook reports these for email (django-anymail's names).
    """

    DELIVERED = "delivered", "Delivered to the mailbox"
    DEFERRED = "deferred", "Deferred by the receiving server"
    OPENED = "opened", "Opened"
    CLICKED = "clicked", "Clicked"
    BOUNCED = "bounced", "Bounced"
    REJECTED = "rejected", "Rejected by the provider"
    COMPLAINED = "complained", "Marked as spam"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


# Provider events that make a sent email a problem again (the production notifications screen).
PROBLEM_EVENTS = (ProviderEvent.BOUNCED, ProviderEvent.REJECTED, ProviderEvent.COMPLAINED)

PROVIDER_EVENT_COLOURS: dict[str, str] = {
    ProviderEvent.DELIVERED: "success",
    ProviderEvent.OPENED: "success",
    ProviderEvent.CLICKED: "success",
    ProviderEvent.DEFERRED: "warning",
    ProviderEvent.BOUNCED: "danger",
    ProviderEvent.REJECTED: "danger",
    ProviderEvent.COMPLAINED: "danger",
    ProviderEvent.UNSUBSCRIBED: "",
}


class Resolution(models.Model):
    """How a problem (a failed or abandoned send, a notice not made) was resolved: kept, never deleted.

    Empty `resolved_at`: the problem is open and shows wherever failures are counted.
    """

    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The staff member who marked it handled; empty when a later send resolved it.",
    )
    resolution = models.CharField(
        max_length=500,
        blank=True,
        editable=False,
        help_text="How it was resolved: a note, or the send that did.",
    )

    class Meta:
        abstract = True
