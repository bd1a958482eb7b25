"""Write paths of notifications: create, dispatch, record outcomes and tracking, staff actions.

A new notification is dispatched by its `post_save` receiver wherever it was saved
(API, admin, shell, command): `notification_dispatch` writes its outbox row in the
same transaction, and the outbox sends it after the commit. Outcomes come back
through `planocore.outbox.signals.outcome_recorded` (`notification_record_outcome`)
and Mandrill's tracking webhook (`notification_record_tracking`).
"""

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from notifications.channels import (
    active_glip_team,
    conversation_for_user,
    message_text,
    ringcentral_extension,
)
from notifications.models import DeliveryStatus, MandrillEvent, Notification, NotificationType, Processed
from notifications.serializers import FIELD_PARAMS, NotificationCreateParams
from planocore.delivery import NEEDS_SOMEONE, PROBLEM_EVENTS, ProviderEvent
from planocore.outbox.models import Channel, ExternalRequest
from planocore.outbox.services import enqueue, mark_handled

logger = logging.getLogger("notifications")

# Tracking events recorded as `provider_status` (anymail's event types, the provider
# layer of planocore/delivery.py); the others (sent, queued, unknown...) add nothing
# to what the send already recorded. Mandrill's "failed" after sending is a bounce.
_TRACKED_EVENTS = {event.value for event in ProviderEvent}
_EVENT_ALIASES = {"failed": ProviderEvent.BOUNCED.value}


def build_delivery(notification: Notification) -> tuple[str, str, dict]:
    """Return the outbox (channel, action, payload) that delivers the notification.

    Payloads follow the channel contract in docs/ARCHITECTURE.md. A glip team or a
    messaging client that is gone raises ValidationError (so a save from the shell
    fails whole, rather than keeping a notification that can never be sent).
    """
    kind = notification.notification_type
    text = message_text({"email_body": notification.email_body, "email_subject": notification.email_subject})
    if kind == NotificationType.EMAIL:
        return (
            Channel.EMAIL,
            "send",
            {
                "from_email": notification.email_from or settings.DEFAULT_FROM_EMAIL,
                "to": Notification.split(notification.email_to),
                "cc": Notification.split(notification.email_cc),
                "bcc": Notification.split(notification.email_bcc),
                "subject": notification.email_subject,
                "body": notification.email_body,
                # Mandrill echoes metadata in its tracking events.
                "metadata": {"notification_id": str(notification.pk), "key": notification.key},
            },
        )
    if kind in (NotificationType.SMS, NotificationType.MMS):
        extension = ringcentral_extension(notification.extension) if notification.extension else None
        sender = notification.phone_from or (extension.login_phone_number if extension else "")
        payload = {
            "from": sender,
            "to": Notification.split(notification.phone_to),
            "text": text,
            "extension_id": extension.pk if extension is not None else None,
        }
        if kind == NotificationType.MMS:
            payload["media_url"] = notification.media_url
            return Channel.MMS, "send", payload
        return Channel.SMS, "send", payload
    if kind == NotificationType.GLIP:
        team = active_glip_team(notification.team_name)
        if team is None:
            raise ValidationError({"team_name": f"'{notification.team_name}' is not an active Glip team."})
        return Channel.GLIP, "post", {"chat_id": str(team.chat_id), "text": text, "extension_id": None}
    if kind == NotificationType.CONVERSATION:
        conversation_id = conversation_for_user(notification.user_id)
        if conversation_id is None:
            raise ValidationError(
                {"user_id": f"User '{notification.user_id}' has no active linked messaging client."}
            )
        return (
            Channel.CONVERSATION,
            "post_message",
            {"user_id": notification.user_id, "conversation_id": conversation_id, "text": text},
        )
    raise ValidationError({"notification_type": f"'{kind}' is not a notification type."})


# --- services -------------------------------------------------------------------
def notification_create(*, data: dict[str, Any], principal=None, validated: bool = False) -> Notification:
    """Create a notification from the API's params; its receiver dispatches it.

    `data` holds the seed's param names (plus `team_name`); it is validated with
    the API's own rules unless `validated` says the caller already did; a
    django.core.exceptions.ValidationError (message_dict keyed by param) says
    what is wrong. `principal` is the caller (its application's slug fills
    `updated_in` when that is not given). The delivery goes into the outbox in
    this transaction and is handed off after the commit; to send it inside the
    call instead, run this through `planocore.outbox.services.send_now` (the API
    does for email).
    """
    if not validated:
        params = NotificationCreateParams(data=data)
        if not params.is_valid():
            raise ValidationError(
                {field: [str(m) for m in messages] for field, messages in params.errors.items()}
            )
        data = params.validated_data
    fields = {name: data[name] for name in FIELD_PARAMS if name in data and data[name] is not None}
    if not fields.get("updated_in") and principal is not None and getattr(principal, "application", None):
        fields["updated_in"] = principal.application.slug
    return _notification_save(fields)


