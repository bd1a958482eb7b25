"""Writes of the inbound app: record an inbound message once, learn consent from it, lift suppressions.

Every provider event becomes at most one InboundMessage: its (provider, event id)
is unique, so a replay, even a concurrent one, fails the insert and changes nothing.
A message is linked to the notification it most likely answers and to that
notification's user. An SMS whose whole text is a consent keyword acts on it:
the STOP family suppresses SMS and MMS to the sender, the START family lifts that
suppression (kept in its history), HELP is answered with INBOUND_HELP_TEXT through the outbox.
"""

import hashlib
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from inbound import selectors
from inbound.models import (
    ApplicationCallback,
    InboundChannel,
    InboundMessage,
    SuppressedKind,
    Suppression,
    SuppressionChange,
    SuppressionReason,
)
from inbound.phones import normalize_phone
from planocore.api.fields import sent_addresses
from planocore.outbox.models import Channel, ExternalRequest
from planocore.outbox.services import enqueue
from planocore.providers.base import provider_time
from planocore.providers.fetch import FetchRefused, Unresolvable, check_url

logger = logging.getLogger("inbound")

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP"})
_NOT_LETTERS = re.compile(r"[^A-Z]")


def consent_keyword(text: str) -> str:
    """The consent keyword a message is (its whole text, any case, punctuation ignored), or ""."""
    word = _NOT_LETTERS.sub("", (text or "")[:40].upper())
    return word if word in STOP_WORDS | START_WORDS | HELP_WORDS else ""


@dataclass
class Inbound:
    """One inbound message as a provider described it, normalised."""

    channel: str
    provider: str
    event_id: str
    from_address: str
    to_address: str = ""
    text: str = ""
    subject: str = ""
    media: list | None = None
    received_at: datetime | None = None
    provider_message_id: str = ""
    conversation_id: str = ""
    user_id: str = ""


@transaction.atomic
def inbound_message_record(*, inbound: Inbound) -> InboundMessage | None:
    """Store the message once, linked to the notification it answers; act on its consent keyword.

    Returns None for a duplicate (the provider's event id was seen already).
    """
    received_at = inbound.received_at or timezone.now()
    notification = selectors.notification_answered(
        channel=inbound.channel,
        from_address=inbound.from_address,
        to_address=inbound.to_address,
        conversation_id=inbound.conversation_id,
        received_at=received_at,
    )
    message = InboundMessage(
        channel=inbound.channel,
        provider=inbound.provider,
        provider_event_id=inbound.event_id[:200],
        provider_message_id=inbound.provider_message_id[:200],
        from_address=inbound.from_address[:254],
        to_address=inbound.to_address[:254],
        text=inbound.text,
        subject=inbound.subject[:998],
        media=inbound.media or [],
        received_at=received_at,
        conversation_id=inbound.conversation_id[:64],
        user_id=(inbound.user_id or (notification.user_id if notification else ""))[:64],
        notification=notification,
        keyword=consent_keyword(inbound.text) if inbound.channel == InboundChannel.SMS else "",
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        return None  # a replay of an event already stored
    if notification is not None and notification.updated_in:
        callback_event(
            application_slug=notification.updated_in,
            event_type="inbound_message.received",
            data=inbound_message_data(message),
        )
    if message.keyword in STOP_WORDS:
        suppression_add(
            kind=SuppressedKind.PHONE,
            address=message.from_address,
            reason=SuppressionReason.STOP,
            detail=f"Replied {message.keyword}",
            since=received_at,
            inbound_message=message,
        )
    elif message.keyword in START_WORDS:
        suppression_resume(
            kind=SuppressedKind.PHONE, address=message.from_address, note=f"Replied {message.keyword}"
        )
    elif message.keyword in HELP_WORDS:
        _answer_help(message)
    return message


def _answer_help(message: InboundMessage) -> None:
    """Answer HELP with INBOUND_HELP_TEXT from the number it was sent to, through the outbox."""
    from planocore.providers.ringcentral.models import RingCentralExtension

    extension = RingCentralExtension.objects.filter(
        login_phone_number=message.to_address, active=True
    ).first()
    enqueue(
        channel=Channel.SMS,
        action="send",
        payload={
            "from": message.to_address,
            "to": [message.from_address],
            "text": settings.INBOUND_HELP_TEXT,
            "extension_id": extension.pk if extension else None,
        },
        priority=settings.OUTBOX_RETRY_PRIORITY,
        source=message,
    )
    message.answered_at = timezone.now()
    message.save(update_fields=["answered_at"])


# --- suppressions ---------------------------------------------------------------------
@transaction.atomic
def suppression_add(
    *,
    kind: str,
    address: str,
    reason: str,
    since: datetime | None = None,
    detail: str = "",
    inbound_message: InboundMessage | None = None,
) -> Suppression:
    """Suppress sends to `address` (idempotent: an active suppression is kept as it is).

    An event older than the address's last lift changes nothing (a late or
    replayed bounce must not undo what staff lifted).
    """
    since = since or timezone.now()
    active = Suppression.objects.select_for_update().filter(
        kind=kind, address=address, lifted_at__isnull=True
    )
    existing = active.first()
    if existing is not None:
        return existing
    last_lift = (
        Suppression.objects.filter(kind=kind, address=address, lifted_at__isnull=False)
        .order_by("-lifted_at")
        .first()
    )
    if last_lift is not None and last_lift.lifted_at >= since:
        return last_lift
    try:
        with transaction.atomic():
            suppression = Suppression.objects.create(
                kind=kind,
                address=address,
                reason=reason,
                detail=detail[:500],
                since=since,
                inbound_message=inbound_message,
            )
    except IntegrityError:  # a concurrent event suppressed it first
        return Suppression.objects.get(kind=kind, address=address, lifted_at__isnull=True)
    SuppressionChange.objects.create(
        suppression=suppression, action=SuppressionChange.Action.SUPPRESSED, note=detail[:500], at=since
    )
    logger.info("Suppressed %s %s (%s)", kind, address, reason)
    return suppression


@transaction.atomic
def suppression_lift(*, suppression: Suppression, note: str, by=None) -> Suppression:
    """Lift a suppression with a note (kept in its history); sends to the address go again."""
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            {"note": ["Say why the suppression is lifted (the note is kept in its history)."]}
        )
    suppression = Suppression.objects.select_for_update().get(pk=suppression.pk)
    if suppression.lifted_at is not None:
        raise ValidationError(
            {"id": [f"Suppression {suppression.pk} was already lifted on {suppression.lifted_at}."]}
        )
    _lift(suppression, note=note[:500], by=by, action=SuppressionChange.Action.LIFTED)
    return suppression


