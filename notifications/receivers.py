"""Signal receivers of notifications (connected in NotificationsConfig.ready()).

They stay thin: each calls one service.
"""

from anymail.signals import AnymailTrackingEvent

from notifications import services
from notifications.models import Notification


def notification_saved(sender, instance: Notification, created: bool, raw: bool = False, **kwargs) -> None:
    """Dispatch a notification when it is first saved, wherever it was saved.

    Saving an existing notification again sends nothing; fixtures (raw) neither.
    """
    if not created or raw:
        return
    services.notification_dispatch(notification=instance)


def outgoing_request_outcome(sender, request, **kwargs) -> None:
    """Reflect an outgoing request's outcome on the notification that caused it."""
    if request.content_type_id and request.content_type_id == services.notification_content_type_id():
        services.notification_record_outcome(request=request)


def mandrill_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """Record a Mandrill tracking event (delivered, bounced, opened…) on its email, once."""
    esp_event = event.esp_event or {}
    services.notification_record_tracking(
        message_id=event.message_id,
        event_type=str(event.event_type or "unknown"),
        metadata=event.metadata,
        occurred_at=event.timestamp,
        event_key=services.mandrill_event_key(
            message_id=event.message_id,
            event_type=str(esp_event.get("event") or event.event_type),
            ts=esp_event.get("ts"),
            recipient=event.recipient,
        ),
    )
