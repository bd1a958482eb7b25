"""Callbacks to applications over real HTTP: a test receiver checks each signature; failures are retried."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inbound.models import ApplicationCallback
from inbound.services import Inbound, inbound_message_record
from planocore.outbox.models import ExternalRequest
from planocore.outbox.services import process_due
from tests.fakes.base import FakeServer, Reply
from tests.inbound.conftest import SMS

pytestmark = pytest.mark.django_db

ROUTE = "/api/v1/applications/callback"


class CallbackReceiver(FakeServer):
    """An application's endpoint: answers 204 to POST /events (faults can be queued)."""

    def register(self) -> None:
        self.route("POST", r"/events", lambda received, groups: Reply(204, None))

    def verified(self, secret: str) -> list[dict]:
        """The events whose signature checks out under `secret` (and whose timestamp is fresh)."""
        events = []
        for received in self.requests_to("POST", r"/events"):
            if received.status != 204:
                continue
            timestamp = received.headers["x-planocore-timestamp"]
            expected = hmac.new(secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256)
            assert received.headers["x-planocore-signature"] == f"v1={expected.hexdigest()}"
            assert abs(time.time() - int(timestamp)) < 60
            event = json.loads(received.body)
            assert received.headers["x-planocore-event-id"] == event["id"]
            events.append(event)
        return events


@pytest.fixture
def receiver(settings):
    server = CallbackReceiver().start()
    settings.MEDIA_URL_ALLOW_HTTP = True
    settings.MEDIA_URL_ALLOWED_HOSTS = [f"127.0.0.1:{server.port_number}"]
    yield server
    server.stop()


def _set(api, url):
    return api.post(ROUTE, {"url": url})


def test_a_reply_is_called_back_signed_and_retried_when_the_receiver_fails(
    api, receiver, django_capture_on_commit_callbacks
):
    code, body = _set(api, f"{receiver.url}/events")
    assert code == 200, body
    secret = body["data"]["secret"]
    assert secret.startswith("pcw_") and body["data"]["application"] == "planox2"
    with connection.cursor() as cursor:  # stored encrypted, never in clear
        cursor.execute("SELECT secret FROM inbound_applicationcallback")
        (stored,) = cursor.fetchone()
    assert stored and secret not in stored
    assert ApplicationCallback.objects.get().secret == secret

    with django_capture_on_commit_callbacks(execute=True):
        code, body = api.post("/api/v1/notifications", SMS)
    notification_id = body["data"]["id"]
    delivery = receiver.verified(secret)
    assert [(e["type"], e["data"]["notification_id"], e["data"]["state"]) for e in delivery] == [
        (
            "notification.delivery",
            notification_id,
            ExternalRequest.objects.get(channel="sms").status,
        )
    ]

    receiver.fail_next(500, {"error": "down"})
    reply = Inbound(
        channel="sms", provider="ringcentral", event_id="e1", from_address="+14155550123", text="See you"
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = inbound_message_record(inbound=reply)
    callback = ExternalRequest.objects.filter(channel="callback").latest("id")
    assert callback.status not in ("sent", "succeeded") and callback.next_attempt_at is not None
    assert callback.payload["event"]["type"] == "inbound_message.received"
    assert "pcw_" not in json.dumps(callback.payload) and secret not in callback.secret_payload

    ExternalRequest.objects.filter(pk=callback.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    process_due()
    callback.refresh_from_db()
    assert callback.status in ("sent", "succeeded") and callback.secret_payload == ""
    events = receiver.verified(secret)
    assert [e["type"] for e in events] == ["notification.delivery", "inbound_message.received"]
    assert events[-1]["data"]["id"] == message.pk and events[-1]["data"]["text"] == "See you"
    assert events[-1]["id"] == callback.payload["event"]["id"]  # the same id on the retry


def test_a_callback_url_the_fence_refuses_is_invalid(api, settings):
    settings.MEDIA_URL_ALLOWED_HOSTS = []
    for url in ("http://127.0.0.1:9/events", "https://10.0.0.7/events", "https://169.254.169.254/latest"):
        code, body = _set(api, url)
        assert (code, body["status"]) == (400, "invalid-param") and "url" in body["errors"], url
    assert not ApplicationCallback.objects.exists()


def test_without_a_callback_nothing_is_enqueued(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/notifications", SMS)
    assert not ExternalRequest.objects.filter(channel="callback").exists()
