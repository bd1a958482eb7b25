"""The inbound routes: inbound messages (client-scoped), replies of a notification, suppressions."""

import pytest
from django.utils import timezone

from inbound.models import InboundMessage, Suppression
from inbound.services import Inbound, inbound_message_record, suppression_add, suppression_lift
from notifications.models import Notification
from tests.security.test_client_scope import alice, bob, everything, session  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

MESSAGES = "/api/v1/inbound_messages"
SUPPRESSIONS = "/api/v1/suppressions"


def _reply(user_id: str, text: str, number: str, event: str) -> InboundMessage:
    Notification.objects.create(
        key="shoot", notification_type="sms", phone_to=number, phone_from="+16505550100", user_id=user_id
    )
    return inbound_message_record(
        inbound=Inbound(
            channel="sms",
            provider="ringcentral",
            event_id=event,
            from_address=number,
            to_address="+16505550100",
            text=text,
            received_at=timezone.now(),
        )
    )


@pytest.fixture
def replies(alice, bob):  # noqa: F811 - the fixtures imported above
    return {
        "alice": _reply(str(alice.pk), "See you then", "+14155550123", "e1"),
        "bob": _reply(str(bob.pk), "STOP", "+14155550124", "e2"),
    }


def test_a_client_sees_only_its_own_inbound_messages(alice, bob, replies):  # noqa: F811
    client = session(alice)
    code, body = client.get(MESSAGES)
    assert code == 200, body
    assert [row["id"] for row in body["data"]] == [replies["alice"].pk]
    code, body = client.get(f"{MESSAGES}/{replies['bob'].pk}")
    assert (code, body["status"]) == (400, "invalid-param")
    assert "STOP" not in str(body)
    code, body = client.get(f"{MESSAGES}/{replies['alice'].pk}")
    assert code == 200 and body["data"]["text"] == "See you then"


def test_inbound_messages_filter_and_a_notifications_replies(api, replies):
    code, body = api.get(MESSAGES, {"keyword": "stop"})
    assert code == 200 and [row["id"] for row in body["data"]] == [replies["bob"].pk]
    code, body = api.get(MESSAGES, {"channel": "fax"})
    assert (code, body["status"]) == (400, "invalid-param") and "channel" in body["errors"]
    notification = replies["alice"].notification
    code, body = api.get(f"/api/v1/notifications/{notification.pk}/replies")
    assert code == 200 and [row["id"] for row in body["data"]] == [replies["alice"].pk]
    assert body["data"][0]["notification_id"] == notification.pk


def test_suppressions_are_listed_and_lifted_with_a_note(api, replies):
    code, body = api.get(SUPPRESSIONS, {"active": "true"})
    assert code == 200, body
    (row,) = body["data"]
    assert (row["address"], row["reason"], row["active"]) == ("+14155550124", "stop", True)
    assert row["since"] and [h["action"] for h in row["history"]] == ["suppressed"]

    code, body = api.delete(f"{SUPPRESSIONS}/{row['id']}", {"note": ""})
    assert (code, body["status"]) == (400, "invalid-param") and "note" in body["errors"]
    code, body = api.delete(f"{SUPPRESSIONS}/{row['id']}", {"note": "Customer called to resume texts"})
    assert code == 200, body
    assert body["data"]["active"] is False
    assert [(h["action"], h["note"]) for h in body["data"]["history"]] == [
        ("suppressed", "Replied STOP"),
        ("lifted", "Customer called to resume texts"),
    ]
    code, body = api.delete(f"{SUPPRESSIONS}/{row['id']}", {"note": "again"})
    assert (code, body["status"]) == (400, "invalid-param")
    assert Suppression.objects.get().lift_note == "Customer called to resume texts"


def test_a_late_bounce_does_not_undo_a_lift(db):
    first = suppression_add(kind="email", address="ann@example.com", reason="hard_bounce")
    suppression_lift(suppression=first, note="Mailbox fixed")
    late = suppression_add(kind="email", address="ann@example.com", reason="hard_bounce", since=first.since)
    assert late.pk == first.pk and Suppression.objects.filter(lifted_at__isnull=True).count() == 0


def test_a_client_cannot_list_suppressions(alice):  # noqa: F811
    code, body = session(alice).get(SUPPRESSIONS)
    assert (code, body["status"]) == (403, "permission-denied")


def test_a_missing_or_hidden_id_answers_as_on_every_route(api, alice, replies):  # noqa: F811
    """invalid-param naming `id`, "no record has this id", whether it does not exist or is another's."""
    theirs = replies["bob"].notification
    missing = Notification.objects.order_by("pk").last().pk + 100
    client = session(alice)
    for caller, path in [
        (api, f"/api/v1/notifications/{missing}/replies"),
        (client, f"/api/v1/notifications/{theirs.pk}/replies"),
        (api, f"{MESSAGES}/{missing}"),
        (client, f"{MESSAGES}/{replies['bob'].pk}"),
    ]:
        code, body = caller.get(path)
        assert (code, body["status"]) == (400, "invalid-param"), path
        assert body["message"] == "`id`: no record has this id.", path
        assert list(body["errors"]) == ["id"], path
    code, body = api.call("DELETE", f"{SUPPRESSIONS}/{missing}", data={"note": "fixed"})
    assert (code, body["message"]) == (400, "`id`: no record has this id."), body
