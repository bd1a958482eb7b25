"""POST /webhooks/sunshine-conversations: authentication, replays, and client events."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from messaging.models import MessagingClient, ProcessedWebhookEvent
from messaging.selectors import conversation_for_user

pytestmark = pytest.mark.django_db

URL = "/webhooks/sunshine-conversations"
CLIENT_ID = "5e0000000000000000000aaa"
CONVERSATION = "029c31f25a21b47effd7be90"


@pytest.fixture
def pending(person):
    return MessagingClient.objects.create(
        user=person,
        external_user_id=str(person.pk),
        client_id=CLIENT_ID,
        type="whatsapp",
        phone_number="+12125552368",
        conversation_id=CONVERSATION,
    )


def event(
    event_id, kind, person, *, reason=None, status=None, created_at="2026-11-23T10:00:00.000Z", **client
):
    payload = {
        "user": {"id": "5e00000000000000000000u1", "externalId": str(person.pk)},
        "client": {"id": CLIENT_ID, "type": "whatsapp", **({"status": status} if status else {}), **client},
    }
    if reason:
        payload["reason"] = reason
    return {"id": event_id, "type": kind, "createdAt": created_at, "payload": payload}


def post(client, events, key):
    body = {
        "app": {"id": "5d8cff3cd55b040010928b5b"},
        "webhook": {"id": "w1", "version": "v2"},
        "events": events,
    }
    headers = {"HTTP_X_API_KEY": key} if key is not None else {}
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def test_wrong_or_missing_key_is_refused_without_touching_data(client, person, pending, webhook_secret):
    confirmed = event("ev-1", "client:update", person, reason="confirmed", status="active")
    for key in ("wrong-key", "", None, webhook_secret + "x"):
        response = post(client, [confirmed], key)
        assert response.status_code == 401, key
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not ProcessedWebhookEvent.objects.exists()


def test_without_a_configured_secret_everything_is_refused(client, person, pending, settings):
    settings.SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET = ""
    response = post(client, [event("ev-1", "client:update", person, reason="confirmed")], "")
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not ProcessedWebhookEvent.objects.exists()


def test_client_update_confirmed_makes_the_client_active(person, pending, webhook_secret):
    client = Client(enforce_csrf_checks=True)  # SC sends no CSRF token: the view is exempt
    assert conversation_for_user(person.pk) is None
    response = post(client, [event("ev-1", "client:update", person, reason="confirmed")], webhook_secret)
    assert response.status_code == 200
    assert response.json()["applied"] == 1
    pending.refresh_from_db()
    assert pending.status == "active"
    assert pending.sc_user_id == "5e00000000000000000000u1"
    assert pending.last_synced_at is not None
    assert conversation_for_user(person.pk) == CONVERSATION
    assert conversation_for_user(str(person.pk)) == CONVERSATION


def test_a_replayed_event_changes_nothing(client, person, pending, webhook_secret):
    confirmed = event("ev-1", "client:update", person, reason="confirmed", created_at="2026-11-23T10:00:00Z")
    blocked = event("ev-2", "client:update", person, reason="blocked", created_at="2026-11-23T10:05:00Z")
    assert post(client, [confirmed], webhook_secret).json()["applied"] == 1
    assert post(client, [blocked], webhook_secret).json()["applied"] == 1
    pending.refresh_from_db()
    assert pending.status == "blocked"
    reply = post(client, [confirmed], webhook_secret).json()
    assert (reply["applied"], reply["duplicates"]) == (0, 1)
    pending.refresh_from_db()
    assert pending.status == "blocked"
    assert ProcessedWebhookEvent.objects.count() == 2
    assert conversation_for_user(person.pk) is None


def test_unblocked_and_late_events(client, person, pending, webhook_secret):
    post(
        client,
        [event("ev-1", "client:update", person, reason="blocked", created_at="2026-11-23T10:00:00Z")],
        webhook_secret,
    )
    post(
        client,
        [event("ev-2", "client:update", person, reason="unblocked", created_at="2026-11-23T10:10:00Z")],
        webhook_secret,
    )
    pending.refresh_from_db()
    assert pending.status == "active"
    # An older event delivered late (a retry) does not undo the newer state.
    late = event("ev-0", "client:update", person, reason="blocked", created_at="2026-11-23T09:00:00Z")
    assert post(client, [late], webhook_secret).status_code == 200
    pending.refresh_from_db()
    assert pending.status == "active"


def test_client_remove_marks_the_client_removed(client, person, pending, webhook_secret):
    pending.status = "active"
    pending.save()
    assert conversation_for_user(person.pk) == CONVERSATION
    reply = post(client, [event("ev-9", "client:remove", person, reason="api")], webhook_secret)
    assert reply.json()["applied"] == 1
    pending.refresh_from_db()
    assert pending.status == "inactive" and pending.removed_at is not None
    assert conversation_for_user(person.pk) is None


def test_client_add_of_a_client_made_elsewhere_is_mirrored(client, person, webhook_secret):
    add = event(
        "ev-1", "client:add", person, status="pending", externalId="+15550001234", integrationId="int-1"
    )
    add["payload"]["conversation"] = {"id": CONVERSATION}
    other = {"id": "ev-x", "type": "conversation:message", "payload": {}}
    reply = post(client, [add, other], webhook_secret).json()
    assert (reply["applied"], reply["ignored"]) == (1, 1)
    mirrored = MessagingClient.objects.get(client_id=CLIENT_ID)
    assert (mirrored.user, mirrored.status, mirrored.phone_number) == (person, "pending", "+15550001234")
    assert mirrored.conversation_id == CONVERSATION


def test_events_for_unknown_users_are_ignored(client, webhook_secret, db):
    stranger = get_user_model()(pk=424242)
    reply = post(client, [event("ev-1", "client:add", stranger, status="active")], webhook_secret)
    assert reply.status_code == 200
    assert not MessagingClient.objects.exists()


def test_bad_bodies_are_400(client, webhook_secret):
    response = client.post(
        URL, data="not json", content_type="application/json", HTTP_X_API_KEY=webhook_secret
    )
    assert response.status_code == 400
    response = client.post(URL, data="{}", content_type="application/json", HTTP_X_API_KEY=webhook_secret)
    assert response.status_code == 400
    assert client.get(URL, HTTP_X_API_KEY=webhook_secret).status_code == 405


def test_a_confirmation_that_beats_the_create_answer_is_kept(person, webhook_secret, client):
    from messaging.services import _store_created_client

    confirmed = event("ev-1", "client:add", person, status="active")
    assert post(client, [confirmed], webhook_secret).json()["applied"] == 1
    stored = _store_created_client(
        user=person,
        client_id=CLIENT_ID,
        type="whatsapp",
        status="pending",
        integration_id="int",
        address="",
        phone_number="+12125552368",
        conversation_id=CONVERSATION,
        primary=True,
        linked_at=None,
    )
    assert stored.status == "active"
    assert MessagingClient.objects.get().conversation_id == CONVERSATION
