"""The inbox admin: unanswered first, the thread of a reply, a reply sent as a new notification; lifting."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbound.models import InboundMessage, Suppression
from inbound.services import Inbound, inbound_message_record, suppression_add
from notifications.models import Notification
from planocore.outbox.models import ExternalRequest
from tests.inbound.conftest import CUSTOMER, OUR_NUMBER, SMS

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _reply(event: str, text: str) -> InboundMessage:
    inbound = Inbound(
        channel="sms",
        provider="ringcentral",
        event_id=event,
        from_address=CUSTOMER,
        to_address=OUR_NUMBER,
        text=text,
        received_at=timezone.now(),
    )
    return inbound_message_record(inbound=inbound)


def test_the_inbox_lists_unanswered_first_and_a_reply_goes_out_as_a_notification(
    api, admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/notifications", {**SMS, "email_body": "Shoot tomorrow at 9", "user_id": "42"})
    first = _reply("e1", "Can we make it 10?")
    second = _reply("e2", "Thanks")
    InboundMessage.objects.filter(pk=second.pk).update(answered_at=timezone.now())

    page = admin_client.get("/admin/inbound/inboundmessage/")
    assert page.status_code == 200
    rows = [m.pk for m in page.context["cl"].result_list]
    assert rows == [first.pk, second.pk]

    page = admin_client.get(f"/admin/inbound/inboundmessage/{first.pk}/change/")
    content = page.content.decode()
    assert "Shoot tomorrow at 9" in content and "Can we make it 10?" in content and "Thanks" in content

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/inbound/inboundmessage/{first.pk}/change/", {"reply": "10 works, see you then."}
        )
    assert response.status_code == 302
    reply = Notification.objects.latest("id")
    assert (reply.notification_type, reply.phone_to, reply.phone_from) == ("sms", CUSTOMER, OUR_NUMBER)
    assert (reply.email_body, reply.user_id, reply.status) == ("10 works, see you then.", "42", "sent")
    first.refresh_from_db()
    assert first.answered_at is not None
    assert ExternalRequest.objects.filter(object_id=str(reply.pk), channel="sms").exists()


def test_staff_lift_a_suppression_with_a_note(admin_client, staff_user):
    suppression = suppression_add(kind="email", address="ann@example.com", reason="hard_bounce")
    url = f"/admin/inbound/suppression/{suppression.pk}/change/"
    assert "ann@example.com" in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"lift_with_note": "Mailbox fixed", **_inline_management()})
    assert response.status_code == 302, response.content
    suppression.refresh_from_db()
    assert (suppression.lift_note, suppression.lifted_by) == ("Mailbox fixed", staff_user)
    assert list(Suppression.objects.get().history.values_list("action", "note")) == [
        ("suppressed", ""),
        ("lifted", "Mailbox fixed"),
    ]


def _inline_management() -> dict:
    prefix = "history"
    return {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-id": str(Suppression.objects.get().history.get().pk),
        f"{prefix}-0-suppression": str(Suppression.objects.get().pk),
    }


def test_the_sandbox_button_makes_a_stop_happen(admin_client):
    page = admin_client.get("/admin/inbound/inboundmessage/")
    assert 'id="simulate-inbound"' in page.content.decode()
    response = admin_client.post(
        "/admin/inbound/inboundmessage/simulate/",
        {"kind": "sms", "address": "+15550002222", "text": "STOP"},
        follow=True,
    )
    assert "keyword STOP" in response.content.decode()
    assert Suppression.objects.get().address == "+15550002222"
    response = admin_client.post(
        "/admin/inbound/inboundmessage/simulate/",
        {"kind": "bounce", "address": "not an address"},
        follow=True,
    )
    assert "Give an email address." in response.content.decode()


def test_a_notification_shows_its_replies_newest_first_each_linked_to_its_thread(
    api, admin_client, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/notifications", {**SMS, "email_body": "Shoot tomorrow at 9", "user_id": "42"})
    sent = Notification.objects.latest("id")
    page = f"/admin/notifications/notification/{sent.pk}/change/"
    content = admin_client.get(page).content.decode()
    assert "No reply yet." in content and not re.search(r"/admin/inbound/inboundmessage/\d+/change/", content)

    stop = _reply("e3", "STOP")
    answer = _reply("e4", "Can we make it 10?")
    assert stop.notification_id == answer.notification_id == sent.pk
    with CaptureQueriesContext(connection) as queries:
        content = admin_client.get(page).content.decode()
    # unfold builds the read-only field three times a page (each runs the display) and our
    # templates/unfold/helpers/field_readonly_value.html reads its contents once: 4 in all,
    # not one more for every time Django asks for the fieldsets (7 with a section shown only
    # when replies exist, and unfold's own template).
    assert sum("inbound_inboundmessage" in q["sql"] for q in queries.captured_queries) <= 4
    assert "newest first" in content.lower() and "No reply yet." not in content
    newest, oldest = (f"/admin/inbound/inboundmessage/{m.pk}/change/" for m in (answer, stop))
    assert "Can we make it 10?" in content and content.index(newest) < content.index(oldest)
    assert content.count("unanswered") >= 2 and CUSTOMER in content

    # Past the ones shown, a link to all of them in the inbox, which lists exactly those.
    from notifications.admin import NotificationAdmin

    monkeypatch.setattr(NotificationAdmin, "REPLIES_SHOWN", 1)
    content = admin_client.get(page).content.decode()
    assert newest in content and oldest not in content
    link = f"/admin/inbound/inboundmessage/?notification__id__exact={sent.pk}"
    assert link in content
    inbox = admin_client.get(link)
    assert inbox.status_code == 200
    assert {m.pk for m in inbox.context["cl"].result_list} == {stop.pk, answer.pk}