def suppression_resume(*, kind: str, address: str, note: str) -> Suppression | None:
    """The recipient asked to resume (START): lift its active suppression of that kind, if any."""
    suppression = (
        Suppression.objects.select_for_update()
        .filter(kind=kind, address=address, lifted_at__isnull=True)
        .first()
    )
    if suppression is None or suppression.reason != SuppressionReason.STOP:
        return None  # START undoes a STOP, not a bounce staff must look at
    _lift(suppression, note=note, by=None, action=SuppressionChange.Action.RESUMED)
    return suppression


def _lift(suppression: Suppression, *, note: str, by, action: str) -> None:
    now = timezone.now()
    suppression.lifted_at = now
    suppression.lifted_by = by
    suppression.lift_note = note
    suppression.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
    SuppressionChange.objects.create(suppression=suppression, action=action, note=note, by=by, at=now)


def send_addresses(channel: str, payload: dict) -> tuple[str | None, list[str]]:
    """The kind of address a send goes to and its recipients, normalised as suppressions store them."""
    kind = selectors.suppressed_kind_of_channel(channel)
    if kind == SuppressedKind.PHONE:
        addresses = [normalize_phone(str(n)) or str(n) for n in payload.get("to") or []]
    elif kind == SuppressedKind.EMAIL:
        # Every recipient the sender mails, cc and bcc included, as it reads them.
        parts = [*(payload.get("to") or []), *(payload.get("cc") or []), *(payload.get("bcc") or [])]
        addresses = [address for part in parts for address in sent_addresses(str(part))]
    elif kind == SuppressedKind.CONVERSATION:
        addresses = [str(payload.get("user_id") or "")]
    else:
        return None, []
    return kind, [a for a in addresses if a]


def send_suppressions(*, sends: list[tuple[str, dict]]) -> list[Suppression | None]:
    """For each (channel, payload), the active suppression of one of its recipients, or None.

    A send is suppressed when any recipient is (consent is per person: a text to
    several numbers must not reach one who said STOP). One query for the list;
    none when no send goes to a channel consent applies to.
    """
    recipients = [send_addresses(channel, payload) for channel, payload in sends]
    wanted = {(kind, address) for kind, addresses in recipients if kind for address in addresses}
    found = {(s.kind, s.address): s for s in selectors.active_suppressions(wanted)}
    return [
        next((found[(kind, a)] for a in addresses if (kind, a) in found), None)
        for kind, addresses in recipients
    ]


