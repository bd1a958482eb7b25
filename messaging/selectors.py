"""Reads of the messaging app that more than one caller needs."""

from django.db.models import F

from messaging.models import MessagingClient


def conversation_for_user(user_id: int | str | None) -> str | None:
    """The conversation id `conversation` notifications to this PlanoCore user go to, or None.

    That is the linked conversation of the user's active client (the primary one
    first, then the most recently linked). One query.
    """
    text = str(user_id).strip() if user_id is not None else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 18):  # not a user id (a bigint)
        return None
    return (
        MessagingClient.objects.filter(
            user_id=int(text),
            status=MessagingClient.Status.ACTIVE,
            removed_at__isnull=True,
        )
        .exclude(conversation_id="")
        .order_by("-primary", F("linked_at").desc(nulls_last=True), "-pk")
        .values_list("conversation_id", flat=True)
        .first()
    )
