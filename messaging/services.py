"""Writes of the messaging app: create, list (sync) and remove clients; apply webhook events.

The API calls (create, list, remove) need Sunshine Conversations' (SC) answer inside
the request (through the `messaging_clients` backend: SC's, or the sandbox's in-process
stand-in when SC has no credentials), so each service calls SC first, outside any
transaction, and only then writes the mirror in one atomic block: when SC fails, nothing is stored. (When SC
succeeds and our write then fails, SC holds a client we do not: the next list or
its `client:add` webhook brings it in.)
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging.models import MessagingClient, ProcessedWebhookEvent
from messaging.signals import conversation_message
from planocore.errors import ServiceUnavailable
from planocore.providers.base import ProviderError, provider_time
from planocore.providers.registry import get_backend

logger = logging.getLogger("messaging")


# --- SC errors → domain errors ------------------------------------------------------
def _domain_error(error: ProviderError, *, bad_request_param: str) -> Exception:
    """Map an SC failure: unknown user/client → ValidationError naming the param; outages →
    ServiceUnavailable. The API's exception handler turns each into its status."""
    codes = {e.get("code") for e in (error.response or {}).get("errors", [])}
    if error.retryable:
        retry_after = max(1, round(error.retry_after)) if error.retry_after else None
        return ServiceUnavailable(
            f"Sunshine Conversations is unavailable ({error.message}). Nothing was stored; try again"
            + (f" in {retry_after} seconds." if retry_after else " later."),
            retry_after=retry_after,
        )
    if "user_not_found" in codes:
        return ValidationError(
            {
                "user_id": "Sunshine Conversations has no user with this id as externalId; the user must "
                "open a conversation first."
            }
        )
    if "client_not_found" in codes:
        return ValidationError(
            {"client_id": "This user has no client with this id in Sunshine Conversations."}
        )
    if "conversation_not_found" in codes:
        return ValidationError({"target.conversationId": "Sunshine Conversations has no such conversation."})
    if error.http_status in (400, 409, 422):
        return ValidationError({bad_request_param: f"Sunshine Conversations refused it: {error.message}"})
    logger.error("Sunshine Conversations refused a call: %s", error.message)
    return ServiceUnavailable(
        f"Sunshine Conversations refused PlanoCore's request ({error.message}); staff must check the "
        "SUNSHINE_CONVERSATIONS_* settings."
    )


def _backend():
    """The `messaging_clients` backend: Sunshine Conversations, or the sandbox's stand-in."""
    backend = get_backend("messaging_clients")
    if not backend.is_configured():
        raise ServiceUnavailable(
            "Sunshine Conversations is not configured here (SUNSHINE_CONVERSATIONS_APP_ID, _KEY_ID, _SECRET)."
        )
    return backend


def _local_status(value: str | None) -> str | None:
    return value if value in MessagingClient.Status.values else None


def _local_type(value) -> str:
    value = getattr(value, "value", value)
    return value if value in MessagingClient.Type.values else MessagingClient.Type.SDK


# --- create -------------------------------------------------------------------------
def messaging_client_create(
    *, user, match_criteria: dict, confirmation: dict, target: dict
) -> MessagingClient:
    """Create a client in SC for the user (externalId = user id) and store it as pending.

    The params are validated by the caller (ClientCreateParams); SC is called before
    anything is written. A conversation belongs to one user: one that another user's
    client (not removed) is linked to is refused before SC is asked.
    """
    # Imported here: the package's import is 2.7 s of every process's start (all its API
    # and model modules), and only this call and the Sunshine backends need it.
    from sunshine_conversations_client import ClientCreate

    _check_conversation_is_free(target["conversationId"], user=user)
    backend = _backend()
    body = {"matchCriteria": dict(match_criteria), "confirmation": dict(confirmation), "target": dict(target)}
    try:
        client_create = ClientCreate.from_dict(body)
    except ValueError as exc:  # the params serializer mirrors the contract; this is a safety net
        raise ValidationError(
            {"matchCriteria": f"Not a valid Sunshine Conversations client: {exc}"}
        ) from None
    try:
        created = backend.create_client(external_id=str(user.pk), client=client_create)
    except ProviderError as error:
        raise _domain_error(error, bad_request_param="matchCriteria") from None
    return _store_created_client(
        user=user,
        client_id=created.id,
        type=_local_type(created.type) if created.type else match_criteria["type"],
        status=_local_status(created.status) or MessagingClient.Status.PENDING,
        integration_id=created.integration_id or match_criteria["integrationId"],
        address=match_criteria.get("address", ""),
        phone_number=match_criteria.get("phoneNumber", ""),
        conversation_id=target["conversationId"],
        primary=match_criteria.get("primary", True),
        linked_at=provider_time(created.linked_at),
    )


