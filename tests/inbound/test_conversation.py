"""Sunshine Conversations: a user's conversation:message on the existing webhook is an inbound message."""

import json

import pytest
from django.utils import timezone

from inbound.models import InboundMessage
from notifications.models import Notification

pytestmark = pytest.mark.django_db

URL = "/webhooks/sunshine-conversations"
SECRET = "sc-webhook-secret"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET = SECRET


def _message(event_id: str, *, author_type="user", text="Is the shoot still on?", external_id="42"):
    return {
        "id": event_id,
        "type": "conversation:message",
        "createdAt": timezone.now().isoformat(),
        "payload": {
            "conversation": {"id": "029c31f25a21b47effd7be90", "type": "personal"},
            "message": {
                "id": f"m-{event_id}",
                "received": timezone.now().isoformat(),
                "author": {"type": author_type, "user": {"id": "5e00u1", "externalId": external_id}},
                "content": {"type": "text", "text": text},
            },
        },
    }


def _post(client, events):
    body = {"app": {"id": "app"}, "webhook": {"id": "w1", "version": "v2"}, "events": events}
    return client.post(URL, json.dumps(body), content_type="application/json", HTTP_X_API_KEY=SECRET)


def test_a_users_message_is_stored_once_and_linked(client):
    # Stored without its dispatch (bulk_create sends no post_save): user 42 has no client here.
    (notification,) = Notification.objects.bulk_create(
        [Notification(notification_type="conversation", user_id="42", key="tour")]
    )
    response = _post(client, [_message("e1"), _message("e2", author_type="business"), _message("e1")])
    assert response.status_code == 200, response.content
    assert (response.json()["applied"], response.json()["duplicates"], response.json()["ignored"]) == (
        1,
        1,
        1,
    )
    message = InboundMessage.objects.get()
    assert (message.channel, message.user_id, message.text) == (
        "conversation",
        "42",
        "Is the shoot still on?",
    )
    assert message.notification_id == notification.pk
    assert message.conversation_id == "029c31f25a21b47effd7be90"


def test_a_message_event_of_the_wrong_shape_applies_nothing(client):
    bad = _message("e3")
    bad["payload"]["message"]["content"]["text"] = ["not", "text"]
    response = _post(client, [_message("e4"), bad])
    assert response.status_code == 400
    assert "content.text" in response.json()["message"]
    assert not InboundMessage.objects.exists()


def test_a_conversation_send_to_a_removed_client_is_suppressed(api, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    from messaging.models import MessagingClient
    from planocore.outbox.models import ExternalRequest
    from planocore.outbox.services import process_due

    person = get_user_model().objects.create_user("cy", "cy@example.com", "pw-123456-x")
    client_row = MessagingClient.objects.create(
        user=person,
        external_user_id=str(person.pk),
        client_id="5e0000000000000000000ccc",
        type="whatsapp",
        status="active",
        conversation_id="conv-removed",
    )
    with django_capture_on_commit_callbacks(execute=False):  # queued, not sent yet
        code, body = api.post(
            "/api/v1/notifications",
            {"notification_type": "conversation", "user_id": str(person.pk), "email_body": "Hi"},
        )
    assert code == 200, body
    client_row.status, client_row.removed_at = "inactive", timezone.now()
    client_row.save()

    process_due()
    request = ExternalRequest.objects.get(channel="conversation")
    assert request.status == "suppressed" and request.attempt_log.count() == 0
    assert "messaging client was removed" in request.last_error
    assert Notification.objects.get(pk=body["data"]["id"]).status == "suppressed"
