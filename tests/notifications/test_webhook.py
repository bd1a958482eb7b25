"""Mandrill's tracking webhook at /webhooks/mandrill: signature checked, statuses recorded."""

import base64
import hashlib
import hmac
import json
import logging

import pytest
from django.test import Client

from notifications.models import MandrillEvent, Notification
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


def _event(kind, message_id, notification_id="0", email="ann@example.com", ts=1795000000):
    return {
        "event": kind,
        "_id": message_id,
        "ts": ts,
        "msg": {"email": email, "metadata": {"notification_id": notification_id}, "state": kind},
    }


@pytest.mark.django_db
def test_signed_events_update_the_request_and_the_notification(client, webhook_key, sent_email):
    request, notification = sent_email

    response = _post(client, [_event("send", request.provider_message_id)])
    assert response.status_code == 200
    request.refresh_from_db()
    notification.refresh_from_db()
    assert (request.delivery_status, notification.provider_status) == ("delivered", "delivered")
    assert notification.status == "sent"  # the provider's layer never renames the delivery state

    _post(client, [_event("open", request.provider_message_id)])
    request.refresh_from_db()
    notification.refresh_from_db()
    assert (request.delivery_status, notification.provider_status) == ("opened", "opened")
    assert notification.status == "sent"  # the provider's layer never renames the delivery state


@pytest.mark.django_db
def test_other_recipients_are_matched_by_metadata(client, webhook_key, sent_email):
    request, notification = sent_email
    bob_id = request.response["recipients"]["bob@example.com"]["message_id"]
    assert bob_id != request.provider_message_id

    _post(client, [_event("hard_bounce", bob_id, str(notification.pk), "bob@example.com")])

    request.refresh_from_db()
    notification.refresh_from_db()
    assert (request.delivery_status, notification.provider_status) == ("bounced", "bounced")
    assert notification.status == "sent"  # the provider's layer never renames the delivery state
    assert notification.provider_failed_at is not None  # listed among production notifications


def _one_warning_no_traceback(caplog) -> None:
    """Issue 25.10: a refused call logs one WARNING line, no ERROR and no traceback."""
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in records] == [logging.WARNING], [r.getMessage() for r in records]
    assert not records[0].exc_info


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["wrong key", "unsigned"])
def test_wrongly_signed_requests_are_401_json_and_change_nothing(
    client, webhook_key, sent_email, caplog, how
):
    request, notification = sent_email
    client.raise_request_exception = False
    caplog.clear()
    with caplog.at_level(logging.INFO):
        if how == "wrong key":
            response = _post(client, [_event("hard_bounce", request.provider_message_id)], key="not-the-key")
        else:
            response = client.post(
                WEBHOOK, {"mandrill_events": json.dumps([_event("open", request.provider_message_id)])}
            )
    # Issue 25.10: 401 with a JSON body (was Django's HTML 400 page and an ERROR with a traceback).
    assert response.status_code == 401 and response["Content-Type"] == "application/json"
    assert "X-Mandrill-Signature" in response.json()["message"]
    _one_warning_no_traceback(caplog)
    request.refresh_from_db()
    notification.refresh_from_db()
    assert (request.delivery_status, notification.status) == ("", "sent")


@pytest.mark.django_db
def test_without_a_webhook_key_every_event_is_refused(client, settings, sent_email, caplog):
    settings.ANYMAIL = {**settings.ANYMAIL, "MANDRILL_WEBHOOK_KEY": ""}
    request, _ = sent_email
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = _post(client, [_event("open", request.provider_message_id)], key="")

    assert response.status_code == 403 and "MANDRILL_WEBHOOK_KEY" in response.json()["message"]
    _one_warning_no_traceback(caplog)
    request.refresh_from_db()
    assert request.delivery_status == ""


@pytest.mark.django_db
def test_mandrill_checks_the_url_with_head(client, webhook_key):
    assert client.head(WEBHOOK).status_code == 200


# --- each event once, in order ----------------------------------------------------------------
def _statuses(request, notification):
    request.refresh_from_db()
    notification.refresh_from_db()
    return request.delivery_status, notification.provider_status


