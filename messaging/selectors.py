"""Reads of the messaging app that more than one caller needs."""

from django.db.models import F

from messaging.models import MessagingClient


def conversation_for_user(user_id: int | str | None) -> str | None:
    """The conversation id `conversation` notifications to this PlanoCore user go to, or None.

    That is the linked conversation of the user's active client (the primary one
    first, then the most recently linked). One query.
    """
    if user_id is None or not str(user_id).strip().isdigit():
        return None
    return (
        MessagingClient.objects.filter(
            user_id=int(str(user_id).strip()),
            status=MessagingClient.Status.ACTIVE,
            removed_at__isnull=True,
        )
        .exclude(conversation_id="")
        .order_by("-primary", F("linked_at").desc(nulls_last=True), "-pk")
        .values_list("conversation_id", flat=True)
        .first()
    )