# --- RingCentral ----------------------------------------------------------------------
_RC_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
INSTANT_SMS = re.compile(r"^/restapi/v1\.0/account/[^/]+/extension/[^/]+/message-store/instant\?type=SMS$")


def ringcentral_event_fault(event) -> str | None:
    """What is wrong with an instant-message event's shape, or None."""
    if not isinstance(event, dict):
        return "The body is not a JSON object."
    if not isinstance(event.get("uuid"), str) or not _RC_ID.fullmatch(event["uuid"]):
        return "uuid must be the event's id (letters, digits, `_.:-`)."
    if not isinstance(event.get("event"), str):
        return "event must be the event filter string."
    body = event.get("body")
    if not INSTANT_SMS.match(event["event"]):
        return None  # another event type: ignored
    if not isinstance(body, dict):
        return "body must be an object."
    sender = body.get("from")
    if not isinstance(sender, dict) or normalize_phone(sender.get("phoneNumber")) is None:
        return "body.from.phoneNumber must be a phone number."
    to = body.get("to")
    if not isinstance(to, list) or not all(isinstance(t, dict) for t in to):
        return "body.to must be a list of objects."
    for key in ("subject", "id", "creationTime", "conversationId"):
        if body.get(key) is not None and not isinstance(body[key], str | int):
            return f"body.{key} has the wrong type."
    if body.get("creationTime") is not None and provider_time(str(body["creationTime"])) is None:
        return "body.creationTime must be an ISO 8601 time since 2000, not ahead (2026-11-23T10:00:00Z)."
    attachments = body.get("attachments")
    if attachments is not None and (
        not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments)
    ):
        return "body.attachments must be a list of objects."
    return None


def ringcentral_event_apply(*, event: dict) -> InboundMessage | None:
    """Store one instant-message event (checked by `ringcentral_event_fault`); None: ignored or seen."""
    if not INSTANT_SMS.match(event["event"]):
        return None
    body = event["body"]
    if body.get("direction", "Inbound") != "Inbound":
        return None
    to = [normalize_phone(t.get("phoneNumber")) for t in body["to"]]
    media = [
        {k: a.get(k) for k in ("id", "type", "contentType", "uri") if a.get(k) is not None}
        for a in body.get("attachments") or []
        if a.get("type") == "MmsAttachment"
    ]
    received_at = provider_time(str(body.get("creationTime") or "")) or timezone.now()
    return inbound_message_record(
        inbound=Inbound(
            channel=InboundChannel.SMS,
            provider="ringcentral",
            event_id=event["uuid"],
            from_address=normalize_phone(body["from"]["phoneNumber"]),
            to_address=next((t for t in to if t), ""),
            text=str(body.get("subject") or ""),
            media=media,
            received_at=received_at,
            provider_message_id=str(body.get("id") or ""),
            conversation_id=str(body.get("conversationId") or ""),
        )
    )


# --- Mandrill -------------------------------------------------------------------------
# Mandrill events (their own names) that mean "never send to this address again".
MANDRILL_SUPPRESSING = {
    "hard_bounce": SuppressionReason.HARD_BOUNCE,
    "spam": SuppressionReason.COMPLAINT,
    "unsub": SuppressionReason.UNSUBSCRIBE,
    "reject": SuppressionReason.REJECT,
}


def mandrill_event_suppress(
    *, esp_type: str, recipient: str | None, occurred_at: datetime | None, detail: str = ""
) -> Suppression | None:
    """Suppress the address of a hard bounce, a complaint, an unsubscribe or a reject; not others."""
    reason = MANDRILL_SUPPRESSING.get(esp_type)
    address = (recipient or "").strip().lower()
    if reason is None or not address:
        return None
    return suppression_add(
        kind=SuppressedKind.EMAIL, address=address[:254], reason=reason, since=occurred_at, detail=detail
    )