def _check_conversation_is_free(conversation_id: str, *, user) -> None:
    """ValidationError (invalid-param) when another user's live client is linked to this conversation."""
    taken = (
        MessagingClient.objects.filter(conversation_id=conversation_id, removed_at__isnull=True)
        .exclude(user=user)
        .exists()
    )
    if conversation_id and taken:
        raise ValidationError(
            {"target.conversationId": "this conversation belongs to another user; give one of this user's."}
        )


@transaction.atomic
def _store_created_client(*, user, client_id: str, **fields) -> MessagingClient:
    now = timezone.now()
    client = MessagingClient.objects.select_for_update().filter(client_id=client_id).first()
    if client is None:
        return MessagingClient.objects.create(
            user=user, external_user_id=str(user.pk), client_id=client_id, last_synced_at=now, **fields
        )
    # SC's webhook beat our write (an `immediate` link is confirmed at once): its status is
    # newer than the create answer's `pending`, so keep it and fill in the rest.
    fields.pop("status", None)
    if client.linked_at:
        fields.pop("linked_at", None)
    for name, value in fields.items():
        setattr(client, name, value)
    client.user, client.external_user_id, client.last_synced_at = user, str(user.pk), now
    client.save()
    return client


# --- list ---------------------------------------------------------------------------
@dataclass
class ClientPage:
    """One page of a user's clients as SC listed them, mirrored locally."""

    clients: list[MessagingClient]
    size: int
    has_more: bool
    after_cursor: str | None
    before_cursor: str | None


def messaging_clients_list(
    *, user, page_after: str | None = None, page_before: str | None = None, page_size: int = 25
) -> ClientPage:
    """List one page of the user's clients from SC and refresh the local mirror of those clients."""
    backend = _backend()
    try:
        listed = backend.list_clients(
            external_id=str(user.pk), after=page_after, before=page_before, size=page_size
        )
    except ProviderError as error:
        raise _domain_error(
            error, bad_request_param="page[before]" if page_before else "page[after]"
        ) from None
    meta = listed.meta
    clients = _sync_clients(user=user, listed=listed.clients or [])
    return ClientPage(
        clients=clients,
        size=page_size,
        has_more=bool(meta and meta.has_more),
        after_cursor=meta.after_cursor if meta else None,
        before_cursor=meta.before_cursor if meta else None,
    )


@transaction.atomic
def _sync_clients(*, user, listed: list) -> list[MessagingClient]:
    """Upsert the listed clients (one select, one bulk insert, one bulk update); keep SC's order."""
    now = timezone.now()
    ids = [c.id for c in listed if c.id]
    existing = {c.client_id: c for c in MessagingClient.objects.filter(client_id__in=ids)}
    new, changed = [], []
    for item in listed:
        client = existing.get(item.id)
        status = _local_status(item.status) or MessagingClient.Status.PENDING
        if client is None:
            client = MessagingClient(
                user=user,
                external_user_id=str(user.pk),
                client_id=item.id,
                type=_local_type(item.type),
                status=status,
                integration_id=item.integration_id or "",
                linked_at=provider_time(item.linked_at),
                last_synced_at=now,
            )
            new.append(client)
            existing[item.id] = client
        else:
            # SC moves a client to another user on a channel link ("theft"): follow it.
            client.user, client.external_user_id = user, str(user.pk)
            client.status = status
            client.linked_at = provider_time(item.linked_at) or client.linked_at
            client.integration_id = item.integration_id or client.integration_id
            client.last_synced_at = now
            client.removed_at = None
            client.updated_at = now
            changed.append(client)
    if new:
        MessagingClient.objects.bulk_create(new)
    if changed:
        MessagingClient.objects.bulk_update(
            changed,
            [
                "user",
                "external_user_id",
                "status",
                "linked_at",
                "integration_id",
                "last_synced_at",
                "removed_at",
                "updated_at",
            ],
        )
    return [existing[i] for i in ids]


