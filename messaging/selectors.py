"""Reads of the messaging app that more than one caller needs."""

from datetime import datetime

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


def removed_conversations(conversation_ids: set[str]) -> dict[str, datetime]:
    """Of these conversations, those whose every client was removed, with when the last one was (one query).

    A conversation no client of ours holds is not listed (nothing is known of it).
    """
    if not conversation_ids:
        return {}
    rows = MessagingClient.objects.filter(conversation_id__in=sorted(conversation_ids)).values_list(
        "conversation_id", "status", "removed_at"
    )
    live: set[str] = set()
    removed: dict[str, datetime] = {}
    for conversation_id, status, removed_at in rows:
        if status != MessagingClient.Status.INACTIVE or removed_at is None:
            live.add(conversation_id)
        elif conversation_id not in removed or removed_at > removed[conversation_id]:
            removed[conversation_id] = removed_at
    return {cid: at for cid, at in removed.items() if cid not in live}
