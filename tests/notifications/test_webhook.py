"""Mandrill's tracking webhook at /webhooks/mandrill: signature checked, statuses recorded."""

import base64
import hashlib
import hmac
import json

import pytest

from notifications.models import Notification
from planocore.outbox.models import ExternalRequest
from tests.notifications.conftest import EMAIL, URL

WEBHOOK = "/webhooks/mandrill"
KEY = "webhook-key-for-tests"


def _signature(key: str, url: str, params: dict) -> str:
    signed = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(key.encode(), signed.encode(), hashlib.sha1).digest()).decode()


@pytest.fixture
def webhook_key(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MANDRILL_WEBHOOK_KEY": KEY}


@pytest.fixture
def sent_email(api, mandrill_fake):
    code, body = api.post(URL, EMAIL)
    assert code == 200, body
    return ExternalRequest.objects.get(), Notification.objects.get()


def _post(client, events, *, key=KEY):
    params = {"mandrill_events": json.dumps(events)}
    signature = _signature(key, "http://testserver" + WEBHOOK, params)
    return client.post(WEBHOOK, params, HTTP_X_MANDRILL_SIGNATURE=signature)


def _event(kind, message_id, notification_id="0", email="ann@example.com"):
    return {
        "event": kind,
        "_id": message_id,
        "ts": 1795000000,
        "msg": {"email": email, "metadata": {"notification_id": notification_id}, "state": kind},
    }


@pytest.mark.django_db
def test_signed_events_update_the_request_and_the_notification(client, webhook_key, sent_email):
    request, notification = sent_email

    response = _post(client, [_event("send", request.provider_message_id)])
    assert response.status_code == 200
    request.refresh_from_db()
    notification.refresh_from_db()
    assert (request.delivery_status, notification.status) == ("delivered", "delivered")

    _post(client, [_event("open", request.provider_message_id)])
    request.refresh_from_db()
    notification.refresh_from_db()
    assert (request.delivery_status, notification.status) == ("opened", "opened")


@pytest.mark.django_db
def test_other_recipients_are_matched_by_metadata(client, webhook_key, sent_email):
    request, notification = sent_email
    bob_id = request.response["recipients"]["bob@example.com"]["message_id"]
    assert bob_id != request.provider_message_id

    _post(client, [_event("hard_bounce", bob_id, str(notification.pk), "bob@example.com")])

    request.refresh_from_db()
    notification.refresh_from_db()
    assert (request.delivery_status, notification.status) == ("bounced", "bounced")
    assert notification.provider_failed_at is not None  # listed among production notifications


@pytest.mark.django_db
def test_wrongly_signed_requests_change_nothing(client, webhook_key, sent_email):
    request, notification = sent_email

    response = _post(client, [_event("hard_bounce", request.provider_message_id)], key="not-the-key")
    assert response.status_code == 400
    unsigned = client.post(
        WEBHOOK, {"mandrill_events": json.dumps([_event("open", request.provider_message_id)])}
    )
    assert unsigned.status_code == 400

    request.refresh_from_db()
    notification.refresh_from_db()
    assert (request.delivery_status, notification.status) == ("", "sent")


@pytest.mark.django_db
def test_without_a_webhook_key_every_event_is_refused(client, settings, sent_email):
    settings.ANYMAIL = {**settings.ANYMAIL, "MANDRILL_WEBHOOK_KEY": ""}
    request, _ = sent_email

    response = _post(client, [_event("open", request.provider_message_id)], key="")

    assert response.status_code == 400
    request.refresh_from_db()
    assert request.delivery_status == ""


@pytest.mark.django_db
def test_mandrill_checks_the_url_with_head(client, webhook_key):
    assert client.head(WEBHOOK).status_code == 200