def mandrill_inbound_record(
    *, from_email: str, to_email: str, subject: str, text: str, received_at: datetime | None, raw_id: str
) -> InboundMessage | None:
    """Store a Mandrill inbound email once (no id from Mandrill: a digest of its time and Message-ID)."""
    event_id = hashlib.sha256(f"{received_at and received_at.timestamp()}|{raw_id}".encode()).hexdigest()
    return inbound_message_record(
        inbound=Inbound(
            channel=InboundChannel.EMAIL,
            provider="mandrill",
            event_id=event_id,
            from_address=(from_email or "").strip().lower(),
            to_address=(to_email or "").strip().lower(),
            subject=subject or "",
            text=text or "",
            received_at=received_at,
            provider_message_id=raw_id[:200],
        )
    )


# --- Sunshine Conversations -----------------------------------------------------------
def conversation_message_record(*, message) -> InboundMessage | None:
    """Store a user's conversation message (a `messaging.services.MessageFromUser`) once, by event id."""
    return inbound_message_record(
        inbound=Inbound(
            channel=InboundChannel.CONVERSATION,
            provider="sunshine",
            event_id=message.event_id,
            from_address=message.external_user_id,
            user_id=message.external_user_id,
            text=message.text,
            received_at=message.received_at,
            provider_message_id=message.message_id,
            conversation_id=message.conversation_id,
        )
    )


# --- callbacks to applications ---------------------------------------------------------
def inbound_message_data(message: InboundMessage) -> dict:
    """An inbound message as callbacks carry it (the API's fields)."""
    return {
        "id": message.pk,
        "channel": message.channel,
        "from_address": message.from_address,
        "to_address": message.to_address,
        "subject": message.subject,
        "text": message.text,
        "received_at": message.received_at.isoformat(),
        "user_id": message.user_id,
        "notification_id": message.notification_id,
        "keyword": message.keyword,
    }


@transaction.atomic
def application_callback_set(*, application, url: str) -> tuple[ApplicationCallback, str]:
    """Set the application's callback URL and a new signing secret; return both (the secret, in clear, once).

    The URL must pass the fence (https, the allow-list, public addresses); a host that
    does not resolve now is let through, as for media URLs (each send checks again).
    """
    try:
        check_url(url)
    except Unresolvable:
        pass
    except FetchRefused:
        raise ValidationError(
            {
                "url": [
                    "This URL is not allowed: use https to a public host (or one in MEDIA_URL_ALLOWED_HOSTS)."
                ]
            }
        ) from None
    secret = "pcw_" + secrets.token_urlsafe(32)
    callback, _ = ApplicationCallback.objects.update_or_create(
        application=application, defaults={"url": url, "secret": secret, "active": True}
    )
    callbacks_changed()
    return callback, secret


def callbacks_changed() -> None:
    """Forget the cached set of listening applications once the change commits."""
    transaction.on_commit(lambda: cache.delete(CALLBACK_SLUGS_KEY))


def callback_event(*, application_slug: str, event_type: str, data: dict) -> ExternalRequest | None:
    """Enqueue a signed event to the application's callback URL, if it set one (through the outbox)."""
    if application_slug not in listening_applications():
        return None
    callback = ApplicationCallback.objects.filter(application__slug=application_slug, active=True).first()
    if callback is None:
        return None
    return _enqueue_callback(callback, event_type, data)


def _enqueue_callback(callback: ApplicationCallback, event_type: str, data: dict) -> ExternalRequest:
    event = {
        "id": uuid.uuid4().hex,
        "type": event_type,
        "created_at": timezone.now().isoformat(),
        "application": callback.application.slug,
        "data": data,
    }
    return enqueue(
        channel=Channel.CALLBACK,
        action="post",
        payload={"url": callback.url, "event": event},
        secrets={"secret": callback.secret},
        priority=settings.OUTBOX_RETRY_PRIORITY,
        source=callback,
        recipient=callback.url,
    )


CALLBACK_SLUGS_KEY = "inbound:callback-slugs"


def listening_applications() -> frozenset[str]:
    """The slugs of applications with an active callback (cached 60 s; dropped when one is set)."""
    return cache.get_or_set(
        CALLBACK_SLUGS_KEY,
        lambda: frozenset(
            ApplicationCallback.objects.filter(active=True).values_list("application__slug", flat=True)
        ),
        60,
    )


