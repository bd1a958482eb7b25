"""POST /webhooks/sunshine-conversations: authentication, replays, and client events."""

import json
import logging

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


def test_wrong_or_missing_key_is_refused_without_touching_data(
    client, person, pending, webhook_secret, caplog
):
    confirmed = event("ev-1", "client:update", person, reason="confirmed", status="active")
    for key in ("wrong-key", "", None, webhook_secret + "x"):
        caplog.clear()
        response = post(client, [confirmed], key)
        assert response.status_code == 401, key
        assert response.json()["message"] == "Wrong or missing X-API-Key."
        # Issue 25.10: one WARNING line per refused call, no traceback.
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert [r.levelno for r in warnings] == [logging.WARNING] and not warnings[0].exc_info
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


def _crafted(person):
    def with_event(**changes):
        ev = event("ev-c", "client:update", person, reason="confirmed")
        ev.update(changes)
        return {"app": {"id": "5d8cff3cd55b040010928b5b"}, "events": [ev]}

    def with_client(**changes):
        body = with_event()
        body["events"][0]["payload"]["client"].update(changes)
        return body

    deep = '{"events": [' + "[" * 1000 + "]" * 1000 + "]}"
    return {
        "deep JSON": deep,
        "moderately deep JSON": '{"events": [' + '{"a":' * 40 + "1" + "}" * 40 + "]}",
        "app id a number": json.dumps({"app": {"id": 5}, "events": []}),
        "app a list": json.dumps({"app": ["x"], "events": []}),
        "NUL in the event id": json.dumps(with_event(id="ev\x00-1")),
        "event id a number": json.dumps(with_event(id=12)),
        "event id an object": json.dumps(with_event(id={"a": 1})),
        "event a string": json.dumps({"events": ["client:update"]}),
        "createdAt not a date": json.dumps(with_event(createdAt="2026-13-45T99:00:00Z")),
        "createdAt a number": json.dumps(with_event(createdAt=12)),
        "payload a list": json.dumps(with_event(payload=[1])),
        "client a string": json.dumps(with_event(payload={"client": "c"})),
        "client id a number": json.dumps(with_client(id=5)),
        "NUL in the client id": json.dumps(with_client(id="5e00\x00")),
        "client status a list": json.dumps(with_client(status=["active"])),
        "linkedAt not a date": json.dumps(with_client(linkedAt="2026-02-30T00:00:00Z")),
        "NUL in the externalId": json.dumps(
            {"events": [{**with_event()["events"][0], "type": "client:add"}]}
        ).replace(f'"externalId": "{person.pk}"', f'"externalId": "{person.pk}\\u0000"'),
        "NaN": '{"events": [], "x": NaN}',
        # A good event first: the lone surrogate of the second must keep it from applying too.
        "a lone surrogate in a later event": json.dumps(
            {"events": [with_event()["events"][0], with_client(integrationId="\ud800")["events"][0]]}
        ),
    }


@pytest.mark.parametrize(
    "name",
    list(_crafted(get_user_model()(pk=1)).keys()),
)
def test_crafted_bodies_are_400_and_change_nothing(client, person, pending, webhook_secret, name, caplog):
    body = _crafted(person)[name]
    response = client.post(URL, data=body, content_type="application/json", HTTP_X_API_KEY=webhook_secret)
    assert response.status_code == 400, (name, response.content)
    assert response.json()["message"]
    assert not [r for r in caplog.records if r.exc_info]
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not ProcessedWebhookEvent.objects.exists()


def test_an_event_without_a_time_zone_is_read_as_utc(client, person, pending, webhook_secret):
    confirmed = event("ev-1", "client:update", person, reason="confirmed", created_at="2026-11-23T10:00:00")
    assert post(client, [confirmed], webhook_secret).json()["applied"] == 1
    pending.refresh_from_db()
    assert pending.status == "active"
    assert pending.last_event_at.isoformat() == "2026-11-23T10:00:00+00:00"
