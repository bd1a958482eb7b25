"""The sandbox: with no credentials, `simulate_inbound` makes a reply, a STOP and a bounce happen."""

import io

import pytest
from django.core.management import CommandError, call_command

from inbound.models import InboundMessage, Suppression
from notifications.models import Notification
from planocore.outbox.models import ExternalRequest
from tests.inbound.conftest import SMS

pytestmark = pytest.mark.django_db


def _simulate(*args) -> str:
    out = io.StringIO()
    call_command("simulate_inbound", *args, stdout=out)
    return out.getvalue()


def test_a_simulated_stop_suppresses_the_next_send(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        code, body = api.post("/api/v1/notifications", SMS)
    assert code == 200 and Notification.objects.get().status == "sent"

    assert "keyword STOP" in _simulate("--sms", "stop", "--from", "(415) 555-0123")
    assert Suppression.objects.get().address == "+14155550123"  # a national number, read as US

    with django_capture_on_commit_callbacks(execute=True):
        code, body = api.post("/api/v1/notifications", SMS)
    held = ExternalRequest.objects.get(object_id=str(body["data"]["id"]))
    assert held.status == "suppressed" and held.attempt_log.count() == 0


def test_a_simulated_bounce_and_conversation_message():
    assert "suppressed (hard bounce)" in _simulate("--bounce", "Ann@Example.com")
    assert Suppression.objects.get().address == "ann@example.com"
    _simulate("--conversation", "Is the shoot still on?", "--user-id", "42")
    assert InboundMessage.objects.get().channel == "conversation"
    with pytest.raises(CommandError):
        _simulate("--sms", "hi", "--from", "not a number")