def delivery_state_callback(*, request: ExternalRequest) -> ExternalRequest | None:
    """Tell the application that made a notification its new delivery state.

    Runs on every outcome of a notification's request: no query while no application
    listens (the cached set of listening slugs), two when one does.
    """
    from notifications.models import Notification

    listening = listening_applications()
    if not listening:
        return None
    slugs = Notification.objects.filter(pk=request.object_id, updated_in__in=listening).values("updated_in")
    callback = (
        ApplicationCallback.objects.filter(active=True, application__slug__in=slugs)
        .select_related("application")
        .first()
    )
    if callback is None:
        return None
    return _enqueue_callback(
        callback,
        "notification.delivery",
        {
            "notification_id": int(request.object_id),
            "state": request.status,
            "request_id": request.pk,
            "channel": request.channel,
            "error": request.last_error,
        },
    )


# --- staff replies ---------------------------------------------------------------------
@transaction.atomic
def inbound_message_reply(*, message: InboundMessage, text: str):
    """Answer an inbound message with a new notification on its channel; mark the message answered.

    SMS go back from the number the message came to, email to its sender with "Re:" and
    the subject, conversation messages to the same user. The reply keeps the answered
    notification's user, key and application (`updated_in`). Raise ValidationError when
    the text is empty or the notification cannot be made (e.g. no messaging client).
    """
    from notifications.services import notification_create

    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["Write the reply."]})
    answered = message.notification
    data = {
        "key": answered.key if answered else "reply",
        "user_id": message.user_id,
        "updated_in": answered.updated_in if answered else "",
        "email_body": text,
    }
    if message.channel == InboundChannel.SMS:
        data.update(notification_type="sms", phone_to=message.from_address)
        data["phone_from"] = message.to_address or (answered.phone_from if answered else "")
        if not data["phone_from"] and answered is not None:
            data["extension"] = answered.extension
    elif message.channel == InboundChannel.EMAIL:
        subject = message.subject if message.subject.lower().startswith("re:") else f"Re: {message.subject}"
        data.update(notification_type="email", email_to=message.from_address, email_subject=subject.strip())
        data["email_from"] = message.to_address or (answered.email_from if answered else "")
    else:
        data.update(notification_type="conversation", user_id=message.from_address)
    reply = notification_create(data={k: v for k, v in data.items() if v not in ("", None)})
    message.answered_at = timezone.now()
    message.save(update_fields=["answered_at"])
    return reply


# --- the sandbox -----------------------------------------------------------------------
def simulate_inbound(*, kind: str, text: str = "", address: str = "", to: str = "") -> str:
    """Make an inbound event happen with no provider (the command, the admin's button); say what happened.

    `kind` "sms": an SMS `text` from the number `address` (to our number `to`, optional);
    "bounce": a hard bounce of the email `address`; "conversation": a message `text` from
    the user id `address`. They go through the services the webhooks use (provider
    `sandbox`). Raise ValidationError naming what is wrong.
    """
    event_id = f"simulated-{uuid.uuid4().hex}"
    if kind == "sms":
        number = normalize_phone(address)
        if number is None:
            raise ValidationError({"from": ["Give the sender's phone number, e.g. +14155550123."]})
        message = inbound_message_record(
            inbound=Inbound(
                channel=InboundChannel.SMS,
                provider="sandbox",
                event_id=event_id,
                from_address=number,
                to_address=normalize_phone(to) or "",
                text=text,
                received_at=timezone.now(),
            )
        )
        linked = f", answering notification #{message.notification_id}" if message.notification_id else ""
        keyword = f" (keyword {message.keyword})" if message.keyword else ""
        return f"Inbound SMS #{message.pk} from {number}{keyword}{linked}."
    if kind == "bounce":
        suppression = mandrill_event_suppress(
            esp_type="hard_bounce", recipient=address, occurred_at=timezone.now(), detail="simulated"
        )
        if suppression is None or "@" not in suppression.address:
            raise ValidationError({"bounce": ["Give an email address."]})
        return f"Email to {suppression.address} suppressed (hard bounce), suppression #{suppression.pk}."
    if kind == "conversation":
        if not address:
            raise ValidationError({"user_id": ["Give the user id of the conversation message."]})
        message = inbound_message_record(
            inbound=Inbound(
                channel=InboundChannel.CONVERSATION,
                provider="sandbox",
                event_id=event_id,
                from_address=address[:64],
                user_id=address[:64],
                text=text,
                received_at=timezone.now(),
            )
        )
        return f"Conversation message #{message.pk} from user {address}."
    raise ValidationError({"kind": [f"'{kind}' is not sms, bounce or conversation."]})
