"""POST /api/v1/notifications: views, dispatch by channel, Mandrill failures, query count."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from notifications.models import Notification, ProductionNotification
from planocore.outbox.models import ExternalRequest
from tests.notifications.conftest import EMAIL, SMS, URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked_user(db):
    from messaging.models import MessagingClient

    user = get_user_model().objects.create_user(
        username="ann", email="ann@example.com", password="x-Passw0rd!"
    )
    MessagingClient.objects.create(
        user=user,
        external_user_id=str(user.pk),
        client_id="client-1",
        type="whatsapp",
        status="active",
        conversation_id="conv-1",
    )
    return user


# --- views ---------------------------------------------------------------------------------
def test_default_view_returns_the_notification(notify):
    code, body = notify(EMAIL)

    assert (code, body["status"]) == (200, "action-successful"), body
    data = body["data"]
    stored = Notification.objects.get()
    assert data["id"] == stored.pk
    assert data["email_to"] == "ann@example.com, Bob <bob@example.com>"
    assert data["key"] == "tour-ready" and data["olio_id"] == "OL-1"
    assert data["processed"] == 1 and data["status"] == "sent"
    assert "proof" not in data and "created_at_fm" not in data


def test_default_with_proof_shows_each_outgoing_request(notify):
    code, body = notify({**EMAIL, "view": "default-with-proof"})

    assert code == 200, body
    [proof] = body["data"]["proof"]
    request = ExternalRequest.objects.get()
    assert proof["id"] == request.pk
    assert (proof["channel"], proof["status"], proof["attempts"]) == ("email", "sent", 1)
    assert proof["provider_message_id"] == request.provider_message_id != ""
    assert proof["sent_at"] and proof["created_at"]
    assert proof["response"] == request.response


def test_internal_applications_view(notify):
    code, body = notify(
        {
            **EMAIL,
            "view": "internal-applications-view",
            "updated_at_fm": "2026-11-01T09:00:00Z",
            "created_at_fm": "2026-11-01T08:00:00Z",
            "processed_at_fm": "2026-11-01T10:00:00Z",
            "updated_in": "Olio",
        }
    )

    assert code == 200, body
    assert set(body["data"]) == {
        "id",
        "key",
        "status",
        "notification_type",
        "created_at_fm",
        "updated_at_fm",
        "processed_at_fm",
        "updated_in",
        "processed",
        "processed_at",
    }
    assert body["data"]["created_at_fm"] == "2026-11-01T08:00:00+00:00"
    assert body["data"]["updated_in"] == "Olio"


def test_updated_in_defaults_to_the_calling_application(notify):
    notify({**EMAIL})
    assert Notification.objects.get().updated_in == "planox2"


# --- dispatch by channel (sandbox backends) --------------------------------------------------
def test_sms_is_queued_in_the_same_transaction_and_sent_after_commit(notify):
    code, body = notify({**SMS, "phone_to": "+15550002222,+15550003333"})

    assert code == 200, body
    request = ExternalRequest.objects.get()
    notification = Notification.objects.get()
    assert request.source == notification
    assert (request.channel, request.action, request.priority) == ("sms", "send", 5)
    assert request.payload == {
        "from": "+15550001111",
        "to": ["+15550002222", "+15550003333"],
        "text": "Hi",
        "extension_id": None,
    }
    assert request.status == "sent"
    assert (notification.processed, notification.status) == (1, "sent")
    assert notification.processed_at is not None


def test_saving_again_does_not_send_again(notify):
    notify(SMS)
    notification = Notification.objects.get()
    notification.key = "changed"
    notification.save()
    assert ExternalRequest.objects.count() == 1


def test_a_notification_saved_in_the_shell_is_dispatched(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = Notification.objects.create(
            notification_type="email", email_to="ann@example.com", email_subject="From the shell"
        )
    request = ExternalRequest.objects.get()
    assert request.payload["to"] == ["ann@example.com"] and request.payload["subject"] == "From the shell"
    notification.refresh_from_db()
    assert (notification.processed, notification.status) == (1, "sent")


def test_a_failed_send_says_so(db, django_capture_on_commit_callbacks):
    from planocore.outbox.services import send

    notification = Notification.objects.create(
        notification_type="sms", phone_to="+15550002222", phone_from="+15550001111", email_body="y"
    )
    request = ExternalRequest.objects.get()
    # The sandbox fails permanently when its payload says so.
    ExternalRequest.objects.filter(pk=request.pk).update(
        payload={**request.payload, "sandbox_fail": "permanent"}
    )

    send(request.pk)

    notification.refresh_from_db()
    assert (notification.status, notification.processed) == ("failed", 0)
    assert notification.provider_failed_at is not None


# --- email inside the request: mandrill-email-failed -------------------------------------------
def test_mandrill_refusal_answers_mandrill_email_failed_and_keeps_the_notification(api, mandrill_fake):
    mandrill_fake.reject("ann@example.com")
    mandrill_fake.reject("bob@example.com")
    mandrill_fake.reject("cc@example.com")

    code, body = api.post(URL, {**EMAIL, "view": "default-with-proof"})

    assert (code, body["status"]) == (500, "mandrill-email-failed"), body
    notification = Notification.objects.get()
    assert body["data"]["id"] == notification.pk
    assert body["data"]["proof"][0]["status"] == "failed"
    assert "refused every recipient" in body["message"]
    assert (notification.status, notification.processed) == ("failed", 0)
    assert ProductionNotification.objects.filter(
        notification_type="email", provider_failed_at__isnull=False, pk=notification.pk
    ).exists()


def test_mandrill_outage_answers_mandrill_email_failed_and_is_retried(api, mandrill_fake):
    mandrill_fake.fail_next(502, {"status": "error", "name": "GeneralError", "message": "down"})

    code, body = api.post(URL, EMAIL)

    assert (code, body["status"]) == (500, "mandrill-email-failed"), body
    assert "will be retried" in body["message"]
    request = ExternalRequest.objects.get()
    assert request.status == "retrying" and request.next_attempt_at is not None
    assert Notification.objects.get().status == "retrying"


# --- real HTTP, one test per channel -------------------------------------------------------------
def test_email_reaches_mandrill(api, mandrill_fake):
    code, body = api.post(URL, {**EMAIL, "email_bcc": "audit@example.com"})

    assert (code, body["status"]) == (200, "action-successful"), body
    [message] = mandrill_fake.sent_messages()
    assert message["subject"] == "Your tour is ready"
    assert message["text"] == "See it at https://tours.example/1"
    assert message["from_email"] == "ops@planomatic.example"
    assert sorted((r["email"], r["type"]) for r in message["to"]) == [
        ("ann@example.com", "to"),
        ("audit@example.com", "bcc"),
        ("bob@example.com", "to"),
        ("cc@example.com", "cc"),
    ]
    notification = Notification.objects.get()
    assert message["metadata"]["notification_id"] == str(notification.pk)
    assert (notification.processed, notification.status) == (1, "sent")
    assert ExternalRequest.objects.get().provider_message_id


def test_sms_reaches_ringcentral(notify, ringcentral_fake):
    code, body = notify(SMS)

    assert code == 200, body
    [sms] = ringcentral_fake.sms
    assert (sms["from"], sms["to"], sms["text"]) == ("+15550001111", ["+15550002222"], "Hi")
    notification = Notification.objects.get()
    assert (notification.processed, notification.status) == (1, "sent")
    assert ExternalRequest.objects.get().provider_message_id == str(sms["id"])


def test_mms_reaches_ringcentral_with_the_media(notify, ringcentral_fake):
    media_url = ringcentral_fake.add_media("tour.jpg", b"\xff\xd8jpeg-bytes", "image/jpeg")

    code, body = notify(
        {**SMS, "notification_type": "mms", "media_url": media_url, "email_body": "Your photo"}
    )

    assert code == 200, body
    [mms] = ringcentral_fake.mms
    assert (mms["from"], mms["to"], mms["text"]) == ("+15550001111", ["+15550002222"], "Your photo")
    [attachment] = mms["attachments"]
    assert attachment["content"] == b"\xff\xd8jpeg-bytes" and attachment["content_type"] == "image/jpeg"
    assert Notification.objects.get().processed == 1


def test_glip_reaches_the_team(notify, ringcentral_fake, glip_team):
    ringcentral_fake.add_team(glip_team.chat_id, glip_team.name)

    code, body = notify(
        {"notification_type": "glip", "team_name": "Photographers", "email_body": "Shoot at 10"}
    )

    assert code == 200, body
    [post] = ringcentral_fake.posts_to(glip_team.chat_id)
    assert post["text"] == "Shoot at 10"
    notification = Notification.objects.get()
    assert (notification.processed, notification.status, notification.team_name) == (
        1,
        "sent",
        "Photographers",
    )


def test_conversation_reaches_sunshine(notify, sunshine_fake, linked_user):
    code, body = notify(
        {"notification_type": "conversation", "user_id": str(linked_user.pk), "email_body": "Hi!"}
    )

    assert code == 200, body
    [message] = sunshine_fake.messages["conv-1"]
    assert message["content"] == {"type": "text", "text": "Hi!"}
    assert message["author"]["type"] == "business"
    request = ExternalRequest.objects.get()
    assert (request.channel, request.action) == ("conversation", "post_message")
    assert request.payload == {"user_id": str(linked_user.pk), "conversation_id": "conv-1", "text": "Hi!"}
    assert Notification.objects.get().processed == 1


# --- cost -----------------------------------------------------------------------------------
def test_create_with_an_application_token_costs_bounded_queries(api, django_assert_max_num_queries):
    api.post(URL, EMAIL)  # warm the token's permission and content-type caches
    with django_assert_max_num_queries(16):
        code, _ = api.post(URL, EMAIL)
    assert code == 200
    with django_assert_max_num_queries(8):
        code, _ = api.post(URL, {**EMAIL, "notification_type": ""})
    assert code == 200


def test_service_is_usable_without_the_api(db, django_capture_on_commit_callbacks):
    from notifications.services import notification_create

    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_create(
            data={"notification_type": "email", "email_to": "ops@example.com", "email_subject": "Canceled"}
        )
    assert notification.pk and ExternalRequest.objects.get().payload["subject"] == "Canceled"
    with pytest.raises(ValidationError) as caught:
        notification_create(data={"notification_type": "email", "email_to": "nope"})
    assert "email_to" in caught.value.message_dict
    assert Notification.objects.count() == 1