# Joins the caller's transaction without a savepoint (send_now's on the API's email path):
# the params are valid by now, so what fails here fails the whole transaction.
@transaction.atomic(savepoint=False)
def _notification_save(fields: dict[str, Any]) -> Notification:
    notification = Notification(**fields)
    if notification.notification_type and not notification.processed and not notification.status:
        notification.status = DeliveryStatus.QUEUED
    notification.save()  # receivers.notification_saved puts its delivery in the outbox
    return notification


@transaction.atomic
def notification_update(*, notification: Notification, fields: list[str]) -> Notification:
    """Save staff edits of `fields`; an existing notification is not sent again (resend does that)."""
    if fields:
        notification.save(update_fields=[*fields, "updated_at"])
    return notification


def _enqueue_delivery(notification: Notification, *, supersede: bool = False) -> ExternalRequest:
    channel, action, payload = build_delivery(notification)
    return enqueue(
        channel=channel,
        action=action,
        payload=payload,
        # settings.NOTIFICATION_PRIORITY (5): retried automatically when a send may heal.
        priority=settings.NOTIFICATION_PRIORITY,
        source=notification,
        recipient=f"{notification.team_name} (chat {payload['chat_id']})" if channel == Channel.GLIP else "",
        supersede=supersede,
    )


# Joins the caller's transaction without a savepoint: it runs on every send (hot path).
@transaction.atomic(savepoint=False)
def notification_dispatch(*, notification: Notification) -> ExternalRequest | None:
    """Put the notification's delivery in the outbox (in the current transaction).

    Nothing is sent for a notification without notification_type or already
    processed. The outbox hands the row off once the transaction commits.
    """
    if not notification.notification_type or notification.processed:
        return None
    request = _enqueue_delivery(notification)
    if not notification.status:
        notification.status = DeliveryStatus.QUEUED
        Notification.objects.filter(pk=notification.pk).update(status=DeliveryStatus.QUEUED)
    return request


def notification_content_type_id() -> int:
    return ContentType.objects.get_for_model(Notification).pk


# Joins the caller's transaction without a savepoint: it runs on every send (hot path).
@transaction.atomic(savepoint=False)
def notification_record_outcome(*, request: ExternalRequest) -> None:
    """Show an outgoing request's state on its notification (one UPDATE), unless a resend replaced it.

    The notification's `status` is its latest request's state. Sent: processed=1,
    processed_at set, and an open problem resolved ("Sent by request #N"). Failed
    or abandoned: a problem (`provider_failed_at`, listed on the production
    notifications screen) until resolved; a request staff marked handled resolves
    it with their note.
    """
    if request.superseded_by_id is not None:
        return  # an older request: its notification shows the later one's state
    now = timezone.now()
    changes: dict[str, Any] = {"status": request.status, "updated_at": now}
    if request.status == ExternalRequest.Status.SENT:
        # An open problem is resolved in the same UPDATE (no extra query on the hot path).
        open_problem = Q(provider_failed_at__isnull=False, resolved_at__isnull=True)
        changes.update(
            processed=Processed.YES,
            processed_at=now,
            resolved_at=Case(When(open_problem, then=Value(now)), default=F("resolved_at")),
            resolution=Case(
                When(open_problem, then=Value(f"Sent by request #{request.pk}.")), default=F("resolution")
            ),
        )
    elif request.status in NEEDS_SOMEONE and request.resolved_at is not None:
        # Staff marked the request handled (a staff action, not the hot path): so is its problem.
        Notification.objects.filter(pk=request.object_id, resolved_at__isnull=True).update(
            resolved_at=request.resolved_at, resolved_by=request.resolved_by_id, resolution=request.resolution
        )
    elif request.status in NEEDS_SOMEONE:
        changes.update(provider_failed_at=now, resolved_at=None, resolved_by=None, resolution="")
    Notification.objects.filter(pk=request.object_id).update(**changes)


@transaction.atomic
def mandrill_event_key(*, message_id: str | None, event_type: str, ts: int, recipient: str | None) -> str:
    """The digest naming one Mandrill event (Mandrill gives events no id of their own)."""
    named = json.dumps([message_id or "", event_type, ts, recipient or ""])
    return hashlib.sha256(named.encode()).hexdigest()