@pytest.mark.django_db
def test_a_replayed_event_is_applied_once(client, webhook_key, sent_email):
    request, notification = sent_email
    message_id = request.provider_message_id
    opened = _event("open", message_id, ts=1795000100)
    clicked = _event("click", message_id, ts=1795000100)  # the same second
    assert _post(client, [opened]).status_code == 200
    assert _post(client, [clicked]).status_code == 200
    assert _statuses(request, notification) == ("clicked", "clicked")

    assert _post(client, [opened]).status_code == 200  # Mandrill delivers it again
    assert _statuses(request, notification) == ("clicked", "clicked")
    assert MandrillEvent.objects.count() == 2


@pytest.mark.django_db
def test_an_older_event_never_overwrites_a_newer_status(client, webhook_key, sent_email):
    request, notification = sent_email
    message_id = request.provider_message_id
    _post(client, [_event("hard_bounce", message_id, ts=1795000200)])
    assert _statuses(request, notification) == ("bounced", "bounced")

    # The send event of before the bounce arrives late, alone or in a batch.
    _post(client, [_event("send", message_id, ts=1795000100)])
    _post(client, [_event("open", message_id, ts=1795000150), _event("send", message_id, ts=1795000000)])
    assert _statuses(request, notification) == ("bounced", "bounced")
    request.refresh_from_db()
    assert request.delivery_status_at.timestamp() == 1795000200

    _post(client, [_event("open", message_id, ts=1795000300)])  # a newer one still applies
    assert _statuses(request, notification) == ("opened", "opened")


def _crafted_batches(message_id):
    good = _event("open", message_id)
    deep_metadata = json.loads('{"a":' * 40 + "1" + "}" * 40)
    return {
        "deep JSON": "[" * 1000 + "]" * 1000,
        "moderately deep JSON": json.dumps([{**good, "msg": {"metadata": deep_metadata}}]),
        "not JSON": "[{",
        "not a list": json.dumps({"event": "open"}),
        "an event a string": json.dumps(["open"]),
        "NUL in the _id": json.dumps([{**good, "_id": message_id + "\x00"}]),
        "_id a number": json.dumps([{**good, "_id": 5}]),
        "ts a string": json.dumps([{**good, "ts": "1795000000"}]),
        "ts out of range": json.dumps([{**good, "ts": 10**20}]),
        "ts negative": json.dumps([{**good, "ts": -5}]),
        "ts missing": json.dumps([{k: v for k, v in good.items() if k != "ts"}]),
        "event a list": json.dumps([{**good, "event": ["open"]}]),
        "msg a list": json.dumps([{**good, "msg": [1]}]),
        "metadata a list": json.dumps([{**good, "msg": {**good["msg"], "metadata": [1]}}]),
        "email a number": json.dumps([{**good, "msg": {**good["msg"], "email": 5}}]),
        "inbound without a message": json.dumps([{**good, "event": "inbound", "msg": {}}]),
        "NaN": '[{"event": "open", "ts": NaN}]',
        # A good event first: the lone surrogate of the second must keep it from applying too.
        "a lone surrogate in a later event": json.dumps([good, {**good, "msg": {"email": "\ud800@x.com"}}]),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(_crafted_batches("x")))
def test_crafted_batches_are_400_and_change_nothing(client, webhook_key, sent_email, name, caplog):
    request, notification = sent_email
    raw = _crafted_batches(request.provider_message_id)[name]
    params = {"mandrill_events": raw}
    signature = _signature(KEY, "http://testserver" + WEBHOOK, params)
    browser = Client(raise_request_exception=False)
    response = browser.post(WEBHOOK, params, HTTP_X_MANDRILL_SIGNATURE=signature)
    assert response.status_code == 400, (name, response.status_code, response.content[:300])
    assert response.content
    assert not [r for r in caplog.records if r.exc_info]
    assert _statuses(request, notification) == ("", "") and notification.status == "sent"
    assert not MandrillEvent.objects.exists()
