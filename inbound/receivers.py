"""Signal receivers and the consent check of the inbound app (connected in InboundConfig.ready()).

They stay thin: each calls one service.
"""

from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent

from inbound import services
from notifications.services import notification_content_type_id
from planocore.consent import Suppressed


def suppressions_for_sends(*, sends: list[tuple[str, dict]]) -> list[Suppressed | None]:
    """The outbox's consent check (planocore.consent): one indexed lookup for the whole list."""
    return [
        None
        if suppression is None
        else Suppressed(
            reason=suppression.get_reason_display(), since=suppression.since, address=suppression.address
        )
        for suppression in services.send_suppressions(sends=sends)
    ]


def mandrill_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """A hard bounce, a complaint, an unsubscribe or a reject suppresses the address.

    notifications.receivers.mandrill_tracking records the same event on its email;
    this one only learns consent from it.
    """
    esp_event = event.esp_event or {}
    if not isinstance(esp_event, dict):
        return
    services.mandrill_event_suppress(
        esp_type=str(esp_event.get("event") or ""),
        recipient=event.recipient,
        occurred_at=event.timestamp,
        detail=str(event.description or event.reject_reason or "")[:500],
    )


def mandrill_inbound(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """Store a reply that came in through Mandrill's inbound route."""
    message = event.message
    if message is None:
        return
    sender_address = message.from_email.addr_spec if message.from_email else ""
    to = message.to[0].addr_spec if message.to else ""
    services.mandrill_inbound_record(
        from_email=sender_address,
        to_email=to,
        subject=message.subject or "",
        text=message.text or "",
        received_at=event.timestamp,
        raw_id=str(message.get("Message-ID") or ""),
    )


def conversation_message(sender, message, **kwargs) -> bool:
    """Store a user's Sunshine Conversations message (messaging's webhook); False for a replay."""
    return services.conversation_message_record(message=message) is not None


def outgoing_request_outcome(sender, request, **kwargs) -> None:
    """A notification's request has a new state: tell the application that made it, if it listens."""
    if request.content_type_id and request.content_type_id == notification_content_type_id():
        services.delivery_state_callback(request=request)