# --- remove -------------------------------------------------------------------------
def messaging_client_remove(*, user, client_id: str) -> MessagingClient | None:
    """Remove the client in SC, then mark the local row removed (inactive); None when not mirrored."""
    backend = _backend()
    try:
        backend.remove_client(external_id=str(user.pk), client_id=client_id)
    except ProviderError as error:
        raise _domain_error(error, bad_request_param="client_id") from None
    return _mark_removed(client_id=client_id, user=user)


@transaction.atomic
def _mark_removed(*, client_id: str, user=None, at: datetime | None = None) -> MessagingClient | None:
    qs = MessagingClient.objects.select_for_update().filter(client_id=client_id)
    if user is not None:
        qs = qs.filter(user=user)
    client = qs.first()
    if client is None:
        return None
    now = timezone.now()
    client.status = MessagingClient.Status.INACTIVE
    client.removed_at = at or now
    client.last_synced_at = now
    client.save(update_fields=["status", "removed_at", "last_synced_at", "updated_at"])
    return client


# --- webhook ------------------------------------------------------------------------
CLIENT_EVENTS = ("client:add", "client:update", "client:remove")
# client:update reasons when the event carries no client status.
UPDATE_REASON_STATUS = {
    "confirmed": MessagingClient.Status.ACTIVE,
    "blocked": MessagingClient.Status.BLOCKED,
    "unblocked": MessagingClient.Status.ACTIVE,
}


_SC_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# A user's externalId: printable ASCII; PlanoCore's own are its user ids (digits, a bigint).
_EXTERNAL_ID = re.compile(r"[ -~]{1,64}")
USER_ID = re.compile(r"[0-9]{1,18}")
# Where a client event carries each object and string it uses: (path, kind, longest string
# kept: the column's length, so no value can fail the write).
_EVENT_SHAPE = (
    (("payload",), dict, None),
    (("payload", "client"), dict, None),
    (("payload", "user"), dict, None),
    (("payload", "conversation"), dict, None),
    (("payload", "reason"), str, 64),
    (("payload", "client", "status"), str, 64),
    (("payload", "client", "type"), str, 64),
    (("payload", "client", "integrationId"), str, 64),
    (("payload", "client", "externalId"), str, 254),
    (("payload", "user", "id"), str, 64),
    (("payload", "user", "externalId"), (str, int), 64),
    (("payload", "conversation", "id"), str, 64),
)


def _at(event: dict, path: tuple[str, ...]):
    value = event
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _shape_fault(where: str, event: dict, shape) -> str | None:
    """The first (path, kind[, longest]) of `shape` whose value is of the wrong type or too long."""
    for path, kind, *bound in shape:
        value = _at(event, path)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            return f"{where}.{'.'.join(path)} has the wrong type."
        longest = bound[0] if bound else None
        if isinstance(value, str) and longest is not None and len(value) > longest:
            return f"{where}.{'.'.join(path)} is longer than {longest} characters."
    return None


