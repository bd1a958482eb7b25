"""Inbound SMS over real HTTP: RingCentral's fake subscribes to a live PlanoCore and delivers events to it.

The subscription's handshake, the Verification-Token, replies linked to the notification
they answer, replays skipped, and consent: STOP suppresses the next send (no provider
call), START resumes, HELP is answered through the outbox.
"""

import io
import json

import pytest
import requests
from django.core.management import call_command

from inbound.models import InboundMessage, Suppression, SuppressionChange, WebhookSubscription
from notifications.models import Notification
from planocore.outbox.models import ExternalRequest
from tests.inbound.conftest import CUSTOMER, OUR_NUMBER, TOKEN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("applications")]

URL = "/api/v1/notifications"


def _run(*args) -> str:
    out = io.StringIO()
    call_command("subscribe_ringcentral_webhooks", *args, stdout=out)
    return out.getvalue()


def _text(api, text="Your shoot is tomorrow at 9.", to=CUSTOMER):
    code, body = api.post(
        URL,
        {
            "notification_type": "sms",
            "phone_from": OUR_NUMBER,
            "phone_to": to,
            "email_body": text,
            "user_id": "42",
            "key": "shoot",
        },
    )
    assert code == 200, body
    return Notification.objects.get(pk=body["data"]["id"])


def test_subscribing_answers_the_handshake_and_is_idempotent(inbound_live, ringcentral_fake):
    assert "would be created" in _run("--dry-run")
    assert ringcentral_fake.subscriptions == {} and ringcentral_fake.handshakes == []

    assert "default: created" in _run()
    assert [h["ok"] for h in ringcentral_fake.handshakes] == [True]
    ((sid, info),) = ringcentral_fake.subscriptions.items()
    assert info["deliveryMode"]["address"] == f"{inbound_live.url}/webhooks/ringcentral"
    assert info["deliveryMode"]["verificationToken"] == TOKEN
    assert WebhookSubscription.objects.get().subscription_id == sid

    assert "default: unchanged" in _run()  # nothing made twice
    assert len(ringcentral_fake.subscriptions) == 1

    ringcentral_fake.expire_soon(sid)
    assert "would be renewed" in _run("--dry-run")
    assert "default: renewed" in _run()
    assert len(ringcentral_fake.subscriptions) == 1

    ringcentral_fake.blacklist(sid)
    assert "default: recreated" in _run()
    ((new_sid, info),) = ringcentral_fake.subscriptions.items()
    assert new_sid != sid and info["status"] == "Active"
    assert WebhookSubscription.objects.get().subscription_id == new_sid


def test_the_handshake_echoes_the_validation_token(inbound_live):
    answer = requests.post(
        f"{inbound_live.url}/webhooks/ringcentral", headers={"Validation-Token": "abc-123"}
    )
    assert answer.status_code == 200
    assert answer.headers["Validation-Token"] == "abc-123"
    assert len(answer.content) == 0


def test_an_event_with_a_wrong_or_missing_verification_token_is_refused(subscribed):
    for token in ("not-the-token", ""):
        (answer,) = subscribed.deliver_sms(text="hello", from_=CUSTOMER, token=token)
        assert answer.status_code == 401
    assert not InboundMessage.objects.exists()


def test_an_inbound_sms_is_linked_to_the_notification_it_answers(api, subscribed):
    other = _text(api, to="+14155550199")
    notification = _text(api)
    event = subscribed.sms_event(text="Can we make it 10?", from_=CUSTOMER, to=OUR_NUMBER)

    (answer,) = subscribed.deliver(event)
    assert answer.status_code == 200, answer.text
    (again,) = subscribed.deliver(event)  # RingCentral retries: the same uuid
    assert again.status_code == 200

    message = InboundMessage.objects.get()
    assert message.notification_id == notification.pk != other.pk
    assert (message.user_id, message.from_address, message.to_address) == ("42", CUSTOMER, OUR_NUMBER)
    assert message.text == "Can we make it 10?" and message.keyword == ""
    assert Suppression.objects.count() == 0


def test_stop_suppresses_the_next_sms_and_start_resumes(api, subscribed):
    _text(api)
    assert len(subscribed.sms) == 1

    (answer,) = subscribed.deliver_sms(text="Stop", from_=CUSTOMER, to=OUR_NUMBER)
    assert answer.status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.kind, suppression.address, suppression.reason) == ("phone", CUSTOMER, "stop")

    held = _text(api, text="Reminder: tomorrow at 9.")
    assert len(subscribed.sms) == 1  # no provider call
    request = ExternalRequest.objects.get(object_id=str(held.pk))
    held.refresh_from_db()
    assert (request.status, held.status) == ("suppressed", "suppressed")
    assert "stop" in request.last_error.lower() and CUSTOMER in request.last_error
    assert request.attempt_log.count() == 0

    subscribed.deliver_sms(text="START", from_=CUSTOMER, to=OUR_NUMBER)
    suppression.refresh_from_db()
    assert suppression.lifted_at is not None
    assert list(suppression.history.values_list("action", flat=True)) == [
        SuppressionChange.Action.SUPPRESSED,
        SuppressionChange.Action.RESUMED,
    ]
    _text(api, text="Back on.")
    assert len(subscribed.sms) == 2
    assert subscribed.sms[-1]["text"] == "Back on."


def test_help_is_answered_through_the_outbox(subscribed, settings):
    subscribed.deliver_sms(text="help", from_=CUSTOMER, to=OUR_NUMBER)
    message = InboundMessage.objects.get()
    assert message.keyword == "HELP" and message.answered_at is not None
    reply = ExternalRequest.objects.get(object_id=str(message.pk))
    assert reply.status in ("succeeded", "sent")
    assert subscribed.sms[-1]["text"] == settings.INBOUND_HELP_TEXT
    assert subscribed.sms[-1]["to"] == [CUSTOMER]


def test_a_malformed_event_stores_nothing(inbound_live):
    answer = requests.post(
        f"{inbound_live.url}/webhooks/ringcentral",
        data=json.dumps(
            {
                "uuid": "u-1",
                "event": "/restapi/v1.0/account/1/extension/2/message-store/instant?type=SMS",
                "body": {"from": {"phoneNumber": "not a number"}, "to": []},
            }
        ),
        headers={"Verification-Token": TOKEN, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert "phoneNumber" in answer.json()["message"]
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"creationTime": "2026-02-30T00:00:00Z"}, "creationTime"),
        ({"creationTime": "2026-11-23T25:00:00Z"}, "creationTime"),
        ({"creationTime": "9999-12-31T23:59:59-05:00"}, "creationTime"),  # year 10000 in UTC
        ({"creationTime": "0001-01-01T00:00:00+01:00"}, "creationTime"),  # before year 1 in UTC
        ({"subject": "Stop\ud800"}, "surrogate"),
        ({"conversationId": "\udfff"}, "surrogate"),
    ],
)
def test_an_impossible_time_or_a_lone_surrogate_is_a_400_that_stores_nothing(inbound_live, body, says):
    event = {
        "uuid": "u-2",
        "event": "/restapi/v1.0/account/1/extension/2/message-store/instant?type=SMS",
        "body": {"from": {"phoneNumber": CUSTOMER}, "to": [{"phoneNumber": OUR_NUMBER}], **body},
    }
    answer = requests.post(
        f"{inbound_live.url}/webhooks/ringcentral",
        data=json.dumps(event),  # a lone surrogate goes as its \ud800 escape
        headers={"Verification-Token": TOKEN, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["message"]
    assert not InboundMessage.objects.exists()
