"""Mandrill over real HTTP: bounces, complaints and unsubscribes suppress the address; replies come in.

The events are POSTed, signed, to a live PlanoCore's /webhooks/mandrill (anymail's view,
which notifications already serves); the email sends go to the Mandrill fake.
"""

import base64
import hashlib
import hmac
import json
import time

import pytest
import requests

from inbound.models import InboundMessage, Suppression
from notifications.models import Notification
from planocore.outbox.models import ExternalRequest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("applications")]

KEY = "webhook-key-for-tests"
URL = "/api/v1/notifications"


@pytest.fixture
def mandrill_live(live_server, mandrill_fake, settings):
    url = f"{live_server.url}/webhooks/mandrill"
    settings.ANYMAIL = {**settings.ANYMAIL, "MANDRILL_WEBHOOK_KEY": KEY, "MANDRILL_WEBHOOK_URL": url}
    return url


def _post(url: str, events: list) -> requests.Response:
    params = {"mandrill_events": json.dumps(events)}
    signed = url + "".join(k + params[k] for k in sorted(params))
    signature = base64.b64encode(hmac.new(KEY.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    return requests.post(url, data=params, headers={"X-Mandrill-Signature": signature}, timeout=10)


def _email(api, to="ann@example.com"):
    code, body = api.post(
        URL,
        {
            "notification_type": "email",
            "email_from": "ops@planomatic.example",
            "email_to": to,
            "email_subject": "Your tour is ready",
            "email_body": "See it.",
            "user_id": "42",
        },
    )
    return code, body


def test_a_hard_bounce_suppresses_the_address(api, mandrill_live, mandrill_fake):
    code, body = _email(api)
    assert code == 200, body
    sent = len(mandrill_fake.sent_messages())
    request = ExternalRequest.objects.get()
    soft = {
        "event": "soft_bounce",
        "_id": request.provider_message_id,
        "ts": 1795000000,
        "msg": {"email": "ann@example.com"},
    }
    assert _post(mandrill_live, [soft]).status_code == 200
    assert not Suppression.objects.exists()  # a soft bounce may heal

    hard = {
        **soft,
        "event": "hard_bounce",
        "ts": 1795000001,
        "msg": {"email": "Ann@Example.com", "diag": "550 5.1.1"},
    }
    assert _post(mandrill_live, [hard]).status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.kind, suppression.address, suppression.reason) == (
        "email",
        "ann@example.com",
        "hard_bounce",
    )

    code, body = _email(api, to="Ann <ann@example.com>")
    # Not a provider failure: the notification is made, and the answer says why it was not sent.
    assert (code, body["status"], body["data"]["status"]) == (200, "action-successful", "suppressed"), body
    assert body["message"].startswith("Not sent. Suppressed: ann@example.com")
    held = Notification.objects.get(pk=body["data"]["id"])
    assert held.status == "suppressed"
    assert len(mandrill_fake.sent_messages()) == sent  # no provider call
    assert ExternalRequest.objects.get(object_id=str(held.pk)).status == "suppressed"


def test_complaints_and_unsubscribes_suppress_too(mandrill_live):
    events = [
        {"event": "spam", "_id": "m1", "ts": 1795000000, "msg": {"email": "bob@example.com"}},
        {"event": "unsub", "_id": "m2", "ts": 1795000000, "msg": {"email": "cy@example.com"}},
        {"event": "open", "_id": "m3", "ts": 1795000000, "msg": {"email": "di@example.com"}},
    ]
    assert _post(mandrill_live, events).status_code == 200
    assert dict(Suppression.objects.values_list("address", "reason")) == {
        "bob@example.com": "complaint",
        "cy@example.com": "unsubscribe",
    }


def test_an_email_reply_comes_in_linked_to_its_notification(api, mandrill_live, mandrill_fake):
    code, body = _email(api)
    assert code == 200, body
    raw = (
        "From: Ann <ann@example.com>\r\nTo: ops@planomatic.example\r\nSubject: Re: Your tour is ready\r\n"
        "Message-ID: <reply-1@example.com>\r\n\r\nLooks great, thanks!\r\n"
    )
    event = {
        "event": "inbound",
        "ts": int(time.time()),
        "msg": {"raw_msg": raw, "email": "ops@planomatic.example"},
    }
    assert _post(mandrill_live, [event]).status_code == 200
    assert _post(mandrill_live, [event]).status_code == 200  # a replay
    message = InboundMessage.objects.get()
    assert (message.channel, message.from_address, message.subject) == (
        "email",
        "ann@example.com",
        "Re: Your tour is ready",
    )
    assert message.text.strip() == "Looks great, thanks!"
    assert message.notification_id == body["data"]["id"] and message.user_id == "42"


@pytest.mark.parametrize(
    "payload",
    [
        {"to": ["ann@example.com"], "cc": ["Bounced <Gone@Example.com>"], "bcc": []},
        {"to": ["ann@example.com"], "cc": [], "bcc": ["gone@example.com"]},
        # Stored before the API refused it: parseaddr reads ann@ alone, the sender both.
        {"to": ["ann@example.com <gone@example.com>"], "cc": [], "bcc": []},
    ],
)
def test_an_email_is_suppressed_when_any_address_the_sender_would_mail_is(payload):
    from inbound.services import send_suppressions, suppression_add

    suppression = suppression_add(kind="email", address="gone@example.com", reason="hard_bounce")
    clean = {"to": ["ann@example.com"], "cc": ["bob@example.com"], "bcc": []}
    assert send_suppressions(sends=[("email", payload), ("email", clean)]) == [suppression, None]