def webhook_event_fault(index: int, event) -> str | None:
    """What is wrong with the shape of `events[index]`, or None (other types are not checked)."""
    where = f"events[{index}]"
    if not isinstance(event, dict):
        return f"{where} is not an object."
    if event.get("type") == MESSAGE_EVENT:
        return message_event_fault(where, event)
    if event.get("type") not in CLIENT_EVENTS:
        return None
    if not isinstance(event.get("id"), str) or not _SC_ID.fullmatch(event["id"]):
        return f"{where}.id must be an event id (letters, digits, `_.:-`, at most 64)."
    created_at = event.get("createdAt")
    if created_at is not None and provider_time(created_at) is None:
        return f"{where}.createdAt must be an ISO-8601 time from 2000 to now."
    fault = _shape_fault(where, event, _EVENT_SHAPE)
    if fault:
        return fault
    external_id = str(_at(event, ("payload", "user", "externalId")) or "")
    too_long_a_number = external_id.isdigit() and not USER_ID.fullmatch(external_id)
    if external_id and (not _EXTERNAL_ID.fullmatch(external_id) or too_long_a_number):
        return f"{where}.payload.user.externalId must be printable ASCII, a user id at most 18 digits."
    client_id = _at(event, ("payload", "client", "id"))
    if client_id is not None and (not isinstance(client_id, str) or not _SC_ID.fullmatch(client_id)):
        return f"{where}.payload.client.id must be a client id."
    linked_at = _at(event, ("payload", "client", "linkedAt"))
    if linked_at is not None and provider_time(linked_at) is None:
        return f"{where}.payload.client.linkedAt must be an ISO-8601 time from 2000 to now."
    return None


MESSAGE_EVENT = "conversation:message"
# Where a conversation:message event carries each value it uses: (path, kind).
_MESSAGE_SHAPE = (
    (("payload",), dict),
    (("payload", "conversation"), dict),
    (("payload", "conversation", "id"), str),
    (("payload", "message"), dict),
    (("payload", "message", "id"), str),
    (("payload", "message", "received"), str),
    (("payload", "message", "author"), dict),
    (("payload", "message", "author", "type"), str),
    (("payload", "message", "author", "user"), dict),
    (("payload", "message", "author", "user", "externalId"), (str, int)),
    (("payload", "message", "content"), dict),
    (("payload", "message", "content", "type"), str),
    (("payload", "message", "content", "text"), str),
)


@dataclass
class MessageFromUser:
    """A user's conversation message, as the `conversation_message` signal carries it."""

    event_id: str
    conversation_id: str
    message_id: str
    external_user_id: str  # the PlanoCore user id (the SC user's externalId)
    text: str
    received_at: datetime


def message_event_fault(where: str, event: dict) -> str | None:
    """What is wrong with the shape of a conversation:message event, or None."""
    if not isinstance(event.get("id"), str) or not _SC_ID.fullmatch(event["id"]):
        return f"{where}.id must be an event id (letters, digits, `_.:-`, at most 64)."
    fault = _shape_fault(where, event, _MESSAGE_SHAPE)
    if fault:
        return fault
    received = _at(event, ("payload", "message", "received"))
    if received is not None and provider_time(received) is None:
        return f"{where}.payload.message.received must be an ISO-8601 time from 2000 to now."
    return None


def _message_from_user(event: dict) -> MessageFromUser | None:
    """The user's message an event carries; None for a business's own message or one without a user."""
    message = _at(event, ("payload", "message")) or {}
    author = message.get("author") or {}
    external_id = str((author.get("user") or {}).get("externalId") or "")
    if author.get("type") != "user" or not external_id:
        return None
    return MessageFromUser(
        event_id=event["id"],
        conversation_id=str(_at(event, ("payload", "conversation", "id")) or ""),
        message_id=str(message.get("id") or ""),
        external_user_id=external_id[:64],
        text=str((message.get("content") or {}).get("text") or ""),
        received_at=provider_time(message.get("received"))
        or provider_time(event.get("createdAt"))
        or timezone.now(),
    )


@dataclass
class WebhookResult:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0


def webhook_events_apply(*, events: list) -> WebhookResult:
    """Apply SC's client:add / client:update / client:remove events; skip ids already seen.

    Each event is its own transaction that first inserts its id into
    ProcessedWebhookEvent (unique): a replay, even a concurrent one, fails that insert
    and changes nothing. A user's `conversation:message` is sent on as the
    `messaging.signals.conversation_message` signal (the inbound app stores it, once
    by event id). Other event types are ignored.
    """
    result = WebhookResult()
    for event in events:
        if isinstance(event, dict) and event.get("type") == MESSAGE_EVENT:
            message = _message_from_user(event)
            answers = (
                [] if message is None else conversation_message.send(sender=MessageFromUser, message=message)
            )
            if not answers:
                result.ignored += 1
            elif any(stored for _, stored in answers):
                result.applied += 1
            else:
                result.duplicates += 1
            continue
        if not isinstance(event, dict) or event.get("type") not in CLIENT_EVENTS or not event.get("id"):
            result.ignored += 1
            continue
        if _apply_event(event):
            result.applied += 1
        else:
            result.duplicates += 1
    return result


