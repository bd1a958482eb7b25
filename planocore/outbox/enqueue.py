"""Putting a provider call in the outbox: `enqueue`, and the hand-off of committed ids (`hand_off`).

`enqueue` writes the row in the caller's transaction and, once that transaction
commits, publishes its id to the broker as one `send_external_request` message
(planocore/outbox/broker.py `publish`; with no broker, the embedded default, the
task runs right there): nothing talks
to a provider before the commit. A broker that is down costs the request one
failed connection (CELERY_TASK_PUBLISH_RETRY off, no transport retries) and
leaves the row queued for the sweep.

Measured against a thread per web process that batched the ids of several
commits into one message (the design before), in the same run:
`bench/api.py --compare-handoff --rounds 4 --seconds 8` at commit c178b22
(PostgreSQL, 5 gunicorn workers, Redis, 2 cores at load average 14-15): the
thread's API ran at 108 % of this one's, its rounds spread from 89 % to 141 %;
no gain beyond the noise, so the plain publish stays.
"""

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from planocore.crypto import encrypt_json
from planocore.outbox import problems
from planocore.outbox.broker import publish
from planocore.outbox.claim import requests_of
from planocore.outbox.models import ExternalRequest
from planocore.outbox.tasks import send_external_request

logger = logging.getLogger("planocore.outbox")

RECIPIENT_MAX = ExternalRequest._meta.get_field("recipient").max_length


def recipient_of(payload: dict) -> str:
    """Who a payload goes to, as one line: its `to` addresses or numbers, else the chat or user."""
    to = payload.get("to")
    if to:
        return ", ".join(str(value) for value in to) if isinstance(to, list | tuple) else str(to)
    for key in ("chat_id", "user_id", "conversation_id"):
        if payload.get(key):
            return f"{key.split('_')[0]} {payload[key]}"
    return ""


def enqueue(
    *,
    channel: str,
    payload: dict,
    action: str = "send",
    priority: int = 0,
    source: models.Model | None = None,
    secrets: dict | None = None,
    dispatch: bool = True,
    recipient: str = "",
    supersede: bool = False,
) -> ExternalRequest:
    """Write an ExternalRequest in the current transaction; dispatch it after commit.

    `secrets` (a password, say) are stored encrypted and wiped once sent.
    `recipient` names who it goes to in the admin's list and search (a Glip
    team's name, say); by default it is read from the payload (`recipient_of`).
    `dispatch=False` leaves the row for the caller to `send` (the `execute` path)
    or for the sweep. `supersede` (a resend) marks the older requests of `source`
    replaced by this one (planocore/outbox/problems.py).
    """
    request = ExternalRequest.objects.create(
        channel=channel,
        action=action,
        payload=payload,
        secret_payload=encrypt_json(secrets) if secrets else "",
        priority=priority,
        recipient=(recipient or recipient_of(payload))[:RECIPIENT_MAX],
        next_attempt_at=timezone.now(),
        content_type=ContentType.objects.get_for_model(source) if source is not None else None,
        object_id=str(source.pk) if source is not None else "",
    )
    if supersede and source is not None:
        problems.supersede(source=source, by=request)
    if dispatch:
        transaction.on_commit(lambda: hand_off(request.pk))
    return request


def hand_off(request_id: int) -> None:
    """Publish a committed request to the broker (tasks eager: send it now); never raises."""
    try:
        publish(send_external_request, request_id)
    except Exception:
        # Runs after the commit: an error here must not reach the caller, whose data is
        # saved. The row stays queued and the sweep sends it.
        logger.warning(
            "Could not hand outbox request %s to the broker; it stays queued, with any others "
            "the broker missed, and the sweep will send them.",
            request_id,
        )


def add_secrets(*, source: models.Model, secrets: dict) -> int:
    """Store `secrets` encrypted on the requests `source` has not sent yet; returns how many.

    For what a send needs and the record must not hold (a one-time password): the
    service that saved the record writes it here, in the transaction in which the
    record's post_save receiver enqueued the request, so the sender finds it at
    the first attempt and wipes it once sent.
    """
    return requests_of(source).update(secret_payload=encrypt_json(secrets))
