"""From a fresh database with no credentials: every feature succeeds through the API.

The path of README's "Try it": load_demo_data (which imports the sandbox's Glip
teams), the Glip team import run again, a Glip
message, a notification of each type, a cancelation with its notice and a
messaging client, all on the sandbox providers; then a reply and a STOP (simulate_inbound).
"""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cancelations.models import Cancelation
from conftest import Api
from glip.models import GlipMessage, GlipTeam
from notifications.models import Notification
from planocore.outbox.models import ExternalRequest

pytestmark = pytest.mark.django_db


def _run(name: str, *args) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_a_fresh_clone_walks_every_feature(fresh_clone, django_capture_on_commit_callbacks):
    printed = _run("load_demo_data")
    token = re.search(r"API token \(application planox2, shown once\): (\S+)", printed).group(1)
    # With no RingCentral credentials, load_demo_data imports the sandbox's teams.
    assert "Sandbox Glip teams (no RingCentral credentials): created 4," in printed
    api = Api(token)

    printed = _run("import_default_extensions_glip_teams")
    assert "created 0, updated 0, unchanged 4," in printed, printed
    assert set(GlipTeam.objects.values_list("name", flat=True)) == {
        "Cancelations",
        "General",
        "Operations",
        "Support",
    }

    def call(method, path, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            code, body = getattr(api, method)(path, data)
        assert (code, body["status"]) == (200, "action-successful"), (path, body)
        return body["data"]

    # A Glip message, sent at once.
    data = call(
        "post", "/api/v1/glip/messages", {"team_name": "General", "message": "Hello", "execute": True}
    )
    assert data["post_id"].startswith("sandbox-")
    assert GlipMessage.objects.get().status == "sent"

    # A messaging client of the demo client user, linked at once, then listed.
    demo_id = get_user_model().objects.get(username="demo-client").pk
    client = call(
        "post",
        f"/api/v1/users/{demo_id}/clients",
        {
            "matchCriteria": {
                "type": "mailgun",
                "integrationId": "5e4af71a81966cfff3ef6550",
                "address": "a@b.co",
            },
            "confirmation": {"type": "immediate"},
            "target": {"conversationId": "sandbox-conversation-1"},
        },
    )
    listed = call("get", f"/api/v1/users/{demo_id}/clients")
    assert [c["client_id"] for c in listed] == [client["client_id"]], listed

    # A notification of each type.
    params = {
        "email": {"email_to": "ann@example.com", "email_subject": "Tour ready", "email_body": "See it"},
        "sms": {"phone_from": "+15550001111", "phone_to": "+15550002222", "email_body": "Hi"},
        "mms": {
            "phone_from": "+15550001111",
            "phone_to": "+15550002222",
            "email_body": "Your photo",
            "media_url": "https://media.example.com/tour.jpg",
        },
        "glip": {"team_name": "Operations", "email_body": "Shoot at 10"},
        "conversation": {"user_id": str(demo_id), "email_body": "Your tour is ready"},
    }
    for kind, values in params.items():
        call("post", "/api/v1/notifications", {"notification_type": kind, **values})
    sent = dict(Notification.objects.values_list("notification_type", "status"))
    assert sent == dict.fromkeys(params, "sent"), sent

    # A cancelation, whose notice goes to the sandbox's Cancelations team.
    data = call(
        "post",
        "/api/v1/cancelations",
        {"cancelable_type": "Order", "cancelable_id": 55, "reason_slug": "weather"},
    )
    cancelation = Cancelation.objects.get(pk=data["id"])
    notice = Notification.objects.get(notifyable_type="Cancelation", notifyable_id=cancelation.pk)
    assert (notice.notification_type, notice.team_name, notice.status) == ("glip", "Cancelations", "sent")

    requests = ExternalRequest.objects.all()
    assert requests.count() == 7
    assert {r.status for r in requests} == {"sent"}
    assert all(r.response.get("sandbox") for r in requests)

    # A reply comes back, linked to the latest text to that number (the MMS); then a STOP,
    # and the next SMS is suppressed.
    latest = Notification.objects.filter(phone_to="+15550002222").latest("id")
    assert latest.notification_type == "mms"
    _run("simulate_inbound", "--sms", "Can we make it 10?", "--from", "+15550002222")
    # Newest first: the demo data's own reply and bounce come after it.
    reply = call("get", "/api/v1/inbound_messages")[0]
    assert (reply["notification_id"], reply["text"]) == (latest.pk, "Can we make it 10?")
    _run("simulate_inbound", "--sms", "STOP", "--from", "+15550002222")
    data = call("post", "/api/v1/notifications", {"notification_type": "sms", **params["sms"]})
    assert Notification.objects.get(pk=data["id"]).status == "suppressed"
    (suppression,) = [s for s in call("get", "/api/v1/suppressions") if s["address"] == "+15550002222"]
    assert (suppression["address"], suppression["reason"], suppression["active"]) == (
        "+15550002222",
        "stop",
        True,
    )
    assert ExternalRequest.objects.filter(status="suppressed").count() == 1