@transaction.atomic
def _apply_event(event: dict) -> bool:
    try:
        with transaction.atomic():
            ProcessedWebhookEvent.objects.create(event_id=str(event["id"])[:64], event_type=event["type"])
    except IntegrityError:
        return False
    payload = event.get("payload") or {}
    if not (payload.get("client") or {}).get("id"):
        return True
    try:
        with transaction.atomic():
            _apply_to_client(event, payload)
    except IntegrityError:
        # A concurrent event (or the API) stored this new client first: apply to its row.
        _apply_to_client(event, payload)
    return True


def _apply_to_client(event: dict, payload: dict) -> None:
    """Apply one client event to the client's row, locked; an event older than its last changes nothing."""
    sc_client = payload.get("client") or {}
    sc_user = payload.get("user") or {}
    client_id = sc_client["id"]
    created_at = provider_time(event.get("createdAt")) or timezone.now()
    client = MessagingClient.objects.select_for_update().filter(client_id=client_id).first()
    if client is not None and client.last_event_at and created_at < client.last_event_at:
        return  # an older event arriving late: the newer one already set the state
    if event["type"] == "client:remove":
        if client is not None:
            client.status = MessagingClient.Status.INACTIVE
            client.removed_at = created_at
            _touch(client, created_at, ["status", "removed_at"])
        return
    status = _local_status(sc_client.get("status"))
    if event["type"] == "client:update":
        status = status or UPDATE_REASON_STATUS.get(payload.get("reason"))
    if client is None:
        client = _client_from_event(sc_client, sc_user, payload)
        if client is None:
            return
    fields = []
    if status and status != client.status:
        client.status = status
        fields.append("status")
    if sc_user.get("id") and client.sc_user_id != sc_user["id"]:
        client.sc_user_id = sc_user["id"]
        fields.append("sc_user_id")
    conversation_id = (payload.get("conversation") or {}).get("id")
    if conversation_id and not client.conversation_id:
        client.conversation_id = conversation_id
        fields.append("conversation_id")
    linked_at = provider_time(sc_client.get("linkedAt"))
    if linked_at and client.linked_at != linked_at:
        client.linked_at = linked_at
        fields.append("linked_at")
    if client.removed_at and event["type"] == "client:add":
        client.removed_at = None
        fields.append("removed_at")
    _touch(client, created_at, fields)


def _client_from_event(sc_client: dict, sc_user: dict, payload: dict) -> MessagingClient | None:
    """A client SC told us about first (made in SC's dashboard, or the webhook beat our write)."""
    from django.contrib.auth import get_user_model

    external_id = str(sc_user.get("externalId") or "")
    is_user_id = USER_ID.fullmatch(external_id)
    user = get_user_model().objects.filter(pk=int(external_id)).first() if is_user_id else None
    if user is None:
        logger.info("Webhook about client %s of an unknown user; ignored.", sc_client.get("id"))
        return None
    external = str(sc_client.get("externalId") or "")
    client_type = _local_type(sc_client.get("type"))
    return MessagingClient(
        user=user,
        external_user_id=external_id,
        client_id=sc_client["id"],
        type=client_type,
        status=_local_status(sc_client.get("status")) or MessagingClient.Status.PENDING,
        integration_id=sc_client.get("integrationId") or "",
        address=external if client_type == MessagingClient.Type.MAILGUN else "",
        phone_number=external[:20] if external.startswith("+") else "",
    )


def _touch(client: MessagingClient, event_at: datetime, fields: list[str]) -> None:
    client.last_event_at = event_at
    client.last_synced_at = timezone.now()
    if client.pk is None:
        client.save()
    else:
        client.save(update_fields=[*fields, "last_event_at", "last_synced_at", "updated_at"])