@transaction.atomic
def notification_record_tracking(
    *,
    message_id: str | None,
    event_type: str,
    metadata: dict | None,
    occurred_at: datetime | None = None,
    event_key: str | None = None,
) -> int:
    """Record a Mandrill tracking event on its outgoing request and notification, once and in order.

    The request is found by the provider's message id, else by the
    `notification_id` the email carried in its metadata. With an `event_key`, the
    key is inserted into MandrillEvent first (unique): a replay, even a concurrent
    one, fails that insert and changes nothing. An event that happened before the
    request's `delivery_status_at` changes nothing either (the rows are locked, so
    two events racing apply in time order). Returns how many requests were updated.
    """
    occurred_at = occurred_at or timezone.now()
    if event_key:
        try:
            with transaction.atomic():
                MandrillEvent.objects.create(
                    key=event_key,
                    message_id=(message_id or "")[:200],
                    event_type=event_type[:30],
                    occurred_at=occurred_at,
                )
        except IntegrityError:
            logger.info("Mandrill %s event for %s already applied; skipped.", event_type, message_id)
            return 0
    # Mandrill's `send` event (anymail: sent) fires when the receiving server took the message.
    event_type = "delivered" if event_type == "sent" else _EVENT_ALIASES.get(event_type, event_type)
    requests = ExternalRequest.objects.none()
    if message_id:
        requests = ExternalRequest.objects.filter(channel=Channel.EMAIL, provider_message_id=message_id)
    notification_id = str((metadata or {}).get("notification_id") or "")
    if not requests.exists() and notification_id.isdigit():
        requests = ExternalRequest.objects.filter(
            channel=Channel.EMAIL,
            content_type_id=notification_content_type_id(),
            object_id=notification_id,
            status=ExternalRequest.Status.SENT,
        )
    if not requests.exists():
        logger.info("Mandrill %s event for unknown message %s", event_type, message_id)
        return 0
    not_newer = Q(delivery_status_at__isnull=True) | Q(delivery_status_at__lte=occurred_at)
    found = list(requests.filter(not_newer).select_for_update().only("pk", "content_type_id", "object_id"))
    if not found:
        logger.info("Mandrill %s event of %s older than its status; skipped.", event_type, message_id)
        return 0
    now = timezone.now()
    ExternalRequest.objects.filter(pk__in=[r.pk for r in found]).update(
        delivery_status=event_type[:30], delivery_status_at=occurred_at, updated_at=now
    )
    if event_type in _TRACKED_EVENTS:
        ct_id = notification_content_type_id()
        ids = [r.object_id for r in found if r.content_type_id == ct_id]
        changes: dict[str, Any] = {"provider_status": event_type, "updated_at": now}
        if event_type in PROBLEM_EVENTS:  # sent, then refused: a problem again
            changes.update(provider_failed_at=now, resolved_at=None, resolved_by=None, resolution="")
        Notification.objects.filter(pk__in=ids).update(**changes)
    return len(found)


@transaction.atomic
def notification_resend(*, notification: Notification) -> ExternalRequest | None:
    """Send the notification again (staff action): a new outgoing request, status `queued`.

    The new request supersedes the older ones: from now on the notification shows
    its state, and acting on the old ones (abandon) leaves the notification alone.
    """
    if not notification.notification_type:
        return None
    request = _enqueue_delivery(notification, supersede=True)
    notification.status = DeliveryStatus.QUEUED
    notification.provider_status = ""
    notification.save(update_fields=["status", "provider_status", "updated_at"])
    return request


@transaction.atomic
def notification_mark_handled(*, notification: Notification, user, note: str) -> bool:
    """Resolve the notification's open problem by hand (who, when, `note`); False if it had none.

    Its failed or abandoned requests are marked handled too, so every failure count agrees.
    """
    note = (note.strip() or "Marked handled.")[:500]
    problem = Notification.objects.select_for_update().filter(
        pk=notification.pk, provider_failed_at__isnull=False, resolved_at__isnull=True
    )
    if not problem.exists():
        return False
    mark_handled(queryset=notification.outgoing_requests.all(), user=user, note=note)
    problem.update(resolved_at=timezone.now(), resolved_by=user, resolution=note)  # a bounce has no request
    notification.refresh_from_db(fields=["resolved_at", "resolved_by", "resolution"])
    return True


@transaction.atomic
def notification_mark_processed(*, notification: Notification) -> bool:
    """Mark the notification processed (staff action); False if it already was."""
    if notification.processed == Processed.YES:
        return False
    notification.processed = Processed.YES
    notification.processed_at = timezone.now()
    notification.save(update_fields=["processed", "processed_at", "updated_at"])
    return True
